"""The embedded AWS itself: what hpo_guardrail/embedded/moto_extensions/ adds to moto, and the runtime.

These hold the emulator to the AWS behaviour the guardrail relies on, independently of the product code.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from hpo_guardrail.embedded.event_bus import put_event
from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS, MAILBOX
from hpo_guardrail.embedded.tuning_jobs import request_from_cloudtrail
from tests.builders import cloudtrail_event, continuous, tuning_request

emulator = pytest.mark.emulator


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sagemaker(embedded_aws):
    return embedded_aws.client("sagemaker")


@pytest.fixture
def running_job(tuning_jobs) -> str:
    """A tuning job created without tags, as the API call in a CloudTrail event created it."""
    return tuning_jobs.create_for_event(cloudtrail_event(tuning_request(unique("ext"))))


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


# --- SageMaker ---------------------------------------------------------------------------------


@emulator
def test_a_new_tuning_job_is_in_progress(tuning_jobs, running_job):
    assert tuning_jobs.status(running_job) == "InProgress"


@emulator
def test_stopping_an_in_progress_job_moves_it_to_stopping_then_stopped(sagemaker, tuning_jobs, running_job):
    sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=running_job)
    assert tuning_jobs.status(running_job) == "Stopping"

    tuning_jobs.set_status(running_job, "Stopped")
    assert tuning_jobs.status(running_job) == "Stopped"


@emulator
def test_stopping_a_completed_job_is_a_validation_error(sagemaker, tuning_jobs, running_job):
    tuning_jobs.set_status(running_job, "Completed")

    with pytest.raises(ClientError) as error:
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=running_job)

    assert error_code(error) == "ValidationException"
    assert tuning_jobs.status(running_job) == "Completed"


@emulator
def test_stopping_an_unknown_job_is_resource_not_found(sagemaker):
    with pytest.raises(ClientError) as error:
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=unique("missing"))

    assert error_code(error) == "ResourceNotFound"


@emulator
def test_tags_can_be_added_to_and_listed_on_a_job_created_without_tags(sagemaker, running_job):
    arn = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=running_job)[
        "HyperParameterTuningJobArn"
    ]
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == []

    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "guardrail", "Value": "stopped"}])

    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "guardrail", "Value": "stopped"}]


def test_a_cloudtrail_request_becomes_the_boto3_request_with_user_keys_kept():
    request = tuning_request(
        "casing",
        continuous_ranges=[continuous("learning_rate", "1e-05", "0.1", "Logarithmic")],
        tags={"team": "ml"},
    )
    request["TrainingJobDefinition"]["StaticHyperParameters"] = {"Eta_Custom": "0.3", "num_round": "10"}
    recorded = cloudtrail_event(request)["detail"]["requestParameters"]
    recorded["addedBySageMaker"] = {"x": 1}

    assert request_from_cloudtrail(recorded) == request


# --- SNS ---------------------------------------------------------------------------------------


@pytest.fixture
def topic_with_email_and_queue(embedded_aws, capture_sns):
    sns = embedded_aws.client("sns")
    topic_arn = sns.create_topic(Name=unique("alerts"), Attributes={"DisplayName": "Alerts"})["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint="someone@example.com")
    return topic_arn, capture_sns(topic_arn)


@emulator
def test_a_structured_message_goes_default_to_queues_and_email_to_the_mailbox(embedded_aws, topic_with_email_and_queue):
    topic_arn, capture = topic_with_email_and_queue
    message = {"default": json.dumps({"version": "1.0"}), "email": "Plain text for people."}

    message_id = embedded_aws.client("sns").publish(
        TopicArn=topic_arn, Subject="An alert", Message=json.dumps(message), MessageStructure="json"
    )["MessageId"]

    (notification,) = capture.receive()
    (email,) = MAILBOX.emails(topic_arn=topic_arn)
    assert notification.message_json() == {"version": "1.0"}
    assert (email.message_id, email.recipient, email.subject) == (
        message_id,
        "someone@example.com",
        "An alert",
    )
    assert email.body.startswith("Plain text for people.")
    assert email.sender == "Alerts <no-reply@sns.amazonaws.com>"


@emulator
@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("An alert \N{EM DASH} costly", json.dumps({"default": "x"})),
        ("Two\nlines", json.dumps({"default": "x"})),
        ("An alert", json.dumps({"email": "no default"})),
        ("An alert", json.dumps({"default": {"not": "a string"}})),
    ],
)
def test_publish_rejects_what_sns_rejects(embedded_aws, topic_with_email_and_queue, subject, message):
    topic_arn, _ = topic_with_email_and_queue

    with pytest.raises(ClientError) as error:
        embedded_aws.client("sns").publish(
            TopicArn=topic_arn, Subject=subject, Message=message, MessageStructure="json"
        )

    assert error_code(error) == "InvalidParameter"


# --- EventBridge -------------------------------------------------------------------------------


@emulator
def test_a_rule_with_a_lambda_target_queues_the_event_with_its_original_id_and_time(embedded_aws):
    events, sqs = embedded_aws.client("events"), embedded_aws.client("sqs")
    rule = unique("rule")
    function_arn = f"arn:aws:lambda:us-east-1:{embedded_aws.account_id}:function:{rule}"
    queue_url = sqs.create_queue(QueueName=rule)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.sagemaker"], "detail": {"rule": [rule]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": function_arn}, {"Id": "q", "Arn": queue_arn}])
    event = cloudtrail_event()
    event["detail"]["rule"] = rule

    event_id = put_event(embedded_aws, event)

    (queued,) = ASYNC_INVOCATIONS.take(function_arn)
    assert event_id == event["id"]
    assert queued.event["id"] == event["id"]
    assert queued.event["time"] == event["time"]
    assert queued.event["detail"] == event["detail"]
    assert set(queued.event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    (message,) = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert json.loads(message["Body"])["id"] == event["id"], "the other targets keep moto's own delivery"


# --- Lambda runtime ----------------------------------------------------------------------------


FAILING_HANDLER = textwrap.dedent(
    """
    import os

    def lambda_handler(event, context):
        print("mode", os.environ["GUARDRAIL_MODE"], "remaining", context.get_remaining_time_in_millis() > 0)
        raise RuntimeError("the handler failed")
    """
)


@emulator
def test_a_failing_async_invocation_is_retried_then_recorded_on_the_failure_queue(
    embedded_aws, deploy_stack, function_runner, tmp_path: Path
):
    handler = tmp_path / "functions" / "guardrail" / "app.py"
    handler.parent.mkdir(parents=True)
    handler.write_text(FAILING_HANDLER)
    stack = deploy_stack(mode="enforce", artifact_dir=tmp_path)
    event = cloudtrail_event()

    invocation = function_runner(stack).invoke_async(event)

    sqs = embedded_aws.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=stack.failed_invocation_queue_url)["Messages"]
    record = json.loads(message["Body"])
    assert invocation.attempts == 3  # one call and the stack's MaximumRetryAttempts: 2
    assert invocation.error.error_type == "RuntimeError"
    assert "mode enforce remaining True" in invocation.logs
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == event
    assert record["responsePayload"]["errorMessage"] == "the handler failed"
    datetime.fromisoformat(record["timestamp"]).astimezone(UTC)


@emulator
def test_a_handler_module_that_fails_to_import_fails_every_attempt_as_lambda_reports_it(
    deploy_stack, function_runner, tmp_path: Path
):
    handler = tmp_path / "functions" / "guardrail" / "app.py"
    handler.parent.mkdir(parents=True)
    handler.write_text(
        'import os\nTOPIC = os.environ["NO_SUCH_VARIABLE"]\n\ndef lambda_handler(event, context):\n    pass\n'
    )
    stack = deploy_stack(artifact_dir=tmp_path)

    invocation = function_runner(stack).invoke_async(cloudtrail_event())

    assert invocation.attempts == 3
    assert invocation.error.error_type == "Runtime.ImportModuleError"
    assert "NO_SUCH_VARIABLE" in invocation.error.error_message
    assert isinstance(invocation.exception, KeyError)
