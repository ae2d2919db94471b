"""template.yaml deployed into the embedded AWS: events in at the bus, alerts out at SNS, jobs stopped."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.embedded.deployment import TEMPLATE_PATH
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.e2e.conftest import ALERT_EMAIL

pytestmark = pytest.mark.emulator

STOPPED_STATUSES = ("Stopping", "Stopped")


def unique(prefix: str) -> str:
    """A tuning job name no other test uses (the emulator lives for the whole session)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def linear_learning_rate_event(name: str) -> dict[str, Any]:
    """A cheap job whose learning rate spans four decades on a linear scale: an alert, never a stop."""
    request = tuning_request(name, continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")])
    return cloudtrail_event(request)


def costly_misconfigured_event(name: str) -> dict[str, Any]:
    """750 jobs (no MaxNumberOfTrainingJobs) of 2 x ml.p3.16xlarge for a day, learning rate linear."""
    request = tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "1e-06", "0.01", "Linear")],
        max_jobs=None,
        max_parallel=10,
        definition=training_definition("ml.p3.16xlarge", instance_count=2, max_runtime_seconds=86400),
    )
    return cloudtrail_event(request)


def only_result(invocations: list[Any]) -> dict[str, Any]:
    assert len(invocations) == 1, f"expected one invocation, got {len(invocations)}"
    invocation = invocations[0]
    assert invocation.succeeded, invocation.error
    result: dict[str, Any] = invocation.result
    return result


def test_the_deployed_rule_has_exactly_the_template_pattern_and_targets_the_function(embedded_aws, monitor_stack):
    template = yaml_parse(TEMPLATE_PATH.read_text())
    event_source = template["Resources"]["GuardrailFunction"]["Properties"]["Events"]["TuningJobCreated"]
    events = embedded_aws.client("events")

    rule = events.describe_rule(Name=monitor_stack.rule_name)
    (target,) = events.list_targets_by_rule(Rule=monitor_stack.rule_name)["Targets"]

    assert json.loads(rule["EventPattern"]) == event_source["Properties"]["Pattern"]
    assert rule["State"] == "ENABLED"
    assert target["Arn"] == monitor_stack.function_arn
    assert target["RetryPolicy"] == event_source["Properties"]["RetryPolicy"]
    assert target["DeadLetterConfig"]["Arn"].endswith(monitor_stack.undelivered_event_queue_url.rsplit("/")[-1])


def test_the_stack_has_what_the_emulator_skipped_before_its_extension(embedded_aws, monitor_stack):
    failed_queue_name = monitor_stack.failed_invocation_queue_url.rsplit("/")[-1]

    subscriptions = embedded_aws.client("sns").list_subscriptions_by_topic(TopicArn=monitor_stack.topic_arn)
    invoke_config = embedded_aws.client("lambda").get_function_event_invoke_config(
        FunctionName=monitor_stack.function_name
    )
    dead_letter_policy = embedded_aws.client("sqs").get_queue_attributes(
        QueueUrl=monitor_stack.undelivered_event_queue_url, AttributeNames=["Policy"]
    )["Attributes"]["Policy"]

    assert monitor_stack.skipped_resource_types == ()
    # Tests subscribe capture queues (protocol sqs) to this session's topic; the template's own is the email one.
    template_subscriptions = [s for s in subscriptions["Subscriptions"] if s["Protocol"] != "sqs"]
    assert [(s["Protocol"], s["Endpoint"]) for s in template_subscriptions] == [("email", ALERT_EMAIL)]
    assert invoke_config["MaximumRetryAttempts"] == 2
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"].endswith(failed_queue_name)
    assert json.loads(dead_letter_policy)["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}


def test_the_function_runs_with_the_configuration_the_stack_gave_it(function_runner, monitor_stack):
    variables = function_runner(monitor_stack).configuration["Environment"]["Variables"]

    assert variables["GUARDRAIL_MODE"] == "monitor"
    assert variables["NOTIFY_TOPIC_ARN"] == monitor_stack.topic_arn
    assert str(variables["BUDGET_CAP_USD"]) == "1000"


def test_an_event_on_the_bus_reaches_the_handler_through_the_deployed_rule(tuning_jobs, monitor_stack, put_on_bus):
    # Given a job that exists, as it does once the API call CloudTrail reports has succeeded
    event = linear_learning_rate_event(unique("e2e-routed"))
    job = tuning_jobs.create_for_event(event)

    # When CloudTrail's event arrives on the default bus
    result = only_result(put_on_bus(event, monitor_stack))

    # Then the deployed function evaluated that very event
    assert result["status"] == "evaluated"
    assert result["job_name"] == job
    assert result["event_id"] in (event["id"], event["detail"]["eventID"])


def test_an_event_for_another_api_does_not_reach_the_handler(monitor_stack, put_on_bus):
    event = cloudtrail_event(tuning_request(unique("e2e-other")), event_name="CreateTrainingJob")

    assert put_on_bus(event, monitor_stack) == []


def test_an_alert_comes_out_of_sns_as_chatbot_json_and_as_email(tuning_jobs, monitor_stack, put_on_bus, capture_sns):
    capture = capture_sns(monitor_stack.topic_arn)
    event = linear_learning_rate_event(unique("e2e-alert"))
    job = tuning_jobs.create_for_event(event)

    result = only_result(put_on_bus(event, monitor_stack))

    (notification,) = capture.receive()
    (email,) = [e for e in capture.emails(ALERT_EMAIL) if e.message_id == notification.message_id]
    chatbot = notification.message_json()
    assert result["decision"] == "notify"
    assert result["actions"]["notify"] == notification.message_id
    assert chatbot["version"] == "1.0"
    assert chatbot["source"] == "custom"
    assert job in chatbot["content"]["title"]
    assert {"severity", "action", "rules"} <= set(notification.message_attributes)
    assert "log-scale" in notification.message_attributes["rules"]
    assert email.subject == notification.subject
    assert job in email.body
    assert not email.body.lstrip().startswith("{"), "the email subscriber must get text, not the Chatbot JSON"


def test_enforce_mode_stops_a_costly_misconfigured_job_that_is_running(
    tuning_jobs, enforce_stack, put_on_bus, capture_sns
):
    capture = capture_sns(enforce_stack.topic_arn)
    event = costly_misconfigured_event(unique("e2e-costly"))
    job = tuning_jobs.create_for_event(event)
    assert tuning_jobs.status(job) == "InProgress"

    result = only_result(put_on_bus(event, enforce_stack))

    assert result["decision"] == "stop"
    assert result["actions"]["stop"].startswith("stopped")
    assert tuning_jobs.status(job) in STOPPED_STATUSES
    (notification,) = capture.receive()
    assert notification.message_attributes["action"] == "stop"


def test_monitor_mode_only_alerts_on_the_same_job(tuning_jobs, monitor_stack, put_on_bus):
    event = costly_misconfigured_event(unique("e2e-monitored"))
    job = tuning_jobs.create_for_event(event)

    result = only_result(put_on_bus(event, monitor_stack))

    assert result["decision"] == "notify"
    assert tuning_jobs.status(job) == "InProgress"


def test_enforce_mode_leaves_a_job_that_already_completed(tuning_jobs, enforce_stack, put_on_bus):
    event = costly_misconfigured_event(unique("e2e-done"))
    job = tuning_jobs.create_for_event(event)
    tuning_jobs.set_status(job, "Completed")

    result = only_result(put_on_bus(event, enforce_stack))

    assert result["decision"] == "stop"
    assert not result["actions"]["stop"].startswith("stopped")
    assert tuning_jobs.status(job) == "Completed"


def test_the_function_logs_reach_its_log_group(embedded_aws, tuning_jobs, monitor_stack, put_on_bus, function_runner):
    event = linear_learning_rate_event(unique("e2e-logs"))
    tuning_jobs.create_for_event(event)
    (invocation,) = put_on_bus(event, monitor_stack)

    messages = [
        e["message"]
        for e in embedded_aws.client("logs").filter_log_events(
            logGroupName=f"/aws/lambda/{monitor_stack.function_name}"
        )["events"]
    ]

    # The rules invoke the alias `live`, which names the published version (template.yaml AutoPublishAlias).
    version = function_runner(monitor_stack).version
    assert version != "$LATEST"
    assert f"START RequestId: {invocation.request_id} Version: {version}" in messages
    assert any(f"REPORT RequestId: {invocation.request_id}" in m for m in messages)
