"""template.yaml's safety nets as deployed in the embedded AWS: the alarms on the alert topic, and the
failure queues of the weekly functions and their schedules."""

from __future__ import annotations

import pytest
from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.embedded.deployment import TEMPLATE_PATH, TemplateConditions

pytestmark = pytest.mark.emulator


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_every_alarm_of_the_template_is_deployed_and_notifies_the_topic(embedded_aws, monitor_stack):
    template = yaml_parse(TEMPLATE_PATH.read_text())
    # Every alarm the stack's parameters create: the reconciliation's come only with ReconcileSchedule.
    conditions = TemplateConditions(template, {})
    expected = {
        name
        for name, r in template["Resources"].items()
        if r["Type"] == "AWS::CloudWatch::Alarm" and conditions.holds(r["Condition"])
    }
    assert "GuardrailFunctionErrorsAlarm" in expected and "ReconcileFunctionErrorsAlarm" not in expected
    paginator = embedded_aws.client("cloudwatch").get_paginator("describe_alarms")
    alarms = [
        alarm
        for page in paginator.paginate(AlarmNamePrefix=f"{monitor_stack.stack_name}-")
        for alarm in page["MetricAlarms"]
    ]

    # Named as CloudFormation names them: stack name, logical id, a suffix.
    assert {alarm["AlarmName"].split("-")[-2] for alarm in alarms} == expected
    assert all(alarm["AlarmActions"] == [monitor_stack.topic_arn] for alarm in alarms)
    assert all(alarm["TreatMissingData"] == "notBreaching" for alarm in alarms)
    queue_alarms = {a["Dimensions"][0]["Value"] for a in alarms if a["Namespace"] == "AWS/SQS"}
    assert {_queue_name(url) for key, url in monitor_stack.outputs.items() if key.endswith("QueueUrl")} == queue_alarms


@pytest.mark.parametrize("function_output", ["ReporterFunctionName", "PriceRefreshFunctionName"])
def test_weekly_runs_that_fail_or_cannot_start_are_kept_in_queues(embedded_aws, monitor_stack, function_output):
    function = monitor_stack.outputs[function_output]
    failed = _queue_name(monitor_stack.outputs["FailedScheduledRunQueueUrl"])
    undelivered = _queue_name(monitor_stack.outputs["UndeliveredScheduledRunQueueUrl"])
    function_arn = embedded_aws.client("lambda").get_function_configuration(FunctionName=function)["FunctionArn"]
    scheduler = embedded_aws.client("scheduler")

    invoke_config = embedded_aws.client("lambda").get_function_event_invoke_config(FunctionName=function)
    (schedule,) = [s for s in scheduler.list_schedules()["Schedules"] if s["Target"]["Arn"] == function_arn]
    target = scheduler.get_schedule(Name=schedule["Name"])["Target"]

    assert invoke_config["MaximumRetryAttempts"] == 2
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"].endswith(f":{failed}")
    assert target["DeadLetterConfig"]["Arn"].endswith(f":{undelivered}")
    assert len(schedule["Name"]) <= 64
