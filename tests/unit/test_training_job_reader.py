"""TrainingJobReader against botocore's Stubber: the requests it makes and how it reports a missing job.

The emulator tests (tests/integration/test_training_jobs_emulator.py) read 500 training jobs through it;
these pin what only AWS does (ResourceNotFound for a training job) and the exact list request.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from hpo_guardrail.adapters.clients import AwsCallFailed
from hpo_guardrail.adapters.sagemaker import TrainingJobReader
from hpo_guardrail.enforce.ports import JobNotFound

TUNING_JOB = "churn-tuning"
CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def client() -> object:
    return boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def summary(index: int) -> dict[str, object]:
    name = f"{TUNING_JOB}-{index:03d}-0a1b2c3d"
    return {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
        "CreationTime": CREATED,
        "TrainingJobStatus": "Completed",
        "TunedHyperParameters": {"learning_rate": "0.01"},
    }


def list_request(next_token: str | None = None) -> dict[str, object]:
    request: dict[str, object] = {
        "HyperParameterTuningJobName": TUNING_JOB,
        "SortBy": "CreationTime",
        "SortOrder": "Ascending",
        "MaxResults": 100,
    }
    if next_token:
        request["NextToken"] = next_token
    return request


def test_it_asks_for_pages_of_100_in_launch_order_and_keeps_only_what_the_summary_lacks():
    sagemaker = client()
    stubber = Stubber(sagemaker)
    stubber.add_response(
        "list_training_jobs_for_hyper_parameter_tuning_job",
        {"TrainingJobSummaries": [summary(1)], "NextToken": "page-2"},
        list_request(),
    )
    stubber.add_response(
        "describe_training_job",
        {
            "TrainingJobName": summary(1)["TrainingJobName"],
            "TrainingJobArn": summary(1)["TrainingJobArn"],
            "ModelArtifacts": {"S3ModelArtifacts": "s3://bucket/model.tar.gz"},
            "TrainingJobStatus": "Completed",
            "SecondaryStatus": "Completed",
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "CreationTime": CREATED,
            "HyperParameters": {"learning_rate": "0.01", "_tuning_objective_metric": "validation:auc"},
            "BillableTimeInSeconds": 120,
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50},
        },
        {"TrainingJobName": summary(1)["TrainingJobName"]},
    )
    stubber.add_response(
        "list_training_jobs_for_hyper_parameter_tuning_job", {"TrainingJobSummaries": []}, list_request("page-2")
    )

    with stubber:
        (training_job,) = TrainingJobReader(sagemaker, describe_workers=1).training_jobs(TUNING_JOB)

    stubber.assert_no_pending_responses()
    assert training_job["BillableTimeInSeconds"] == 120
    assert training_job["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert "HyperParameters" not in training_job
    assert "TrainingTimeInSeconds" not in training_job, "nothing is made up that SageMaker did not say"


def test_a_missing_tuning_job_is_job_not_found():
    sagemaker = client()
    stubber = Stubber(sagemaker)
    stubber.add_client_error(
        "list_training_jobs_for_hyper_parameter_tuning_job", "ResourceNotFound", expected_params=list_request()
    )

    with stubber, pytest.raises(JobNotFound):
        TrainingJobReader(sagemaker).training_jobs(TUNING_JOB)


def test_a_listed_training_job_that_cannot_be_described_is_not_mistaken_for_a_missing_tuning_job():
    sagemaker = client()
    stubber = Stubber(sagemaker)
    stubber.add_response(
        "list_training_jobs_for_hyper_parameter_tuning_job", {"TrainingJobSummaries": [summary(1)]}, list_request()
    )
    stubber.add_client_error("describe_training_job", "ResourceNotFound")

    with stubber, pytest.raises(AwsCallFailed, match=r"training job churn-tuning-001-0a1b2c3d"):
        TrainingJobReader(sagemaker).training_jobs(TUNING_JOB)


def test_describe_workers_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        TrainingJobReader(client(), describe_workers=0)
