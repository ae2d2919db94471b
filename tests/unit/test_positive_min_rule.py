"""positive-min: ranges outside the domain of their scaling type."""

from __future__ import annotations

import pytest

from rules.findings import Severity
from tests.builders import continuous, integer, tuning_request
from tests.unit.rules_harness import run_rule


def one(name: str, low: str, high: str, scaling: str | None, kind: str = "continuous") -> dict:
    if kind == "integer":
        return tuning_request(integer_ranges=[integer(name, low, high, scaling)])
    return tuning_request(continuous_ranges=[continuous(name, low, high, scaling)])


@pytest.mark.parametrize("low", ["0", "0.0", "-0.5"])
def test_logarithmic_with_non_positive_minimum_is_refused_by_sagemaker(low):
    (finding,) = run_rule("positive-min", one("learning_rate", low, "0.1", "Logarithmic"))
    assert finding.severity is Severity.HIGH
    assert "refuses" in finding.message
    assert finding.evidence["proposed_min_value"] == pytest.approx(1e-5)
    assert "such as 1e-05" in finding.fix and "Logarithmic" in finding.fix


def test_logarithmic_with_tiny_positive_minimum_is_fine():
    assert not run_rule("positive-min", one("learning_rate", "1e-12", "0.1", "Logarithmic"))


def test_integer_range_gets_one_as_proposed_minimum():
    (finding,) = run_rule("positive-min", one("batch_size", "0", "512", "Logarithmic", "integer"))
    assert finding.evidence["proposed_min_value"] == 1.0


def test_range_with_no_positive_values_is_told_to_use_linear():
    (finding,) = run_rule("positive-min", one("shift", "-10", "0", "Logarithmic"))
    assert finding.evidence["proposed_min_value"] is None and "Linear" in finding.fix


@pytest.mark.parametrize(
    "low, high, flagged",
    [("0.9", "0.999", False), ("0", "0.99", False), ("0.9", "1.0", True), ("-0.1", "0.9", True)],
)
def test_reverse_logarithmic_needs_zero_to_below_one(low, high, flagged):
    assert bool(run_rule("positive-min", one("momentum", low, high, "ReverseLogarithmic"))) is flagged


def test_reverse_logarithmic_on_an_integer_range_is_flagged():
    (finding,) = run_rule("positive-min", one("layers", "0", "0", "ReverseLogarithmic", "integer"))
    assert "continuous" in finding.message


@pytest.mark.parametrize("name", ["learning_rate", "lr", "eta", "reg_alpha", "lambda", "weight_decay", "epsilon", "C"])
@pytest.mark.parametrize("scaling", ["Auto", "Linear", None])
def test_log_natured_parameter_starting_at_zero_can_never_go_log(name, scaling):
    (finding,) = run_rule("positive-min", one(name, "0", "0.1", scaling))
    assert finding.severity is Severity.MEDIUM and finding.parameter == name


@pytest.mark.parametrize("name", ["dropout", "subsample", "label_smoothing"])
def test_other_parameters_may_start_at_zero(name):
    assert not run_rule("positive-min", one(name, "0", "0.5", "Auto"))
