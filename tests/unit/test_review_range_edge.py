"""review-range-edge: the best training job (and the best few) at the edge of a range, on the range's own scale."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.findings import Severity
from rules.models import ParameterRange, RangeKind, ScalingType
from rules.review import (
    RANGE_EDGE,
    EdgeScale,
    ReviewSettings,
    edge_of,
    edge_scales,
    position_on_scale,
    review_tuning_job,
)
from tests.builders import categorical, continuous, integer, tuning_request
from tests.unit.review_builders import PRICES, description, finished_job, of_rule, review, summary


def edge_review(ranges: dict[str, list[dict]], trials: list[tuple[dict[str, str], float]], **kwargs):
    """Review a job whose training jobs set `trials` (hyperparameters, objective); lower objective is better."""
    request = tuning_request(
        continuous_ranges=ranges.get("continuous"),
        integer_ranges=ranges.get("integer"),
        categorical_ranges=ranges.get("categorical"),
    )
    summaries = [summary(i, hp, value) for i, (hp, value) in enumerate(trials, start=1)]
    return of_rule(review(summaries, describe=description(request), **kwargs), RANGE_EDGE)


def best_at(name: str, value: str, ranges: dict[str, list[dict]]):
    """The best training job sets `name` to `value`; two worse ones sit mid-range."""
    return edge_review(ranges, [({name: value}, 0.1)])


LR_LINEAR = {"continuous": [continuous("learning_rate", "0.0001", "0.1", "Linear")]}
LR_LOG = {"continuous": [continuous("learning_rate", "0.0001", "0.1", "Logarithmic")]}
LR_AUTO = {"continuous": [continuous("learning_rate", "0.0001", "0.1", "Auto")]}


def test_the_issue_example_reads_as_the_issue_words_it():
    (finding,) = best_at("learning_rate", "0.00012", LR_LOG)
    assert finding.severity is Severity.MEDIUM and finding.parameter == "learning_rate"
    assert finding.message.startswith(
        "Best learning_rate 0.00012 sits at the lower edge of 0.0001 .. 0.1: the optimum may lie below; "
        "widen the range downwards."
    )
    assert "log scale" in finding.message
    assert "downwards" in finding.fix and "MinValue 1e-05" in finding.fix
    assert finding.evidence["edge"] == "lower" and finding.evidence["proposed_min_value"] == pytest.approx(1e-05)
    assert finding.doc == "docs/rules.md#review-range-edge"


# Linear 0.0001 .. 0.1: 5% of the width is 0.004995, so the lower edge ends at 0.005095 and the upper starts at
# 0.095005.
@pytest.mark.parametrize(
    "value, edge", [("0.005", "lower"), ("0.0052", None), ("0.095", None), ("0.0951", "upper"), ("0.1", "upper")]
)
def test_linear_tolerance_is_five_percent_of_the_width(value, edge):
    found = best_at("learning_rate", value, LR_LINEAR)
    assert [f.evidence["edge"] for f in found] == ([edge] if edge else [])


# Log 0.0001 .. 0.1 spans 3 decades: 5% is 0.15 decades, so 0.0001 .. 0.000141 and 0.0708 .. 0.1.
@pytest.mark.parametrize(
    "value, edge", [("0.00014", "lower"), ("0.000142", None), ("0.0705", None), ("0.071", "upper"), ("0.005", None)]
)
def test_log_tolerance_is_five_percent_of_the_decades(value, edge):
    found = best_at("learning_rate", value, LR_LOG)
    assert [f.evidence["edge"] for f in found] == ([edge] if edge else [])


def test_auto_on_a_positive_range_needs_the_edge_on_both_scales():
    # 0.004 is within 5% of the width on the linear scale, but 1.6 decades up on the log scale.
    assert best_at("learning_rate", "0.004", LR_LINEAR)
    assert not best_at("learning_rate", "0.004", LR_AUTO)
    (found,) = best_at("learning_rate", "0.00012", LR_AUTO)
    assert "both the linear and the log scale" in found.message


def test_auto_from_zero_can_only_be_linear():
    found = best_at("dropout", "0.01", {"continuous": [continuous("dropout", "0", "0.5", "Auto")]})
    assert [f.evidence["edge"] for f in found] == ["lower"]
    assert "if the hyperparameter accepts values below 0" in found[0].fix


@pytest.mark.parametrize("value, edge", [("0.9988", "upper"), ("0.9985", None), ("0.9", "lower")])
def test_reverse_logarithmic_measures_the_distance_to_one_on_a_log_scale(value, edge):
    # 1 - x spans 0.1 .. 0.001 (2 decades): the upper edge is 1 - x within 10**0.1 of 0.001, x >= 0.99874.
    ranges = {"continuous": [continuous("beta", "0.9", "0.999", "ReverseLogarithmic")]}
    found = best_at("beta", value, ranges)
    assert [f.evidence["edge"] for f in found] == ([edge] if edge else [])
    if edge == "upper":
        assert found[0].evidence["proposed_max_value"] == pytest.approx(0.9999)


@pytest.mark.parametrize("value, edge", [("1", "lower"), ("2", None), ("9", None), ("10", "upper")])
def test_small_integer_ranges_flag_only_the_edge_values(value, edge):
    found = best_at("depth", value, {"integer": [integer("depth", "1", "10", "Linear")]})
    assert [f.evidence["edge"] for f in found] == ([edge] if edge else [])


@pytest.mark.parametrize("value, edge", [("1", "lower"), ("2", None), ("79", None), ("80", "upper")])
def test_integer_ranges_on_a_log_scale(value, edge):
    found = best_at("trees", value, {"integer": [integer("trees", "1", "100", "Logarithmic")]})
    assert [f.evidence["edge"] for f in found] == ([edge] if edge else [])


def test_integer_proposals_are_whole_numbers_and_stay_positive():
    (lower,) = best_at("depth", "2", {"integer": [integer("depth", "2", "10", "Linear")]})
    (upper,) = best_at("depth", "10", {"integer": [integer("depth", "2", "10", "Linear")]})
    assert lower.evidence["proposed_min_value"] == 1 and upper.evidence["proposed_max_value"] == 14
    # Already at 1 on a positive range: no smaller whole number to offer.
    (at_one,) = best_at("depth", "1", {"integer": [integer("depth", "1", "10", "Linear")]})
    assert "proposed_min_value" not in at_one.evidence


def test_categorical_ranges_are_skipped_even_with_numeric_values():
    ranges = {"categorical": [categorical("batch_size", "32", "64", "128"), categorical("optimizer", "adam", "sgd")]}
    assert edge_review(ranges, [({"batch_size": "32", "optimizer": "adam"}, 0.1)]) == []


def test_a_range_the_best_job_does_not_set_or_sets_to_text_is_skipped():
    assert best_at("other", "0.00012", LR_LINEAR) == []
    assert best_at("learning_rate", "fast", LR_LINEAR) == []


def test_a_quoted_value_from_the_sdk_is_read_as_a_number():
    (found,) = best_at("learning_rate", '"0.00012"', LR_LOG)
    assert found.evidence["best_value"] == pytest.approx(0.00012)


def test_most_of_the_best_few_at_an_edge_is_low_when_the_best_is_not():
    trials = [
        ({"learning_rate": "0.01"}, 0.10),  # the best, mid-range on the log scale
        ({"learning_rate": "0.095"}, 0.11),
        ({"learning_rate": "0.09"}, 0.12),
        ({"learning_rate": "0.0005"}, 0.50),
    ]
    (found,) = edge_review(LR_LOG, trials)
    assert found.severity is Severity.LOW and found.evidence["best_few_at_edge"] == 2
    assert found.message.startswith("2 of the best 3 training jobs set learning_rate at the upper edge")
    # One of the best three at the edge, not the best: nothing to say.
    assert edge_review(LR_LOG, [trials[0], trials[1], trials[3]]) == []


def test_the_best_with_company_at_the_edge_says_how_many():
    trials = [({"learning_rate": "0.1"}, 0.1), ({"learning_rate": "0.099"}, 0.2), ({"learning_rate": "0.001"}, 0.3)]
    (found,) = edge_review(LR_LOG, trials)
    assert "(2 of the best 3 training jobs sit there)" in found.message


def test_maximize_ranks_the_highest_objective_best():
    request = tuning_request(continuous_ranges=LR_LOG["continuous"])
    trials = [summary(1, {"learning_rate": "0.0001"}, 0.9), summary(2, {"learning_rate": "0.003"}, 0.5)]
    maximize = of_rule(
        review(trials, describe=description(request, objective=("validation:auc", "Maximize"))), RANGE_EDGE
    )
    minimize = of_rule(review(trials, describe=description(request)), RANGE_EDGE)
    assert [f.evidence["best_training_job"] for f in maximize] == ["job-001"] and minimize == []


def test_the_tolerance_is_a_setting():
    job_settings = ReviewSettings(edge_tolerance=0.2)
    job = finished_job(
        [summary(1, {"learning_rate": "0.02"}, 0.1)],
        describe=description(tuning_request(continuous_ranges=LR_LINEAR["continuous"])),
    )
    assert of_rule(review_tuning_job(job, PRICES, job_settings), RANGE_EDGE)
    assert not of_rule(review_tuning_job(job, PRICES), RANGE_EDGE)


# --- properties of the scale arithmetic --------------------------------------------------------------------


def _range(low: float, high: float, scaling: ScalingType, kind: RangeKind = RangeKind.CONTINUOUS) -> ParameterRange:
    return ParameterRange(
        name="p", kind=kind, min_value=low, max_value=high, min_text=str(low), max_text=str(high), scaling=scaling
    )


positive_ranges = st.tuples(st.floats(1e-8, 1e3, allow_nan=False), st.floats(1.0001, 1e6, allow_nan=False)).map(
    lambda t: (t[0], t[0] * t[1])
)


@given(positive_ranges, st.floats(0, 1), st.floats(0, 1), st.sampled_from(list(ScalingType)))
def test_positions_stay_in_zero_to_one_and_grow_with_the_value(bounds, a, b, scaling):
    low, high = bounds
    if scaling is ScalingType.REVERSE_LOGARITHMIC:
        low, high = low / (high * 1.01), high / (high * 1.01)  # inside 0 .. 1
    r = _range(low, high, scaling)
    x, y = sorted((low + a * (high - low), low + b * (high - low)))
    for scale in edge_scales(r):
        px, py = position_on_scale(r, x, scale), position_on_scale(r, y, scale)
        assert 0.0 <= px <= py <= 1.0


@given(positive_ranges, st.floats(0, 1), st.sampled_from(list(ScalingType)), st.floats(0.01, 0.25))
def test_no_value_is_at_both_edges_and_the_bounds_themselves_are_edges(bounds, a, scaling, tolerance):
    low, high = bounds
    if scaling is ScalingType.REVERSE_LOGARITHMIC:
        low, high = low / (high * 1.01), high / (high * 1.01)
    r = _range(low, high, scaling)
    value = low + a * (high - low)
    assert edge_of(r, value, tolerance) in ("lower", "upper", None)
    assert edge_of(r, low, tolerance) == "lower" and edge_of(r, high, tolerance) == "upper"


@given(positive_ranges, st.floats(0, 1), st.floats(0.01, 0.25))
def test_a_log_range_flags_exactly_the_values_within_the_tolerance_in_decades(bounds, a, tolerance):
    low, high = bounds
    r = _range(low, high, ScalingType.LOGARITHMIC)
    value = math.exp(math.log(low) + a * (math.log(high) - math.log(low)))
    expected = "lower" if a < tolerance - 1e-9 else "upper" if a > 1 - tolerance + 1e-9 else None
    if abs(a - tolerance) > 1e-6 and abs(a - (1 - tolerance)) > 1e-6:
        assert edge_of(r, value, tolerance) == expected


def test_scales_follow_the_scaling_type():
    assert edge_scales(_range(0.1, 10, ScalingType.LOGARITHMIC)) == (EdgeScale.LOG,)
    assert edge_scales(_range(0.1, 10, ScalingType.AUTO)) == (EdgeScale.LINEAR, EdgeScale.LOG)
    assert edge_scales(_range(0, 10, ScalingType.AUTO)) == (EdgeScale.LINEAR,)
    assert edge_scales(_range(0.9, 0.99, ScalingType.REVERSE_LOGARITHMIC)) == (EdgeScale.REVERSE_LOG,)
    # An invalid request (SageMaker refuses it) still gets a scale rather than a math error.
    assert edge_scales(_range(0, 10, ScalingType.LOGARITHMIC)) == (EdgeScale.LINEAR,)
    assert edge_of(_range(5, 5, ScalingType.LINEAR), 5, 0.05) is None
