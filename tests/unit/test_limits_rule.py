"""limits: SageMaker's caps on hyperparameters, categorical values and training job definitions."""

from __future__ import annotations

import pytest

from rules.findings import Severity
from rules.policy import Policy
from tests.builders import categorical, continuous, integer, training_definition, tuning_request
from tests.unit.rules_harness import run_rule


def tunable(count: int) -> dict:
    """`count` ranges spread over the three kinds, as SageMaker counts them together."""
    kinds: dict[str, list[dict]] = {"continuous_ranges": [], "integer_ranges": [], "categorical_ranges": []}
    for i in range(count):
        if i % 3 == 0:
            kinds["continuous_ranges"].append(continuous(f"c{i}", "0.1", "0.2"))
        elif i % 3 == 1:
            kinds["integer_ranges"].append(integer(f"i{i}", "1", "5"))
        else:
            kinds["categorical_ranges"].append(categorical(f"k{i}", "a", "b"))
    return tuning_request(**kinds)


def with_static(count: int, *, objective_included: bool = False, ranges: int = 1) -> dict:
    static = {f"s{i}": "1" for i in range(count)}
    if objective_included:
        static.pop("s0")
        static["_tuning_objective_metric"] = "validation:auc"
    return tuning_request(
        categorical_ranges=[categorical(f"k{i}", "a", "b") for i in range(ranges)],
        definition=training_definition(StaticHyperParameters=static),
    )


@pytest.mark.parametrize("count, flagged", [(29, False), (30, False), (31, True)])
def test_at_most_thirty_tunable_hyperparameters_of_all_kinds(count, flagged):
    findings = run_rule("limits", tunable(count))
    assert bool(findings) is flagged
    if flagged:
        (finding,) = findings
        assert finding.severity is Severity.HIGH and finding.evidence == {"tunable": 31, "limit": 30}
        assert finding.patch == ()


@pytest.mark.parametrize("values, flagged", [(30, False), (31, True)])
def test_at_most_thirty_values_per_categorical_range(values, flagged):
    raw = tuning_request(categorical_ranges=[categorical("size", *[str(v) for v in range(values)])])
    findings = run_rule("limits", raw)
    assert bool(findings) is flagged
    if flagged:
        assert findings[0].parameter == "size" and findings[0].evidence["values"] == 31


@pytest.mark.parametrize("static, flagged", [(97, False), (98, False), (99, True)])
def test_at_most_one_hundred_hyperparameters_counting_the_objective_metric(static, flagged):
    # static + 1 tunable + _tuning_objective_metric
    findings = run_rule("limits", with_static(static))
    assert bool(findings) is flagged
    if flagged:
        assert findings[0].evidence["total"] == 101
        assert "_tuning_objective_metric" in findings[0].message


def test_objective_metric_already_among_the_static_ones_is_not_counted_twice():
    assert not run_rule("limits", with_static(99, objective_included=True))
    assert run_rule("limits", with_static(100, objective_included=True))


def _definitions(count: int) -> list[dict]:
    return [
        training_definition(DefinitionName=f"d{i}", TuningObjective={"Type": "Maximize", "MetricName": "auc"})
        for i in range(count)
    ]


@pytest.mark.parametrize("count, flagged", [(10, False), (11, True)])
def test_at_most_ten_training_job_definitions(count, flagged):
    findings = run_rule("limits", tuning_request(definitions=_definitions(count)))
    assert bool(findings) is flagged
    if flagged:
        assert findings[0].evidence == {"definitions": 11, "limit": 10} and findings[0].definition is None


def test_definition_is_named_when_there_are_several():
    definitions = _definitions(2)
    definitions[1]["HyperParameterRanges"] = {
        "CategoricalParameterRanges": [categorical("x", *"abcdefghijklmnopqrstuvwxyzABCDE")]
    }
    (finding,) = run_rule("limits", tuning_request(definitions=definitions))
    assert (finding.definition, finding.parameter) == ("d1", "x")


def test_a_policy_can_set_lower_limits():
    policy = Policy(rule_settings={"limits": {"max_tunable": 5, "max_categorical_values": 2, "max_total": 10}})
    findings = run_rule("limits", tunable(6), policy)
    assert [f.evidence["limit"] for f in findings] == [5]
    raw = tuning_request(categorical_ranges=[categorical("size", "a", "b", "c")])
    assert [f.parameter for f in run_rule("limits", raw, policy)] == ["size"]
    assert run_rule("limits", with_static(9), policy)  # 9 + 1 + 1 = 11
