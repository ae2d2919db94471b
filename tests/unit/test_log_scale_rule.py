"""log-scale: wide positive ranges on a linear or Auto scale."""

from __future__ import annotations

import pytest

from rules.findings import Severity
from rules.policy import Policy
from tests.builders import continuous, integer, tuning_request
from tests.unit.rules_harness import run_rule


def lr(low: str, high: str, scaling: str | None = "Linear", max_jobs: int = 20, name: str = "learning_rate") -> dict:
    return tuning_request(continuous_ranges=[continuous(name, low, high, scaling)], max_jobs=max_jobs)


def width(low: str, high: str, scaling: str | None = "Linear") -> dict:
    """A parameter whose name gives no hint of a log scale."""
    return lr(low, high, scaling, name="width")


def test_classic_case_states_the_top_decade_share_and_the_sampling_odds():
    (finding,) = run_rule("log-scale", lr("0.0001", "1.0"))
    assert finding.severity is Severity.HIGH and finding.parameter == "learning_rate"
    assert finding.evidence["top_decade_share_linear"] == pytest.approx(0.9, abs=0.001)
    assert finding.evidence["decades"] == pytest.approx(4.0)
    # DOMAIN.md: with 20 trials, P(at least one sample in [1e-4, 1e-3]) is 1.8% linear vs 99.7% log.
    assert finding.evidence["p_any_trial_in_bottom_decade_linear"] == pytest.approx(0.018, abs=0.001)
    assert finding.evidence["p_any_trial_in_bottom_decade_log"] == pytest.approx(0.997, abs=0.001)
    assert "90%" in finding.message and "1.8%" in finding.message and "99.7%" in finding.message
    assert "Logarithmic" in finding.fix


@pytest.mark.parametrize(
    "low, high, flagged",
    [("0.01", "0.9999", False), ("0.01", "1.0", True), ("1", "99", False), ("1", "100", True)],
)
def test_threshold_is_a_ratio_of_one_hundred(low, high, flagged):
    assert bool(run_rule("log-scale", width(low, high))) is flagged


@pytest.mark.parametrize("low, high, flagged", [("0.01", "0.0999", False), ("0.01", "0.1", True)])
def test_a_name_that_suggests_log_lowers_the_threshold_to_ten(low, high, flagged):
    findings = run_rule("log-scale", lr(low, high))
    assert bool(findings) is flagged
    if flagged:
        assert findings[0].evidence["name_suggests_log"] is True and findings[0].evidence["threshold_ratio"] == 10


def test_thresholds_come_from_the_policy():
    assert run_rule("log-scale", width("1", "20"), Policy(rule_settings={"log-scale": {"min_ratio": 10}}))
    assert not run_rule("log-scale", width("1", "20"), Policy(rule_settings={"log-scale": {"min_ratio": 50}}))


def test_severity_grows_with_the_budget_and_the_decades():
    (cheap,) = run_rule("log-scale", width("1", "10000"))
    (costly,) = run_rule("log-scale", width("1", "10000"), Policy(budget_cap_usd=1))
    (narrow,) = run_rule("log-scale", width("1", "100"))
    (huge,) = run_rule("log-scale", width("1", "10000000"))
    assert (cheap.severity, costly.severity, narrow.severity, huge.severity) == (
        Severity.HIGH,
        Severity.CRITICAL,
        Severity.MEDIUM,
        Severity.CRITICAL,
    )


def test_fix_is_a_json_patch_on_the_range():
    (finding,) = run_rule("log-scale", lr("0.0001", "1.0"))
    assert [op.as_json() for op in finding.patch] == [
        {
            "op": "add",
            "path": "/HyperParameterTuningJobConfig/ParameterRanges/ContinuousParameterRanges/0/ScalingType",
            "value": "Logarithmic",
        }
    ]
    assert finding.doc == "docs/rules.md#log-scale"


def test_disabled_rule_reports_nothing_and_severity_can_be_fixed():
    assert not run_rule("log-scale", lr("0.0001", "1.0"), Policy(rule_settings={"log-scale": {"enabled": False}}))
    (finding,) = run_rule("log-scale", lr("0.0001", "1.0"), Policy(rule_settings={"log-scale": {"severity": "low"}}))
    assert finding.severity is Severity.LOW


@pytest.mark.parametrize(
    "scaling, severity", [("Linear", Severity.HIGH), ("Auto", Severity.MEDIUM), (None, Severity.MEDIUM)]
)
def test_linear_is_worse_than_auto(scaling, severity):
    (finding,) = run_rule("log-scale", lr("1e-05", "0.1", scaling))
    assert finding.severity is severity


@pytest.mark.parametrize("scaling", ["Logarithmic", "ReverseLogarithmic"])
def test_log_scales_are_not_flagged(scaling):
    assert not run_rule("log-scale", lr("0.0001", "0.5", scaling))


@pytest.mark.parametrize("low", ["0", "-1"])
def test_non_positive_minimum_is_left_to_positive_min(low):
    assert not run_rule("log-scale", lr(low, "1.0"))


@pytest.mark.parametrize(
    "name, low, high", [("batch_size", "16", "1024"), ("n_estimators", "10", "1000"), ("num_round", "50", "2000")]
)
def test_integer_sizes_searched_in_powers_are_flagged(name, low, high):
    (finding,) = run_rule("log-scale", tuning_request(integer_ranges=[integer(name, low, high, "Auto")]))
    assert finding.parameter == name and finding.evidence["range_kind"] == "integer"
    assert finding.evidence["name_suggests_log"] is True


def test_integer_ranges_count_too():
    request = tuning_request(integer_ranges=[integer("num_estimators", "10", "5000", "Linear")])
    (finding,) = run_rule("log-scale", request)
    assert finding.parameter == "num_estimators"


def test_odds_use_the_job_count():
    (few,) = run_rule("log-scale", lr("0.0001", "1.0", max_jobs=5))
    (many,) = run_rule("log-scale", lr("0.0001", "1.0", max_jobs=500))
    assert few.evidence["trials"] == 5 and many.evidence["trials"] == 500
    assert few.evidence["p_any_trial_in_bottom_decade_log"] < many.evidence["p_any_trial_in_bottom_decade_log"]
