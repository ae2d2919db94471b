"""The report's review figures: actual spend next to the worst case, cost avoided from a stopped job's own pace,
and what the reviews taught; records with and without a review, computed by hand."""

from __future__ import annotations

import csv
import io

import pytest

from hpo_guardrail.enforce.audit import AuditRecord, RangeEdge, ReviewCounts, ReviewedFinding, ReviewRecord
from hpo_guardrail.reporting.figures import (
    COST_AVOIDED_METHOD,
    ESTIMATE,
    PACE,
    WORST_CASE_LESS_SPEND,
    Figures,
    compute_figures,
    cost_avoided,
    job_rows,
)
from hpo_guardrail.reporting.render import render_csv, render_html, render_markdown, report_tables, usd
from hpo_guardrail.reporting.weekly import compose_summary
from rules.review import review_tuning_job
from rules.review_pace import TrainingJobPace, pace_of
from tests.audit_builders import ACCOUNT_A, ACCOUNT_B, FIXTURE_PERIOD, evaluated, finding
from tests.unit.review_builders import PRICES, description, finished_job, summary

GENERATED = "2026-11-23T07:00:00Z"


def pace(per_job: float, completed: int, budget: int, complete: bool = True) -> TrainingJobPace:
    return TrainingJobPace(
        training_job_budget=budget,
        budget_basis="MaxNumberOfTrainingJobs",
        completed_training_jobs=completed,
        completed_usd=per_job * completed,
        completed_complete=complete,
    )


def with_review(
    record: AuditRecord,
    spend: float,
    *,
    status: str = "Completed",
    complete: bool = True,
    spot: bool = False,
    job_pace: TrainingJobPace | None = None,
    rules: dict[str, str] | None = None,
    edges: tuple[tuple[str, str], ...] = (),
) -> AuditRecord:
    """The record with a review: `rules` maps each review rule to its highest severity, `edges` (parameter, edge)."""
    rules = {"review-spend": "info", **(rules or {})}
    review = ReviewRecord(
        reviewed_at="2026-11-20T12:00:00Z",
        trigger=f"state-change {status}",
        job_status=status,
        spend_usd=spend,
        spend_complete=complete,
        spend_upper_bound=spot,
        managed_spot=spot,
        worst_case_usd=record.worst_case_usd,
        training_jobs=ReviewCounts(launched=10, completed=8, failed=1, stopped=1),
        findings=[
            ReviewedFinding(rule=rule, severity=severity, message=f"{rule}.") for rule, severity in rules.items()
        ],
        rule_severities=rules,
        range_edges=[RangeEdge(parameter=p, edge=e, severity="medium") for p, e in edges],
        has_something_to_say=any(s != "info" for s in rules.values()),
        pace=job_pace,
    )
    return record.with_review(review)


def stopped(event_id: str, worst_case: float, estimate: float, **kwargs) -> AuditRecord:
    return evaluated(
        event_id,
        "2026-11-04T10:00:00Z",
        findings=(finding("budget-cap"),),
        worst_case=worst_case,
        decision="stop",
        stop="stopped",
        cost_avoided=estimate,
        **kwargs,
    )


# --- actual spend against the worst case --------------------------------------------------------------


@pytest.fixture(scope="module")
def spend_records() -> list[AuditRecord]:
    return [
        with_review(evaluated("a1", "2026-11-02T10:00:00Z", worst_case=1000.0), 120.0),
        with_review(evaluated("a2", "2026-11-03T10:00:00Z", worst_case=500.0), 80.0, complete=False),
        with_review(
            evaluated("b1", "2026-11-03T11:00:00Z", account=ACCOUNT_B, team="nlp", worst_case=300.0), 30.0, spot=True
        ),
        evaluated("b2", "2026-11-05T10:00:00Z", account=ACCOUNT_B, team="nlp", worst_case=700.0),  # still running
        evaluated("c1", "2026-11-06T10:00:00Z", team="speech", worst_case=60.0),  # not reviewed either
    ]


@pytest.fixture(scope="module")
def spend_figures(spend_records) -> Figures:
    return compute_figures(spend_records, FIXTURE_PERIOD, GENERATED)


def test_totals_sum_the_actual_spend_of_reviewed_jobs_next_to_their_own_worst_case(spend_figures):
    t = spend_figures.totals
    assert (t.evaluated, t.jobs_reviewed) == (5, 3)
    assert t.actual_spend_usd == 120 + 80 + 30
    assert t.worst_case_reviewed_usd == 1000 + 500 + 300, "only the reviewed jobs' worst case"
    assert (t.actual_spend_is_lower_bound, t.actual_spend_is_upper_bound) == (True, True)


def test_a_review_given_no_worst_case_is_compared_with_the_records():
    record = with_review(evaluated("w1", "2026-11-02T10:00:00Z", worst_case=900.0), 90.0)
    record = record.with_review(record.review.model_copy(update={"worst_case_usd": None}))
    figures = compute_figures([record], FIXTURE_PERIOD, GENERATED)
    assert (figures.totals.actual_spend_usd, figures.totals.worst_case_reviewed_usd) == (90.0, 900.0)


def test_teams_and_accounts_count_reviewed_jobs_and_their_spend(spend_figures):
    teams = {g.name: g for g in spend_figures.by_team}
    assert (teams["vision"].reviewed, teams["vision"].actual_spend_usd, teams["vision"].worst_case_reviewed_usd) == (
        2,
        200.0,
        1500.0,
    )
    assert teams["vision"].actual_spend_is_lower_bound and not teams["vision"].actual_spend_is_upper_bound
    assert (teams["nlp"].reviewed, teams["nlp"].actual_spend_usd, teams["nlp"].actual_spend_is_upper_bound) == (
        1,
        30.0,
        True,
    )
    assert (teams["speech"].reviewed, teams["speech"].actual_spend_usd) == (0, 0.0)
    accounts = {g.name: (g.reviewed, g.evaluated, g.actual_spend_usd) for g in spend_figures.by_account}
    assert accounts == {ACCOUNT_A: (2, 3, 200.0), ACCOUNT_B: (1, 2, 30.0)}


def test_a_team_without_a_reviewed_job_says_not_reviewed_rather_than_zero_dollars(spend_figures):
    table = next(t for t in report_tables(spend_figures) if t.title == "By team")
    rows = {row[0]: row for row in table.rows}
    assert rows["speech"][-2:] == ("0 of 1", "not reviewed")
    assert rows["vision"][-2:] == ("2 of 2", "at least $200.00 of $1,500")
    assert rows["nlp"][-2:] == ("1 of 2", "at most $30.00 of $300.00")


def test_each_job_says_at_least_at_most_or_not_reviewed(spend_records):
    rows = {r.event_id: r for r in job_rows(spend_records)}
    assert (rows["a1"].actual_spend_usd, rows["a1"].actual_spend_bound, rows["a1"].reviewed) == (120.0, None, True)
    assert rows["a2"].actual_spend_bound == "at least" and rows["b1"].actual_spend_bound == "at most"
    assert (rows["b2"].reviewed, rows["b2"].actual_spend_usd) == (False, None)


def test_the_costliest_reviewed_jobs_table_shows_spend_share_and_bounds(spend_figures):
    assert [j.event_id for j in spend_figures.costliest_reviewed_jobs] == ["a1", "a2", "b1"]
    table = next(t for t in report_tables(spend_figures) if t.title == "Actual spend by job")
    first, second, third = table.rows
    assert (first[4], first[5], first[6]) == ("$120.00", "$1,000", "12%")
    assert second[4] == "at least $80.00" and third[4] == "at most $30.00"


def test_the_csv_says_which_jobs_were_reviewed_and_leaves_the_spend_of_the_others_empty(spend_records):
    rows = {r["event_id"]: r for r in csv.DictReader(io.StringIO(render_csv(job_rows(spend_records))))}
    assert (rows["a2"]["reviewed"], rows["a2"]["actual_spend_usd"], rows["a2"]["actual_spend_bound"]) == (
        "yes",
        "80.00",
        "at least",
    )
    assert (rows["b2"]["reviewed"], rows["b2"]["actual_spend_usd"], rows["b2"]["job_status"]) == ("no", "", "")


def test_the_pages_show_the_actual_spend(spend_figures):
    markdown = render_markdown(spend_figures)
    assert "| Jobs reviewed | 3 of 5 |" in markdown
    assert (
        "| Actual spend of the reviewed jobs | $230.00 (some at least, some at most) of a worst case of $1,800 |"
        in (markdown)
    )
    assert "Actual spend" in render_html(spend_figures)


def test_without_a_review_in_the_period_the_spend_card_says_not_reviewed():
    figures = compute_figures([evaluated("n1", "2026-11-02T10:00:00Z")], FIXTURE_PERIOD, GENERATED)
    assert figures.totals.jobs_reviewed == 0
    assert "no job was reviewed in this period" in render_html(figures)
    assert "| Actual spend of the reviewed jobs | not reviewed |" in render_markdown(figures)


# --- cost avoided by a stopped job --------------------------------------------------------------------


def test_a_reviewed_stopped_job_projects_its_own_pace_capped_at_its_worst_case():
    # 5 completed training jobs at $2 each, a budget of 100: $200 projected, capped at the $150 worst case.
    capped = with_review(stopped("s1", 150.0, 149.0), 12.0, status="Stopped", job_pace=pace(2.0, 5, 100))
    # $1 each x 50 = $50 projected, below the worst case: $50 - $12 spent.
    paced = with_review(stopped("s2", 150.0, 149.0), 12.0, status="Stopped", job_pace=pace(1.0, 5, 50))

    assert cost_avoided(capped).model_dump() == {"usd": 138.0, "method": PACE, "upper_bound": False}
    assert cost_avoided(paced).model_dump() == {"usd": 38.0, "method": PACE, "upper_bound": False}


def test_a_pace_below_what_was_spent_avoids_nothing():
    record = with_review(stopped("s3", 150.0, 140.0), 40.0, status="Stopped", job_pace=pace(1.0, 4, 20))
    assert cost_avoided(record).usd == 0.0


def test_without_a_completed_training_job_the_worst_case_less_the_actual_spend():
    record = with_review(stopped("s4", 150.0, 149.0), 3.5, status="Stopped", job_pace=pace(0.0, 0, 100))
    assert cost_avoided(record).model_dump() == {"usd": 146.5, "method": WORST_CASE_LESS_SPEND, "upper_bound": False}


def test_without_a_completed_training_job_the_lower_estimate_at_the_stop_is_kept_and_labelled():
    # Worst case $150, $3.50 spent: $146.50 left, but the stop estimated $90 (full parallelism had run a while).
    record = with_review(stopped("s8", 150.0, 90.0), 3.5, status="Stopped", job_pace=pace(0.0, 0, 100))
    assert cost_avoided(record).model_dump() == {"usd": 90.0, "method": ESTIMATE, "upper_bound": False}
    assert "the lower of its worst case less its actual spend and the estimate made at the stop" in (
        COST_AVOIDED_METHOD
    )


def test_a_spend_that_is_a_lower_bound_makes_the_cost_avoided_at_most():
    record = with_review(stopped("s5", 150.0, 149.0), 12.0, status="Stopped", complete=False, job_pace=pace(1, 5, 50))
    avoided = cost_avoided(record)
    assert (avoided.usd, avoided.upper_bound) == (38.0, True)


def test_a_stopped_job_not_yet_reviewed_keeps_the_estimate_made_at_the_stop_and_says_so():
    record = stopped("s6", 5000.0, 4200.0)
    assert cost_avoided(record).model_dump() == {"usd": 4200.0, "method": ESTIMATE, "upper_bound": False}


def test_a_job_that_was_not_stopped_avoided_nothing():
    assert cost_avoided(with_review(evaluated("s7", "2026-11-04T10:00:00Z"), 5.0)) is None


@pytest.fixture(scope="module")
def stop_figures() -> Figures:
    records = [
        with_review(stopped("s1", 150.0, 149.0), 12.0, status="Stopped", job_pace=pace(1.0, 5, 50)),  # 38, pace
        with_review(stopped("s4", 150.0, 149.0), 3.5, status="Stopped", job_pace=pace(0.0, 0, 100)),  # 146.5
        stopped("s6", 5000.0, 4200.0),  # 4200, estimate
    ]
    return compute_figures(records, FIXTURE_PERIOD, GENERATED)


def test_totals_sum_each_stop_by_its_method_and_count_the_methods(stop_figures):
    t = stop_figures.totals
    assert t.cost_avoided_usd == 38.0 + 146.5 + 4200.0
    assert t.stops_by_cost_method == {PACE: 1, WORST_CASE_LESS_SPEND: 1, ESTIMATE: 1}
    assert stop_figures.by_team[0].cost_avoided_usd == 38.0 + 146.5 + 4200.0


def test_each_cost_avoided_is_labelled_with_its_method_and_the_method_is_written_under_the_figure(stop_figures):
    table = next(t for t in report_tables(stop_figures) if t.title == "Costliest flagged jobs")
    cells = {row[0]: row[-1] for row in table.rows}
    assert cells == {
        "job-s1": "$38.00 (pace)",
        "job-s4": "$146.50 (worst case less spend)",
        "job-s6": "$4,200 (estimate)",
    }
    assert "the method is under the summary" in table.note

    html, markdown = render_html(stop_figures), render_markdown(stop_figures)
    method = COST_AVOIDED_METHOD.replace("'", "&#39;")
    assert f'<p class="note" id="cost-avoided-method">{method}</p>' in html
    assert html.index('id="cost-avoided-method"') < html.index('id="weekly-trend"'), "right under the summary"
    assert "1 from the job&#39;s pace, 1 worst case less spend, 1 estimated" in html
    methods = "1 from the job's pace, 1 worst case less spend, 1 estimated"
    row = f"| Cost avoided by stops | {usd(38.0 + 146.5 + 4200.0)} ({methods}) |"
    assert row in markdown
    assert markdown.index(row) < markdown.index(COST_AVOIDED_METHOD) < markdown.index("\n## Jobs per week"), "under it"


def test_the_pace_comes_from_a_real_review_of_a_stopped_job():
    """End to end through the core: a stopped job with two completed training jobs of an hour on ml.m5.xlarge."""
    summaries = [
        summary(1, {"learning_rate": "0.01"}, 0.3),
        summary(2, {"learning_rate": "0.02"}, 0.2),
        summary(3, {"learning_rate": "0.03"}, None, status="Stopped"),
    ]
    job = finished_job(summaries, describe=description(status="Stopped"), seconds={"job-003": 600}, worst_case_usd=4.6)
    review = ReviewRecord.of(
        review_tuning_job(job, PRICES), trigger="state-change Stopped", reviewed_at="t", pace=pace_of(job, PRICES)
    )
    record = stopped("real", 4.6, 4.0).with_review(review)

    avoided = cost_avoided(record)

    # Spent: (1 + 1 + 1/6) h x $0.23 = $0.50; pace $0.23 x 20 (the builders' MaxNumberOfTrainingJobs) = $4.60.
    assert review.spend_usd == pytest.approx(0.5, abs=0.01)
    assert (avoided.method, avoided.usd) == (PACE, pytest.approx(4.6 - review.spend_usd, abs=0.01))


# --- what the reviews taught --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson_figures() -> Figures:
    records = [
        with_review(
            evaluated("l1", "2026-11-02T10:00:00Z"),
            10.0,
            rules={"review-range-edge": "medium", "review-wasted-trials": "high", "review-budget-fit": "info"},
            edges=(("learning_rate", "lower"), ("learning_rate", "lower"), ("momentum", "upper")),
        ),
        with_review(
            evaluated("l2", "2026-11-03T10:00:00Z"),
            10.0,
            rules={"review-range-edge": "low", "review-budget-fit": "low"},
            edges=(("learning_rate", "lower"),),
        ),
        with_review(
            evaluated("l3", "2026-11-04T10:00:00Z"),
            10.0,
            rules={"review-range-edge": "medium"},
            edges=(("learning_rate", "upper"),),
        ),
        with_review(evaluated("l4", "2026-11-05T10:00:00Z"), 10.0, rules={"review-budget-fit": "info"}),
        evaluated("l5", "2026-11-06T10:00:00Z"),  # not reviewed
    ]
    return compute_figures(records, FIXTURE_PERIOD, GENERATED)


def test_the_most_frequent_review_findings_count_jobs_above_info_and_their_share(lesson_figures):
    lessons = lesson_figures.reviews
    assert (lessons.jobs_reviewed, lessons.jobs_not_reviewed) == (4, 1)
    assert [(r.rule, r.jobs, r.share_of_reviewed) for r in lessons.findings] == [
        ("review-range-edge", 3, 0.75),
        ("review-budget-fit", 1, 0.25),  # l2 only: the info ones are context
        ("review-wasted-trials", 1, 0.25),
    ]


def test_the_ranges_most_often_at_an_edge_count_each_job_once(lesson_figures):
    assert [(e.parameter, e.edge, e.jobs) for e in lesson_figures.reviews.range_edges] == [
        ("learning_rate", "lower", 2),  # l1 (two definitions) and l2
        ("learning_rate", "upper", 1),
        ("momentum", "upper", 1),
    ]


def test_the_section_says_how_many_jobs_were_reviewed(lesson_figures):
    markdown = render_markdown(lesson_figures)
    assert "## What the reviews taught: findings" in markdown
    assert "4 job(s) reviewed in the period; 1 evaluated job(s) not reviewed." in markdown
    assert "| review-range-edge | 3 | 75% | 3 |" in markdown
    assert "| learning\\_rate | lower | 2 |" in markdown
    assert 'id="what-the-reviews-taught"' in render_html(lesson_figures)


def test_no_review_in_the_period_leaves_the_section_empty_and_says_so():
    figures = compute_figures([evaluated("n1", "2026-11-02T10:00:00Z")], FIXTURE_PERIOD, GENERATED)
    assert (figures.reviews.jobs_reviewed, figures.reviews.findings, figures.reviews.range_edges) == (0, [], [])
    assert "0 job(s) reviewed in the period; 1 evaluated job(s) not reviewed." in render_html(figures)


# --- the weekly summary -------------------------------------------------------------------------------


def test_the_weekly_summary_says_how_many_jobs_were_reviewed_and_what_they_spent(spend_figures):
    alert = compose_summary(spend_figures, "2026-W45", "s3://reports-bucket/reports/2026/week-45.html", "eu-west-1")

    line = "3 of 5; actual spend $230.00 (some at least, some at most) of a worst case of $1,800"
    content = alert.chatbot["content"]
    assert isinstance(content, dict) and f"*Reviewed jobs:* {line}" in content["description"]
    assert f"Reviewed jobs:         {line}" in alert.email


def test_the_weekly_summary_leaves_the_reviews_out_when_none_was_reviewed():
    figures = compute_figures([evaluated("n1", "2026-11-02T10:00:00Z")], FIXTURE_PERIOD, GENERATED)
    alert = compose_summary(figures, "2026-W45", "s3://reports-bucket/reports/2026/week-45.html", "eu-west-1")
    assert "Reviewed jobs" not in alert.email
