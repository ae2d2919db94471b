"""The report's formats: one self-contained HTML page, Markdown, CSV (one row per job) and JSON.

HTML and Markdown show the same tables (`report_tables`); the HTML page adds summary cards and two
inline SVG charts, and reads on a laptop screen as well as on paper. Both are Jinja2 templates in
templates/: the HTML ones autoescaped, the Markdown one escaping its text with the `md` filter.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

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
from hpo_guardrail.reporting.figures import (
    ESTIMATE,
    PACE,
    WORST_CASE_LESS_SPEND,
    Figures,
    GroupFigures,
    JobRow,
    Offender,
    ReviewLessons,
)

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
    "mode",
    "mode_origin",
    "reviewed",
    "job_status",
    "actual_spend_usd",
    "actual_spend_bound",
    "review_findings",
    "cost_avoided_method",
)
# Spreadsheets run a cell starting with these as a formula; a team tag is free text anyone can set.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NONE = "-"
_NO_NAME = "(none)"
_NAMES_SHOWN = 5
NOT_REVIEWED = "not reviewed"
_SPEND_NOTE = (
    "Actual spend: billable time x instance count x the on-demand price, from the review run when the job "
    "finished; 'at least' when a price or a billable time was missing, 'at most' when managed spot training "
    "was priced on demand. A job not reviewed yet (still running, or finished before reviews) is not counted "
    "as $0: it says 'not reviewed'."
)
_COST_NOTE = (
    "Worst case: the most a job could cost at on-demand prices (storage, warm pools and data transfer "
    "not included); 'at least' means an instance price was unknown."
)
# A flagged job can have decision "none": its findings are recorded and counted, but none reached the policy's
# notify threshold (notify_min_severity), so no alert was sent.
_DECISION_NOTE = (
    "Decision 'none': every finding was below the policy's notify threshold (notify_min_severity), so the "
    "job was recorded and counted here but no alert was sent."
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


def bounded_usd(amount: float | None, lower_bound: bool = False, upper_bound: bool = False) -> str:
    """Dollars with the bound the figure carries: 'at least $5', 'at most $5', or both kinds summed together."""
    if amount is None:
        return NOT_REVIEWED
    text = usd(amount)
    if lower_bound and upper_bound:
        return f"{text} (some at least, some at most)"
    if lower_bound:
        return f"at least {text}"
    if upper_bound:
        return f"at most {text}"
    return text


def _job_spend(job: JobRow) -> str:
    return bounded_usd(job.actual_spend_usd, job.actual_spend_bound == "at least", job.actual_spend_bound == "at most")


# The method itself is written once, under the cost avoided figure of the summary; tables point to it.
_METHOD_POINTER = (
    "Cost avoided says how it was reached: (pace), (worst case less spend) or (estimate); the method is under "
    "the summary."
)
_METHOD_WORDS = {PACE: "pace", WORST_CASE_LESS_SPEND: "worst case less spend", ESTIMATE: "estimate"}


def _cost_avoided_cell(job: JobRow) -> str:
    """The cost avoided and how it was reached: '$4,200 (pace)', 'at most $900 (pace)', '$9,500 (estimate)'."""
    if job.cost_avoided_usd is None:
        return _NONE
    text = usd(job.cost_avoided_usd)
    if job.cost_avoided_bound == "at most":
        text = f"at most {text}"
    method = _METHOD_WORDS.get(job.cost_avoided_method or "")
    return f"{text} ({method})" if method else text


def _share(part: float | None, whole: float | None) -> str:
    if part is None or not whole:
        return _NONE
    return f"{part / whole:.0%}" if part / whole >= 0.01 else "<1%"


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

    def css_class(self, column: int) -> str:
        """The classes of a column's HTML cells: num for figures, nowrap for dates."""
        return " ".join(name for name, columns in (("num", self.numeric), ("nowrap", self.nowrap)) if column in columns)


def _group_spend(g: GroupFigures) -> str:
    if not g.reviewed:
        return NOT_REVIEWED
    spend = bounded_usd(g.actual_spend_usd, g.actual_spend_is_lower_bound, g.actual_spend_is_upper_bound)
    return f"{spend} of {usd(g.worst_case_reviewed_usd)}"


def _group_table(title: str, noun: str, groups: list[GroupFigures]) -> Table:
    return Table(
        title=title,
        columns=(
            noun,
            "Evaluated",
            "Flagged",
            "Findings",
            "Stopped",
            "Worst case flagged",
            "Cost avoided",
            "Reviewed",
            "Actual of worst case",
        ),
        rows=[
            (
                g.name or _NO_NAME,
                str(g.evaluated),
                str(g.flagged),
                str(g.findings),
                str(g.stopped),
                usd(g.worst_case_flagged_usd),
                usd(g.cost_avoided_usd),
                f"{g.reviewed} of {g.evaluated}",
                _group_spend(g),
            )
            for g in groups
        ],
        numeric=frozenset(range(1, 9)),
        empty="No jobs evaluated in this period.",
        note="Actual of worst case: what the reviewed jobs actually spent, against the worst case of the same jobs.",
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


def _decision_cell(job: JobRow) -> str:
    """The decision, and the mode it was taken in with where that came from ("stop (mode enforce, from the
    policy scope `nlp`)")."""
    if job.decision is None:
        return _NONE
    if job.mode is None:
        return job.decision
    origin = f", from the {job.mode_origin}" if job.mode_origin else ""
    return f"{job.decision} (mode {job.mode}{origin})"


def _job_table(jobs: list[JobRow]) -> Table:
    return Table(
        title="Costliest flagged jobs",
        columns=(
            "Job",
            "When (UTC)",
            "Team",
            "Account",
            "Rules",
            "Worst case",
            "Actual spend",
            "Decision",
            "Stop",
            "Cost avoided",
        ),
        rows=[
            (
                j.job_name or j.event_id,
                _day(j.occurred_at),
                j.team or _NONE,
                j.account or _NONE,
                ", ".join(j.rules),
                usd(j.worst_case_usd, j.cost_complete is False),
                _job_spend(j),
                _decision_cell(j),
                j.stop_result or _NONE,
                _cost_avoided_cell(j),
            )
            for j in jobs
        ],
        numeric=frozenset({5, 6, 9}),
        nowrap=frozenset({1}),
        empty="No job was flagged in this period.",
        note=f"{_COST_NOTE} {_DECISION_NOTE} {_METHOD_POINTER}",
    )


def _reviewed_job_table(jobs: list[JobRow]) -> Table:
    return Table(
        title="Actual spend by job",
        columns=(
            "Job",
            "Team",
            "Account",
            "Status",
            "Actual spend",
            "Worst case",
            "Share",
            "Best objective",
            "Review findings",
            "Cost avoided",
        ),
        rows=[
            (
                j.job_name or j.event_id,
                j.team or _NONE,
                j.account or _NONE,
                j.job_status or _NONE,
                _job_spend(j),
                usd(j.worst_case_usd, j.cost_complete is False),
                _share(j.actual_spend_usd, j.worst_case_usd),
                j.best_objective or _NONE,
                ", ".join(j.review_findings) or _NONE,
                _cost_avoided_cell(j),
            )
            for j in jobs
        ],
        numeric=frozenset({4, 5, 6, 9}),
        empty="No job was reviewed in this period.",
        note=f"The reviewed jobs with the highest actual spend. {_SPEND_NOTE} {_METHOD_POINTER}",
    )


def _lesson_tables(lessons: ReviewLessons) -> list[Table]:
    reviewed = (
        f"{lessons.jobs_reviewed} job(s) reviewed in the period"
        + (f"; {lessons.jobs_not_reviewed} evaluated job(s) not reviewed" if lessons.jobs_not_reviewed else "")
        + "."
    )
    return [
        Table(
            title="What the reviews taught: findings",
            columns=("Review rule", "Jobs", "Share of reviewed jobs", "Findings"),
            rows=[(r.rule, str(r.jobs), f"{r.share_of_reviewed:.0%}", str(r.findings)) for r in lessons.findings],
            numeric=frozenset({1, 2, 3}),
            empty=f"No review found anything beyond its context. {reviewed}",
            note=f"{reviewed} The review rules that found something (above info) most often, each counted once per "
            "job; the rules are in docs/rules.md.",
        ),
        Table(
            title="What the reviews taught: ranges at an edge",
            columns=("Hyperparameter", "Edge", "Jobs"),
            rows=[(e.parameter, e.edge, str(e.jobs)) for e in lessons.range_edges],
            numeric=frozenset({2}),
            empty="No reviewed job had its best training jobs at the edge of a range.",
            note="Hyperparameters whose best training job (or most of the best few) sat at the lower or upper edge "
            "of the range: the optimum may lie outside it, so widen the range that way.",
        ),
    ]


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
        _reviewed_job_table(figures.costliest_reviewed_jobs),
        *_lesson_tables(figures.reviews),
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
        Table(
            title="For the platform team",
            columns=("Advice", "Rules", "Jobs"),
            rows=[(n.note, ", ".join(n.rules), str(n.jobs)) for n in figures.platform_notes],
            numeric=frozenset({2}),
            empty="Nothing for the platform team in this period.",
            note="What only the platform team can act on (a missing price); the alerts kept it out of the job "
            "owner's next steps.",
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
            row.mode,
            row.mode_origin,
            "yes" if row.reviewed else "no",
            row.job_status,
            row.actual_spend_usd,
            row.actual_spend_bound,
            ";".join(row.review_findings),
            row.cost_avoided_method,
        )
        writer.writerow([_csv_cell(v) for v in values])
    return out.getvalue()


# --- HTML and Markdown, from templates -----------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~<>\[\]|&])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85")
# Control characters (an escape sequence shows up in a terminal that cats the file) and the bidirectional
# overrides and isolates that reorder what a reader sees.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def markdown_text(value: object) -> str:
    """Text as Markdown shows it literally, even in a table cell: no markup, links, HTML, line breaks or
    control characters."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _INVISIBLE.sub("", _LINE_BREAK.sub(" ", str(value))))


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart and its legend: (name, swatch) pairs."""

    svg: Markup
    legend: tuple[tuple[str, Markup], ...]


# charts.py escapes every label, title and tooltip it writes, and its colours are the constants above,
# so its SVG goes into the page as it is.
def _trend_chart(figures: Figures) -> Chart:
    weeks = figures.weekly
    series = [
        Series("evaluated", EVALUATED_COLOUR, tuple(w.evaluated for w in weeks)),
        Series("flagged", FLAGGED_COLOUR, tuple(w.flagged for w in weeks)),
        Series("stopped", STOPPED_COLOUR, tuple(w.stopped for w in weeks)),
    ]
    categories = [Category(w.week[5:], datetime.fromisoformat(w.starts).strftime("%d %b")) for w in weeks]
    svg = grouped_bars(categories, series, title="Jobs per ISO week: evaluated, flagged, stopped", width=560)
    return Chart(Markup(svg), tuple((s.name, Markup(swatch(s.colour))) for s in series))


def _rule_chart(figures: Figures) -> Chart | None:
    rules = figures.by_rule
    if not rules:
        return None
    svg = horizontal_bars(
        [r.rule for r in rules], [r.findings for r in rules], colour=RULE_COLOUR, title="Findings by rule", width=560
    )
    return Chart(Markup(svg), (("findings", Markup(swatch(RULE_COLOUR))),))


def _exact(amount: float, what: str, lower_bound: bool = False) -> str:
    """A card's second line: the exact amount when the headline rounds it (or is a lower bound), else what it is."""
    exact = usd(amount, lower_bound)
    return exact if exact != usd_compact(amount) else what


@functools.cache
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("hpo_guardrail.reporting", "templates"),
        # Escaped for HTML unless a template is Markdown, where HTML entities would show as typed.
        autoescape=select_autoescape(enabled_extensions=(), disabled_extensions=("md.j2",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(md=markdown_text, usd=usd, usd_compact=usd_compact)
    environment.globals.update(
        exact=_exact,
        cost_note=_COST_NOTE,
        spend_note=_SPEND_NOTE,
        bounded_usd=bounded_usd,
        cost_method_counts=_cost_method_counts,
    )
    return environment


def _cost_method_counts(figures: Figures) -> str:
    """How the stops' cost avoided was reached: '2 from the job's pace, 1 estimated at the stop'."""
    counts = figures.totals.stops_by_cost_method
    words = ((PACE, "from the job's pace"), (WORST_CASE_LESS_SPEND, "worst case less spend"), (ESTIMATE, "estimated"))
    parts = [f"{counts[method]} {label}" for method, label in words if counts.get(method)]
    return ", ".join(parts) or "no stops"


def _context(figures: Figures) -> dict[str, object]:
    return {"figures": figures, "period": period_label(figures), "scope": _scope(figures)}


def render_markdown(figures: Figures) -> str:
    """Headings and tables (GitHub-flavoured Markdown)."""
    template = _templates().get_template("report.md.j2")
    return template.render(_context(figures), tables=report_tables(figures))


def render_html(figures: Figures) -> str:
    """One self-contained page: inline CSS and SVG, no script, nothing fetched."""
    template = _templates().get_template("report.html.j2")
    return template.render(
        _context(figures),
        tables={t.title: t for t in report_tables(figures)},
        trend_chart=_trend_chart(figures),
        rule_chart=_rule_chart(figures),
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
