"""template.yaml's chat channels and the Stop tuning job button, with and without the Slack and Teams ids.

The same rendering as test_template_organization (SAM transform, conditions decided per parameter values),
with the And/Or conditions the chat channels use.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from hpo_guardrail.enforce.chat_stop import BUTTON_COMMAND, COMMAND_TEXT_LIMIT, ChatStopRequest
from tests.unit.test_template_organization import TRANSFORMED, _Deployment

SLACK = {"SlackWorkspaceId": "T0123ABCD", "SlackChannelId": "C0456EFGH"}
TEAMS = {
    "TeamsTenantId": "11111111-2222-3333-4444-555555555555",
    "TeamsTeamId": "66666666-7777-8888-9999-000000000000",
    "TeamsChannelId": "19%3aabc123%40thread.tacv2",
}
CHAT_TYPES = (
    "AWS::Chatbot::SlackChannelConfiguration",
    "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
    "AWS::Chatbot::CustomAction",
)
# AWS Chatbot's documented limits of a custom action attachment (API CustomActionAttachment).
MAX_VARIABLES, MAX_CRITERIA, BUTTON_TEXT_LIMIT = 5, 5, 50


class _ChatDeployment(_Deployment):
    def _condition(self, body: dict[str, Any]) -> bool:
        ((function, argument),) = body.items()
        if function == "Fn::And":
            return all(self._condition(part) for part in argument)
        if function == "Fn::Or":
            return any(self._condition(part) for part in argument)
        if function == "Condition":
            return self._condition(TRANSFORMED["Conditions"][argument])
        return super()._condition(body)


NONE = _ChatDeployment({})
SLACK_ONLY = _ChatDeployment(SLACK)
TEAMS_ONLY = _ChatDeployment(TEAMS)
BOTH = _ChatDeployment(SLACK | TEAMS)
WITH_CHAT = pytest.mark.parametrize("deployment", [SLACK_ONLY, TEAMS_ONLY, BOTH], ids=["slack", "teams", "both"])


def _only(deployment: _Deployment, kind: str) -> dict[str, Any]:
    (properties,) = deployment.of_type(kind).values()
    return properties


def test_without_the_ids_no_chat_resource_is_created():
    assert not [r for r in NONE.resources.values() if r["Type"] in CHAT_TYPES]
    assert "ChatChannelRole" not in NONE.resources and "StopTuningJobActionArn" not in NONE.outputs


@pytest.mark.parametrize(
    "rule, parameters",
    [("SlackIdsTogether", list(SLACK)), ("TeamsIdsTogether", list(TEAMS))],
)
def test_a_channels_ids_are_given_all_or_none(rule, parameters):
    """CloudFormation refuses a stack with some of a channel's ids (the conditions test one id each)."""
    (assertion,) = TRANSFORMED["Rules"][rule]["Assertions"]
    all_empty, all_set = assertion["Assert"]["Fn::Or"]
    assert all_empty == {"Fn::And": [{"Fn::Equals": [{"Ref": p}, ""]} for p in parameters]}
    assert all_set == {"Fn::And": [{"Fn::Not": [{"Fn::Equals": [{"Ref": p}, ""]}]} for p in parameters]}


def test_slack_ids_create_the_slack_channel_only():
    slack = _only(SLACK_ONLY, "AWS::Chatbot::SlackChannelConfiguration")
    assert (slack["SlackWorkspaceId"], slack["SlackChannelId"]) == (
        {"Ref": "SlackWorkspaceId"},
        {"Ref": "SlackChannelId"},
    )
    assert not SLACK_ONLY.of_type("AWS::Chatbot::MicrosoftTeamsChannelConfiguration")
    assert "SlackAlertChannelArn" in SLACK_ONLY.outputs and "TeamsAlertChannelArn" not in SLACK_ONLY.outputs


def test_teams_ids_create_the_teams_channel_only():
    teams = _only(TEAMS_ONLY, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration")
    assert (teams["TeamsTenantId"], teams["TeamId"], teams["TeamsChannelId"]) == tuple({"Ref": p} for p in TEAMS)
    assert not TEAMS_ONLY.of_type("AWS::Chatbot::SlackChannelConfiguration")


@WITH_CHAT
def test_each_channel_gets_the_alert_topic_the_button_and_a_read_only_guardrail(deployment):
    channels = [
        *deployment.of_type("AWS::Chatbot::SlackChannelConfiguration").values(),
        *deployment.of_type("AWS::Chatbot::MicrosoftTeamsChannelConfiguration").values(),
    ]
    assert channels
    for channel in channels:
        assert channel["SnsTopicArns"] == [{"Ref": "NotificationTopic"}]
        assert channel["CustomizationResourceArns"] == [{"Ref": "StopTuningJobAction"}]
        assert channel["IamRoleArn"] == {"Fn::GetAtt": ["ChatChannelRole", "Arn"]}
        assert channel["UserRoleRequired"] is False
        read_only, button = channel["GuardrailPolicies"]
        assert read_only == {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"}
        assert button == {"Ref": "ChatChannelGuardrailPolicy"}


def _statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    return policy_document["Statement"]


@WITH_CHAT
def test_the_channel_role_may_invoke_the_guardrail_function_and_nothing_else(deployment):
    role = deployment.resources["ChatChannelRole"]["Properties"]
    (trust,) = _statements(role["AssumeRolePolicyDocument"])
    assert trust["Principal"] == {"Service": "chatbot.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert "ManagedPolicyArns" not in role
    granted = [s for policy in role["Policies"] for s in _statements(policy["PolicyDocument"])]
    guardrail = _statements(deployment.resources["ChatChannelGuardrailPolicy"]["Properties"]["PolicyDocument"])
    for statement in [*granted, *guardrail]:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == "lambda:InvokeFunction"
        assert statement["Resource"] == {"Fn::GetAtt": ["GuardrailFunction", "Arn"]}
        assert "NotAction" not in statement and "NotResource" not in statement


@WITH_CHAT
def test_the_button_is_on_custom_notifications_that_only_notified(deployment):
    action = _only(deployment, "AWS::Chatbot::CustomAction")
    (attachment,) = action["Attachments"]
    assert attachment["NotificationType"] == "Custom"
    assert len(attachment["ButtonText"]) <= BUTTON_TEXT_LIMIT
    assert len(attachment["Variables"]) <= MAX_VARIABLES and len(attachment["Criteria"]) <= MAX_CRITERIA
    criteria = {(c["VariableName"], c["Operator"], c.get("Value")) for c in attachment["Criteria"]}
    assert ("action", "EQUALS", "notify") in criteria
    assert {("id", "HAS_VALUE", None), ("fn", "HAS_VALUE", None), ("rg", "HAS_VALUE", None)} <= criteria
    assert {name for name, _, _ in criteria} <= set(attachment["Variables"])


def test_the_buttons_command_is_the_one_the_function_reads_and_fits_chatbots_limit():
    action = _only(SLACK_ONLY, "AWS::Chatbot::CustomAction")
    command = action["Definition"]["CommandText"]
    assert command == BUTTON_COMMAND and len(command) <= COMMAND_TEXT_LIMIT
    (attachment,) = action["Attachments"]
    assert set(re.findall(r"\$(\w+)", command)) <= set(attachment["Variables"])


def test_the_buttons_variables_read_what_the_alert_carries_and_its_payload_reads():
    """Substitute the variables from a real alert's additionalContext, as Chatbot does, and read the payload."""
    from hpo_guardrail.enforce.service import GuardrailService
    from hpo_guardrail.enforce.settings import Settings
    from rules.policy import Mode
    from tests.unit.fakes import FakeJobs, FakeNotifier
    from tests.unit.test_chat_stop import EVENT_ID, FUNCTION, costly_misconfigured

    notifier = FakeNotifier()
    service = GuardrailService(Settings(mode=Mode.MONITOR, AWS_REGION="eu-west-1"), FakeJobs(), notifier)
    service.offer_stop_button(FUNCTION)
    service.handle(costly_misconfigured())
    notification = {"event": notifier.sent[0].chatbot}

    (attachment,) = _only(SLACK_ONLY, "AWS::Chatbot::CustomAction")["Attachments"]
    values = {}
    for name, path in attachment["Variables"].items():
        node: Any = notification
        for part in path.split("."):
            node = node[part]
        values[name] = node
    assert values["action"] == "notify"
    command = re.sub(r"\$(\w+)", lambda m: values[m.group(1)], BUTTON_COMMAND)
    assert f"--function-name {FUNCTION} --region eu-west-1 " in command
    payload = json.loads(command.split("--payload ", 1)[1])
    assert ChatStopRequest.read(payload).event_id == EVENT_ID


def test_the_custom_actions_name_fits_chatbots_64_characters():
    name = _only(SLACK_ONLY, "AWS::Chatbot::CustomAction")["ActionName"]
    separator, parts = name["Fn::Join"]
    # The stack id's last part is a UUID (36 characters).
    assert len(separator.join([parts[0], "x" * 36])) <= 64
