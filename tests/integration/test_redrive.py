"""`hpo-guardrail redrive` against the deployed stack: events EventBridge could not deliver, and invocations
that failed after Lambda's retries, delivered to the function again and evaluated, alerted, and gone
from their queue; nothing deleted that Lambda did not accept."""

from __future__ import annotations

import json
import uuid

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.cli import main
from tests.builders import cloudtrail_event, continuous, tuning_request

pytestmark = pytest.mark.emulator

EVENTBRIDGE_ATTEMPTS = 5  # the template's RetryPolicy: MaximumRetryAttempts 4, plus the first attempt


@pytest.fixture(scope="module")
def stack(deploy_stack):
    """A stack of its own, so its queues hold only what these tests put there."""
    return deploy_stack(mode="monitor", budget_cap_usd=1000)


@pytest.fixture(autouse=True)
def _no_faults_left():
    from hpo_guardrail.embedded.moto_extensions import clear_faults

    yield
    clear_faults()


def _linear_learning_rate_event():
    return cloudtrail_event(
        tuning_request(
            f"redrive-{uuid.uuid4().hex[:8]}",
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        )
    )


def _undeliverable(embedded_aws, event, stack):
    """Put the event on the bus while Lambda refuses every attempt EventBridge makes to reach this stack's
    function: it is dead-lettered. (Other stacks deployed in the session's emulator have rules of their own.)"""
    from hpo_guardrail.embedded.event_bus import put_event
    from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS, inject_faults

    inject_faults(
        "lambda",
        "Invoke",
        "TooManyRequestsException",
        EVENTBRIDGE_ATTEMPTS,
        message="Rate exceeded",
        resource=stack.function_arn,
    )
    event_id = put_event(embedded_aws, event)
    reached = [i for i in ASYNC_INVOCATIONS.take_event(event_id) if i.function_arn == stack.function_arn]
    assert reached == []  # this stack's function never got it


def _messages(embedded_aws, queue_url):
    sqs = embedded_aws.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return messages


def _depth(embedded_aws, queue_url):
    attributes = embedded_aws.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _drain(embedded_aws, queue_url):
    sqs = embedded_aws.client("sqs")
    while messages := _messages(embedded_aws, queue_url):
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_an_undeliverable_event_is_dead_lettered_with_eventbridges_attributes(embedded_aws, stack):
    event = _linear_learning_rate_event()
    _undeliverable(embedded_aws, event, stack)

    (message,) = _messages(embedded_aws, stack.undelivered_event_queue_url)
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert json.loads(message["Body"])["detail"]["eventID"] == event["detail"]["eventID"]
    assert attributes["TARGET_ARN"] == stack.function_arn
    assert attributes["ERROR_CODE"] == "THROTTLING"
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["RETRY_ATTEMPTS"] == str(EVENTBRIDGE_ATTEMPTS - 1)
    assert set(attributes) == {
        "RULE_ARN",
        "TARGET_ARN",
        "ERROR_CODE",
        "ERROR_MESSAGE",
        "EXHAUSTED_RETRY_CONDITION",
        "RETRY_ATTEMPTS",
    }
    _drain(embedded_aws, stack.undelivered_event_queue_url)


def test_redrive_delivers_a_dead_lettered_event_to_the_function_which_evaluates_and_alerts(
    embedded_aws, stack, function_runner, capture_sns, tuning_jobs, capsys
):
    alerts = capture_sns(stack.topic_arn)
    event = _linear_learning_rate_event()
    job = tuning_jobs.create_for_event(event)
    _undeliverable(embedded_aws, event, stack)
    assert _depth(embedded_aws, stack.undelivered_event_queue_url) == 1

    code = main(["redrive", "--stack", stack.stack_name])

    output = capsys.readouterr().out
    assert code == 0, output
    assert f"redriven {event['detail']['eventID']} ({job})" in output
    assert output.splitlines()[-1] == "redriven 1, failed 0, left 0"
    (invocation,) = function_runner(stack).deliver_queued()
    assert invocation.succeeded and invocation.result["status"] == "evaluated"
    assert invocation.result["job_name"] == job
    assert [n for n in alerts.receive() if job in (n.subject or "")]
    assert _depth(embedded_aws, stack.undelivered_event_queue_url) == 0


def test_redrive_unwraps_lambdas_on_failure_record_and_sends_the_original_event(
    embedded_aws, stack, function_runner, capture_sns, tuning_jobs, capsys
):
    from hpo_guardrail.embedded.moto_extensions import clear_faults, inject_faults

    alerts = capture_sns(stack.topic_arn)
    event = _linear_learning_rate_event()
    job = tuning_jobs.create_for_event(event)
    inject_faults("dynamodb", "PutItem", "ProvisionedThroughputExceededException", 100)
    failed = function_runner(stack).invoke_async(event)
    clear_faults()
    assert not failed.succeeded and _depth(embedded_aws, stack.failed_invocation_queue_url) == 1

    assert main(["redrive", "--stack", stack.stack_name, "--list"]) == 0
    listing = capsys.readouterr().out
    assert event["detail"]["eventID"] in listing and job in listing
    assert "RetriesExhausted" in listing and "ProvisionedThroughputExceededException" in listing

    assert main(["redrive", "--stack", stack.stack_name]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "redriven 1, failed 0, left 0"
    (invocation,) = function_runner(stack).deliver_queued()
    assert invocation.event == event  # the requestPayload, not the record around it
    assert invocation.succeeded and invocation.result["status"] == "evaluated"
    assert [n for n in alerts.receive() if job in (n.subject or "")]
    record = DynamoDbAuditStore(embedded_aws.client("dynamodb"), stack.outputs["AuditTableName"]).get(
        event["detail"]["eventID"]
    )
    assert record is not None and record.complete


def test_a_redriven_event_that_was_processed_after_all_is_recorded_once_and_alerted_once(
    embedded_aws, stack, function_runner, capture_sns, tuning_jobs, capsys
):
    alerts = capture_sns(stack.topic_arn)
    event = _linear_learning_rate_event()
    job = tuning_jobs.create_for_event(event)
    runner = function_runner(stack)
    assert runner.invoke_async(event).succeeded  # delivered once already (EventBridge delivers at least once)
    _undeliverable(embedded_aws, event, stack)  # and a copy was dead-lettered

    assert main(["redrive", "--stack", stack.stack_name]) == 0
    (invocation,) = runner.deliver_queued()

    assert invocation.result["status"] == "skipped" and "duplicate delivery" in invocation.result["reason"]
    assert len([n for n in alerts.receive() if job in (n.subject or "")]) == 1
    capsys.readouterr()


def test_a_refused_redelivery_keeps_the_message_and_exits_2_with_one_line(embedded_aws, stack, capsys):
    from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS, inject_faults

    event = _linear_learning_rate_event()
    _undeliverable(embedded_aws, event, stack)
    inject_faults("lambda", "Invoke", "AccessDeniedException", 1, message="not authorized to invoke")

    code = main(["redrive", "--stack", stack.stack_name])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out.splitlines()[-1] == "redriven 0, failed 0, left 1"
    (error_line,) = captured.err.splitlines()
    assert error_line.startswith("hpo-guardrail redrive: ") and "AccessDeniedException" in error_line
    assert ASYNC_INVOCATIONS.take(stack.function_arn) == []
    assert _depth(embedded_aws, stack.undelivered_event_queue_url) == 1
    _drain(embedded_aws, stack.undelivered_event_queue_url)


def test_dry_run_and_max_change_only_what_they_say(embedded_aws, stack, function_runner, capsys):
    for _ in range(2):
        _undeliverable(embedded_aws, _linear_learning_rate_event(), stack)

    assert main(["redrive", "--stack", stack.stack_name, "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "dry run: would redrive 2, failed 0, left 2"
    assert function_runner(stack).deliver_queued() == []

    assert main(["redrive", "--stack", stack.stack_name, "--max", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "redriven 1, failed 0, left 1"
    assert len(function_runner(stack).deliver_queued()) == 1
    _drain(embedded_aws, stack.undelivered_event_queue_url)


def test_a_message_that_holds_no_event_stays_and_exits_1(embedded_aws, stack, capsys):
    sqs = embedded_aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"redrive-test-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="not an event")

    code = main(["redrive", "--queue", queue_url.rsplit("/", 1)[-1], "--function", stack.function_name])

    output = capsys.readouterr().out
    assert code == 1
    assert "the message body is not JSON" in output
    assert output.splitlines()[-1] == "redriven 0, failed 1, left 1"


def test_aws_failures_are_one_line_and_exit_2(capsys):
    assert main(["redrive", "--stack", f"no-such-stack-{uuid.uuid4().hex[:6]}"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("hpo-guardrail redrive: ") and "does not exist" in line


def test_without_a_stack_or_queue_it_says_what_to_give(capsys):
    assert main(["redrive"]) == 2
    assert "give --stack NAME" in capsys.readouterr().err
