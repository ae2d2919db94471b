"""The organization's member templates (org/): what each creates and may do.

`org/member-roles.yaml` is the one role the central guardrail function assumes in a member account;
`org/member-forwarder.yaml` forwards a region's tuning-job calls to the central bus. Both are plain
CloudFormation for service-managed StackSets, so every promise is read from the template as
CloudFormation would see it (conditions rendered for each parameter value), and held to the code that
uses the role (the adapters' declared permissions) and to the central rule's event pattern.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest
from botocore.validate import validate_parameters
from cfnlint.api import ManualArgs, lint_file
from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.adapters.sagemaker import SageMakerJobController, TrainingJobReader, TuningJobReader
from hpo_guardrail.embedded.deployment import TemplateConditions
from tests.unit import test_template_names as names

ROOT = Path(__file__).resolve().parents[2]
ORG = ROOT / "org"
ROLES = ORG / "member-roles.yaml"
FORWARDER = ORG / "member-forwarder.yaml"
ORG_TEMPLATES = (ROLES, FORWARDER)
TUNING_JOBS = {"Fn::Sub": "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:hyper-parameter-tuning-job/*"}


def _load(path: Path) -> dict[str, Any]:
    template: dict[str, Any] = yaml_parse(path.read_text(encoding="utf-8"))
    return template


def _parameter_values(template: dict[str, Any], **given: str) -> dict[str, str]:
    values = {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p}
    return {**values, **given}


def _rendered(path: Path, **given: str) -> dict[str, Any]:
    """The template's resources as CloudFormation creates them for the given parameter values."""
    template = _load(path)
    conditions = TemplateConditions(template, _parameter_values(template, **given), strict=True)
    resources = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if "Condition" not in resource or conditions.holds(resource["Condition"])
    }
    rendered: dict[str, Any] = conditions.render({**template, "Resources": resources})
    return rendered


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return _listed(document["Statement"])


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in _listed(statement["Action"])}


def _resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


ROLES_PARAMETERS = {"CentralFunctionRoleArn": "arn:aws:iam::111122223333:role/x", "OrganizationId": "o-abcdefghij"}


def _member_role(allow_stop: str) -> dict[str, Any]:
    template = _rendered(ROLES, **ROLES_PARAMETERS, AllowStop=allow_stop)
    (role,) = _resources_of(template, "AWS::IAM::Role").values()
    return dict(role["Properties"])


def _member_role_statements(allow_stop: str) -> list[dict[str, Any]]:
    return [s for policy in _member_role(allow_stop)["Policies"] for s in _statements(policy["PolicyDocument"])]


# --- both templates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ORG_TEMPLATES, ids=lambda p: p.name)
def test_each_member_template_is_plain_cloudformation_with_no_code(path):
    template = _load(path)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert "Transform" not in template, "a service-managed StackSet deploys plain CloudFormation"
    kinds = {resource["Type"] for resource in template["Resources"].values()}
    assert not {k for k in kinds if k.startswith(("AWS::Lambda::", "AWS::Serverless::", "Custom::"))}
    assert not [r for r in template["Resources"].values() if "Custom" in r["Type"] or "ServiceToken" in str(r)]


@pytest.mark.parametrize("path", ORG_TEMPLATES, ids=lambda p: p.name)
def test_each_member_template_is_cfn_lint_clean_in_several_regions(path):
    matches = lint_file(path, ManualArgs(regions=["us-east-1", "eu-west-1", "ap-southeast-2"]))
    assert [str(match) for match in matches] == []


def test_cfn_lint_sees_a_broken_member_template(tmp_path):
    """The lint test above can fail: an out-of-range retry count is caught."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        FORWARDER.read_text(encoding="utf-8").replace("MaximumRetryAttempts: 4", "MaximumRetryAttempts: 400")
    )
    assert [m.rule.id for m in lint_file(broken, ManualArgs(regions=["us-east-1"]))] == ["E3034"]


def _make_recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(rf"^{target}:[^\n]*\n((?:\t[^\n]*\n)*)", makefile, flags=re.M)
    assert match, target
    return match.group(1)


@pytest.mark.parametrize("path", sorted(ORG.glob("*.yaml")), ids=lambda p: p.name)
def test_make_samlint_and_make_checkov_cover_every_member_template(path):
    relative = path.relative_to(ROOT).as_posix()
    assert f"sam validate --lint --template {relative} " in _make_recipe("samlint")
    assert f"-f {relative}" in _make_recipe("checkov")


def _policy_documents(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(resource, document) for every trust policy and resource policy a template holds."""
    found = []
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        for key in ("AssumeRolePolicyDocument", "PolicyDocument", "KeyPolicy"):
            if key in properties:
                found.append((name, properties[key]))
    return found


def _wildcard_principals_without_organization(template: dict[str, Any]) -> list[str]:
    problems = []
    for name, document in _policy_documents(template):
        for statement in _statements(document):
            principal = statement.get("Principal")
            if principal is None:
                continue
            values = [principal] if isinstance(principal, str) else [v for p in principal.values() for v in _listed(p)]
            if any(value == "*" or (isinstance(value, str) and "*" in value) for value in values):
                conditions = {key for test in statement.get("Condition", {}).values() for key in test}
                if "aws:PrincipalOrgID" not in conditions:
                    problems.append(f"{name}: {statement.get('Sid', statement)}")
    return problems


@pytest.mark.parametrize("allow_stop", ["true", "false"])
def test_no_policy_trusts_a_wildcard_principal_without_an_organization_condition(allow_stop):
    assert _wildcard_principals_without_organization(_rendered(ROLES, **ROLES_PARAMETERS, AllowStop=allow_stop)) == []
    assert _wildcard_principals_without_organization(_rendered(FORWARDER)) == []


def test_a_wildcard_principal_without_an_organization_condition_is_caught():
    template = _rendered(ROLES, **ROLES_PARAMETERS)
    (role,) = _resources_of(template, "AWS::IAM::Role").values()
    (statement,) = _statements(role["Properties"]["AssumeRolePolicyDocument"])
    statement["Principal"] = {"AWS": "*"}
    assert _wildcard_principals_without_organization(template) == []  # the organization condition holds it
    del statement["Condition"]
    assert _wildcard_principals_without_organization(template) == ["MemberRole: CentralGuardrailFunctionOnly"]


@pytest.mark.parametrize("path", ORG_TEMPLATES, ids=lambda p: p.name)
def test_every_checkov_skip_in_a_member_template_says_why(path):
    for name, resource in _load(path)["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
            assert len(skip.get("comment", "").split()) >= 8, (name, skip)


# --- names ----------------------------------------------------------------------------------------------


def _longest_region_name() -> str:
    """The longest region name of every partition botocore knows (the commercial, China, GovCloud and others)."""
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return max((region for partition in endpoints["partitions"] for region in partition["regions"]), key=len)


@pytest.mark.parametrize("path", ORG_TEMPLATES, ids=lambda p: p.name)
def test_every_name_a_member_template_gives_fits_its_services_limit(path, monkeypatch):
    """For the longest stack name a StackSet makes and the longest region name AWS has."""
    monkeypatch.setitem(names.PSEUDO, "AWS::Region", _longest_region_name())
    template = _rendered(path, **(ROLES_PARAMETERS if path == ROLES else {}))
    assert {r["Type"] for r in template["Resources"].values()} <= set(names.NAME_LIMITS)
    given = names._names(template)
    assert given, "no names checked"
    if path == FORWARDER:
        assert ("ForwardingRole", "RoleName", f"HpoGuardrailForwarder-{_longest_region_name()}") in [
            (logical_id, prop, value) for logical_id, prop, value, _ in given
        ]
    for logical_id, prop, value, limit in given:
        assert len(value) <= limit.longest, f"{logical_id}.{prop} is {len(value)} characters: {value}"
        assert re.fullmatch(limit.pattern, value), f"{logical_id}.{prop}: {value}"


# --- member-roles.yaml --------------------------------------------------------------------------------------


def test_the_member_role_is_named_as_the_central_stack_assumes_it_with_the_same_default():
    assert _member_role("true")["RoleName"] == {"Ref": "MemberRoleName"}
    member, central = _load(ROLES)["Parameters"]["MemberRoleName"], _load(ROOT / "template.yaml")["Parameters"]
    assert member["Default"] == central["MemberRoleName"]["Default"] == "HpoGuardrailMember"
    assert member["AllowedPattern"] == central["MemberRoleName"]["AllowedPattern"]


def test_the_member_role_trusts_exactly_the_central_function_role_inside_the_organization():
    (statement,) = _statements(_member_role("true")["AssumeRolePolicyDocument"])
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": {"Ref": "CentralFunctionRoleArn"}}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}


def _allowed_pattern(path: Path, parameter: str) -> str:
    return str(_load(path)["Parameters"][parameter]["AllowedPattern"])


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("arn:aws:iam::111122223333:role/hpo-guardrail-GuardrailFunctionRole-1A2B3C", True),
        ("arn:aws-us-gov:iam::111122223333:role/service-role/guardrail", True),
        ("*", False),  # every principal
        ("arn:aws:iam::111122223333:root", False),  # every principal of the central account
        ("111122223333", False),
        ("arn:aws:iam::111122223333:user/alice", False),
        ("arn:aws:iam::*:role/x", False),
    ],
)
def test_the_central_role_parameter_takes_only_a_role_arn(value, accepted):
    assert bool(re.fullmatch(_allowed_pattern(ROLES, "CentralFunctionRoleArn"), value)) is accepted


@pytest.mark.parametrize(
    ("value", "accepted"), [("o-a1b2c3d4e5", True), ("o-abcdefghijklmnop", True), ("", False), ("o-*", False)]
)
def test_the_organization_parameter_takes_only_an_organization_id(value, accepted):
    assert bool(re.fullmatch(_allowed_pattern(ROLES, "OrganizationId"), value)) is accepted


def test_allow_stop_takes_true_or_false_and_stops_by_default():
    parameter = _load(ROLES)["Parameters"]["AllowStop"]
    assert parameter["AllowedValues"] == ["true", "false"] and parameter["Default"] == "true"


def test_the_member_role_may_do_what_the_function_and_scan_declare_and_nothing_else():
    # The function stops, describes and (the post-run review) reads the training jobs; scan lists and reads tags.
    declared = (
        set(SageMakerJobController.PERMISSIONS) | set(TuningJobReader.PERMISSIONS) | set(TrainingJobReader.PERMISSIONS)
    )
    assert _actions(_member_role_statements("true")) == declared


def test_allow_stop_false_leaves_every_stop_action_out():
    actions = _actions(_member_role_statements("false"))
    assert not [a for a in actions if a.lower().startswith("sagemaker:stop") or a in ("*", "sagemaker:*")]
    assert actions == set(TuningJobReader.PERMISSIONS) | set(TrainingJobReader.PERMISSIONS), (
        "describe, list, tags and the training jobs stay: the guardrail still sees and reviews"
    )


def test_allow_stop_true_allows_stopping_tuning_jobs_only():
    stops = [
        s for s in _member_role_statements("true") if "sagemaker:StopHyperParameterTuningJob" in _listed(s["Action"])
    ]
    assert [(_listed(s["Action"]), s["Resource"]) for s in stops] == [
        (["sagemaker:StopHyperParameterTuningJob"], TUNING_JOBS)
    ]


@pytest.mark.parametrize("allow_stop", ["true", "false"])
def test_every_action_is_scoped_to_the_accounts_tuning_jobs_where_iam_allows(allow_stop):
    """ListHyperParameterTuningJobs has no resource type in IAM (the Service Authorization Reference):
    it alone is granted on "*"; DescribeTrainingJob on this account's training jobs; everything else on this
    account's tuning-job ARNs in any region."""
    for statement in _member_role_statements(allow_stop):
        assert statement["Effect"] == "Allow" and "Condition" not in statement
        if _listed(statement["Action"]) == ["sagemaker:ListHyperParameterTuningJobs"]:
            assert statement["Resource"] == "*"
        elif _listed(statement["Action"]) == ["sagemaker:DescribeTrainingJob"]:
            assert statement["Resource"] == {
                "Fn::Sub": "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:training-job/*"
            }
        else:
            assert statement["Resource"] == TUNING_JOBS, statement


@pytest.mark.parametrize(
    ("allow_stop", "policies"), [("true", ["TuningJobs", "StopTuningJobs"]), ("false", ["TuningJobs"])]
)
def test_the_member_role_has_only_its_inline_policies(allow_stop, policies):
    role = _member_role(allow_stop)
    assert "ManagedPolicyArns" not in role and "PermissionsBoundary" not in role
    assert [policy["PolicyName"] for policy in role["Policies"]] == policies


def test_the_member_roles_template_outputs_the_role_arn():
    outputs = _load(ROLES)["Outputs"]
    assert outputs["MemberRoleArn"]["Value"] == {"Fn::GetAtt": ["MemberRole", "Arn"]}


# --- member-forwarder.yaml ----------------------------------------------------------------------------------


def _central_patterns() -> list[dict[str, Any]]:
    """Every event pattern in template.yaml that selects SageMaker's CloudTrail events: the function's
    EventBridgeRule events and any AWS::Events::Rule (the organization bus's rule among them)."""
    patterns = []
    for resource in _load(ROOT / "template.yaml")["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Events::Rule" and "EventPattern" in properties:
            patterns.append(properties["EventPattern"])
        for event in properties.get("Events", {}).values() if resource["Type"] == "AWS::Serverless::Function" else []:
            if event["Type"] == "EventBridgeRule":
                patterns.append(event["Properties"]["Pattern"])
    return [p for p in patterns if "aws.sagemaker" in _listed(p.get("source", []))]


def _forwarding_rule() -> dict[str, Any]:
    (rule,) = _resources_of(_load(FORWARDER), "AWS::Events::Rule").values()
    return dict(rule["Properties"])


def _branches(pattern: dict[str, Any]) -> list[dict[str, Any]]:
    """The patterns a `$or` pattern matches any of, each with the fields outside the `$or` (EventBridge content
    filtering, "$or matching")."""
    common = {key: value for key, value in pattern.items() if key != "$or"}
    return [{**common, **branch} for branch in pattern.get("$or", [{}])]


def test_the_forwarder_pattern_is_the_central_rules_patterns():
    central = _central_patterns()
    assert central, "template.yaml has no rule on SageMaker's events"
    forwarded = _branches(_forwarding_rule()["EventPattern"])
    assert all(pattern in forwarded for pattern in central), "the forwarder drops events a central rule takes"
    assert all(branch in central for branch in forwarded), "the forwarder sends events no central rule takes"


def test_the_forwarder_pattern_selects_only_tuning_job_creation_calls_and_state_changes():
    assert _branches(_forwarding_rule()["EventPattern"]) == [
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventName": ["CreateHyperParameterTuningJob"]},
        },
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker HyperParameter Tuning Job State Change"],
            "detail": {"HyperParameterTuningJobStatus": ["InProgress", "Completed", "Stopped", "Failed"]},
        },
    ]


def test_the_forwarder_rule_is_on_the_default_bus_with_the_name_the_central_bus_policy_admits():
    rule = _forwarding_rule()
    assert rule["EventBusName"] == "default" and rule["State"] == "ENABLED"
    assert rule["Name"] == "HpoGuardrailForwarder"


def test_the_forwarder_targets_the_central_bus_with_a_role_retries_and_a_dead_letter_queue():
    (target,) = _forwarding_rule()["Targets"]
    assert target["Arn"] == {"Ref": "CentralEventBusArn"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["ForwardingRole", "Arn"]}
    assert 0 <= target["RetryPolicy"]["MaximumRetryAttempts"] <= 185
    assert 60 <= target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["UndeliveredEventQueue", "Arn"]}}


def _forwarding_role() -> dict[str, Any]:
    (role,) = _resources_of(_load(FORWARDER), "AWS::IAM::Role").values()
    return dict(role["Properties"])


def test_the_forwarding_role_may_only_put_events_on_the_central_bus():
    role = _forwarding_role()
    assert "ManagedPolicyArns" not in role
    (policy,) = role["Policies"]
    (statement,) = _statements(policy["PolicyDocument"])
    assert statement == {
        "Sid": "CentralBusOnly",
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": {"Ref": "CentralEventBusArn"},
    }


def test_the_forwarding_role_is_for_eventbridge_of_this_account_only():
    (statement,) = _statements(_forwarding_role()["AssumeRolePolicyDocument"])
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_forwarding_role_name_carries_the_region():
    """One named role in two regions of an account collides (IAM is global): the name differs per region."""
    name = _forwarding_role()["RoleName"]
    assert isinstance(name, dict) and "${AWS::Region}" in name["Fn::Sub"]


def test_the_dead_letter_queue_is_encrypted_and_only_the_forwarding_rule_may_send_to_it():
    template = _load(FORWARDER)
    queue = template["Resources"]["UndeliveredEventQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 1209600
    (policy,) = _resources_of(template, "AWS::SQS::QueuePolicy").values()
    assert policy["Properties"]["Queues"] == [{"Ref": "UndeliveredEventQueue"}]
    (statement,) = _statements(policy["Properties"]["PolicyDocument"])
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == {"Fn::GetAtt": ["UndeliveredEventQueue", "Arn"]}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ForwardingRule", "Arn"]}}}


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("arn:aws:events:us-east-1:111122223333:event-bus/hpo-guardrail-org", True),
        ("arn:aws:events:eu-west-1:111122223333:event-bus/default", True),
        ("*", False),
        ("arn:aws:events:us-east-1:111122223333:rule/x", False),
        ("arn:aws:events:us-east-1:*:event-bus/x", False),
    ],
)
def test_the_central_bus_parameter_takes_only_an_event_bus_arn(value, accepted):
    assert bool(re.fullmatch(_allowed_pattern(FORWARDER, "CentralEventBusArn"), value)) is accepted


# --- the StackSet inputs (org/stacksets/*.json, for `aws cloudformation ... --cli-input-json`) ---------------

STACKSETS = ORG / "stacksets"
STACKSET_INPUTS = {
    "member-roles.stack-set.json": ("CreateStackSet", ROLES),
    "member-roles.instances.json": ("CreateStackInstances", ROLES),
    "member-roles.opt-out.json": ("UpdateStackInstances", ROLES),
    "member-forwarder.stack-set.json": ("CreateStackSet", FORWARDER),
    "member-forwarder.instances.json": ("CreateStackInstances", FORWARDER),
}


def _stackset_input(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((STACKSETS / name).read_text(encoding="utf-8"))
    return document


def test_every_stackset_input_is_listed():
    assert sorted(p.name for p in STACKSETS.glob("*.json")) == sorted(STACKSET_INPUTS)


@pytest.mark.parametrize("name", sorted(STACKSET_INPUTS))
def test_each_stackset_input_is_valid_input_of_its_cloudformation_operation(name):
    operation, _ = STACKSET_INPUTS[name]
    model = botocore.session.get_session().get_service_model("cloudformation")
    shape = model.operation_model(operation).input_shape
    validate_parameters(_stackset_input(name), shape)  # raises ParamValidationError naming what is wrong
    assert _stackset_input(name)["CallAs"] == "DELEGATED_ADMIN"


@pytest.mark.parametrize("name", [n for n, (op, _) in STACKSET_INPUTS.items() if op == "CreateStackSet"])
def test_each_stack_set_is_service_managed_with_automatic_deployment_and_the_templates_parameters(name):
    document = _stackset_input(name)
    _, template_path = STACKSET_INPUTS[name]
    assert document["PermissionModel"] == "SERVICE_MANAGED"
    assert document["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert document["Capabilities"] == ["CAPABILITY_NAMED_IAM"]  # both templates name an IAM role
    parameters = _load(template_path)["Parameters"]
    assert {p["ParameterKey"] for p in document["Parameters"]} == set(parameters)


@pytest.mark.parametrize("name", sorted(STACKSET_INPUTS))
def test_each_stackset_input_names_its_templates_stack_set(name):
    _, template_path = STACKSET_INPUTS[name]
    assert _stackset_input(name)["StackSetName"] == f"hpo-guardrail-{template_path.stem}"


def test_the_member_role_goes_to_one_region_per_account():
    """IAM is global: a second region's stack of the named role would fail (EntityAlreadyExists)."""
    assert len(_stackset_input("member-roles.instances.json")["Regions"]) == 1
    assert (
        _stackset_input("member-roles.opt-out.json")["Regions"]
        == _stackset_input("member-roles.instances.json")["Regions"]
    )


def test_the_opt_out_overrides_allow_stop_for_the_named_accounts_only():
    document = _stackset_input("member-roles.opt-out.json")
    assert document["ParameterOverrides"] == [{"ParameterKey": "AllowStop", "ParameterValue": "false"}]
    assert document["DeploymentTargets"]["AccountFilterType"] == "INTERSECTION"


# --- docs/deploy-org.md ---------------------------------------------------------------------------------

DEPLOY_ORG = ROOT / "docs" / "deploy-org.md"


def _documented_inputs() -> dict[str, list[str]]:
    """The first column of each `| Name |` table, under the `### \\`org/<template>\\`` heading it follows."""
    found: dict[str, list[str]] = {}
    heading, in_table = None, False
    for line in DEPLOY_ORG.read_text(encoding="utf-8").splitlines():
        if line.startswith("### `org/"):
            heading = line.split("`")[1]
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if cells and cells[0] == "Name":
            in_table = True
        elif not cells:
            in_table = False
        elif in_table and heading and not set(cells[0]) <= set("-: "):
            found.setdefault(heading, []).append(cells[0].strip("`"))
    return found


def test_the_deployment_page_documents_every_parameter_of_each_member_template_and_no_other():
    documented = _documented_inputs()
    assert documented == {f"org/{p.name}": list(_load(p)["Parameters"]) for p in ORG_TEMPLATES}


def test_the_deployment_page_says_the_central_side_is_being_built():
    opening = DEPLOY_ORG.read_text(encoding="utf-8")[:1200]
    assert "being built" in opening and "org/" in opening
