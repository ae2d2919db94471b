"""The member templates (org/) deploy as CloudFormation stacks in a member account of the embedded AWS.

moto serves several accounts from one server and picks the account per request from the
`x-moto-account-id` header; these clients send it, so nothing here changes the process-wide account.
Each test uses an account of its own, so tests sharing the session's server share no resources.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from samtranslator.yaml_helper import yaml_parse

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
CENTRAL_ACCOUNT = "123456789012"
CENTRAL_ROLE = f"arn:aws:iam::{CENTRAL_ACCOUNT}:role/hpo-guardrail-GuardrailFunctionRole-EXAMPLE"
CENTRAL_BUS = f"arn:aws:events:us-east-1:{CENTRAL_ACCOUNT}:event-bus/hpo-guardrail-org"
ORGANIZATION = "o-a1b2c3d4e5"


def _new_account() -> str:
    return str(uuid.uuid4().int % 10**12).zfill(12)


def _client(aws: Any, service: str, account: str, region: str = "us-east-1") -> Any:
    """A client of the emulator acting in `account` (moto's per-request account header)."""
    variables = aws.environment_variables()
    client = boto3.session.Session(
        aws_access_key_id=variables["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=variables["AWS_SECRET_ACCESS_KEY"],
        region_name=region,
    ).client(service, endpoint_url=aws.endpoint_url)

    def in_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-send", in_account)
    return client


def _create(aws: Any, account: str, region: str, template: str, parameters: dict[str, str]) -> dict[str, Any]:
    cloudformation = _client(aws, "cloudformation", account, region)
    name = f"hpo-guardrail-{Path(template).stem}-{uuid.uuid4().hex[:8]}"
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(yaml_parse((ROOT / template).read_text(encoding="utf-8"))),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    stack: dict[str, Any] = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return stack


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def _roles_parameters(allow_stop: str) -> dict[str, str]:
    return {"CentralFunctionRoleArn": CENTRAL_ROLE, "OrganizationId": ORGANIZATION, "AllowStop": allow_stop}


def test_the_member_role_stack_creates_the_role_the_central_function_assumes(embedded_aws):
    account = _new_account()
    stack = _create(embedded_aws, account, "us-east-1", "org/member-roles.yaml", _roles_parameters("true"))
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert _outputs(stack)["MemberRoleArn"] == f"arn:aws:iam::{account}:role/HpoGuardrailMember"
    iam = _client(embedded_aws, "iam", account)
    trust = iam.get_role(RoleName="HpoGuardrailMember")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"AWS": CENTRAL_ROLE}
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION}}
    policies = iam.list_role_policies(RoleName="HpoGuardrailMember")["PolicyNames"]
    assert sorted(policies) == ["StopTuningJobs", "TuningJobs"]
    # Only in the member account: the central account has no such role.
    central_roles = _client(embedded_aws, "iam", CENTRAL_ACCOUNT).list_roles()["Roles"]
    assert f"arn:aws:iam::{account}:role/HpoGuardrailMember" not in {role["Arn"] for role in central_roles}


def test_an_opted_out_account_gets_the_role_without_the_stop_policy(embedded_aws):
    account = _new_account()
    stack = _create(embedded_aws, account, "us-east-1", "org/member-roles.yaml", _roles_parameters("false"))
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    iam = _client(embedded_aws, "iam", account)
    assert iam.list_role_policies(RoleName="HpoGuardrailMember")["PolicyNames"] == ["TuningJobs"]
    document = iam.get_role_policy(RoleName="HpoGuardrailMember", PolicyName="TuningJobs")["PolicyDocument"]
    assert "Stop" not in json.dumps(document)


def test_the_forwarder_deploys_in_two_regions_of_one_account_without_colliding(embedded_aws):
    account = _new_account()
    for region in ("us-east-1", "eu-west-1"):
        stack = _create(embedded_aws, account, region, "org/member-forwarder.yaml", {"CentralEventBusArn": CENTRAL_BUS})
        assert stack["StackStatus"] == "CREATE_COMPLETE", (region, stack.get("StackStatusReason"))
        outputs = _outputs(stack)
        assert outputs["ForwardingRoleArn"] == f"arn:aws:iam::{account}:role/HpoGuardrailForwarder-{region}"
        assert outputs["ForwardingRuleArn"] == f"arn:aws:events:{region}:{account}:rule/HpoGuardrailForwarder"
        events = _client(embedded_aws, "events", account, region)
        rule = events.describe_rule(Name="HpoGuardrailForwarder")
        assert rule["EventBusName"] == "default" and rule["State"] == "ENABLED"
        # Creation calls (CloudTrail) and SageMaker's own tuning job state changes, one rule.
        assert [branch["detail"] for branch in json.loads(rule["EventPattern"])["$or"]] == [
            {"eventName": ["CreateHyperParameterTuningJob"]},
            {"HyperParameterTuningJobStatus": ["InProgress", "Completed", "Stopped", "Failed"]},
        ]
        (target,) = events.list_targets_by_rule(Rule="HpoGuardrailForwarder")["Targets"]
        assert target["Arn"] == CENTRAL_BUS
        assert target["RoleArn"] == outputs["ForwardingRoleArn"]
        assert target["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600}
        queue_arn = target["DeadLetterConfig"]["Arn"]
        assert queue_arn.startswith(f"arn:aws:sqs:{region}:{account}:")
        sqs = _client(embedded_aws, "sqs", account, region)
        attributes = sqs.get_queue_attributes(QueueUrl=outputs["UndeliveredEventQueueUrl"], AttributeNames=["All"])
        assert attributes["Attributes"]["SqsManagedSseEnabled"] == "true"
        (statement,) = json.loads(attributes["Attributes"]["Policy"])["Statement"]
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": outputs["ForwardingRuleArn"]}}
