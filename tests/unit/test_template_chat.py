"""template.yaml's chat channels, with and without the Slack and Teams ids: they post the alerts and may do
nothing else (no command, no button: granting the channel the guardrail function would let anyone in it invoke
the function with any event).

The same rendering as test_template_organization (SAM transform, conditions decided per parameter values),
with the And/Or conditions the chat channels use.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.test_template_organization import TRANSFORMED, _Deployment

SLACK = {"SlackWorkspaceId": "T0123ABCD", "SlackChannelId": "C0456EFGH"}
TEAMS = {
    "TeamsTenantId": "11111111-2222-3333-4444-555555555555",
    "TeamsTeamId": "66666666-7777-8888-9999-000000000000",
    "TeamsChannelId": "19%3aabc123%40thread.tacv2",
}
CHAT_TYPES = ("AWS::Chatbot::SlackChannelConfiguration", "AWS::Chatbot::MicrosoftTeamsChannelConfiguration")


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
def test_each_channel_gets_the_alert_topic_and_only_a_read_only_guardrail(deployment):
    channels = [
        *deployment.of_type("AWS::Chatbot::SlackChannelConfiguration").values(),
        *deployment.of_type("AWS::Chatbot::MicrosoftTeamsChannelConfiguration").values(),
    ]
    assert channels
    for channel in channels:
        assert channel["SnsTopicArns"] == [{"Ref": "NotificationTopic"}]
        assert "CustomizationResourceArns" not in channel, "no button until it has an entry point of its own"
        assert channel["IamRoleArn"] == {"Fn::GetAtt": ["ChatChannelRole", "Arn"]}
        assert channel["GuardrailPolicies"] == [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"}]


def _statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    return policy_document["Statement"]


@WITH_CHAT
def test_the_channel_role_may_do_nothing_and_only_chatbot_of_this_account_assumes_it(deployment):
    role = deployment.resources["ChatChannelRole"]["Properties"]
    (trust,) = _statements(role["AssumeRolePolicyDocument"])
    assert trust["Principal"] == {"Service": "chatbot.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    assert not deployment.of_type("AWS::IAM::ManagedPolicy") and not deployment.of_type("AWS::Chatbot::CustomAction")
    assert "lambda:InvokeFunction" not in json.dumps(role)
