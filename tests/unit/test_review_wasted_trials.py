"""review-wasted-trials: the `log-scale` finding turned into evidence from the job's own training jobs."""

from __future__ import annotations

import pytest

from rules.checks.log_scale import LogScaleSettings
from rules.findings import Severity
from rules.policy import Policy
from rules.review import WASTED_TRIALS, ReviewSettings, review_tuning_job
from tests.builders import continuous, tuning_request
from tests.unit.review_builders import PRICES, description, finished_job, of_rule, summary


def job_with(
    name: str, low: str, high: str, values: list[tuple[str, float | None]], scaling: str = "Linear", **describe_kw
):
    request = tuning_request(continuous_ranges=[continuous(name, low, high, scaling)])
    summaries = [summary(i, {name: v}, objective) for i, (v, objective) in enumerate(values, start=1)]
    return finished_job(summaries, describe=description(request, **describe_kw))


def wasted(job, **kwargs):
    return of_rule(review_tuning_job(job, PRICES, **kwargs), WASTED_TRIALS)


# Learning rate 0.0001 .. 1.0 searched linearly: nine training jobs in the top decade, one below it.
TOP_HEAVY = [(str(0.1 + 0.1 * i), 0.5) for i in range(9)] + [("0.001", 0.2)]


def test_the_share_in_the_top_decade_and_the_objectives_are_compared():
    (finding,) = wasted(job_with("learning_rate", "0.0001", "1.0", TOP_HEAVY))
    assert finding.evidence["top_decade_training_jobs"] == 9 and finding.evidence["searched_training_jobs"] == 10
    assert finding.evidence["top_decade_share"] == pytest.approx(0.9)
    assert finding.evidence["top_decade_median_objective"] == 0.5 and finding.evidence["rest_median_objective"] == 0.2
    # Minimize: the rest did better, so the budget went where results were worse.
    assert finding.severity is Severity.HIGH and "the budget went where results were worse" in finding.message
    assert "9 of 10 training jobs (90%) landed in the top decade 0.1 .. 1.0" in finding.message
    assert "Logarithmic" in finding.fix


def test_maximize_reverses_which_median_is_better():
    job = job_with("learning_rate", "0.0001", "1.0", TOP_HEAVY, objective=("validation:auc", "Maximize"))
    (finding,) = wasted(job)
    assert finding.severity is Severity.LOW and "higher is better" in finding.message


def test_equal_medians_stay_medium():
    values = [(str(0.1 + 0.1 * i), 0.5) for i in range(9)] + [("0.001", 0.5)]
    (finding,) = wasted(job_with("learning_rate", "0.0001", "1.0", values))
    assert finding.severity is Severity.MEDIUM


def test_all_in_the_top_decade_has_nothing_to_compare():
    values = [(str(0.1 + 0.1 * i), 0.5) for i in range(9)]
    (finding,) = wasted(job_with("learning_rate", "0.0001", "1.0", values))
    assert finding.severity is Severity.MEDIUM and "rest_median_objective" not in finding.evidence


@pytest.mark.parametrize("high, flagged", [("99", False), ("100", True)])
def test_wide_means_what_the_log_scale_rule_means(high, flagged):
    # 'width' suggests no log scale: the log-scale rule's min_ratio (100) applies.
    assert LogScaleSettings().min_ratio == 100
    values = [(high, 0.5)] * 9 + [("1", 0.4)]
    assert bool(wasted(job_with("width", "1", high, values))) is flagged


@pytest.mark.parametrize("high, flagged", [("0.0999", False), ("0.1", False), ("0.2", True)])
def test_a_log_natured_name_lowers_the_threshold_to_ten_over_more_than_one_decade(high, flagged):
    values = [(high, 0.5)] * 9 + [("0.01", 0.4)]
    assert bool(wasted(job_with("learning_rate", "0.01", high, values))) is flagged


def test_a_range_of_one_decade_is_all_top_decade_and_not_reported():
    # 0.01 .. 0.1 Linear: the "top decade" 0.01 .. 0.1 is the whole range, so 100% in it says nothing.
    values = [(str(round(0.01 + 0.01 * i, 4)), 0.5 - i / 100) for i in range(10)]
    job = job_with("learning_rate", "0.01", "0.1", values)
    assert wasted(job) == []
    assert wasted(job, settings=ReviewSettings(hinted_wide_ratio=2)) == [], "not even with a lower threshold"


def test_the_policy_sets_the_ratio():
    values = [("20", 0.5)] * 9 + [("1", 0.4)]
    job = job_with("width", "1", "20", values)
    assert not wasted(job)
    assert wasted(job, policy=Policy(rule_settings={"log-scale": {"min_ratio": 10}}))


def test_log_scaled_ranges_are_not_wasted():
    assert not wasted(job_with("learning_rate", "0.0001", "1.0", TOP_HEAVY, scaling="Logarithmic"))


def test_auto_counts_when_the_training_jobs_show_it_stayed_linear():
    (finding,) = wasted(job_with("learning_rate", "0.0001", "1.0", TOP_HEAVY, scaling="Auto"))
    assert "Auto (starts linear)" in finding.message


@pytest.mark.parametrize("in_top, flagged", [(4, False), (5, True)])
def test_below_half_in_the_top_decade_is_no_waste(in_top, flagged):
    values = [("0.5", 0.5)] * in_top + [("0.001", 0.4)] * (10 - in_top)
    assert bool(wasted(job_with("learning_rate", "0.0001", "1.0", values, scaling="Auto"))) is flagged


@pytest.mark.parametrize("count, flagged", [(4, False), (5, True)])
def test_too_few_training_jobs_say_nothing(count, flagged):
    values = [("0.5", 0.5)] * count
    assert bool(wasted(job_with("learning_rate", "0.0001", "1.0", values))) is flagged


def test_the_minimum_share_is_a_setting():
    values = [("0.5", 0.5)] * 4 + [("0.001", 0.4)] * 6
    job = job_with("learning_rate", "0.0001", "1.0", values)
    assert not wasted(job)
    assert wasted(job, settings=ReviewSettings(min_top_decade_share=0.4))


def test_training_jobs_without_an_objective_count_in_the_share_but_not_in_the_medians():
    values = [(str(0.1 + 0.1 * i), None) for i in range(5)] + [("0.9", 0.3), ("0.001", 0.2)]
    (finding,) = wasted(job_with("learning_rate", "0.0001", "1.0", values))
    assert finding.evidence["top_decade_training_jobs"] == 6
    assert finding.evidence["top_decade_median_objective"] == 0.3


@pytest.mark.parametrize("rest, severity", [(0.46, Severity.MEDIUM), (0.54, Severity.MEDIUM), (0.3, Severity.HIGH)])
def test_medians_within_a_tenth_of_the_spread_are_about_the_same(rest, severity):
    top = [0.1, 1.0] + [0.5] * 7  # spread 0.9: medians within 0.09 of each other are noise
    values = [(str(0.1 + 0.1 * i), objective) for i, objective in enumerate(top)] + [("0.001", rest)]
    (finding,) = wasted(job_with("learning_rate", "0.0001", "1.0", values))
    assert finding.severity is severity
    assert ("about the same" in finding.message) is (severity is Severity.MEDIUM)
