"""runtime-unbounded: no tuning-level MaxRuntimeInSeconds while training jobs may run for many hours."""

from __future__ import annotations

import jsonpatch
import pytest

from rules.findings import Severity
from rules.policy import Policy
from tests.builders import training_definition, tuning_request
from tests.unit.rules_harness import run_rule

HOUR = 3600
PATH = "/HyperParameterTuningJobConfig/ResourceLimits/MaxRuntimeInSeconds"


def job(job_seconds: int, max_jobs: int | None = 20, parallel: int = 2, tuning_seconds: int | None = None) -> dict:
    return tuning_request(
        max_jobs=max_jobs,
        max_parallel=parallel,
        max_runtime_seconds=tuning_seconds,
        definition=training_definition("ml.m5.xlarge", 1, job_seconds),
    )


@pytest.mark.parametrize("seconds, flagged", [(12 * HOUR - 1, False), (12 * HOUR, True), (12 * HOUR + 1, True)])
def test_threshold_is_twelve_hours_per_training_job(seconds, flagged):
    assert bool(run_rule("runtime-unbounded", job(seconds))) is flagged


def test_a_tuning_level_limit_silences_it():
    assert not run_rule("runtime-unbounded", job(28 * 24 * HOUR, tuning_seconds=120))


def test_missing_stopping_condition_means_sagemakers_one_day_default():
    raw = job(HOUR)
    del raw["TrainingJobDefinition"]["StoppingCondition"]
    (finding,) = run_rule("runtime-unbounded", raw)
    assert finding.evidence["job_runtime_hours"] == 24


def test_wall_clock_is_rounds_of_the_longest_job_and_the_patch_proposes_it():
    raw = job(12 * HOUR, max_jobs=21, parallel=2)
    (finding,) = run_rule("runtime-unbounded", raw)
    # ceil(21 / 2) = 11 rounds x 12 h = 132 h
    assert (finding.evidence["rounds"], finding.evidence["wall_clock_bound_hours"]) == (11, 132)
    assert finding.severity is Severity.LOW and "132 h" in finding.message
    operations = [op.as_json() for op in finding.patch]
    assert operations == [{"op": "add", "path": PATH, "value": 132 * HOUR}]
    assert not run_rule("runtime-unbounded", jsonpatch.apply_patch(raw, operations))


def test_unset_job_count_uses_the_quota_and_the_proposal_stops_at_thirty_days():
    # A cap far above the worst case: over the cap, the proposal is the runtime that fits it (test_reconciled_fixes).
    uncapped = Policy(budget_cap_usd=1e9)
    (finding,) = run_rule("runtime-unbounded", job(24 * HOUR, max_jobs=None, parallel=10), uncapped)
    assert finding.evidence["training_jobs"] == 750 and finding.evidence["rounds"] == 75
    assert finding.evidence["wall_clock_bound_hours"] == 1800 and finding.evidence["beyond_30_day_quota"] is True
    assert finding.severity is Severity.MEDIUM
    assert finding.patch[0].value == 30 * 24 * HOUR
    assert "30-day limit" in finding.message and "default quota" in finding.message


@pytest.mark.parametrize("jobs, severity", [(59, Severity.LOW), (60, Severity.MEDIUM)])
def test_severity_is_medium_from_thirty_days_of_wall_clock(jobs, severity):
    (finding,) = run_rule("runtime-unbounded", job(12 * HOUR, max_jobs=jobs, parallel=1))
    assert finding.severity is severity


def test_the_policy_can_propose_its_own_limit_but_never_more_than_the_bound():
    within = Policy(rule_settings={"runtime-unbounded": {"proposed_max_runtime_hours": 48}})
    (finding,) = run_rule("runtime-unbounded", job(12 * HOUR, max_jobs=20, parallel=2), within)
    assert finding.patch[0].value == 48 * HOUR
    beyond = Policy(rule_settings={"runtime-unbounded": {"proposed_max_runtime_hours": 1000}})
    (finding,) = run_rule("runtime-unbounded", job(12 * HOUR, max_jobs=20, parallel=2), beyond)
    assert finding.patch[0].value == 120 * HOUR


def test_threshold_comes_from_the_policy():
    policy = Policy(rule_settings={"runtime-unbounded": {"min_job_runtime_hours": 2}})
    assert run_rule("runtime-unbounded", job(2 * HOUR), policy)
    assert not run_rule("runtime-unbounded", job(2 * HOUR - 1), policy)


def test_longest_definition_counts():
    definitions = [
        training_definition(max_runtime_seconds=HOUR, DefinitionName="short"),
        training_definition(max_runtime_seconds=20 * HOUR, DefinitionName="long"),
    ]
    (finding,) = run_rule("runtime-unbounded", tuning_request(definitions=definitions, max_jobs=4, max_parallel=2))
    assert finding.evidence["job_runtime_hours"] == 20 and finding.evidence["wall_clock_bound_hours"] == 40
