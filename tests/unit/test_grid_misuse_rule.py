"""grid-misuse: Grid with numeric ranges, and MaxNumberOfTrainingJobs against a finite search space."""

from __future__ import annotations

import jsonpatch
import pytest

from rules.findings import Severity
from tests.builders import categorical, continuous, integer, training_definition, tuning_request
from tests.unit.rules_harness import run_rule

PATH = "/HyperParameterTuningJobConfig/ResourceLimits/MaxNumberOfTrainingJobs"
SIX = [categorical("optimizer", "adam", "sgd"), categorical("batch_size", "32", "64", "128")]


def space(strategy: str, max_jobs: int | None, **ranges) -> dict:
    return tuning_request(strategy=strategy, max_jobs=max_jobs, **ranges)


def test_grid_with_a_continuous_range_is_refused():
    raw = space("Grid", 6, categorical_ranges=SIX, continuous_ranges=[continuous("lr", "0.001", "0.1", "Logarithmic")])
    (finding,) = run_rule("grid-misuse", raw)
    assert finding.severity is Severity.HIGH and finding.parameter == "lr"
    assert "categorical ranges only" in finding.message and finding.patch == ()


def test_grid_with_an_integer_range_suggests_listing_its_values():
    (finding,) = run_rule("grid-misuse", space("Grid", None, integer_ranges=[integer("depth", "3", "10")]))
    assert finding.evidence["integer_values"] == 8
    assert "its 8 values 3 .. 10 fit in one" in finding.fix


def test_each_numeric_range_on_grid_is_a_finding():
    raw = space(
        "Grid",
        None,
        continuous_ranges=[continuous("lr", "0.001", "0.1")],
        integer_ranges=[integer("depth", "3", "100")],
    )
    findings = run_rule("grid-misuse", raw)
    assert [f.parameter for f in findings] == ["lr", "depth"]
    assert "fit in one" not in findings[1].fix  # 98 values do not fit in one categorical range


@pytest.mark.parametrize("jobs, severity", [(5, Severity.MEDIUM), (6, None), (7, Severity.HIGH), (None, None)])
def test_grid_job_count_must_equal_the_combinations(jobs, severity):
    findings = run_rule("grid-misuse", space("Grid", jobs, categorical_ranges=SIX))
    assert [f.severity for f in findings] == ([] if severity is None else [severity])
    if findings:
        assert findings[0].evidence["combinations"] == 6


def test_patch_sets_the_job_count_to_the_combinations():
    raw = space("Grid", 20, categorical_ranges=SIX)
    (finding,) = run_rule("grid-misuse", raw)
    operations = [op.as_json() for op in finding.patch]
    assert operations == [{"op": "add", "path": PATH, "value": 6}]
    assert not run_rule("grid-misuse", jsonpatch.apply_patch(raw, operations))


@pytest.mark.parametrize("strategy", ["Bayesian", "Random", "Hyperband"])
@pytest.mark.parametrize("jobs, flagged", [(6, False), (7, True)])
def test_other_strategies_over_a_categorical_space(strategy, jobs, flagged):
    findings = run_rule("grid-misuse", space(strategy, jobs, categorical_ranges=SIX))
    assert bool(findings) is flagged
    if flagged:
        assert findings[0].severity is Severity.HIGH and findings[0].patch[0].value == 6


@pytest.mark.parametrize("strategy", ["Bayesian", "Random"])
def test_fewer_jobs_than_combinations_is_fine_outside_grid(strategy):
    assert not run_rule("grid-misuse", space(strategy, 2, categorical_ranges=SIX))


@pytest.mark.parametrize("jobs, flagged", [(6, False), (7, True)])
def test_integer_ranges_have_max_minus_min_plus_one_values(jobs, flagged):
    raw = space(
        "Random", jobs, integer_ranges=[integer("depth", "1", "3")], categorical_ranges=[categorical("a", "x", "y")]
    )
    findings = run_rule("grid-misuse", raw)
    assert bool(findings) is flagged
    if flagged:
        assert findings[0].severity is Severity.MEDIUM and "inferred" in findings[0].message


def test_a_continuous_range_makes_the_space_infinite():
    raw = space("Bayesian", 500, categorical_ranges=SIX, continuous_ranges=[continuous("lr", "0.001", "0.1")])
    assert not run_rule("grid-misuse", raw)


def test_duplicate_categorical_values_count_once():
    raw = space("Grid", 3, categorical_ranges=[categorical("optimizer", "adam", "sgd", "adam")])
    (finding,) = run_rule("grid-misuse", raw)
    assert finding.evidence["combinations"] == 2


def test_no_ranges_at_all_is_not_this_rules_business():
    assert not run_rule("grid-misuse", space("Bayesian", 20))


@pytest.mark.parametrize("jobs, flagged", [(10, False), (11, True)])
def test_definitions_add_their_combinations(jobs, flagged):
    def definition(name: str, *ranges: dict) -> dict:
        return training_definition(
            DefinitionName=name,
            TuningObjective={"Type": "Maximize", "MetricName": "validation:auc"},
            HyperParameterRanges={"CategoricalParameterRanges": list(ranges)},
        )

    definitions = [definition("a", *SIX), definition("b", categorical("k", "1", "2", "3", "4"))]
    findings = run_rule("grid-misuse", tuning_request(strategy="Grid", max_jobs=jobs, definitions=definitions))
    assert bool(findings) is flagged
    if flagged:
        assert findings[0].evidence["combinations"] == 10 and findings[0].evidence["definitions_searched"] == 2
