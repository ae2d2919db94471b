"""runtime-too-short: a tuning job whose runtime limit ends before one training job's can."""

from __future__ import annotations

import pytest

from rules.findings import Severity
from tests.builders import training_definition, tuning_request
from tests.unit.rules_harness import run_rule

DAY = 86_400


def job(tuning_seconds: int | None, training_seconds: int = DAY, **extra) -> dict:
    return tuning_request(
        max_jobs=20,
        max_parallel=4,
        max_runtime_seconds=tuning_seconds,
        definition=training_definition("ml.g5.xlarge", 1, training_seconds, **extra),
    )


@pytest.mark.parametrize(
    "tuning, flagged", [(DAY - 1, True), (6393, True), (DAY, False), (DAY + 1, False), (None, False)]
)
def test_fires_only_when_the_tuning_limit_is_shorter_than_one_training_job(tuning, flagged):
    assert bool(run_rule("runtime-too-short", job(tuning))) is flagged


def test_the_finding_names_both_limits_and_both_ways_out_without_a_patch():
    (finding,) = run_rule("runtime-too-short", job(6393))

    assert finding.severity is Severity.MEDIUM and finding.patch == ()
    assert "stops after 6,393 s" in finding.message and "86,400 s (24 h)" in finding.message
    assert "at least 86,400 s" in finding.fix and "StoppingCondition.MaxRuntimeInSeconds" in finding.fix
    assert finding.evidence["rounds"] == 5 and finding.evidence["training_max_runtime_seconds"] == DAY


def test_a_missing_stopping_condition_counts_as_sagemakers_one_day_default():
    raw = job(3600, training_seconds=600)
    del raw["TrainingJobDefinition"]["StoppingCondition"]

    (finding,) = run_rule("runtime-too-short", raw)

    assert finding.evidence["stopping_condition_given"] is False
    assert "SageMaker's default" in finding.message


def test_each_definition_of_a_multi_algorithm_job_is_judged_on_its_own():
    def definition(name: str, seconds: int) -> dict:
        return training_definition("ml.m5.xlarge", 1, seconds) | {
            "DefinitionName": name,
            "TuningObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "HyperParameterRanges": {"ContinuousParameterRanges": []},
        }

    raw = tuning_request(max_runtime_seconds=7200, definitions=[definition("fast", 3600), definition("slow", DAY)])

    (finding,) = run_rule("runtime-too-short", raw)

    assert finding.definition == "slow" and "of slow" in finding.message
