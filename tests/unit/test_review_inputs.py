"""The review's inputs read from the API's shapes: tolerant of missing fields, clear about malformed ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.models import InstanceAllocation
from rules.parsing import InvalidRequest
from rules.review_inputs import (
    ObjectiveStatus,
    ObjectiveType,
    TrainingJobStatus,
    TuningJobStatus,
    read_finished_tuning_job,
    read_training_job_billing,
    read_training_job_pages,
    read_training_job_summary,
    read_tuning_objective,
)
from tests.builders import continuous, training_definition, tuning_request
from tests.unit.review_builders import description, summary

MINIMAL = {
    "TrainingJobName": "t-1",
    "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/t-1",
    "CreationTime": "2026-11-20T09:00:00Z",
    "TrainingJobStatus": "Failed",
    "TunedHyperParameters": {},
}


def test_a_full_summary_is_read_with_its_objective_and_times():
    run = read_training_job_summary(
        summary(3, {"learning_rate": "0.001"}, 0.25, definition="xgb", failure_reason=None)
        | {"TrainingStartTime": "2026-11-20T09:05:00+00:00", "TrainingEndTime": 1_795_170_000}
    )
    assert run.name == "job-003" and run.definition_name == "xgb"
    assert run.status is TrainingJobStatus.COMPLETED and run.objective_status is ObjectiveStatus.SUCCEEDED
    assert run.objective_value == 0.25 and run.objective_metric == "validation:loss"
    assert run.hyperparameters == {"learning_rate": "0.001"}
    assert run.creation_time == datetime(2026, 11, 20, 9, 3, tzinfo=UTC)
    assert run.training_start_time == datetime(2026, 11, 20, 9, 5, tzinfo=UTC)
    assert run.training_end_time == datetime.fromtimestamp(1_795_170_000, tz=UTC)


def test_optional_members_may_be_missing():
    run = read_training_job_summary(MINIMAL)
    assert run.objective_value is None and run.objective_status is None and run.definition_name is None
    assert run.billing is None and run.training_end_time is None


def test_lower_camel_case_keys_are_read_too():
    run = read_training_job_summary({k[0].lower() + k[1:]: v for k, v in MINIMAL.items()})
    assert run.name == "t-1" and run.status is TrainingJobStatus.FAILED


@pytest.mark.parametrize(
    "change, path, words",
    [
        ({"TrainingJobName": None}, "TrainingJobName", "missing"),
        ({"TrainingJobStatus": "Exploded"}, "TrainingJobStatus", "unknown value"),
        ({"CreationTime": "yesterday"}, "CreationTime", "ISO 8601"),
        ({"TunedHyperParameters": {"lr": 0.1}}, "TunedHyperParameters.lr", "expected text"),
        (
            {"FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "m", "Value": "high"}},
            "FinalHyperParameterTuningJobObjectiveMetric.Value",
            "not a number",
        ),
        ({"ObjectiveStatus": "Maybe"}, "ObjectiveStatus", "unknown value"),
    ],
)
def test_a_malformed_member_is_named_in_the_error(change, path, words):
    with pytest.raises(InvalidRequest) as raised:
        read_training_job_summary({**MINIMAL, **change}, "TrainingJobSummaries[4]")
    assert raised.value.path == f"TrainingJobSummaries[4].{path}" and words in raised.value.reason


def test_a_non_finite_objective_value_counts_as_missing():
    run = read_training_job_summary(
        {**MINIMAL, "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "m", "Value": float("nan")}}
    )
    assert run.objective_value is None and run.objective_metric == "m"


def test_pages_are_flattened_and_a_training_job_listed_twice_is_kept_once():
    pages = [
        {"TrainingJobSummaries": [summary(1, {}, 0.5), summary(2, {}, 0.4)], "NextToken": "x"},
        {"TrainingJobSummaries": [summary(2, {}, 0.3, status="Completed")]},
    ]
    runs = read_training_job_pages(pages)
    assert [r.name for r in runs] == ["job-001", "job-002"] and runs[1].objective_value == 0.3


def test_a_page_without_its_summaries_is_an_error():
    with pytest.raises(InvalidRequest, match=r"page 1\.TrainingJobSummaries: missing"):
        read_training_job_pages([{"TrainingJobSummaries": []}, {"NextToken": "x"}])


def test_billing_reads_billable_time_instances_and_spot():
    billing = read_training_job_billing(
        {
            "BillableTimeInSeconds": 1200,
            "TrainingTimeInSeconds": 3000,
            "ResourceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30},
            "EnableManagedSpotTraining": True,
        }
    )
    assert billing.billable_seconds == 1200 and billing.managed_spot is True
    assert billing.training_seconds == 3000
    assert billing.instances == (InstanceAllocation(instance_type="ml.g5.xlarge", instance_count=2),)


def test_billing_reads_instance_groups_and_tolerates_a_job_that_never_ran():
    groups = read_training_job_billing(
        {
            "BillableTimeInSeconds": 60,
            "ResourceConfig": {
                "InstanceGroups": [
                    {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "InstanceGroupName": "a"},
                    {"InstanceType": "ml.g5.xlarge", "InstanceCount": 3, "InstanceGroupName": "b"},
                ]
            },
        }
    )
    assert [(a.instance_type, a.instance_count) for a in groups.instances] == [("ml.m5.xlarge", 1), ("ml.g5.xlarge", 3)]
    never_ran = read_training_job_billing({"TrainingJobStatus": "Failed"})
    assert never_ran.billable_seconds is None and never_ran.instances == () and never_ran.managed_spot is None


@pytest.mark.parametrize("value", [-1, 1.5, "60", True, float("inf")])
def test_a_malformed_billable_time_is_an_error(value):
    with pytest.raises(InvalidRequest, match="BillableTimeInSeconds"):
        read_training_job_billing({"BillableTimeInSeconds": value})


def test_the_objective_comes_from_the_tuning_config_or_the_first_definition():
    assert read_tuning_objective(description(objective=("validation:auc", "Maximize"))).type is ObjectiveType.MAXIMIZE
    multi = tuning_request(
        definitions=[
            training_definition(
                DefinitionName="xgb",
                TuningObjective={"Type": "Minimize", "MetricName": "validation:rmse"},
                HyperParameterRanges={"ContinuousParameterRanges": [continuous("eta", "0.01", "0.5")]},
            )
        ]
    )
    del multi["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]
    found = read_tuning_objective(multi)
    assert found is not None and found.metric_name == "validation:rmse" and found.type is ObjectiveType.MINIMIZE
    del multi["TrainingJobDefinitions"][0]["TuningObjective"]
    assert read_tuning_objective(multi) is None


def test_an_objective_with_an_unknown_type_is_an_error():
    with pytest.raises(InvalidRequest, match=r"HyperParameterTuningJobObjective\.Type"):
        read_tuning_objective(description(objective=("m", "Sideways")))


def test_a_finished_job_joins_summaries_and_billing_by_name():
    job = read_finished_tuning_job(
        description(status="Stopped"),
        [{"TrainingJobSummaries": [summary(1, {"learning_rate": "0.01"}, 0.2), summary(2, {}, None)]}],
        {"job-001": {"BillableTimeInSeconds": 100}},
        region="eu-west-1",
        worst_case_usd=12.5,
    )
    assert job.status is TuningJobStatus.STOPPED and job.status.finished
    assert job.training_jobs[0].billable_seconds == 100 and job.training_jobs[1].billing is None
    assert job.region == "eu-west-1" and job.worst_case_usd == 12.5 and job.name == "churn-tuning"


def test_malformed_billing_names_the_training_job():
    with pytest.raises(InvalidRequest) as raised:
        read_finished_tuning_job(
            description(),
            [{"TrainingJobSummaries": [summary(1, {}, 0.2)]}],
            {"job-001": {"BillableTimeInSeconds": "soon"}},
            region="us-east-1",
        )
    assert raised.value.path == "job-001: BillableTimeInSeconds"


def test_a_missing_tuning_status_is_an_error():
    described = description()
    del described["HyperParameterTuningJobStatus"]
    with pytest.raises(InvalidRequest, match="HyperParameterTuningJobStatus: missing"):
        read_finished_tuning_job(described, [], {}, region="us-east-1")
