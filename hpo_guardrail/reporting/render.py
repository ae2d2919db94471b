"""The report's formats: one self-contained HTML page, Markdown, CSV (one row per job) and JSON.

HTML and Markdown show the same tables (`report_tables`); the HTML page adds summary cards and two
inline SVG charts, and reads on a laptop screen as well as on paper.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from hpo_guardrail.reporting.charts import (
    EVALUATED_COLOUR,
    FLAGGED_COLOUR,
    RULE_COLOUR,
    STOPPED_COLOUR,
    Category,
    Series,
    grouped_bars,
    horizontal_bars,
    swatch,
)
from hpo_guardrail.reporting.figures import Figures, GroupFigures, JobRow, Offender

FORMATS = ("html", "md", "csv", "json")
CSV_COLUMNS = (
    "event_id",
    "occurred_at",
    "account",
    "team",
    "job_name",
    "principal_arn",
    "findings",
    "worst_case_usd",
    "decision",
    "stop_result",
    "cost_avoided_usd",
)
# Spreadsheets run a cell starting with these as a formula; a team tag is free text anyone can set.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NONE = "-"
_NO_NAME = "(none)"
_NAMES_SHOWN = 5
_COST_NOTE = (
    "Worst case: the most a job could cost at on-demand prices (storage, warm pools and data transfer "
    "not included); 'at least' means an instance price was unknown."
)


# --- shared formatting ------------------------------------------------------------------------


def usd(amount: float | None, lower_bound: bool = False) -> str:
    """Dollars as people read them: whole dollars from $1,000, cents below."""
    if amount is None:
        return _NONE
    if amount == 0:
        return "$0"
    text = f"${amount:,.0f}" if abs(amount) >= 1000 else f"${amount:,.2f}"
    return f"at least {text}" if lower_bound else text


def usd_compact(amount: float) -> str:
    """Dollars in a few characters for a headline figure: $950, $13,700, $1.02M."""
    if abs(amount) >= 1_000_000:
        return f"${amount / 1_000_000:,.2f}M"
    return usd(amount)


def short_principal(arn: str | None) -> str:
    """The readable end of a principal ARN: role/session for an assumed role, user/name otherwise."""
    if not arn:
        return _NONE
    resource = arn.split(":", 5)[-1]
    if resource.startswith("assumed-role/"):
        return resource.removeprefix("assumed-role/")
    return resource


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (f" +{len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")


def _day(moment: str) -> str:
    return datetime.fromisoformat(moment).strftime("%Y-%m-%d %H:%M")


def period_label(figures: Figures) -> str:
    """The period as a heading shows it, e.g. 2026-11-23 00:00 to 2026-11-29 23:59 UTC."""
    return f"{_day(figures.period.since)} to {_day(figures.period.until)} UTC"


def _scope(figures: Figures) -> str:
    parts = []
    if figures.filters.account:
        parts.append(f"account {figures.filters.account}")
    if figures.filters.team:
        parts.append(f"team {figures.filters.team}")
    return ", ".join(parts) or "all accounts and teams"


# --- the tables HTML and Markdown share -------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A titled table; `numeric` holds the indexes of right-aligned columns."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    numeric: frozenset[int] = field(default_factory=frozenset)
    nowrap: frozenset[int] = field(default_factory=frozenset)
    empty: str = "None in this period."
    note: str = ""


def _group_table(title: str, noun: str, groups: list[GroupFigures]) -> Table:
    return Table(
        title=title,
        columns=(noun, "Evaluated", "Flagged", "Findings", "Stopped", "Worst case flagged", "Cost avoided"),
        rows=[
            (
                g.name or _NO_NAME,
                str(g.evaluated),
                str(g.flagged),
                str(g.findings),
                str(g.stopped),
                usd(g.worst_case_flagged_usd),
                usd(g.cost_avoided_usd),
            )
            for g in groups
        ],
        numeric=frozenset(range(1, 7)),
        empty="No jobs evaluated in this period.",
    )


def _offender_table(
    title: str, noun: str, offenders: list[Offender], name: Callable[[str], str], note: str = ""
) -> Table:
    return Table(
        title=title,
        columns=(noun, "Flagged jobs", "Rules", "Worst case flagged", "Jobs"),
        rows=[
            (name(o.name), str(o.flagged_jobs), ", ".join(o.rules), usd(o.worst_case_flagged_usd), _names(o.jobs))
            for o in offenders
        ],
        numeric=frozenset({1, 3}),
        note=note,
    )


def _job_table(jobs: list[JobRow]) -> Table:
    return Table(
        title="Costliest flagged jobs",
        columns=("Job", "When (UTC)", "Team", "Account", "Rules", "Worst case", "Decision", "Stop", "Cost avoided"),
        rows=[
            (
                j.job_name or j.event_id,
                _day(j.occurred_at),
                j.team or _NONE,
                j.account or _NONE,
                ", ".join(j.rules),
                usd(j.worst_case_usd, j.cost_complete is False),
                j.decision or _NONE,
                j.stop_result or _NONE,
                usd(j.cost_avoided_usd),
            )
            for j in jobs
        ],
        numeric=frozenset({5, 8}),
        nowrap=frozenset({1}),
        empty="No job was flagged in this period.",
        note=_COST_NOTE,
    )


def report_tables(figures: Figures) -> list[Table]:
    """The report's tables, in reading order."""
    offenders = figures.repeat_offenders
    return [
        Table(
            title="Jobs per week",
            columns=("ISO week", "Starts", "Evaluated", "Flagged", "Stopped"),
            rows=[(w.week, w.starts, str(w.evaluated), str(w.flagged), str(w.stopped)) for w in figures.weekly],
            numeric=frozenset({2, 3, 4}),
        ),
        Table(
            title="Findings by rule",
            columns=("Rule", "Findings", "Jobs"),
            rows=[(r.rule, str(r.findings), str(r.jobs)) for r in figures.by_rule],
            numeric=frozenset({1, 2}),
            empty="No findings in this period.",
        ),
        _group_table("By team", "Team", figures.by_team),
        _group_table("By account", "Account", figures.by_account),
        _offender_table(
            "Repeat offenders: principals",
            "Principal",
            offenders.principals,
            short_principal,
            f"Principals and teams with at least {offenders.min_flagged_jobs} flagged jobs in the period.",
        ),
        _offender_table("Repeat offenders: teams", "Team", offenders.teams, str),
        _job_table(figures.costliest_flagged_jobs),
        Table(
            title="Exempted findings",
            columns=("Exemption", "Findings set aside", "Jobs", "Rules"),
            rows=[
                (e.exemption, str(e.findings), str(e.jobs), ", ".join(e.rules)) for e in figures.exemptions.by_exemption
            ],
            numeric=frozenset({1, 2}),
            empty="No finding was set aside by an exemption.",
            note="Set aside by an active exemption: not counted as findings above.",
        ),
        Table(
            title="Expired exemptions",
            columns=("Exemption", "Expired on", "Jobs", "Job names"),
            rows=[
                (e.exemption, e.expired_on or _NONE, str(e.jobs), _names(e.job_names))
                for e in figures.exemptions.expired
            ],
            numeric=frozenset({2}),
            empty="No expired exemption matched a job.",
            note="These matched jobs after they expired, so their findings counted: renew or remove them.",
        ),
    ]


# --- JSON and CSV -------------------------------------------------------------------------------


def render_json(figures: Figures) -> str:
    """The figures object, as documented in docs/reports.md."""
    return figures.model_dump_json(indent=2) + "\n"


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def render_csv(rows: list[JobRow]) -> str:
    """One row per evaluated job; the findings column lists the rules separated by ';'."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = (
            row.event_id,
            row.occurred_at,
            row.account,
            row.team,
            row.job_name,
            row.principal_arn,
            ";".join(row.rules),
            row.worst_case_usd,
            row.decision,
            row.stop_result,
            row.cost_avoided_usd,
        )
        writer.writerow([_csv_cell(v) for v in values])
    return out.getvalue()


# --- Markdown ---------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> list[str]:
    lines = [f"## {table.title}", ""]
    if table.note:
        lines += [table.note, ""]
    if not table.rows:
        return [*lines, table.empty, ""]
    aligns = ["---:" if i in table.numeric else "---" for i in range(len(table.columns))]
    lines.append("| " + " | ".join(_md_cell(c) for c in table.columns) + " |")
    lines.append("| " + " | ".join(aligns) + " |")
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def _summary_rows(figures: Figures) -> list[tuple[str, str]]:
    t = figures.totals
    return [
        ("Events seen", str(t.events_seen)),
        ("Jobs evaluated", str(t.evaluated)),
        ("Events skipped", str(t.skipped)),
        ("Events rejected", str(t.rejected)),
        ("Jobs flagged", f"{t.jobs_flagged} ({t.findings} findings)"),
        ("Jobs notified", str(t.jobs_notified)),
        ("Jobs stopped", str(t.jobs_stopped)),
        ("Worst case flagged", usd(t.worst_case_flagged_usd, t.worst_case_flagged_is_lower_bound)),
        ("Cost avoided by stops", usd(t.cost_avoided_usd)),
        ("Findings set aside by exemptions", str(t.suppressed_findings)),
    ]


def render_markdown(figures: Figures) -> str:
    """Headings and tables (GitHub-flavoured Markdown)."""
    lines = [
        "# HPO Guardrail report",
        "",
        f"{period_label(figures)}, {_scope(figures)}. Generated {figures.generated_at}.",
        "",
        "## Summary",
        "",
        "| Figure | Value |",
        "| --- | ---: |",
        *[f"| {name} | {_md_cell(value)} |" for name, value in _summary_rows(figures)],
        "",
    ]
    for table in report_tables(figures):
        lines += _md_table(table)
    lines.append(f"_{_COST_NOTE}_")
    return "\n".join(lines) + "\n"


# --- HTML -------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --zebra: #f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1.25rem 1.5rem 2.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
.meta, .note, .empty, footer { color: var(--muted); }
.meta { margin: 0 0 1rem; }
.note { font-size: .9rem; margin: -.3rem 0 .6rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .6rem; }
.card { border: 1px solid var(--line); border-radius: .5rem; padding: .6rem .8rem; }
.card .label { font-size: .8rem; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.card .value { font-size: 1.45rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .sub { font-size: .8rem; color: var(--muted); }
.card.alert .value { color: #b45309; } .card.stop .value { color: #b91c1c; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 0 2rem; }
figure { margin: 0; }
svg { display: block; width: 100%; height: auto; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
svg.swatch { display: inline-block; width: .7rem; height: .7rem; margin-right: .3rem; vertical-align: baseline; }
figcaption { font-size: .85rem; color: var(--muted); margin-top: .3rem; }
figcaption span { margin-right: 1rem; white-space: nowrap; }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: .9rem; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; background: var(--zebra); }
tbody tr:nth-child(even) { background: var(--zebra); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.nowrap, th.nowrap { white-space: nowrap; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 0 2rem; }
footer { margin-top: 2rem; font-size: .85rem; border-top: 1px solid var(--line); padding-top: .6rem; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  section, figure, tr, .card { break-inside: avoid; }
  .scroll { overflow: visible; }
  .cards { grid-template-columns: repeat(4, 1fr); }
}
@page { margin: 1.5cm; }
"""


def _card(label: str, value: str, sub: str = "", kind: str = "") -> str:
    css = f"card {kind}".strip()
    sub_html = f'<div class="sub">{escape(sub)}</div>' if sub else ""
    return (
        f'<div class="{css}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div>{sub_html}</div>'
    )


def _cards(figures: Figures) -> str:
    t = figures.totals
    cards = [
        _card("Events seen", str(t.events_seen), f"{t.skipped} skipped, {t.rejected} rejected"),
        _card("Jobs evaluated", str(t.evaluated)),
        _card("Jobs flagged", str(t.jobs_flagged), f"{t.findings} findings", "alert"),
        _card("Jobs notified", str(t.jobs_notified)),
        _card("Jobs stopped", str(t.jobs_stopped), "", "stop"),
        _card(
            "Worst case flagged",
            usd_compact(t.worst_case_flagged_usd),
            _exact(t.worst_case_flagged_usd, "summed over flagged jobs", t.worst_case_flagged_is_lower_bound),
        ),
        _card("Cost avoided", usd_compact(t.cost_avoided_usd), _exact(t.cost_avoided_usd, "unspent by stopped jobs")),
    ]
    return f'<section class="cards" aria-label="Summary">{"".join(cards)}</section>'


def _exact(amount: float, what: str, lower_bound: bool = False) -> str:
    """A card's second line: the exact amount when the headline rounds it (or is a lower bound), else what it is."""
    exact = usd(amount, lower_bound)
    return exact if exact != usd_compact(amount) else what


def _legend(entries: list[tuple[str, str]]) -> str:
    return "".join(f"<span>{swatch(colour)}{escape(name)}</span>" for name, colour in entries)


def _trend_chart(figures: Figures) -> str:
    weeks = figures.weekly
    series = [
        Series("evaluated", EVALUATED_COLOUR, tuple(w.evaluated for w in weeks)),
        Series("flagged", FLAGGED_COLOUR, tuple(w.flagged for w in weeks)),
        Series("stopped", STOPPED_COLOUR, tuple(w.stopped for w in weeks)),
    ]
    categories = [Category(w.week[5:], datetime.fromisoformat(w.starts).strftime("%d %b")) for w in weeks]
    svg = grouped_bars(categories, series, title="Jobs per ISO week: evaluated, flagged, stopped", width=560)
    legend = _legend([(s.name, s.colour) for s in series])
    return (
        f'<figure id="weekly-trend"><h2>Weekly trend</h2>{svg}'
        f"<figcaption>{legend}<span>ISO weeks, labelled with their Monday</span></figcaption></figure>"
    )


def _rule_chart(figures: Figures) -> str:
    rules = figures.by_rule
    if not rules:
        return '<figure id="findings-by-rule"><h2>Findings by rule</h2><p class="empty">No findings.</p></figure>'
    svg = horizontal_bars(
        [r.rule for r in rules], [r.findings for r in rules], colour=RULE_COLOUR, title="Findings by rule", width=560
    )
    legend = _legend([("findings", RULE_COLOUR)])
    return f'<figure id="findings-by-rule"><h2>Findings by rule</h2>{svg}<figcaption>{legend}</figcaption></figure>'


def _html_table(table: Table, heading: str = "h2") -> str:
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    title = f"<{heading}>{escape(table.title)}</{heading}>{note}"
    if not table.rows:
        return f'<section>{title}<p class="empty">{escape(table.empty)}</p></section>'

    def cell(tag: str, index: int, text: str) -> str:
        classes = ("num",) * (index in table.numeric) + ("nowrap",) * (index in table.nowrap)
        css = f' class="{" ".join(classes)}"' if classes else ""
        return f"<{tag}{css}>{escape(text)}</{tag}>"

    head = "".join(cell("th", i, c) for i, c in enumerate(table.columns))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in table.rows)
    return (
        f'<section>{title}<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div></section>"
    )


def render_html(figures: Figures) -> str:
    """One self-contained page: inline CSS and SVG, no script, nothing fetched."""
    tables = {t.title: t for t in report_tables(figures)}
    # Wide tables take the full width; the two narrow exemption tables sit side by side.
    full_width = ("By team", "By account", "Repeat offenders: principals", "Repeat offenders: teams")
    sections = [
        _cards(figures),
        f'<div class="charts">{_trend_chart(figures)}{_rule_chart(figures)}</div>',
        *[_html_table(tables[name]) for name in full_width],
        _html_table(tables["Costliest flagged jobs"]),
        '<div class="pair">' + _html_table(tables["Exempted findings"]) + _html_table(tables["Expired exemptions"]),
        "</div>",
        _html_table(tables["Jobs per week"]),
    ]
    title = f"HPO Guardrail report, {period_label(figures)}"
    header = (
        "<header><h1>HPO Guardrail report</h1>"
        f'<p class="meta">{escape(period_label(figures))} &middot; {escape(_scope(figures))} &middot; '
        f"generated {escape(figures.generated_at)}</p></header>"
    )
    footer = (
        f"<footer><p>{escape(_COST_NOTE)} A job is flagged when a rule found something that no active exemption "
        "set aside. Cost avoided is the unspent part of a stopped job's worst case at the moment it was stopped."
        "</p></footer>"
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # Nothing may be fetched: no scripts, and styles only from inside the page.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{header}{''.join(sections)}{footer}</main></body></html>\n"
    )


def render(fmt: str, figures: Figures, rows: list[JobRow]) -> str:
    """The report in one of FORMATS."""
    match fmt:
        case "html":
            return render_html(figures)
        case "md":
            return render_markdown(figures)
        case "csv":
            return render_csv(rows)
        case "json":
            return render_json(figures)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
