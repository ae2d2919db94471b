"""template.yaml's chat channels and the Stop tuning job button, with and without the Slack and Teams ids.

The channels post the alerts; their one action is the button, an AWS Chatbot custom action that invokes the Stop
button's own function (which accepts nothing but the button's payload) and nothing else. The same rendering as
test_template_organization (SAM transform, conditions decided per parameter values), with the And/Or conditions
the chat channels use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hpo_guardrail.composition import SHARED_EXECUTION_ROLES, STOP_BUTTON_FUNCTION_VARIABLE
from hpo_guardrail.embedded.chat_button import ButtonNotShown, button_press
from hpo_guardrail.enforce.chat_stop import BUTTON_COMMAND, COMMAND_TEXT_LIMIT, ChatStopRequest
from rules.policy import Mode
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
# The button invokes the function's alias live (AutoPublishAlias), so the channel may invoke that and nothing else.
STOP_BUTTON_ARN = {"Ref": "StopButtonFunctionAliaslive"}


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
    assert not NONE.of_type("AWS::IAM::ManagedPolicy")


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
def test_each_channel_gets_the_alert_topic_the_button_and_a_read_only_guardrail_plus_the_button(deployment):
    channels = [
        *deployment.of_type("AWS::Chatbot::SlackChannelConfiguration").values(),
        *deployment.of_type("AWS::Chatbot::MicrosoftTeamsChannelConfiguration").values(),
    ]
    assert channels
    for channel in channels:
        assert channel["SnsTopicArns"] == [{"Ref": "NotificationTopic"}]
        assert channel["CustomizationResourceArns"] == [{"Ref": "StopTuningJobAction"}]
        assert channel["IamRoleArn"] == {"Fn::GetAtt": ["ChatChannelRole", "Arn"]}
        read_only, button = channel["GuardrailPolicies"]
        assert read_only == {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"}
        assert button == {"Ref": "ChatChannelGuardrailPolicy"}


def _statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    return policy_document["Statement"]


@WITH_CHAT
def test_the_channel_role_may_invoke_the_stop_buttons_function_and_nothing_else(deployment):
    role = deployment.resources["ChatChannelRole"]["Properties"]
    (trust,) = _statements(role["AssumeRolePolicyDocument"])
    assert trust["Principal"] == {"Service": "chatbot.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "ManagedPolicyArns" not in role
    granted = [s for policy in role["Policies"] for s in _statements(policy["PolicyDocument"])]
    (guardrail_policy,) = deployment.of_type("AWS::IAM::ManagedPolicy").values()
    guardrail = _statements(guardrail_policy["PolicyDocument"])
    assert granted and guardrail
    for statement in [*granted, *guardrail]:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == "lambda:InvokeFunction"
        assert statement["Resource"] == STOP_BUTTON_ARN
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"}, "no NotAction, NotResource or wildcard"
    assert "GuardrailFunction" not in json.dumps(role), "the guardrail function takes events only"


def test_without_a_chat_channel_the_button_function_is_deployed_and_the_alerts_name_it():
    """An operator may send the stop request without a chat channel: the one entry point exists in every stack."""
    assert "StopButtonFunction" in NONE.resources and "StopButtonFunctionName" in NONE.outputs
    variables = NONE.resources["GuardrailFunction"]["Properties"]["Environment"]["Variables"]
    assert variables[STOP_BUTTON_FUNCTION_VARIABLE] == {"Fn::Sub": "${StopButtonFunction}:live"}
    assert NONE.resources["StopButtonFunctionAliaslive"]["Properties"]["Name"] == "live"


def test_the_stop_buttons_function_runs_as_the_guardrails_role_with_its_settings():
    """The member roles trust exactly GuardrailFunctionRoleArn: the button stops through the same role."""
    function = NONE.resources["StopButtonFunction"]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": ["GuardrailFunctionRole", "Arn"]}
    assert "StopButtonFunctionRole" not in NONE.resources, "no second role for the member roles to trust"
    assert SHARED_EXECUTION_ROLES == {"StopButtonFunction": "GuardrailFunction"}
    assert function["Handler"] == "functions.stop_button.app.lambda_handler"
    guardrail = NONE.resources["GuardrailFunction"]["Properties"]["Environment"]["Variables"]
    button = function["Environment"]["Variables"]
    assert button == {k: v for k, v in guardrail.items() if k != STOP_BUTTON_FUNCTION_VARIABLE}
    # Nothing but the button (and an operator) invokes it: no event source, no resource policy for a service.
    assert not [
        p
        for p in NONE.of_type("AWS::Lambda::Permission").values()
        if p["FunctionName"] in ({"Ref": "StopButtonFunction"}, STOP_BUTTON_ARN)
    ]


@WITH_CHAT
def test_the_button_is_on_custom_notifications_that_only_notified(deployment):
    action = _only(deployment, "AWS::Chatbot::CustomAction")
    (attachment,) = action["Attachments"]
    assert attachment["NotificationType"] == "Custom"
    criteria = {(c["VariableName"], c["Operator"], c.get("Value")) for c in attachment["Criteria"]}
    assert ("action", "EQUALS", "notify") in criteria
    assert {("id", "HAS_VALUE", None), ("fn", "HAS_VALUE", None), ("rg", "HAS_VALUE", None)} <= criteria
    assert {name for name, _, _ in criteria} <= set(attachment["Variables"])
    assert attachment["Variables"]["fn"] == "event.metadata.additionalContext.stopFunction"


def _resource_schema(resource_type: str) -> dict[str, Any]:
    """cfn-lint's copy of CloudFormation's resource schema (the pinned release): the provider's index of a region
    names the schema file of each type."""
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    return dict(json.loads((schemas / "resources" / f"{index[resource_type]}.json").read_text(encoding="utf-8")))


def test_the_custom_action_satisfies_cloudformations_resource_schema():
    """At most 5 variables, 1 to 5 criteria of HAS_VALUE or EQUALS, button text of 50 characters, an ActionName of
    64: from CloudFormation's schema rather than copied by hand."""
    schema = _resource_schema("AWS::Chatbot::CustomAction")
    properties = dict(_only(SLACK_ONLY, "AWS::Chatbot::CustomAction"))
    # The stack id's last part is a uuid (36 characters).
    separator, parts = properties["ActionName"]["Fn::Join"]
    properties["ActionName"] = separator.join([parts[0], "0" * 8 + "-0000-0000-0000-" + "0" * 12])
    jsonschema.validate(properties, schema)
    # The schema allows 5000 characters of CommandText; the Chatbot API reference (CustomActionDefinition) allows
    # 100, the stricter limit the command is held to (COMMAND_TEXT_LIMIT).
    assert (
        schema["definitions"]["CustomActionDefinition"]["properties"]["CommandText"]["maxLength"] >= COMMAND_TEXT_LIMIT
    )
    # Ref of a custom action is its primary identifier, the ARN the channel configurations take.
    assert schema["primaryIdentifier"] == ["/properties/CustomActionArn"]
    channel = _resource_schema("AWS::Chatbot::SlackChannelConfiguration")
    assert "custom-action/" in channel["properties"]["CustomizationResourceArns"]["items"]["pattern"]


def test_the_buttons_command_is_the_one_the_function_reads_and_fits_chatbots_limit():
    action = _only(SLACK_ONLY, "AWS::Chatbot::CustomAction")
    command = action["Definition"]["CommandText"]
    assert command == BUTTON_COMMAND and len(command) <= COMMAND_TEXT_LIMIT
    (attachment,) = action["Attachments"]
    assert set(re.findall(r"\$(\w+)", command)) <= set(attachment["Variables"])


def _alert(mode: Mode, function: str | None = "hpo-stop-button-AbC") -> dict[str, Any]:
    from hpo_guardrail.enforce.service import GuardrailService
    from hpo_guardrail.enforce.settings import Settings
    from tests.unit.fakes import FakeJobs, FakeNotifier
    from tests.unit.test_chat_stop import NAME, costly_misconfigured

    notifier = FakeNotifier()
    service = GuardrailService(Settings(mode=mode, AWS_REGION="eu-west-1"), FakeJobs({NAME: "InProgress"}), notifier)
    service.offer_stop_button(function)
    service.handle(costly_misconfigured())
    return dict(notifier.sent[0].chatbot)


def test_the_buttons_variables_read_what_the_alert_carries_and_its_payload_reads():
    """Substitute the variables from a real alert's additionalContext, as Chatbot does, and read the payload."""
    from tests.unit.test_chat_stop import EVENT_ID

    press = button_press(TRANSFORMED, _alert(Mode.MONITOR))

    assert (press.function_name, press.region) == ("hpo-stop-button-AbC", "eu-west-1")
    assert press.command.startswith("lambda invoke --function-name hpo-stop-button-AbC --region eu-west-1 ")
    assert ChatStopRequest.read(press.payload).event_id == EVENT_ID


@pytest.mark.parametrize(
    "mode, function, hidden_by",
    [(Mode.ENFORCE, "hpo-stop-button-AbC", "variable action is 'stop'"), (Mode.MONITOR, None, "variable fn")],
    ids=["stopped-by-the-policy", "no-button-function"],
)
def test_no_button_on_an_alert_the_guardrail_acted_on_or_without_the_function(mode, function, hidden_by):
    with pytest.raises(ButtonNotShown, match=hidden_by):
        button_press(TRANSFORMED, _alert(mode, function))


def test_the_custom_actions_name_fits_chatbots_64_characters():
    name = _only(SLACK_ONLY, "AWS::Chatbot::CustomAction")["ActionName"]
    separator, parts = name["Fn::Join"]
    # The stack id's last part is a UUID (36 characters).
    assert len(separator.join([parts[0], "x" * 36])) <= 64
