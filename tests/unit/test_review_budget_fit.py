"""review-budget-fit, review-failed-trials, review-early-stopping and the boundaries: no results, all failed,
missing objective values, a job that has not finished."""

from __future__ import annotations

import pytest

from rules.findings import Severity
from rules.review import (
    BUDGET_FIT,
    EARLY_STOPPING,
    FAILED_TRIALS,
    MISSING_OBJECTIVE,
    NO_RESULTS,
    RANGE_EDGE,
    NotFinished,
    review_tuning_job,
)
from tests.builders import continuous, tuning_request
from tests.unit.review_builders import PRICES, description, finished_job, of_rule, review, summary

LR = {"learning_rate": "0.01"}


def best_at_position(position: int, total: int) -> list[dict]:
    """`total` training jobs, the best (lowest loss) created `position`-th."""
    return [summary(i, LR, 0.1 if i == position else 0.5 + i / 1000) for i in range(1, total + 1)]


def test_the_issue_example_fourteen_of_one_hundred():
    result = review(best_at_position(14, 100))
    (finding,) = of_rule(result, BUDGET_FIT)
    assert finding.message.startswith("The best training job (job-014) was the 14th of 100")
    assert "the 86 launched after it did not improve on it and cost $19.78" in finding.message  # 86 h x $0.23
    assert finding.evidence["best_position"] == 14 and finding.evidence["after_best_usd"] == pytest.approx(19.78)
    assert finding.severity is Severity.LOW and "BestObjectiveNotImproving" in finding.fix
    assert result.best is not None and (result.best.position, result.best.of) == (14, 100)


@pytest.mark.parametrize(
    "position, severity",
    [(50, Severity.LOW), (51, Severity.INFO), (90, Severity.INFO), (91, Severity.LOW)],
)
def test_early_and_late_bests_are_low_the_rest_info(position, severity):
    (finding,) = of_rule(review(best_at_position(position, 100)), BUDGET_FIT)
    assert finding.severity is severity
    if position == 91:
        assert "may not have converged" in finding.message


def test_a_small_job_is_only_context():
    (finding,) = of_rule(review(best_at_position(1, 4)), BUDGET_FIT)
    assert finding.severity is Severity.INFO


def test_creation_order_not_list_order_decides_the_position():
    summaries = best_at_position(3, 10)
    (finding,) = of_rule(review(list(reversed(summaries))), BUDGET_FIT)
    assert finding.evidence["best_position"] == 3


def test_unpriced_training_jobs_after_the_best_make_the_cost_a_lower_bound():
    summaries = best_at_position(2, 4)
    (finding,) = of_rule(review(summaries, seconds={"job-004": None}), BUDGET_FIT)
    assert "cost $0.23" in finding.message  # job-004 never billed: nothing to add, nothing unknown
    (unknown,) = of_rule(review(summaries, billing={"job-001": {"BillableTimeInSeconds": 60}}), BUDGET_FIT)
    assert "cost at least $0.00" in unknown.message


def with_strategy(strategy: str, **kwargs):
    request = tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "0.1")], strategy=strategy)
    return description(request, **kwargs)


def test_grid_search_has_no_budget_fit_its_order_is_its_own():
    summaries = best_at_position(14, 100)
    assert of_rule(review(summaries), BUDGET_FIT), "the same training jobs under Bayesian are judged"
    assert of_rule(review(summaries, describe=with_strategy("Grid")), BUDGET_FIT) == []


@pytest.mark.parametrize("position", [14, 95])
def test_random_search_keeps_the_budget_fit_at_info(position):
    (finding,) = of_rule(review(best_at_position(position, 100), describe=with_strategy("Random")), BUDGET_FIT)
    assert finding.severity is Severity.INFO and "chance" in finding.message
    assert finding.evidence["strategy"] == "Random"


def test_a_best_value_reached_again_later_is_reported_with_its_ties_and_not_judged_early():
    # The best value 0.1 first at the 3rd training job, reached again at the 40th and the 80th of 100.
    summaries = [summary(i, LR, 0.1 if i in (3, 40, 80) else 0.5 + i / 1000) for i in range(1, 101)]
    result = review(summaries)
    (finding,) = of_rule(result, BUDGET_FIT)
    assert finding.message.startswith("The best training job (job-003) was the 3rd of 100 (2 other(s) reached")
    assert "the last the 80th" in finding.message
    assert finding.evidence["best_ties"] == 2 and finding.evidence["last_tie_position"] == 80
    assert finding.severity is Severity.INFO, "the search kept finding the best until the 80th"
    assert result.best is not None and result.best.ties == 2 and result.best.name == "job-003"
    assert "the earliest of 3 with that value" in "\n".join(result.lines())


def test_ties_that_all_came_early_are_still_judged_early():
    summaries = [summary(i, LR, 0.1 if i in (3, 10) else 0.5 + i / 1000) for i in range(1, 101)]
    (finding,) = of_rule(review(summaries), BUDGET_FIT)
    assert finding.severity is Severity.LOW and finding.evidence["last_tie_position"] == 10


# --- failed and stopped training jobs --------------------------------------------------------------------


def with_failures(failed: int, total: int = 20, stopped: int = 0, reason: str = "AlgorithmError: CUDA OOM"):
    summaries = []
    for i in range(1, total + 1):
        if i <= failed:
            summaries.append(summary(i, LR, None, status="Failed", failure_reason=reason))
        elif i <= failed + stopped:
            summaries.append(summary(i, LR, 0.4, status="Stopped"))
        else:
            summaries.append(summary(i, LR, 0.5))
    return summaries


@pytest.mark.parametrize(
    "failed, severity",
    [(1, Severity.LOW), (2, Severity.MEDIUM), (9, Severity.MEDIUM), (10, Severity.HIGH), (19, Severity.HIGH)],
)
def test_failure_share_sets_the_severity(failed, severity):
    (finding,) = of_rule(review(with_failures(failed)), FAILED_TRIALS)
    assert finding.severity is severity and finding.evidence["failed_training_jobs"] == failed
    assert finding.evidence["failure_reason"] == "AlgorithmError: CUDA OOM"
    assert "most often: AlgorithmError: CUDA OOM" in finding.message


def test_hyperband_is_named_for_the_training_jobs_it_stopped():
    (finding,) = of_rule(review(with_failures(0, stopped=3), describe=with_strategy("Hyperband")), FAILED_TRIALS)
    assert "3 of 20 were stopped (15%, by Hyperband, which stops under-performing training jobs" in finding.message
    assert "by hand" not in finding.message


def test_only_stopped_training_jobs_are_context():
    (finding,) = of_rule(review(with_failures(0, stopped=3)), FAILED_TRIALS)
    assert finding.severity is Severity.INFO and "3 of 20 were stopped (15%" in finding.message


def test_no_failures_no_finding():
    assert of_rule(review(with_failures(0)), FAILED_TRIALS) == []


def test_all_failed_is_one_high_no_results_finding():
    result = review(with_failures(20))
    (finding,) = of_rule(result, NO_RESULTS)
    assert finding.severity is Severity.HIGH
    assert finding.message == "All 20 training jobs failed, most often: AlgorithmError: CUDA OOM."
    assert of_rule(result, FAILED_TRIALS) == [] and of_rule(result, BUDGET_FIT) == [] and result.best is None
    assert result.counts.failed == 20 and result.has_something_to_say


def test_no_training_jobs_at_all():
    result = review([], describe=description(status="Failed"))
    (finding,) = of_rule(result, NO_RESULTS)
    assert "launched no training jobs" in finding.message and result.spend.usd == 0 and result.spend.complete


def test_none_completed():
    summaries = [summary(1, LR, None, status="Failed"), summary(2, LR, None, status="Stopped")]
    (finding,) = of_rule(review(summaries, describe=description(status="Stopped")), NO_RESULTS)
    assert finding.message.startswith("None of the 2 training jobs completed")


def test_completed_without_any_objective_value():
    summaries = [summary(i, LR, None, objective_status="Failed") for i in range(1, 4)]
    (finding,) = of_rule(review(summaries), NO_RESULTS)
    assert "reported a final validation:loss" in finding.message and "regex" in finding.fix


def test_some_completed_without_an_objective_value():
    summaries = [summary(1, LR, 0.3), summary(2, LR, None, objective_status="Failed"), summary(3, LR, 0.2)]
    result = review(summaries)
    (finding,) = of_rule(result, MISSING_OBJECTIVE)
    assert finding.severity is Severity.MEDIUM and finding.message.startswith("1 of 3 completed training jobs")
    assert result.best is not None and result.best.name == "job-003"


def test_a_pending_objective_does_not_rank():
    summaries = [summary(1, LR, 0.01, objective_status="Pending"), summary(2, LR, 0.2)]
    result = review(summaries)
    assert result.best is not None and result.best.name == "job-002"


def test_an_unknown_objective_cannot_rank():
    result = review([summary(1, LR, 0.2)], describe=description(objective=None))
    (finding,) = of_rule(result, NO_RESULTS)
    assert "objective is not known" in finding.message and of_rule(result, RANGE_EDGE) == []


def test_a_running_job_is_not_reviewed():
    job = finished_job([summary(1, LR, 0.2)], describe=description(status="InProgress"))
    with pytest.raises(NotFinished, match="InProgress"):
        review_tuning_job(job, PRICES)


# --- early stopping ----------------------------------------------------------------------------------------


def early_stopping_review(summaries, seconds, status="Completed", early_stopping="Auto"):
    return review(summaries, describe=description(status=status, early_stopping=early_stopping), seconds=seconds)


def test_early_stopping_counts_the_stopped_and_estimates_what_they_did_not_use():
    summaries = [summary(i, LR, 0.5) for i in range(1, 5)] + [summary(i, LR, 0.9, status="Stopped") for i in (5, 6)]
    seconds = {"job-001": 3600, "job-002": 3600, "job-003": 7200, "job-004": 3600, "job-005": 600, "job-006": 1800}
    (finding,) = of_rule(early_stopping_review(summaries, seconds), EARLY_STOPPING)
    # Median completed: 3600 s; unused: 3000 + 1800 = 4800 s = 1.33 h at $0.23.
    assert finding.evidence["stopped_training_jobs"] == 2 and finding.evidence["stopped_billable_seconds"] == 2400
    assert finding.evidence["unused_billable_seconds_estimate"] == 4800
    assert finding.evidence["unused_usd_estimate"] == pytest.approx(0.31)
    assert finding.severity is Severity.INFO and "2 of 6 training jobs were stopped" in finding.message
    assert "(estimate, about $0.31)" in finding.message


def test_early_stopping_that_stopped_nothing_is_worth_a_look():
    summaries = [summary(i, LR, 0.5) for i in range(1, 6)]
    (finding,) = of_rule(early_stopping_review(summaries, 3600), EARLY_STOPPING)
    assert finding.severity is Severity.LOW and "every epoch" in finding.fix
    assert of_rule(early_stopping_review(summaries[:4], 3600), EARLY_STOPPING) == []


def test_a_stopped_tuning_job_says_the_two_kinds_of_stop_look_alike():
    summaries = [summary(1, LR, 0.5), summary(2, LR, 0.9, status="Stopped")]
    (finding,) = of_rule(early_stopping_review(summaries, 3600, status="Stopped"), EARLY_STOPPING)
    assert "does not tell the two apart" in finding.message and finding.evidence["tuning_job_stopped"] is True


def test_no_early_stopping_finding_when_it_was_off():
    summaries = [summary(1, LR, 0.5), summary(2, LR, 0.9, status="Stopped")]
    assert of_rule(early_stopping_review(summaries, 3600, early_stopping="Off"), EARLY_STOPPING) == []
