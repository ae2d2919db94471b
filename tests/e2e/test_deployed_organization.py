"""template.yaml with an OrganizationId, deployed into the embedded AWS (one account: the central one).

The emulator serves one account here, so this holds what the central stack itself does: it creates the
central bus and its rule to the function, passes the organization to the function, and the deployed function
acts on an event that came through that bus and rejects one whose envelope names another account than its
CloudTrail record. Member accounts acting through their role are covered with several emulated accounts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.embedded.deployment import TEMPLATE_PATH, StackParameters, deploy_template
from hpo_guardrail.embedded.event_bus import put_event
from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS
from tests.builders import costly_linear_lr_event

pytestmark = pytest.mark.emulator

ORGANIZATION = "o-embedded01"
OTHER_ACCOUNT = "222222222222"


@pytest.fixture(scope="module")
def organization_stack(embedded_aws, tmp_path_factory):
    """The stack deployed with OrganizationId set (the template's default, so the emulator's stack uses it)."""
    template = TEMPLATE_PATH.read_text(encoding="utf-8")
    marker = 'AllowedPattern: "^(o-[a-z0-9]{10,32})?$"'
    assert template.count(marker) == 1
    copy = Path(tmp_path_factory.mktemp("org-template")) / "template.yaml"
    copy.write_text(template.replace('    Default: ""\n    ' + marker, f"    Default: {ORGANIZATION}\n    " + marker))
    assert yaml_parse(copy.read_text())["Parameters"]["OrganizationId"]["Default"] == ORGANIZATION
    return deploy_template(embedded_aws, StackParameters(mode="monitor"), template_path=copy)


def _deliver_on(embedded_aws, runner, event, bus):
    event_id = put_event(embedded_aws, event, event_bus_name=bus)
    queued = ASYNC_INVOCATIONS.take_event(event_id)
    return [runner.invoke_async(q.event) for q in queued if q.function_arn == runner.function_arn]


def test_the_central_bus_and_its_rules_to_the_function_are_created(embedded_aws, organization_stack):
    events = embedded_aws.client("events")
    bus_arn = organization_stack.outputs["CentralEventBusArn"]
    bus_name = bus_arn.rsplit("/", 1)[-1]
    assert bus_name == f"{organization_stack.stack_name}-org-events"
    assert events.describe_event_bus(Name=bus_name)["Arn"] == bus_arn
    rules = events.list_rules(EventBusName=bus_name)["Rules"]
    # The creation calls and SageMaker's state changes the member accounts forward.
    assert sorted(json.loads(rule["EventPattern"])["detail-type"][0] for rule in rules) == [
        "AWS API Call via CloudTrail",
        "SageMaker HyperParameter Tuning Job State Change",
    ]
    for rule in rules:
        (target,) = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus_name)["Targets"]
        assert target["Arn"] == organization_stack.function_arn
        queue = organization_stack.undelivered_event_queue_url.rsplit("/")[-1]
        assert target["DeadLetterConfig"]["Arn"].endswith(queue)
    assert organization_stack.outputs["GuardrailFunctionRoleArn"].startswith("arn:aws:iam::")


def test_the_function_is_told_the_organization_and_its_own_account(embedded_aws, organization_stack, function_runner):
    variables = function_runner(organization_stack).configuration["Environment"]["Variables"]
    assert variables["ORGANIZATION_ID"] == ORGANIZATION
    assert variables["MEMBER_ROLE_NAME"] == "HpoGuardrailMember"
    assert variables["GUARDRAIL_ACCOUNT_ID"] == embedded_aws.account_id


def test_an_event_through_the_central_bus_is_evaluated(embedded_aws, organization_stack, function_runner):
    runner = function_runner(organization_stack)
    event = costly_linear_lr_event("org-central-costly")
    bus = organization_stack.outputs["CentralEventBusArn"].rsplit("/", 1)[-1]
    (invocation,) = _deliver_on(embedded_aws, runner, event, bus)
    assert invocation.error is None, invocation.error
    assert invocation.result["status"] == "evaluated" and invocation.result["decision"] == "notify"


def test_an_event_whose_envelope_names_another_account_is_rejected(embedded_aws, organization_stack, function_runner):
    runner = function_runner(organization_stack)
    event = costly_linear_lr_event("org-forged")
    event["detail"]["recipientAccountId"] = OTHER_ACCOUNT  # the envelope says the emulator's account
    bus = organization_stack.outputs["CentralEventBusArn"].rsplit("/", 1)[-1]
    (invocation,) = _deliver_on(embedded_aws, runner, event, bus)
    assert invocation.error is None and invocation.attempts == 1, "rejected, not retried"
    assert invocation.result["status"] == "rejected"
    assert "forged or mis-aggregated" in invocation.result["reason"]
