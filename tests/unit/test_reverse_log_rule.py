"""reverse-log: continuous ranges packed close to 1 on a linear or Auto scale."""

from __future__ import annotations

import jsonpatch
import pytest

from rules.findings import Severity
from rules.policy import Policy
from tests.builders import continuous, integer, training_definition, tuning_request
from tests.unit.rules_harness import run_rule


def momentum(low: str, high: str, scaling: str | None = "Linear", max_jobs: int = 20) -> dict:
    return tuning_request(continuous_ranges=[continuous("momentum", low, high, scaling)], max_jobs=max_jobs)


def test_momentum_from_0_9_to_0_999_gets_a_tenth_of_the_trials_near_1():
    (finding,) = run_rule("reverse-log", momentum("0.9", "0.999"))
    assert finding.severity is Severity.MEDIUM and finding.parameter == "momentum"
    # Distance to 1: 0.1 .. 0.001, two decades. The part closest to 1 is 0.99 .. 0.999.
    assert finding.evidence["distance_decades"] == pytest.approx(2.0)
    assert finding.evidence["closest_part_low"] == pytest.approx(0.99)
    assert finding.evidence["closest_part_share_linear"] == pytest.approx(0.009 / 0.099, abs=1e-4)
    assert finding.evidence["closest_part_share_reverse_log"] == pytest.approx(0.5)
    assert "9.1%" in finding.message and "50%" in finding.message
    assert "ReverseLogarithmic" in finding.fix


def test_patch_sets_reverse_logarithmic_and_clears_the_finding():
    raw = momentum("0.9", "0.999")
    (finding,) = run_rule("reverse-log", raw)
    operations = [op.as_json() for op in finding.patch]
    assert operations == [
        {
            "op": "add",
            "path": "/HyperParameterTuningJobConfig/ParameterRanges/ContinuousParameterRanges/0/ScalingType",
            "value": "ReverseLogarithmic",
        }
    ]
    fixed = jsonpatch.apply_patch(raw, operations)
    assert not run_rule("reverse-log", fixed)
    assert not run_rule("positive-min", fixed)  # the proposed scale is inside ReverseLogarithmic's domain


@pytest.mark.parametrize(
    "low, high, flagged",
    [
        ("0.9", "0.989", False),  # (1 - 0.9) / (1 - 0.989) = 9.09
        ("0.9", "0.99", True),  # exactly 10, although 1 - 0.9 and 1 - 0.99 are inexact in binary
        ("0.9", "0.991", True),
    ],
)
def test_distance_to_one_must_span_a_decade(low, high, flagged):
    assert bool(run_rule("reverse-log", momentum(low, high))) is flagged


@pytest.mark.parametrize("low, flagged", [("0.49", False), ("0.5", True), ("0.51", True)])
def test_minimum_must_be_at_least_one_half(low, flagged):
    assert bool(run_rule("reverse-log", momentum(low, "0.96"))) is flagged


@pytest.mark.parametrize("high", ["1", "1.0", "1.5"])
def test_ranges_reaching_one_are_left_alone(high):
    assert not run_rule("reverse-log", momentum("0.9", high))


@pytest.mark.parametrize(
    "scaling, severity", [("Linear", Severity.MEDIUM), ("Auto", Severity.LOW), (None, Severity.LOW)]
)
def test_linear_is_worse_than_auto(scaling, severity):
    (finding,) = run_rule("reverse-log", momentum("0.9", "0.999", scaling))
    assert finding.severity is severity


@pytest.mark.parametrize("scaling", ["Logarithmic", "ReverseLogarithmic"])
def test_log_scales_are_not_flagged(scaling):
    assert not run_rule("reverse-log", momentum("0.9", "0.999", scaling))


@pytest.mark.parametrize(
    "low, high, kind", [("0.9", "1.0", "continuous"), ("-0.1", "0.9", "continuous"), ("0", "0", "integer")]
)
def test_ranges_positive_min_flags_are_not_flagged_again(low, high, kind):
    if kind == "integer":
        raw = tuning_request(integer_ranges=[integer("layers", low, high, "ReverseLogarithmic")])
    else:
        raw = momentum(low, high, "ReverseLogarithmic")
    assert run_rule("positive-min", raw)
    assert not run_rule("reverse-log", raw)


def test_integer_ranges_are_not_flagged():
    raw = tuning_request(integer_ranges=[integer("x", "1", "1", "Linear")])
    assert not run_rule("reverse-log", raw)


def test_thresholds_come_from_the_policy():
    strict = Policy(rule_settings={"reverse-log": {"min_distance_ratio": 100}})
    assert run_rule("reverse-log", momentum("0.9", "0.999"), strict)
    assert not run_rule("reverse-log", momentum("0.9", "0.99"), strict)
    anywhere = Policy(rule_settings={"reverse-log": {"min_value_at_least": 0}})
    assert run_rule("reverse-log", momentum("0.0", "0.95"), anywhere)
    assert not run_rule("reverse-log", momentum("0.0", "0.95"))


def test_odds_are_given_when_a_linear_scale_would_likely_miss_the_part_near_one():
    (few,) = run_rule("reverse-log", momentum("0.5", "0.9999", max_jobs=10))
    assert few.evidence["p_any_trial_in_closest_part_linear"] < 0.95
    assert "With 10 trials" in few.message
    (many,) = run_rule("reverse-log", momentum("0.8", "0.99", max_jobs=20))
    assert "trials the chance" not in many.message


def test_definition_is_named_in_multi_algorithm_jobs():
    definition = training_definition(
        DefinitionName="sgd",
        TuningObjective={"Type": "Maximize", "MetricName": "validation:auc"},
        HyperParameterRanges={"ContinuousParameterRanges": [continuous("beta2", "0.9", "0.9999", "Auto")]},
    )
    (finding,) = run_rule("reverse-log", tuning_request(definitions=[definition]))
    assert finding.definition == "sgd"
    assert (
        finding.patch[0].path
        == "/TrainingJobDefinitions/0/HyperParameterRanges/ContinuousParameterRanges/0/ScalingType"
    )
