"""The training jobs a tuning job runs in the embedded AWS, the state-change events it sends, and the
adapter that reads them back for the post-run review.

moto runs no training jobs and sends no state-change events; moto_extensions/training_jobs.py adds both.
These tests hold the emulator to the API's shapes (botocore's model: ListTrainingJobsForHyperParameterTuningJob,
DescribeTrainingJob, DescribeHyperParameterTuningJob) and the event to AWS's documented format.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from hpo_guardrail.adapters.sagemaker import TrainingJobReader
from hpo_guardrail.embedded.moto_extensions import CALLS, STATE_CHANGE_DETAIL_TYPE, TrainingJobRun, inject_faults
from hpo_guardrail.enforce.ports import JobNotFound
from tests.builders import continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator

OTHER_ACCOUNT = "210987654321"
OTHER_REGION = "eu-west-1"
# The pattern AWS documents for this event: source and detail-type, narrowed to one job so that tests sharing
# the emulator's default bus do not see each other's events.
EVENT_KEYS = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_job(aws: Any, *, name: str | None = None, **request: Any) -> str:
    name = name or unique("tj")
    request.setdefault("continuous_ranges", [continuous("learning_rate", "0.0001", "0.1")])
    aws.client("sagemaker").create_hyper_parameter_tuning_job(**tuning_request(name, **request))
    return name


def runs(count: int, *, status: str = "Completed") -> list[TrainingJobRun]:
    """`count` training jobs: learning_rate rising with the index, objective i/1000, billable 60 + i seconds."""
    return [
        TrainingJobRun(
            {"learning_rate": f"{0.0001 * (i + 1):.6f}"},
            objective_value=i / 1000 if status != "Failed" else None,
            billable_seconds=60 + i,
            status=status,
        )
        for i in range(count)
    ]


def all_pages(sagemaker: Any, name: str, **arguments: Any) -> list[list[dict[str, Any]]]:
    pages, token = [], None
    while True:
        page = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, **arguments, **({"NextToken": token} if token else {})
        )
        pages.append(page["TrainingJobSummaries"])
        token = page.get("NextToken")
        if not token:
            return pages


class StateChangeQueue:
    """A rule with AWS's pattern for the tuning job state-change event, for one job, copying it to a queue."""

    def __init__(self, aws: Any, job_name: str, *, detail: dict[str, Any] | None = None) -> None:
        self.sqs, events = aws.client("sqs"), aws.client("events")
        self.url = self.sqs.create_queue(QueueName=unique("state"))["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        rule = unique("state-change")
        pattern = {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker HyperParameter Tuning Job State Change"],
            "detail": {"HyperParameterTuningJobName": [job_name], **(detail or {})},
        }
        events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])

    def received(self) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


# --- ListTrainingJobsForHyperParameterTuningJob -------------------------------------------------


def test_250_training_jobs_are_listed_over_three_pages_of_at_most_100_in_name_order(embedded_aws):
    name = create_job(embedded_aws)
    embedded_aws.run_tuning_job(name, runs(250), "Completed")

    pages = all_pages(embedded_aws.client("sagemaker"), name, MaxResults=100)

    assert [len(page) for page in pages] == [100, 100, 50]
    names = [summary["TrainingJobName"] for page in pages for summary in page]
    assert len(set(names)) == 250
    assert names == sorted(names), "the default sort is Name, Ascending"
    assert all(n.startswith(f"{name}-") for n in names)


def test_a_page_holds_10_training_jobs_when_max_results_is_not_given(embedded_aws):
    name = create_job(embedded_aws)
    embedded_aws.run_tuning_job(name, runs(12), "Completed")

    page = embedded_aws.client("sagemaker").list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name
    )

    assert len(page["TrainingJobSummaries"]) == 10
    assert page["NextToken"]


def test_a_summary_has_the_api_fields_of_a_hyper_parameter_training_job_summary(embedded_aws):
    name = create_job(embedded_aws)
    embedded_aws.run_tuning_job(
        name, [TrainingJobRun({"learning_rate": "0.02"}, objective_value=0.81, billable_seconds=300)], "Completed"
    )

    (summary,) = embedded_aws.client("sagemaker").list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name
    )["TrainingJobSummaries"]

    assert summary["TuningJobName"] == name
    assert summary["TrainingJobArn"] == (
        f"arn:aws:sagemaker:us-east-1:{embedded_aws.account_id}:training-job/{summary['TrainingJobName']}"
    )
    assert summary["TrainingJobStatus"] == "Completed"
    assert summary["TunedHyperParameters"] == {"learning_rate": "0.02"}
    assert summary["FinalHyperParameterTuningJobObjectiveMetric"] == {
        "Type": "Maximize",
        "MetricName": "validation:auc",
        "Value": 0.81,
    }
    assert summary["ObjectiveStatus"] == "Succeeded"
    assert summary["TrainingEndTime"] - summary["TrainingStartTime"] == timedelta(seconds=300)


def test_sorting_by_final_objective_value_leaves_out_training_jobs_without_one(embedded_aws):
    name = create_job(embedded_aws)
    jobs = [
        TrainingJobRun({"learning_rate": "0.001"}, objective_value=0.7, billable_seconds=10),
        TrainingJobRun({"learning_rate": "0.002"}, objective_value=None, billable_seconds=10),
        TrainingJobRun({"learning_rate": "0.003"}, objective_value=0.9, billable_seconds=10),
        TrainingJobRun({"learning_rate": "0.004"}, status="Failed", billable_seconds=5),
        TrainingJobRun({"learning_rate": "0.005"}, objective_value=0.8, billable_seconds=10),
    ]
    embedded_aws.run_tuning_job(name, jobs, "Completed")

    (page,) = all_pages(
        embedded_aws.client("sagemaker"), name, SortBy="FinalObjectiveMetricValue", SortOrder="Descending"
    )

    assert [s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in page] == [0.9, 0.8, 0.7]


def test_status_equals_and_creation_time_sort_select_and_order_as_the_api_says(embedded_aws):
    name = create_job(embedded_aws, max_parallel=1)
    jobs = [*runs(3), *runs(2, status="Stopped"), *runs(1, status="Failed")]
    embedded_aws.run_tuning_job(name, jobs, "Completed")
    sagemaker = embedded_aws.client("sagemaker")

    (stopped,) = all_pages(sagemaker, name, StatusEquals="Stopped")
    (newest_first,) = all_pages(sagemaker, name, SortBy="CreationTime", SortOrder="Descending")
    (by_status,) = all_pages(sagemaker, name, SortBy="Status")

    assert [s["TrainingJobStatus"] for s in stopped] == ["Stopped", "Stopped"]
    creation_times = [s["CreationTime"] for s in newest_first]
    assert creation_times == sorted(creation_times, reverse=True)
    assert creation_times[0] > creation_times[-1], "one slot: each training job starts after the previous one"
    assert [s["TrainingJobStatus"] for s in by_status] == ["Completed"] * 3 + ["Failed"] + ["Stopped"] * 2


def test_the_list_refuses_what_the_api_refuses(embedded_aws):
    name = create_job(embedded_aws)
    embedded_aws.run_tuning_job(name, runs(3), "Completed")
    # Without boto3's own checks, to see the emulator's answer (the fixture points plain boto3 at it).
    unchecked = boto3.client("sagemaker", config=Config(parameter_validation=False))
    sagemaker = embedded_aws.client("sagemaker")
    token = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, MaxResults=1)[
        "NextToken"
    ]

    refused = {
        "MaxResults 101": {"MaxResults": 101},
        "MaxResults 0": {"MaxResults": 0},
        "unknown sort": {"SortBy": "Objective"},
        "unknown status": {"StatusEquals": "Running"},
        "token of another query": {"NextToken": token, "SortBy": "CreationTime"},
        "not a token": {"NextToken": "not-a-token"},
    }
    for label, arguments in refused.items():
        with pytest.raises(ClientError) as error:
            unchecked.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, **arguments)
        assert error.value.response["Error"]["Code"] == "ValidationException", label
    with pytest.raises(ClientError) as missing:
        sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=unique("missing"))
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"


def test_a_tuning_job_that_ran_no_training_jobs_lists_none(embedded_aws):
    name = create_job(embedded_aws)

    page = embedded_aws.client("sagemaker").list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name
    )

    assert page["TrainingJobSummaries"] == []
    assert "NextToken" not in page


# --- DescribeTrainingJob ---------------------------------------------------------------------------


def test_describe_training_job_gives_billable_and_training_seconds_with_the_definitions_settings(embedded_aws):
    definition = training_definition("ml.g5.xlarge", instance_count=2, EnableManagedSpotTraining=True)
    name = create_job(embedded_aws, definition=definition)
    spot = TrainingJobRun({"learning_rate": "0.01"}, objective_value=0.5, billable_seconds=400, training_seconds=1000)
    embedded_aws.run_tuning_job(name, [spot], "Completed")
    sagemaker = embedded_aws.client("sagemaker")
    (summary,) = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "TrainingJobSummaries"
    ]

    described = sagemaker.describe_training_job(TrainingJobName=summary["TrainingJobName"])

    assert described["BillableTimeInSeconds"] == 400
    assert described["TrainingTimeInSeconds"] == 1000
    assert described["EnableManagedSpotTraining"] is True
    assert described["ResourceConfig"] == {"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50}
    assert described["TuningJobArn"].endswith(f":hyper-parameter-tuning-job/{name}")
    assert described["HyperParameters"] == {
        "epochs": "10",
        "learning_rate": "0.01",
        "_tuning_objective_metric": "validation:auc",
    }
    assert described["TrainingEndTime"] - described["TrainingStartTime"] == timedelta(seconds=1000)
    assert described["FinalMetricDataList"][0]["Value"] == 0.5


def test_given_times_are_kept_and_aware_times_are_read_as_utc(embedded_aws):
    name = create_job(embedded_aws)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    run = TrainingJobRun(
        {"learning_rate": "0.01"},
        objective_value=0.5,
        billable_seconds=600,
        creation_time=start - timedelta(minutes=3),
        start_time=start,
        end_time=start + timedelta(minutes=10),
    )
    embedded_aws.run_tuning_job(name, [run], "Completed", end_time=start + timedelta(minutes=11))
    sagemaker = embedded_aws.client("sagemaker")

    (summary,) = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "TrainingJobSummaries"
    ]
    described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)

    assert summary["CreationTime"] == start - timedelta(minutes=3)
    assert summary["TrainingStartTime"] == start
    assert summary["TrainingEndTime"] == start + timedelta(minutes=10)
    assert described["HyperParameterTuningEndTime"] == start + timedelta(minutes=11)


# --- DescribeHyperParameterTuningJob -------------------------------------------------------------


def test_the_finished_tuning_job_describes_its_counters_best_training_job_and_end(embedded_aws):
    name = create_job(embedded_aws)
    jobs = [
        *runs(5),
        TrainingJobRun({"learning_rate": "0.05"}, objective_value=0.97, billable_seconds=100),
        TrainingJobRun({"learning_rate": "0.06"}, objective_value=None, billable_seconds=100),
        TrainingJobRun({"learning_rate": "0.07"}, status="Failed", billable_seconds=20, failure_reason="OOM"),
        TrainingJobRun({"learning_rate": "0.08"}, status="Stopped", objective_value=0.2, billable_seconds=50),
    ]
    embedded_aws.run_tuning_job(name, jobs, "Completed")
    sagemaker = embedded_aws.client("sagemaker")

    described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)

    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"] == {
        "Completed": 7,
        "InProgress": 0,
        "RetryableError": 0,
        "NonRetryableError": 1,
        "Stopped": 1,
    }
    assert described["ObjectiveStatusCounters"] == {"Succeeded": 7, "Pending": 0, "Failed": 2}
    best = described["BestTrainingJob"]
    assert best["TunedHyperParameters"] == {"learning_rate": "0.05"}
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == 0.97
    ends = [s["TrainingEndTime"] for page in all_pages(sagemaker, name) for s in page]
    assert described["HyperParameterTuningEndTime"] == max(ends)
    assert described["ConsumedResources"]["RuntimeInSeconds"] == int(
        (described["HyperParameterTuningEndTime"] - described["CreationTime"]).total_seconds()
    )
    assert "OverallBestTrainingJob" not in described
    assert "TuningJobCompletionDetails" not in described


def test_the_best_training_job_follows_its_definitions_objective_type(embedded_aws):
    definitions = [
        {
            **training_definition(),
            "DefinitionName": "xgb",
            "TuningObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
            "HyperParameterRanges": {"ContinuousParameterRanges": [continuous("eta", "0.01", "0.3")]},
        },
        {
            **training_definition("ml.c5.xlarge"),
            "DefinitionName": "linear",
            "TuningObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
            "HyperParameterRanges": {"ContinuousParameterRanges": [continuous("wd", "0.0001", "1")]},
        },
    ]
    name = create_job(embedded_aws, definitions=definitions)
    jobs = [
        TrainingJobRun({"eta": "0.1"}, objective_value=3.5, billable_seconds=60, definition_name="xgb"),
        TrainingJobRun({"wd": "0.01"}, objective_value=1.25, billable_seconds=60, definition_name="linear"),
        TrainingJobRun({"eta": "0.2"}, objective_value=2.0, billable_seconds=60, definition_name="xgb"),
    ]
    embedded_aws.run_tuning_job(name, jobs, "Completed")
    sagemaker = embedded_aws.client("sagemaker")

    best = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)["BestTrainingJob"]
    described = sagemaker.describe_training_job(TrainingJobName=best["TrainingJobName"])

    assert best["TrainingJobDefinitionName"] == "linear"
    assert best["FinalHyperParameterTuningJobObjectiveMetric"] == {
        "Type": "Minimize",
        "MetricName": "validation:rmse",
        "Value": 1.25,
    }
    assert described["ResourceConfig"]["InstanceType"] == "ml.c5.xlarge"


def test_a_tuning_job_that_ran_nothing_has_no_made_up_best_training_job(embedded_aws):
    name = create_job(embedded_aws)

    described = embedded_aws.client("sagemaker").describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)

    assert described["HyperParameterTuningJobStatus"] == "InProgress"
    assert "BestTrainingJob" not in described
    assert "OverallBestTrainingJob" not in described
    assert "HyperParameterTuningEndTime" not in described


def test_a_stopping_job_finishes_stopped_and_a_failed_one_says_why(embedded_aws):
    stopped, failed = create_job(embedded_aws), create_job(embedded_aws)
    sagemaker = embedded_aws.client("sagemaker")
    sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=stopped)

    embedded_aws.run_tuning_job(stopped, [*runs(2), *runs(3, status="Stopped")], "Stopped")
    embedded_aws.run_tuning_job(failed, runs(2, status="Failed"), "Failed", failure_reason="No training job succeeded")

    described_stopped = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=stopped)
    described_failed = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=failed)
    assert described_stopped["HyperParameterTuningJobStatus"] == "Stopped"
    assert described_stopped["TrainingJobStatusCounters"]["Stopped"] == 3
    assert described_failed["HyperParameterTuningJobStatus"] == "Failed"
    assert described_failed["FailureReason"] == "No training job succeeded"
    assert described_failed["ObjectiveStatusCounters"] == {"Succeeded": 0, "Pending": 0, "Failed": 2}
    assert "BestTrainingJob" not in described_failed


def test_running_a_tuning_job_refuses_what_sagemaker_could_not_do(embedded_aws):
    finished = create_job(embedded_aws)
    embedded_aws.run_tuning_job(finished, runs(1), "Completed")
    running = create_job(embedded_aws)

    with pytest.raises(ValueError, match="is Completed"):
        embedded_aws.run_tuning_job(finished, runs(1), "Completed")
    with pytest.raises(ValueError, match="no running training jobs"):
        embedded_aws.run_tuning_job(running, runs(1, status="InProgress"), "Completed")
    with pytest.raises(ValueError, match="finishes"):
        embedded_aws.run_tuning_job(running, runs(1), "Stopping")
    with pytest.raises(ValueError, match="no training job definition named"):
        embedded_aws.run_tuning_job(running, [TrainingJobRun({"a": "1"}, definition_name="other")], "Completed")
    with pytest.raises(ValueError, match="Failed training job has no final objective"):
        TrainingJobRun({"a": "1"}, objective_value=0.3, status="Failed")
    with pytest.raises(ValueError, match="strings"):
        TrainingJobRun({"a": 1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="cannot exceed"):
        TrainingJobRun({"a": "1"}, billable_seconds=10, training_seconds=5)
    with pytest.raises(LookupError, match="no tuning job"):
        embedded_aws.run_tuning_job(unique("missing"), runs(1), "Completed")
    assert (
        embedded_aws.client("sagemaker").describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=running)[
            "HyperParameterTuningJobStatus"
        ]
        == "InProgress"
    ), "a refused run leaves the job as it was"


# --- state-change events ------------------------------------------------------------------------


def test_finishing_puts_the_state_change_event_on_the_default_bus_in_aws_format(embedded_aws):
    name = create_job(embedded_aws, tags={"team": "nlp"})
    queue = StateChangeQueue(embedded_aws, name)

    (event_id,) = embedded_aws.run_tuning_job(name, runs(4), "Completed")

    (event,) = queue.received()
    assert set(event) == EVENT_KEYS
    assert event["id"] == event_id
    assert event["source"] == "aws.sagemaker"
    assert event["detail-type"] == STATE_CHANGE_DETAIL_TYPE == "SageMaker HyperParameter Tuning Job State Change"
    assert (event["account"], event["region"]) == (embedded_aws.account_id, "us-east-1")
    arn = f"arn:aws:sagemaker:us-east-1:{embedded_aws.account_id}:hyper-parameter-tuning-job/{name}"
    assert event["resources"] == [arn]
    detail = event["detail"]
    assert set(detail) == {
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobArn",
        "TrainingJobDefinition",
        "HyperParameterTuningJobStatus",
        "CreationTime",
        "LastModifiedTime",
        "TrainingJobStatusCounters",
        "ObjectiveStatusCounters",
        "Tags",
    }
    assert detail["HyperParameterTuningJobArn"] == arn
    assert detail["HyperParameterTuningJobStatus"] == "Completed"
    assert detail["TrainingJobStatusCounters"]["Completed"] == 4
    assert detail["ObjectiveStatusCounters"]["Succeeded"] == 4
    assert detail["Tags"] == {"team": "nlp"}, "tags travel as a map in this event"
    described = embedded_aws.client("sagemaker").describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert detail["CreationTime"] == int(described["CreationTime"].timestamp() * 1000), "epoch milliseconds"
    assert detail["TrainingJobDefinition"]["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert event["time"] == described["LastModifiedTime"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_pattern_on_the_status_matches_only_that_state(embedded_aws):
    name = create_job(embedded_aws)
    finished = StateChangeQueue(embedded_aws, name, detail={"HyperParameterTuningJobStatus": ["Completed"]})

    embedded_aws.emit_tuning_job_state_change(name)
    embedded_aws.run_tuning_job(name, runs(1), "Completed")

    assert [e["detail"]["HyperParameterTuningJobStatus"] for e in finished.received()] == ["Completed"]


def test_an_in_progress_event_can_be_sent_for_a_job_at_its_creation(embedded_aws):
    name = create_job(embedded_aws)
    queue = StateChangeQueue(embedded_aws, name)

    (event_id,) = embedded_aws.emit_tuning_job_state_change(name)

    (event,) = queue.received()
    assert event["id"] == event_id
    assert event["detail"]["HyperParameterTuningJobStatus"] == "InProgress"
    assert event["detail"]["TrainingJobStatusCounters"]["InProgress"] == 1


def test_several_events_for_one_state_change_when_asked_each_with_its_own_id(embedded_aws):
    name = create_job(embedded_aws)
    queue = StateChangeQueue(embedded_aws, name)

    event_ids = embedded_aws.run_tuning_job(name, runs(2), "Completed", copies=3)

    events = queue.received()
    assert len(set(event_ids)) == 3
    assert sorted(e["id"] for e in events) == sorted(event_ids)
    assert all(e["detail"] == events[0]["detail"] for e in events)
    with pytest.raises(ValueError, match="at least 1"):
        embedded_aws.emit_tuning_job_state_change(name, copies=0)


def test_a_job_in_another_account_and_region_runs_and_sends_its_events_there(embedded_aws):
    elsewhere = embedded_aws.in_account(OTHER_ACCOUNT, region=OTHER_REGION)
    name = create_job(elsewhere)
    there = StateChangeQueue(elsewhere, name)
    home = StateChangeQueue(embedded_aws, name)

    elsewhere.run_tuning_job(name, runs(3), "Completed")

    (event,) = there.received()
    assert (event["account"], event["region"]) == (OTHER_ACCOUNT, OTHER_REGION)
    assert home.received() == []
    sagemaker = elsewhere.client("sagemaker")
    (page,) = all_pages(sagemaker, name)
    assert all(f":{OTHER_REGION}:{OTHER_ACCOUNT}:training-job/" in s["TrainingJobArn"] for s in page)
    with pytest.raises(ClientError):
        embedded_aws.client("sagemaker").list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name
        )


# --- the adapter -----------------------------------------------------------------------------------


def test_the_adapter_reads_500_training_jobs_over_every_page_with_their_billable_seconds(embedded_aws):
    name = create_job(embedded_aws, max_parallel=10, max_jobs=500)
    embedded_aws.run_tuning_job(name, runs(500), "Completed")
    lists_before = CALLS.get(("sagemaker", "ListTrainingJobsForHyperParameterTuningJob"), 0)
    describes_before = CALLS.get(("sagemaker", "DescribeTrainingJob"), 0)

    training_jobs = TrainingJobReader(embedded_aws.client("sagemaker")).training_jobs(name)

    assert len(training_jobs) == 500
    assert CALLS[("sagemaker", "ListTrainingJobsForHyperParameterTuningJob")] - lists_before == 5, "pages of 100"
    assert CALLS[("sagemaker", "DescribeTrainingJob")] - describes_before == 500
    creation_times = [job["CreationTime"] for job in training_jobs]
    assert creation_times == sorted(creation_times), "launch order"
    by_rate = {job["TunedHyperParameters"]["learning_rate"]: job for job in training_jobs}
    for i in (0, 99, 100, 499):
        job = by_rate[f"{0.0001 * (i + 1):.6f}"]
        assert job["BillableTimeInSeconds"] == 60 + i
        assert job["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == i / 1000
    first = training_jobs[0]
    assert first["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert set(first) >= {"TrainingJobName", "TrainingJobStatus", "TrainingStartTime", "TrainingEndTime"}
    assert "HyperParameters" not in first, "only the fields the summary lacks are kept from the describe"


def test_the_adapter_says_when_the_tuning_job_does_not_exist(embedded_aws):
    reader = TrainingJobReader(embedded_aws.client("sagemaker"))

    with pytest.raises(JobNotFound):
        reader.training_jobs(unique("missing"))


def test_the_adapter_rides_out_a_throttled_call(embedded_aws):
    name = create_job(embedded_aws)
    embedded_aws.run_tuning_job(name, runs(3), "Completed")
    inject_faults("sagemaker", "DescribeTrainingJob", "ThrottlingException", 1)
    inject_faults("sagemaker", "ListTrainingJobsForHyperParameterTuningJob", "ThrottlingException", 1)
    describes_before = CALLS.get(("sagemaker", "DescribeTrainingJob"), 0)

    training_jobs = TrainingJobReader(embedded_aws.client("sagemaker")).training_jobs(name)

    assert [job["BillableTimeInSeconds"] for job in training_jobs] == [60, 61, 62]
    assert CALLS[("sagemaker", "DescribeTrainingJob")] - describes_before == 4, "one throttled, then retried"
