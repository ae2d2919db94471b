"""What the emulator reports it could not create is what the stack would create, conditions applied."""

from __future__ import annotations

from hpo_guardrail.embedded.deployment import skipped_resource_types

TEMPLATE = {
    "Parameters": {"SlackChannelId": {"Type": "String", "Default": ""}, "Teams": {"Type": "CommaDelimitedList"}},
    "Conditions": {
        "HasSlackChannel": {"Fn::Not": [{"Fn::Equals": [{"Ref": "SlackChannelId"}, ""]}]},
        "HasTeams": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": [",", {"Ref": "Teams"}]}, ""]}]},
        "Both": {"Fn::And": [{"Condition": "HasSlackChannel"}, {"Condition": "HasTeams"}]},
    },
    "Resources": {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Slack": {"Type": "AWS::Chatbot::SlackChannelConfiguration", "Condition": "HasSlackChannel"},
        "Button": {"Type": "AWS::Chatbot::CustomAction", "Condition": "Both"},
        "Unknown": {"Type": "AWS::Made::Up", "Condition": "Undecidable"},
    },
}
TEMPLATE["Conditions"]["Undecidable"] = {"Fn::Contains": [["a"], "a"]}


def test_a_resource_whose_condition_is_false_is_not_reported_as_skipped():
    assert skipped_resource_types(TEMPLATE) == ("AWS::Made::Up",)


def test_a_resource_the_stack_creates_and_the_emulator_cannot_is_reported():
    given = {"SlackChannelId": "C0123", "Teams": ["nlp"]}
    assert skipped_resource_types(TEMPLATE, given) == (
        "AWS::Chatbot::CustomAction",
        "AWS::Chatbot::SlackChannelConfiguration",
        "AWS::Made::Up",
    )
    assert skipped_resource_types(TEMPLATE, {"SlackChannelId": "C0123"}) == (
        "AWS::Chatbot::SlackChannelConfiguration",
        "AWS::Made::Up",
    )
