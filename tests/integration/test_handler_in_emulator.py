"""The deployed handler, run as Lambda runs it, against the emulator's SageMaker and SNS."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.integration.conftest import ALERT_EMAIL

pytestmark = pytest.mark.emulator


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def misconfigured(name: str, *, costly: bool) -> dict:
    """Learning rate over four decades on a linear scale; 100 x 10 h of ml.p3.2xlarge ($3,825) if costly."""
    return cloudtrail_event(
        tuning_request(
            name,
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100 if costly else 10,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000 if costly else 600),
        )
    )


@pytest.fixture(scope="module")
def enforce_stack(deploy_stack):
    return deploy_stack(mode="enforce", budget_cap_usd=1000, notification_email=ALERT_EMAIL)


def test_notify_only_publishes_one_alert_and_leaves_the_job_running(invoke, tuning_jobs, sns_capture):
    event = misconfigured(unique("it-notify"), costly=False)
    job = tuning_jobs.create_for_event(event)

    result = invoke(event)

    assert result["status"] == "evaluated" and result["decision"] == "notify"
    assert [f["rule"] for f in result["findings"]] == ["log-scale"]
    (notification,) = sns_capture.receive()
    assert result["actions"] == {"stop": None, "notify": notification.message_id}
    attributes = notification.message_attributes
    assert (attributes["severity"], attributes["action"], json.loads(attributes["rules"])) == (
        "high",
        "notify",
        ["log-scale"],
    )
    next_steps = notification.message_json()["content"]["nextSteps"]
    assert next_steps[0].startswith("The job is still running, and enforce mode would not stop it either")
    assert next_steps[1].startswith("Set ScalingType to Logarithmic")
    (email,) = [e for e in sns_capture.emails(ALERT_EMAIL) if e.message_id == notification.message_id]
    assert "[HIGH] log-scale (learning_rate)" in email.body
    assert tuning_jobs.status(job) == "InProgress"


def test_enforce_stops_a_costly_misconfigured_job(invoke, tuning_jobs, enforce_stack, capture_sns):
    capture = capture_sns(enforce_stack.topic_arn)
    event = misconfigured(unique("it-stop"), costly=True)
    job = tuning_jobs.create_for_event(event)

    result = invoke(event, stack=enforce_stack)

    assert result["decision"] == "stop"
    assert result["actions"]["stop"] == "stopped (InProgress -> Stopping)"
    assert tuning_jobs.status(job) == "Stopping"
    (notification,) = capture.receive()
    assert notification.message_attributes["action"] == "stop"
    assert "stopped" in notification.subject


def test_enforce_reports_an_already_completed_job_and_does_not_stop_it(invoke, tuning_jobs, enforce_stack):
    event = misconfigured(unique("it-done"), costly=True)
    job = tuning_jobs.create_for_event(event)
    tuning_jobs.set_status(job, "Completed")

    result = invoke(event, stack=enforce_stack)

    assert result["actions"]["stop"] == "not stopped: job already Completed"
    assert tuning_jobs.status(job) == "Completed"


def test_stopping_a_job_that_does_not_exist_is_reported(invoke, enforce_stack):
    result = invoke(misconfigured(unique("it-ghost"), costly=True), stack=enforce_stack)
    assert result["actions"]["stop"] == "not stopped: job not found"


def test_failed_call_is_skipped_without_an_alert(invoke, sns_capture):
    event = cloudtrail_event(
        tuning_request(unique("it-failed"), continuous_ranges=[continuous("lr", "0", "0.1", "Logarithmic")]),
        error_code="ValidationException",
    )

    result = invoke(event)

    assert result["status"] == "skipped" and "ValidationException" in result["reason"]
    assert sns_capture.receive() == []


def test_unrelated_event_is_skipped(invoke, sns_capture):
    result = invoke(cloudtrail_event(event_name="DescribeHyperParameterTuningJob"))
    assert result["status"] == "skipped" and sns_capture.receive() == []


@pytest.mark.parametrize(
    "mangle, reason",
    [
        (lambda e: e["detail"].pop("requestParameters"), "detail.requestParameters"),
        (
            lambda e: e["detail"]["requestParameters"]["hyperParameterTuningJobConfig"]["parameterRanges"][
                "continuousParameterRanges"
            ][0].update(minValue="NaN"),
            "is not a finite number",
        ),
        (lambda e: e.pop("detail"), "detail"),
    ],
)
def test_malformed_event_is_logged_counted_and_returns_normally(
    function_runner, deployed_stack, sns_capture, mangle, reason
):
    event = misconfigured(unique("it-bad"), costly=False)
    mangle(event)

    invocation = function_runner(deployed_stack).run(event)

    assert invocation.succeeded, "a malformed event must not fail the invocation (no retries of garbage)"
    assert invocation.result["status"] == "rejected" and reason in invocation.result["reason"]
    records = [json.loads(line) for line in invocation.logs.splitlines() if line.startswith("{")]
    warning = next(r for r in records if r.get("message") == "Rejected malformed event")
    assert reason in warning["reason"]
    metrics = next(r for r in records if "_aws" in r)
    assert metrics["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "HpoGuardrail"
    assert metrics["EventsRejected"] == [1.0]
    assert sns_capture.receive() == []


def test_log_lines_carry_the_cloudtrail_event_id_as_correlation_id(function_runner, deployed_stack, tuning_jobs):
    event = misconfigured(unique("it-corr"), costly=False)
    tuning_jobs.create_for_event(event)

    invocation = function_runner(deployed_stack).run(event)

    records = [json.loads(line) for line in invocation.logs.splitlines() if line.startswith("{")]
    evaluated = next(r for r in records if r.get("message") == "Evaluated tuning job")
    assert evaluated["correlation_id"] == event["detail"]["eventID"]
    assert evaluated["function_request_id"] == invocation.request_id


def test_publish_failure_is_retried_then_kept_in_the_on_failure_queue(
    embedded_aws, deploy_stack, function_runner, tuning_jobs
):
    # Given a stack whose topic has gone, so every publish fails
    stack = deploy_stack(mode="monitor", budget_cap_usd=1000)
    embedded_aws.client("sns").delete_topic(TopicArn=stack.topic_arn)
    event = misconfigured(unique("it-nopub"), costly=False)
    tuning_jobs.create_for_event(event)

    # When EventBridge invokes the function asynchronously
    invocation = function_runner(stack).invoke_async(event)

    # Then Lambda tried three times and the event is kept, not lost
    assert not invocation.succeeded and invocation.attempts == 3
    messages = embedded_aws.client("sqs").receive_message(
        QueueUrl=stack.failed_invocation_queue_url, MaxNumberOfMessages=10
    )["Messages"]
    (record,) = [json.loads(m["Body"]) for m in messages]
    assert record["requestPayload"]["detail"]["eventID"] == event["detail"]["eventID"]
