"""Every name the stack gives a resource fits its service's limit, for any stack name.

CloudFormation allows stack names of 128 characters, and StackSets name their stacks
`StackSet-<set name>-<uuid>`, so a name built from `${AWS::StackName}` can outgrow a service's limit and
fail the deployment (a schedule named `${AWS::StackName}-weekly-report` did). The template is rendered
as CloudFormation would create it (after the SAM transform, which adds roles, permissions, schedules and
event invoke configs) for the longest stack name, and each name is held to the documented limit below.
A resource whose name CloudFormation generates fits by construction; where another name embeds it
(`/aws/lambda/${GuardrailFunction}`), the longest generated name is assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.sam_templates import sam_transformed

ROOT = Path(__file__).resolve().parents[2]
# CloudFormation CreateStack, StackName: 1-128 characters, [a-zA-Z][-a-zA-Z0-9]*. A StackSet-made one:
LONGEST_STACK_NAME = ("StackSet-hpo-guardrail-org-rollout-" + "0123abcd-" * 20)[:127] + "z"
STACK_UUID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
PSEUDO = {
    "AWS::StackName": LONGEST_STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:ap-southeast-2:123456789012:stack/{LONGEST_STACK_NAME}/{STACK_UUID}",
    "AWS::AccountId": "123456789012",
    "AWS::Region": "ap-southeast-2",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


@dataclass(frozen=True)
class NameLimit:
    """A resource type's name property, its longest and its characters, and where that is documented."""

    prop: str | None  # None: the type has no name of its own
    longest: int = 0
    pattern: str = ".*"
    source: str = ""


# Every resource type the rendered template holds. A new type fails test_every_resource_type_has_a_limit
# until its name (or that it has none) is written here with the service's documented limit.
NAME_LIMITS: dict[str, NameLimit] = {
    "AWS::Scheduler::Schedule": NameLimit(
        "Name", 64, r"[0-9a-zA-Z\-_.]+", "EventBridge Scheduler API Reference, CreateSchedule: Name 1-64"
    ),
    "AWS::Events::Rule": NameLimit("Name", 64, r"[\.\-_A-Za-z0-9]+", "EventBridge API Reference, PutRule: Name 1-64"),
    "AWS::Events::EventBus": NameLimit(
        "Name", 256, r"[/\.\-_A-Za-z0-9]+", "EventBridge API Reference, CreateEventBus: Name 1-256"
    ),
    "AWS::Lambda::Function": NameLimit(
        "FunctionName", 64, r"[a-zA-Z0-9\-_]+", "Lambda API Reference, CreateFunction: a function name is 1-64"
    ),
    "AWS::SQS::Queue": NameLimit(
        "QueueName", 80, r"[a-zA-Z0-9\-_]+(\.fifo)?", "SQS API Reference, CreateQueue: QueueName up to 80"
    ),
    "AWS::SNS::Topic": NameLimit(
        "TopicName", 256, r"[a-zA-Z0-9\-_]+(\.fifo)?", "SNS API Reference, CreateTopic: Name up to 256"
    ),
    "AWS::DynamoDB::Table": NameLimit(
        "TableName", 255, r"[a-zA-Z0-9_.\-]{3,}", "DynamoDB API Reference, CreateTable: TableName 3-255"
    ),
    "AWS::IAM::Role": NameLimit("RoleName", 64, r"[\w+=,.@\-]+", "IAM API Reference, CreateRole: RoleName 1-64"),
    "AWS::Logs::LogGroup": NameLimit(
        "LogGroupName", 512, r"[\.\-_/#A-Za-z0-9]+", "CloudWatch Logs API Reference, CreateLogGroup: 1-512"
    ),
    "AWS::CloudWatch::Alarm": NameLimit("AlarmName", 255, ".+", "CloudWatch API Reference, PutMetricAlarm: 1-255"),
    "AWS::S3::Bucket": NameLimit(
        "BucketName", 63, r"[a-z0-9][a-z0-9.\-]*[a-z0-9]", "S3 User Guide, bucket naming rules: 3-63"
    ),
    "AWS::KMS::Alias": NameLimit("AliasName", 256, r"alias/[a-zA-Z0-9/_\-]+", "KMS API Reference, CreateAlias: 1-256"),
    "AWS::IAM::ManagedPolicy": NameLimit(
        "ManagedPolicyName", 128, r"[\w+=,.@\-]+", "IAM API Reference, CreatePolicy: PolicyName 1-128"
    ),
    "AWS::Chatbot::SlackChannelConfiguration": NameLimit(
        "ConfigurationName", 128, r"[A-Za-z0-9\-_]+", "AWS Chatbot API Reference: ConfigurationName 1-128"
    ),
    "AWS::Chatbot::MicrosoftTeamsChannelConfiguration": NameLimit(
        "ConfigurationName", 128, r"[A-Za-z0-9\-_]+", "AWS Chatbot API Reference: ConfigurationName 1-128"
    ),
    "AWS::Lambda::Alias": NameLimit(
        "Name", 128, r"(?!^[0-9]+$)[a-zA-Z0-9\-_]+", "Lambda API Reference, CreateAlias: Name 1-128, not only digits"
    ),
    "AWS::Chatbot::CustomAction": NameLimit(
        "ActionName", 64, r"[a-zA-Z0-9_\-]+", "AWS Chatbot API Reference, CreateCustomAction: ActionName 1-64"
    ),
    # Not names of their own: they refer to another resource (FunctionName, TopicArn, Queues, Bucket).
    "AWS::KMS::Key": NameLimit(None),
    "AWS::SNS::Subscription": NameLimit(None),
    "AWS::SQS::QueuePolicy": NameLimit(None),
    "AWS::S3::BucketPolicy": NameLimit(None),
    "AWS::Lambda::Permission": NameLimit(None),
    "AWS::Lambda::EventInvokeConfig": NameLimit(None),
    "AWS::Lambda::Version": NameLimit(None),
}
# Other length limits on what the template names. SNS: "The display name ... must be maximum 100
# characters long" (AWS::SNS::Topic DisplayName); Scheduler: Description up to 512.
# Lambda: a version's Description is 0-256 characters (AWS::Lambda::Version; test_template_snapstart.py holds it
# for the longest parameter values too).
OTHER_LIMITS = {
    ("AWS::SNS::Topic", "DisplayName"): 100,
    ("AWS::Scheduler::Schedule", "Description"): 512,
    ("AWS::Lambda::Version", "Description"): 256,
}


def _rendered() -> dict[str, Any]:
    """template.yaml as CloudFormation receives it after the SAM transform (scripts/sam_transform.py)."""
    return sam_transformed(ROOT / "template.yaml", PSEUDO)


class _Renderer:
    """Evaluates the intrinsic functions a name uses, for the longest stack name."""

    def __init__(self, template: dict[str, Any]) -> None:
        self._resources = template["Resources"]
        self._parameters = template.get("Parameters", {})

    def value(self, node: Any) -> str:
        if isinstance(node, str | int | float):
            return str(node)
        if not isinstance(node, dict) or len(node) != 1:
            raise AssertionError(f"cannot render {node!r}")
        ((function, argument),) = node.items()
        if function == "Ref":
            return self._ref(argument)
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            return re.sub(r"\$\{([^}!]+)\}", lambda m: self._sub(m.group(1), variables), text)
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(self.value(part) for part in parts)
        if function == "Fn::Select":
            index, values = argument
            return self.values(values)[int(index)]
        if function == "Fn::GetAtt":
            name, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self._attribute(name, attribute)
        raise AssertionError(f"cannot render {function}")

    def values(self, node: Any) -> list[str]:
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if isinstance(node, dict) and "Fn::Split" in node:
            separator, text = node["Fn::Split"]
            return self.value(text).split(separator)
        raise AssertionError(f"cannot render a list from {node!r}")

    def _sub(self, name: str, variables: dict[str, Any]) -> str:
        if name in variables:
            return self.value(variables[name])
        if "." in name:
            return self._attribute(*name.split(".", 1))
        return self._ref(name)

    def _ref(self, name: str) -> str:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self._parameters:
            return str(self._parameters[name].get("Default", ""))
        return self._physical_name(name)

    def _physical_name(self, logical_id: str) -> str:
        """The resource's name: its own, rendered, or the longest CloudFormation may generate for it."""
        resource = self._resources[logical_id]
        limit = NAME_LIMITS.get(resource["Type"])
        if limit is None or limit.prop is None:
            raise AssertionError(f"a name refers to {logical_id} ({resource['Type']}), which has no name")
        given = resource.get("Properties", {}).get(limit.prop)
        return self.value(given) if given is not None else "g" * limit.longest

    def _attribute(self, logical_id: str, attribute: str) -> str:
        resource_type = self._resources[logical_id]["Type"]
        if attribute in ("QueueName", "TopicName", "Name"):
            return self._physical_name(logical_id)
        if attribute == "Arn":
            service = resource_type.split("::")[1].lower()
            where = f"{PSEUDO['AWS::Region']}:{PSEUDO['AWS::AccountId']}"
            return f"arn:aws:{service}:{where}:{self._physical_name(logical_id)}"
        raise AssertionError(f"cannot render {logical_id}.{attribute}")


def _names(template: dict[str, Any]) -> list[tuple[str, str, str, NameLimit]]:
    """(logical id, property, rendered value, limit) for every name the template gives."""
    renderer = _Renderer(template)
    found = []
    for logical_id, resource in template["Resources"].items():
        limit = NAME_LIMITS[resource["Type"]]
        properties = resource.get("Properties", {})
        if limit.prop is not None and limit.prop in properties:
            found.append((logical_id, limit.prop, renderer.value(properties[limit.prop]), limit))
        for (resource_type, prop), longest in OTHER_LIMITS.items():
            if resource["Type"] == resource_type and prop in properties:
                found.append((logical_id, prop, renderer.value(properties[prop]), NameLimit(prop, longest)))
    return found


def test_every_resource_type_has_a_limit():
    types = {resource["Type"] for resource in _rendered()["Resources"].values()}
    assert types - set(NAME_LIMITS) == set()


def test_the_stack_name_is_the_longest_cloudformation_allows():
    assert len(LONGEST_STACK_NAME) == 128 and re.fullmatch(r"[a-zA-Z][-a-zA-Z0-9]*", LONGEST_STACK_NAME)


@pytest.mark.parametrize(
    ("logical_id", "prop", "value", "limit"),
    [pytest.param(*name, id=f"{name[0]}.{name[1]}") for name in _names(_rendered())],
)
def test_every_name_fits_its_services_limit_for_the_longest_stack_name(logical_id, prop, value, limit):
    assert len(value) <= limit.longest, f"{logical_id}.{prop} is {len(value)} characters: {value}"
    assert re.fullmatch(limit.pattern, value), f"{logical_id}.{prop} has characters its service refuses: {value}"


def test_the_names_the_template_gives_are_checked():
    """The parametrised test above sees the explicit names (not an empty list), the schedules among them."""
    checked = {(logical_id, prop) for logical_id, prop, _, _ in _names(_rendered())}
    assert {("ReporterFunctionWeeklyReport", "Name"), ("PriceRefreshFunctionWeeklyPrices", "Name")} <= checked
    assert ("GuardrailFunctionLogGroup", "LogGroupName") in checked


def test_a_name_built_from_the_stack_name_is_caught():
    """The check sees the name that once failed to deploy: 128 + 14 characters for a 64-character limit."""
    template = _rendered()
    (schedule_id,) = [k for k in template["Resources"] if k == "ReporterFunctionWeeklyReport"]
    template["Resources"][schedule_id]["Properties"]["Name"] = {"Fn::Sub": "${AWS::StackName}-weekly-report"}
    (value,) = [v for logical_id, prop, v, _ in _names(template) if logical_id == schedule_id and prop == "Name"]
    assert len(value) == 142 > NAME_LIMITS["AWS::Scheduler::Schedule"].longest
