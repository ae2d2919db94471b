"""spot: a large on-demand budget without managed spot training."""

from __future__ import annotations

import jsonpatch
import pytest

from rules.findings import Severity
from rules.parsing import read_request
from rules.policy import Policy
from tests.builders import training_definition, tuning_request
from tests.unit.rules_harness import run_rule

CAP = Policy(budget_cap_usd=46)  # half of it: $23.00, i.e. 100 jobs of ml.m5.xlarge for 1 h


def job(max_jobs: int = 100, **definition_extra) -> dict:
    return tuning_request(
        max_jobs=max_jobs, definition=training_definition("ml.m5.xlarge", 1, 3600, **definition_extra)
    )


@pytest.mark.parametrize("jobs, flagged", [(99, False), (100, True), (101, True)])
def test_from_half_the_cap_in_worst_case_cost(jobs, flagged):
    assert bool(run_rule("spot", job(jobs), CAP)) is flagged


def test_finding_is_informational_and_states_the_assumed_saving():
    (finding,) = run_rule("spot", job(), CAP)
    assert finding.severity is Severity.INFO
    assert finding.evidence["worst_case_usd"] == pytest.approx(23.0)
    assert finding.evidence["possible_saving_usd"] == pytest.approx(16.1)  # 70% of $23.00
    assert "assumed 70% discount" in finding.message and "not known in advance" in finding.message


def test_assumed_discount_comes_from_the_policy():
    policy = Policy(budget_cap_usd=46, rule_settings={"spot": {"assumed_discount": 0.9}})
    (finding,) = run_rule("spot", job(), policy)
    assert finding.evidence["possible_saving_usd"] == pytest.approx(20.7)


@pytest.mark.parametrize("threshold, flagged", [(22.99, True), (23.0, True), (23.01, False)])
def test_an_amount_can_replace_the_share(threshold, flagged):
    policy = Policy(rule_settings={"spot": {"min_worst_case_usd": threshold, "min_cap_share": None}})
    assert bool(run_rule("spot", job(), policy)) is flagged


def test_patch_enables_spot_and_waits_as_long_as_the_job_runs():
    raw = job()
    (finding,) = run_rule("spot", raw, CAP)
    operations = [op.as_json() for op in finding.patch]
    assert operations == [
        {"op": "add", "path": "/TrainingJobDefinition/EnableManagedSpotTraining", "value": True},
        {"op": "add", "path": "/TrainingJobDefinition/StoppingCondition/MaxWaitTimeInSeconds", "value": 3600},
    ]
    fixed = jsonpatch.apply_patch(raw, operations)
    (definition,) = read_request(fixed).definitions
    assert definition.managed_spot and definition.max_wait_seconds == definition.max_runtime_seconds == 3600
    assert not run_rule("spot", fixed, CAP)


def test_a_long_enough_wait_is_kept():
    raw = job(StoppingCondition={"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200})
    (finding,) = run_rule("spot", raw, CAP)
    assert [op.path for op in finding.patch] == ["/TrainingJobDefinition/EnableManagedSpotTraining"]


def test_a_missing_stopping_condition_is_added_whole_with_the_one_day_default():
    raw = job(1)
    del raw["TrainingJobDefinition"]["StoppingCondition"]
    (finding,) = run_rule("spot", raw, Policy(budget_cap_usd=10))  # 1 job x 24 h x $0.23 = $5.52
    day = {"MaxRuntimeInSeconds": 86_400, "MaxWaitTimeInSeconds": 86_400}
    assert finding.patch[1].as_json() == {"op": "add", "path": "/TrainingJobDefinition/StoppingCondition", "value": day}
    fixed = jsonpatch.apply_patch(raw, [op.as_json() for op in finding.patch])
    assert not run_rule("spot", fixed, Policy(budget_cap_usd=10))


def test_jobs_already_on_spot_are_left_alone():
    raw = job(
        EnableManagedSpotTraining=True, StoppingCondition={"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 3600}
    )
    assert not run_rule("spot", raw, CAP)


def test_only_definitions_on_demand_are_patched():
    def definition(name: str, spot: bool) -> dict:
        return training_definition(
            DefinitionName=name,
            EnableManagedSpotTraining=spot,
            TuningObjective={"Type": "Maximize", "MetricName": "validation:auc"},
        )

    raw = tuning_request(max_jobs=100, definitions=[definition("a", True), definition("b", False)])
    (finding,) = run_rule("spot", raw, CAP)
    assert finding.definition == "b"
    assert {op.path.split("/")[2] for op in finding.patch} == {"1"}
    assert (finding.evidence["on_demand_definitions"], finding.evidence["spot_definitions"]) == (1, 1)


def test_an_unpriced_job_is_not_reported_even_with_a_zero_cap():
    raw = tuning_request(max_jobs=100, definition=training_definition("ml.p5.48xlarge", 1, 3600))
    assert not run_rule("spot", raw, Policy(budget_cap_usd=0))
