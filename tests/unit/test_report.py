"""The report's figures against a fixture computed by hand, and its CSV, JSON, Markdown and HTML forms."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from hpo_guardrail.enforce.outcome import FindingSummary
from hpo_guardrail.reporting.charts import EVALUATED_COLOUR, FLAGGED_COLOUR, RULE_COLOUR, STOPPED_COLOUR, nice_ticks
from hpo_guardrail.reporting.figures import (
    REPEAT_OFFENDER_MIN_JOBS,
    Figures,
    Filters,
    ReportPeriod,
    compute_figures,
    job_rows,
)
from hpo_guardrail.reporting.render import CSV_COLUMNS, render, render_csv, render_html, render_json, render_markdown
from tests.audit_builders import (
    ACCOUNT_A,
    ACCOUNT_B,
    FIXTURE_PERIOD,
    evaluated,
    finding,
    fixture_records,
    principal,
)

GENERATED = "2026-11-23T07:00:00Z"


@pytest.fixture(scope="module")
def figures() -> Figures:
    return compute_figures(fixture_records(), FIXTURE_PERIOD, GENERATED)


def test_totals_count_every_status_and_only_sent_notifications_and_real_stops(figures):
    totals = figures.totals
    # r1..r11; evaluated r1 r2 r3 r5 r6 r8 r9 r10; skipped r4 r11; rejected r7.
    assert (totals.events_seen, totals.evaluated, totals.skipped, totals.rejected) == (11, 8, 2, 1)
    # Flagged: r1 r2 r5 r6 r9 r10 (r8's only finding was set aside). r9's publish failed. r6 had already ended.
    assert (totals.jobs_flagged, totals.jobs_notified, totals.jobs_stopped) == (6, 5, 2)
    assert (totals.findings, totals.suppressed_findings) == (2 + 2 + 1 + 1 + 1 + 1, 1)


def test_worst_case_flagged_sums_flagged_jobs_and_cost_avoided_sums_stops(figures):
    assert figures.totals.worst_case_flagged_usd == 120 + 5000 + 300 + 2000 + 10000 + 1500
    assert figures.totals.worst_case_flagged_is_lower_bound, "r5's price was unknown"
    assert figures.totals.cost_avoided_usd == 4200 + 9500


def test_findings_by_rule_count_findings_and_jobs_most_first(figures):
    assert [(r.rule, r.findings, r.jobs) for r in figures.by_rule] == [
        ("log-scale", 2 + 1 + 1 + 1, 4),  # r1 twice (two parameters), r2, r6, r9
        ("budget-cap", 2, 2),  # r2, r10
        ("positive-min", 1, 1),  # r5
    ]


def test_figures_by_team_put_jobs_without_a_team_last(figures):
    rows = [(g.name, g.evaluated, g.flagged, g.findings, g.stopped, g.worst_case_flagged_usd) for g in figures.by_team]
    assert rows == [
        ("vision", 4, 4, 6, 2, 120 + 5000 + 10000 + 1500),  # r1 r2 r9 r10
        ("nlp", 3, 2, 2, 0, 300 + 2000),  # r3 r5 r6
        (None, 1, 0, 0, 0, 0),  # r8
    ]
    assert figures.by_team[0].cost_avoided_usd == 4200 + 9500


def test_figures_by_account(figures):
    rows = [(g.name, g.evaluated, g.flagged, g.stopped, g.worst_case_flagged_usd) for g in figures.by_account]
    assert rows == [(ACCOUNT_A, 5, 4, 2, 16620), (ACCOUNT_B, 3, 2, 0, 2300)]


def test_repeat_offenders_have_several_flagged_jobs(figures):
    offenders = figures.repeat_offenders
    assert REPEAT_OFFENDER_MIN_JOBS == 2
    assert [(o.name, o.flagged_jobs, o.rules) for o in offenders.principals] == [
        (principal("alice"), 3, ["budget-cap", "log-scale"]),  # r1 r2 r9
        (principal("bob", ACCOUNT_B), 2, ["log-scale", "positive-min"]),  # r5 r6; dave has one
    ]
    assert offenders.principals[0].jobs == ["job-r1", "job-r2", "job-r9"]
    assert [(o.name, o.flagged_jobs, o.worst_case_flagged_usd) for o in offenders.teams] == [
        ("vision", 4, 16620),
        ("nlp", 2, 2300),
    ]


def test_weekly_trend_by_iso_week(figures):
    assert [(w.week, w.starts, w.evaluated, w.flagged, w.stopped) for w in figures.weekly] == [
        ("2026-W45", "2026-11-02", 3, 2, 1),  # r1 r2 r3
        ("2026-W46", "2026-11-09", 3, 2, 0),  # r5 r6 r8
        ("2026-W47", "2026-11-16", 2, 2, 1),  # r9 r10
    ]


def test_weeks_of_the_period_without_jobs_count_zero():
    period = ReportPeriod(since="2026-10-26T00:00:00Z", until="2026-11-30T00:00:00Z")
    weeks = compute_figures(fixture_records(), period, GENERATED).weekly
    assert [w.week for w in weeks] == [f"2026-W{n}" for n in range(44, 50)]
    assert (weeks[0].evaluated, weeks[-1].evaluated) == (0, 0)


def test_exempted_findings_and_expired_exemptions_are_shown_separately(figures):
    exemptions = figures.exemptions
    assert (exemptions.suppressed_findings, exemptions.jobs_with_suppressed) == (1, 1)
    assert [(e.exemption, e.findings, e.jobs, e.rules) for e in exemptions.by_exemption] == [
        ("q4-big-run", 1, 1, ["budget-cap"])
    ]
    assert [(e.exemption, e.expired_on, e.job_names) for e in exemptions.expired] == [
        ("old-exemption", "2026-10-31", ["job-r10"])
    ]


def test_costliest_flagged_jobs_come_first(figures):
    jobs = figures.costliest_flagged_jobs
    assert [j.event_id for j in jobs] == ["r9", "r2", "r6", "r10", "r5", "r1"]
    assert (jobs[0].stop_result, jobs[0].cost_avoided_usd, jobs[0].rules) == ("stopped", 9500.0, ["log-scale"])


def test_no_records_give_zero_figures_and_a_page_that_still_renders():
    figures = compute_figures([], FIXTURE_PERIOD, GENERATED)
    assert figures.totals.events_seen == 0 and figures.by_rule == [] and len(figures.weekly) == 3
    assert "No findings" in render_html(figures) and "No findings in this period." in render_markdown(figures)


# --- the period -------------------------------------------------------------------------------

NOW = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("30d", None, ("2026-10-27T21:30:00Z", "2026-11-26T21:30:00Z")),
        ("2w", None, ("2026-11-12T21:30:00Z", "2026-11-26T21:30:00Z")),
        ("2026-11-01", "2026-11-30", ("2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z")),
        ("2026-11-01T08:00:00+01:00", "2026-11-02T00:00:00Z", ("2026-11-01T07:00:00Z", "2026-11-02T00:00:00Z")),
    ],
)
def test_period_reads_relative_and_absolute_times(since, until, expected):
    period = ReportPeriod.parse(since, until, NOW)
    assert (period.since, period.until) == expected


@pytest.mark.parametrize(("since", "until"), [("thirty days", None), ("2026-11-30", "2026-11-01"), ("1d", "soon")])
def test_period_rejects_what_it_cannot_read(since, until):
    with pytest.raises(ValueError):
        ReportPeriod.parse(since, until, NOW)


def test_an_iso_week_runs_monday_to_sunday():
    period = ReportPeriod.iso_week("2026-W48")
    assert (period.since, period.until) == ("2026-11-23T00:00:00Z", "2026-11-29T23:59:59Z")
    assert period.weeks() == ["2026-W48"]


# --- the formats ------------------------------------------------------------------------------


def test_csv_has_one_row_per_evaluated_job_and_reads_back(figures):
    text = render_csv(job_rows(fixture_records()))

    rows = list(csv.DictReader(io.StringIO(text)))

    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["event_id"] for r in rows] == ["r1", "r2", "r3", "r5", "r6", "r8", "r9", "r10"]
    r2 = rows[1]
    assert r2["findings"].split(";") == ["budget-cap", "log-scale"]
    assert (r2["worst_case_usd"], r2["decision"], r2["stop_result"], r2["cost_avoided_usd"]) == (
        "5000.00",
        "stop",
        "stopped",
        "4200.00",
    )
    assert rows[5]["team"] == "" and rows[2]["findings"] == ""


def test_csv_defuses_cells_a_spreadsheet_would_run_as_formulas():
    record = evaluated("x1", "2026-11-02T10:00:00Z", team='=HYPERLINK("http://evil")', findings=(finding("log-scale"),))
    (row,) = csv.DictReader(io.StringIO(render_csv(job_rows([record]))))
    assert row["team"] == '\'=HYPERLINK("http://evil")'


def test_json_round_trips_to_the_same_figures(figures):
    text = render_json(figures)

    assert Figures.model_validate_json(text) == figures
    document = json.loads(text)
    assert document["schema_version"] == 2
    assert list(document) == [
        "schema_version",
        "generated_at",
        "period",
        "filters",
        "totals",
        "by_rule",
        "by_team",
        "by_account",
        "repeat_offenders",
        "weekly",
        "exemptions",
        "costliest_flagged_jobs",
        "platform_notes",
        "costliest_reviewed_jobs",
        "reviews",
        "cost_avoided_method",
    ]


def test_markdown_has_headings_and_tables(figures):
    text = render_markdown(figures)
    assert text.startswith("# HPO Guardrail report\n")
    assert "## Findings by rule" in text and "| log-scale | 5 | 4 |" in text
    assert "| Worst case flagged | at least $18,920 |" in text


def test_html_is_one_self_contained_page_with_charts(figures):
    page = render_html(figures)

    assert page.count("<svg xmlns") == 2
    for colour in (EVALUATED_COLOUR, FLAGGED_COLOUR, STOPPED_COLOUR, RULE_COLOUR):
        assert f'fill="{colour}"' in page
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "nothing may be fetched"
    assert "@import" not in page and "url(" not in page


def test_html_escapes_what_users_wrote():
    record = evaluated("x2", "2026-11-02T10:00:00Z", team="<b>ops</b>", findings=(finding("log-scale"),))
    page = render_html(compute_figures([record], FIXTURE_PERIOD, GENERATED, Filters(team="<b>ops</b>")))
    assert "<b>ops</b>" not in page and "&lt;b&gt;ops&lt;/b&gt;" in page


def test_render_refuses_an_unknown_format(figures):
    with pytest.raises(ValueError, match="unknown report format"):
        render("pdf", figures, [])


@pytest.mark.parametrize(
    ("maximum", "ticks"), [(0, [0, 1]), (3, [0, 1, 2, 3]), (7, [0, 2, 4, 6, 8]), (95, [0, 50, 100])]
)
def test_axis_ticks_step_one_two_five(maximum, ticks):
    assert nice_ticks(maximum) == ticks


def _field_names(model: type[BaseModel]) -> set[str]:
    names = set()
    for name, info in model.model_fields.items():
        names.add(name)
        for candidate in (info.annotation, *get_args(info.annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                names |= _field_names(candidate)
    return names


def test_every_json_field_is_documented_in_docs_reports_md():
    documented = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
    missing = sorted(name for name in _field_names(Figures) if f"`{name}`" not in documented)
    assert missing == []


def test_totals_say_how_the_costs_were_priced():
    records = [
        evaluated("a", "2026-11-24T10:00:00Z").model_copy(update={"price_basis": "complete"}),
        evaluated("b", "2026-11-24T11:00:00Z").model_copy(update={"price_basis": "estimated"}),
        evaluated("c", "2026-11-24T12:00:00Z", cost_complete=False).model_copy(update={"price_basis": "unknown"}),
        evaluated("d", "2026-11-24T13:00:00Z"),  # recorded before prices were tracked, complete
        evaluated("e", "2026-11-24T14:00:00Z", cost_complete=False),  # before tracking, a price missing
    ]
    totals = compute_figures(records, FIXTURE_PERIOD, "2026-11-29T00:00:00Z").totals
    assert (totals.costs_complete, totals.costs_estimated, totals.costs_unknown) == (2, 1, 2)


def test_a_jobs_decision_says_its_mode_and_where_the_mode_came_from():
    record = evaluated("o1", "2026-03-02T10:00:00Z", findings=(finding("log-scale"),), decision="stop", stop="stopped")
    record = record.model_copy(update={"setting_origins": {"mode": "policy scope `nlp`"}})
    older = evaluated("o2", "2026-03-02T11:00:00Z", findings=(finding("log-scale"),))  # no origins kept

    rows = list(csv.DictReader(io.StringIO(render_csv(job_rows([record, older])))))
    assert (rows[0]["mode"], rows[0]["mode_origin"]) == ("enforce", "policy scope `nlp`")
    assert (rows[1]["mode"], rows[1]["mode_origin"]) == ("enforce", "")

    period = ReportPeriod(since="2026-03-01T00:00:00Z", until="2026-03-08T00:00:00Z")
    page = render_markdown(compute_figures([record, older], period, GENERATED))
    assert "stop (mode enforce, from the policy scope" in page and "nlp" in page
    assert "notify (mode enforce)" in page


def test_advice_for_the_platform_team_is_reported_apart_with_how_many_jobs_carried_it():
    note = "No price for ml.p5en.48xlarge in us-east-1: refresh the price table (hpo-guardrail prices refresh)."
    unpriced = FindingSummary(
        rule="unknown-price", severity="info", parameter=None, message="no price", platform_note=note
    )
    records = [
        evaluated("p1", "2026-03-02T10:00:00Z", findings=(unpriced, finding("log-scale"))),
        evaluated("p2", "2026-03-03T10:00:00Z", findings=(unpriced,)),
        evaluated("p3", "2026-03-04T10:00:00Z", findings=(finding("log-scale"),)),
    ]
    period = ReportPeriod(since="2026-03-01T00:00:00Z", until="2026-03-08T00:00:00Z")
    figures = compute_figures(records, period, GENERATED)

    assert [(n.note, n.rules, n.jobs) for n in figures.platform_notes] == [(note, ["unknown-price"], 2)]
    page = render_markdown(figures)
    assert "For the platform team" in page and "refresh the price table" in page
