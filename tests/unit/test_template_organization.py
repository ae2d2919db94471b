"""template.yaml with and without OrganizationId, as CloudFormation would create it.

The template is rendered through the SAM transform (the generated role, rule and permissions included) and
its conditions are evaluated for each parameter value, so each test sees the resources a deployment gets:
with no organization exactly today's single-account stack; with one, a central bus only the organization's
forwarding rules may put SageMaker CloudTrail events on, a rule from it to the function with the default
rule's pattern, retries and dead-letter queue, and AssumeRole into the member role inside the organization.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.embedded.deployment import TemplateConditions
from hpo_guardrail.enforce.settings import Settings
from tests.sam_templates import sam_transformed

ROOT = Path(__file__).resolve().parents[2]
ORGANIZATION = "o-a1b2c3d4e5"
# What every rule invokes: the guardrail function's alias live (AutoPublishAlias), an AWS::Lambda::Alias.
GUARDRAIL_ALIAS = {"Ref": "GuardrailFunctionAliaslive"}
REGION = "eu-west-1"


def _transformed() -> dict[str, Any]:
    pseudo = {"AWS::Region": REGION, "AWS::AccountId": "111111111111", "AWS::Partition": "aws"}
    return sam_transformed(ROOT / "template.yaml", pseudo)


TRANSFORMED = _transformed()


class _Deployment:
    """The transformed template with its conditions decided for a set of parameter values."""

    def __init__(self, parameters: dict[str, str]) -> None:
        declared = TRANSFORMED["Parameters"]
        self.parameters = {name: str(spec.get("Default", "")) for name, spec in declared.items()} | parameters
        self._conditions = TemplateConditions(TRANSFORMED, self.parameters, strict=True)
        self.conditions = {name: self._conditions.holds(name) for name in TRANSFORMED["Conditions"]}
        self.resources = {
            name: self.resolve(resource)
            for name, resource in TRANSFORMED["Resources"].items()
            if self.conditions.get(resource.get("Condition", ""), True)
        }
        self.outputs = {
            name: self.resolve(output)
            for name, output in TRANSFORMED["Outputs"].items()
            if self.conditions.get(output.get("Condition", ""), True)
        }

    def resolve(self, node: Any) -> Any:
        """`node` with every Fn::If decided and every AWS::NoValue left out."""
        return self._conditions.render(node)

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: r["Properties"] for name, r in self.resources.items() if r["Type"] == kind}

    def function_statements(self) -> list[dict[str, Any]]:
        role = self.resources["GuardrailFunctionRole"]["Properties"]
        return [statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]]

    def function_variables(self) -> dict[str, Any]:
        return self.resources["GuardrailFunction"]["Properties"]["Environment"]["Variables"]


SINGLE = _Deployment({"OrganizationId": ""})
ORG = _Deployment({"OrganizationId": ORGANIZATION, "MemberRoleName": "GuardrailMember"})
BOTH = pytest.mark.parametrize("deployment", [SINGLE, ORG], ids=["single-account", "organization"])


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


CREATED = {
    "source": ["aws.sagemaker"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventName": ["CreateHyperParameterTuningJob"]},
}
STATE_CHANGED = {
    "source": ["aws.sagemaker"],
    "detail-type": ["SageMaker HyperParameter Tuning Job State Change"],
    "detail": {"HyperParameterTuningJobStatus": ["InProgress", "Completed", "Stopped", "Failed"]},
}


def _rule_targeting_the_function(deployment: _Deployment, bus: Any, detail_type: str = CREATED["detail-type"][0]):
    (rule,) = [
        rule
        for rule in deployment.of_type("AWS::Events::Rule").values()
        if rule.get("EventBusName") == bus and "EventPattern" in rule
        if rule["EventPattern"]["detail-type"] == [detail_type]
    ]
    return dict(rule)


# --- the parameters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("", True), (ORGANIZATION, True), ("o-" + "a" * 32, True), ("o-abc", False), ("o-ABCDEFGHIJ", False)],
)
def test_the_organization_id_parameter_takes_empty_or_an_organization_id(value, accepted):
    parameter = TRANSFORMED["Parameters"]["OrganizationId"]
    assert parameter["Default"] == ""
    assert bool(re.fullmatch(parameter["AllowedPattern"], value)) is accepted


def test_the_member_role_name_parameter_defaults_to_the_member_templates_role():
    parameter = TRANSFORMED["Parameters"]["MemberRoleName"]
    assert parameter["Default"] == "HpoGuardrailMember"
    assert re.fullmatch(parameter["AllowedPattern"], "HpoGuardrailMember")
    assert not re.fullmatch(parameter["AllowedPattern"], "path/Role")


@BOTH
def test_the_function_reads_the_organization_settings_the_stack_passes(deployment):
    variables = deployment.function_variables()
    environ = {
        name: deployment.parameters[value["Ref"]] if isinstance(value, dict) and "Ref" in value else str(value)
        for name, value in variables.items()
        if name in ("ORGANIZATION_ID", "MEMBER_ROLE_NAME")
    }
    assert variables["GUARDRAIL_ACCOUNT_ID"] == {"Ref": "AWS::AccountId"}
    settings = Settings.from_environ({**environ, "GUARDRAIL_ACCOUNT_ID": "111111111111"})
    assert settings.organization_id == (ORGANIZATION if deployment is ORG else None)
    assert settings.member_role_name == deployment.parameters["MemberRoleName"]


# --- a single account: nothing of the organization ---------------------------------------------------------


def test_a_single_account_stack_has_no_bus_only_the_default_bus_rules_and_assumes_no_role():
    assert SINGLE.of_type("AWS::Events::EventBus") == {}
    patterns = [r["EventPattern"] for r in SINGLE.of_type("AWS::Events::Rule").values() if "EventPattern" in r]
    assert sorted(patterns, key=str) == sorted([CREATED, STATE_CHANGED], key=str)
    assert not any("sts:AssumeRole" in _actions(s) for s in SINGLE.function_statements())
    assert "CentralEventBusArn" not in SINGLE.outputs
    (queue_policy,) = SINGLE.of_type("AWS::SQS::QueuePolicy").values()
    (statement,) = queue_policy["PolicyDocument"]["Statement"]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        {"Fn::GetAtt": ["GuardrailFunctionTuningJobCreated", "Arn"]},
        {"Fn::GetAtt": ["GuardrailFunctionTuningJobStateChanged", "Arn"]},
    ]


@BOTH
def test_the_state_change_rule_sends_in_progress_and_finished_jobs_to_the_function_like_the_creation_rule(
    deployment,
):
    created = _rule_targeting_the_function(deployment, None)
    changed = _rule_targeting_the_function(deployment, None, STATE_CHANGED["detail-type"][0])
    assert changed["EventPattern"] == STATE_CHANGED
    (created_target,) = created["Targets"]
    (changed_target,) = changed["Targets"]
    # The function's alias live (SAM retargets the function's own Events to it), as everything that invokes it.
    assert changed_target["Arn"] == created_target["Arn"] == GUARDRAIL_ALIAS
    assert changed_target["RetryPolicy"] == created_target["RetryPolicy"]
    assert changed_target["DeadLetterConfig"] == created_target["DeadLetterConfig"]


@BOTH
def test_the_function_reads_the_training_jobs_of_its_own_accounts_tuning_jobs(deployment):
    statements = {s.get("Sid"): s for s in deployment.function_statements()}
    region = "*" if deployment is ORG else "${AWS::Region}"
    arn = f"arn:${{AWS::Partition}}:sagemaker:{region}:${{AWS::AccountId}}"
    listing, describing = statements["ReviewFinishedTuningJobs"], statements["ReadTrainingJobs"]
    assert _actions(listing) == {"sagemaker:ListTrainingJobsForHyperParameterTuningJob"}
    assert listing["Resource"] == {"Fn::Sub": f"{arn}:hyper-parameter-tuning-job/*"}
    assert _actions(describing) == {"sagemaker:DescribeTrainingJob"}
    assert describing["Resource"] == {"Fn::Sub": f"{arn}:training-job/*"}


@BOTH
def test_the_function_describes_and_stops_only_its_own_accounts_jobs_itself(deployment):
    (statement,) = [s for s in deployment.function_statements() if s.get("Sid") == "DescribeAndStopTuningJobs"]
    region = "*" if deployment is ORG else "${AWS::Region}"
    assert statement["Resource"] == {
        "Fn::Sub": f"arn:${{AWS::Partition}}:sagemaker:{region}:${{AWS::AccountId}}:hyper-parameter-tuning-job/*"
    }


@BOTH
def test_the_member_role_trusts_the_function_role_the_stack_outputs(deployment):
    assert deployment.outputs["GuardrailFunctionRoleArn"]["Value"] == {"Fn::GetAtt": ["GuardrailFunctionRole", "Arn"]}


# --- an organization: the central bus ----------------------------------------------------------------------


def _forwarder_rule_name() -> str:
    """The fixed name org/member-forwarder.yaml gives its rule in every account and region."""
    template = yaml_parse((ROOT / "org" / "member-forwarder.yaml").read_text(encoding="utf-8"))
    (rule,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule")
    return str(rule["Properties"]["Name"])


def test_the_central_bus_admits_only_the_organizations_forwarding_rules_and_sagemaker_events():
    (bus,) = ORG.of_type("AWS::Events::EventBus").values()
    assert bus["Name"] == {"Fn::Sub": "${AWS::StackName}-org-events"}
    (statement,) = bus["Policy"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Principal"] == "*"
    assert statement["Action"] == "events:PutEvents"
    bus_arn = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${AWS::StackName}-org-events"
    assert statement["Resource"] == {"Fn::Sub": bus_arn}
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:PrincipalOrgID": {"Ref": "OrganizationId"},
            "events:detail-type": [
                "AWS API Call via CloudTrail",
                "SageMaker HyperParameter Tuning Job State Change",
            ],
        },
        "ForAllValues:StringEquals": {"events:source": ["aws.sagemaker"]},
        # Only a rule sends with a source ARN (a direct PutEvents call has none), and only the forwarder's.
        "ArnLike": {"aws:SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:events:*:*:rule/{_forwarder_rule_name()}"}},
    }
    assert ORG.outputs["CentralEventBusArn"]["Value"] == {"Fn::GetAtt": ["CentralEventBus", "Arn"]}


@pytest.mark.parametrize("pattern", [CREATED, STATE_CHANGED], ids=["creation", "state-change"])
def test_the_central_rule_matches_delivers_and_keeps_what_it_cannot_deliver_like_the_default_rule(pattern):
    detail_type = pattern["detail-type"][0]
    default = _rule_targeting_the_function(ORG, None, detail_type)
    central = _rule_targeting_the_function(ORG, {"Fn::GetAtt": ["CentralEventBus", "Name"]}, detail_type)
    assert central["EventPattern"] == default["EventPattern"] == pattern
    (default_target,) = default["Targets"]
    (central_target,) = central["Targets"]
    assert central_target["Arn"] == default_target["Arn"] == GUARDRAIL_ALIAS
    assert central_target["RetryPolicy"] == default_target["RetryPolicy"]
    assert central_target["DeadLetterConfig"] == default_target["DeadLetterConfig"]


def test_the_central_rules_may_invoke_the_function_and_write_the_dead_letter_queue():
    permissions = list(ORG.of_type("AWS::Lambda::Permission").values())
    for rule in ("OrganizationTuningJobCreated", "OrganizationTuningJobStateChanged"):
        assert {
            "Action": "lambda:InvokeFunction",
            "FunctionName": GUARDRAIL_ALIAS,
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [rule, "Arn"]},
        } in permissions
    (queue_policy,) = ORG.of_type("AWS::SQS::QueuePolicy").values()
    (statement,) = queue_policy["PolicyDocument"]["Statement"]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        {"Fn::GetAtt": ["GuardrailFunctionTuningJobCreated", "Arn"]},
        {"Fn::GetAtt": ["GuardrailFunctionTuningJobStateChanged", "Arn"]},
        {"Fn::GetAtt": ["OrganizationTuningJobCreated", "Arn"]},
        {"Fn::GetAtt": ["OrganizationTuningJobStateChanged", "Arn"]},
    ]


def test_the_function_may_assume_only_the_member_role_and_only_inside_the_organization():
    (statement,) = [s for s in ORG.function_statements() if "sts:AssumeRole" in _actions(s)]
    assert _actions(statement) == {"sts:AssumeRole"}
    assert statement["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"}
    assert statement["Condition"] == {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}}


def _policies(node: Any) -> list[dict[str, Any]]:
    """Every policy statement anywhere in a resource's properties."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "Effect" in node and ("Principal" in node or "Action" in node):
            found.append(node)
        for value in node.values():
            found.extend(_policies(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_policies(item))
    return found


@BOTH
def test_no_policy_admits_every_principal_without_the_organization_condition(deployment):
    open_to_all = [
        (name, statement)
        for name, resource in deployment.resources.items()
        for statement in _policies(resource.get("Properties", {}))
        if statement.get("Principal") in ("*", {"AWS": "*"}) and statement["Effect"] == "Allow"
    ]
    assert [name for name, _ in open_to_all] == (["CentralEventBus"] if deployment is ORG else [])
    for name, statement in open_to_all:
        assert statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == {"Ref": "OrganizationId"}, name
