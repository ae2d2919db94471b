"""The organization-wide deployment end to end, on the embedded AWS with several accounts and regions.

An organization (management account; OU Platform with the tooling account; OU Workloads with workload-b and
workload-c; OU OptedOut with workload-d) gets, as docs/deploy-org.md says: the central stack (template.yaml
with OrganizationId, enforce mode, a policy scope that sets workload-c to monitor) in the tooling account, and
from the management account service-managed StackSets with automatic deployment: the member role in one
region (AllowStop=false for the OptedOut OU) and the forwarder in two regions. Events are put on a member
account's default bus as CloudTrail would (envelope and record naming the account and region); they reach the
central function only through the forwarder, the central bus's policy and the central rule, and the function
runs as its execution role, so the member role's trust policy decides.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.embedded.deployment import REPO_ROOT, DeployedStack, StackParameters, deploy_template
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.event_bus import put_event
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation
from hpo_guardrail.embedded.moto_extensions import ASSUME_ROLE_CALLS, ASYNC_INVOCATIONS, FORWARDING, inject_faults
from hpo_guardrail.embedded.organization import EmulatedOrganization, build_organization
from hpo_guardrail.embedded.sns_capture import SnsCapture
from hpo_guardrail.embedded.tuning_jobs import EmulatedTuningJobs
from tests.builders import cloudtrail_event as recorded_call
from tests.builders import continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator

HOME = "us-east-1"  # the central stack's region, and the member role's
SECOND = "eu-west-1"  # a second region with the forwarder
UNWATCHED = "ap-southeast-2"  # a region without the forwarder
MEMBER_ROLE = "HpoGuardrailMember"
FORWARDER_RULE = "HpoGuardrailForwarder"


@dataclass(frozen=True)
class Organization:
    """The organization with the guardrail deployed: the central stack, its running function, its alerts."""

    aws: EmbeddedAws
    org: EmulatedOrganization
    central: DeployedStack
    runner: FunctionRunner
    alerts: SnsCapture

    def account(self, name: str) -> str:
        return self.org.account_id(name)

    def view(self, name: str, region: str) -> EmbeddedAws:
        return self.aws.in_account(self.account(name), region=region)

    def member_role_arn(self, name: str) -> str:
        return f"arn:aws:iam::{self.account(name)}:role/{MEMBER_ROLE}"

    def audit_records(self, account_name: str) -> list[dict[str, Any]]:
        """The central audit table's records of one account (its by-account attribute)."""
        dynamodb = self.aws.in_account(self.account("tooling"), region=HOME).client("dynamodb")
        items = dynamodb.scan(TableName=self.central.outputs["AuditTableName"])["Items"]
        return [
            json.loads(item["record"]["S"]) | {"actions": item.get("actions", {}).get("M", {})}
            for item in items
            if item.get("account", {}).get("S") == self.account(account_name)
        ]

    def created_in(self, name: str, region: str, event: dict[str, Any]) -> str:
        """The tuning job of a create call, created in the member account and region (as the call did)."""
        job = EmulatedTuningJobs(self.view(name, region)).create_for_event(event)
        assert job is not None
        return job

    def job_status(self, name: str, region: str, job: str) -> str:
        return EmulatedTuningJobs(self.view(name, region)).status(job)

    def put_in(self, name: str, region: str, event: dict[str, Any]) -> list[Invocation]:
        """Put the event on the member account's default bus in `region`, as CloudTrail does; run the central
        function for every invocation it caused there (none: it never reached the central rule)."""
        event_id = put_event(self.view(name, region), event)
        queued = ASYNC_INVOCATIONS.take_event(event_id)
        invocations = [self.runner.invoke_async(q.event) for q in queued if q.function_arn == self.runner.function_arn]
        for invocation in invocations:
            sys.stdout.write(invocation.logs)  # shown by pytest when a test fails
        return invocations


def call_in(account: str, region: str, request: dict[str, Any]) -> dict[str, Any]:
    """A CreateHyperParameterTuningJob call's event as CloudTrail and EventBridge give it for `account` and
    `region`: the envelope and the record (recipientAccountId, awsRegion, the caller's account, the job's ARN)."""
    event = recorded_call(request)
    detail = event["detail"]
    detail["recipientAccountId"] = account
    detail["awsRegion"] = region
    detail["userIdentity"]["accountId"] = account
    detail["userIdentity"]["arn"] = f"arn:aws:sts::{account}:assumed-role/DataScientist/alice"
    detail["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = f"arn:aws:iam::{account}:role/DataScientist"
    name = request["HyperParameterTuningJobName"].lower()
    detail["responseElements"] = {
        "hyperParameterTuningJobArn": f"arn:aws:sagemaker:{region}:{account}:hyper-parameter-tuning-job/{name}"
    }
    event["account"], event["region"] = account, region
    return event


def costly_misconfigured(prefix: str) -> dict[str, Any]:
    """100 jobs x 10 h on ml.p3.2xlarge with a linear learning rate: over the $1000 cap, a log-scale finding."""
    return tuning_request(
        f"{prefix}-{uuid.uuid4().hex[:6]}",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
    )


def _stack_set(management: EmbeddedAws, name: str, template: str, parameters: dict[str, str]) -> Any:
    cloudformation = management.client("cloudformation")
    cloudformation.create_stack_set(
        StackSetName=name,
        TemplateBody=json.dumps(yaml_parse((REPO_ROOT / template).read_text(encoding="utf-8"))),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
    )
    return cloudformation


@pytest.fixture(scope="module")
def organization(embedded_aws: EmbeddedAws, tmp_path_factory: pytest.TempPathFactory) -> Organization:
    org = build_organization(
        embedded_aws,
        organizational_units=("Platform", "Workloads", "OptedOut"),
        accounts={
            "tooling": "Platform",
            "workload-b": "Workloads",
            "workload-c": "Workloads",
            "workload-d": "OptedOut",
        },
    )
    tooling = embedded_aws.in_account(org.account_id("tooling"), region=HOME)
    # The policy: enforce by default (the stack's Mode), workload-c scoped to monitor.
    policy_name = f"/hpo-guardrail/{uuid.uuid4().hex[:8]}/policy"
    policy = f"scopes:\n  - name: workload-c-monitor\n    match: {{accounts: ['{org.account_id('workload-c')}']}}\n"
    policy += "    mode: monitor\n"
    tooling.client("ssm").put_parameter(Name=policy_name, Value=policy, Type="String")
    central = deploy_template(
        tooling,
        StackParameters(
            mode="enforce",
            budget_cap_usd=1000,
            policy_parameter_name=policy_name,
            organization_id=org.organization_id,
        ),
    )
    role_arn = central.outputs["GuardrailFunctionRoleArn"]
    bus_arn = central.outputs["CentralEventBusArn"]

    management = embedded_aws.in_account(org.management_account_id, region=HOME)
    roles = {"CentralFunctionRoleArn": role_arn, "OrganizationId": org.organization_id}
    _stack_set(management, "hpo-guardrail-member-roles", "org/member-roles.yaml", {**roles, "AllowStop": "true"})
    _stack_set(
        management, "hpo-guardrail-member-roles-opted-out", "org/member-roles.yaml", {**roles, "AllowStop": "false"}
    )
    cloudformation = _stack_set(
        management, "hpo-guardrail-member-forwarder", "org/member-forwarder.yaml", {"CentralEventBusArn": bus_arn}
    )
    cloudformation.create_stack_instances(
        StackSetName="hpo-guardrail-member-roles",
        DeploymentTargets={"OrganizationalUnitIds": [org.ou_id("Workloads")]},
        Regions=[HOME],
    )
    cloudformation.create_stack_instances(
        StackSetName="hpo-guardrail-member-roles-opted-out",
        DeploymentTargets={"OrganizationalUnitIds": [org.ou_id("OptedOut")]},
        Regions=[HOME],
    )
    cloudformation.create_stack_instances(
        StackSetName="hpo-guardrail-member-forwarder",
        DeploymentTargets={"OrganizationalUnitIds": [org.ou_id("Workloads"), org.ou_id("OptedOut")]},
        Regions=[HOME, SECOND],
    )
    runner = FunctionRunner.for_stack(tooling, central, Path(tmp_path_factory.mktemp("org-lambda-code")))
    return Organization(embedded_aws, org, central, runner, SnsCapture(tooling, central.topic_arn))


WORKLOADS = ("workload-b", "workload-c", "workload-d")


def test_every_workload_account_has_the_forwarder_in_each_region_one_member_role_and_the_bus_admits_the_org(
    organization: Organization,
) -> None:
    bus_arn = organization.central.outputs["CentralEventBusArn"]
    for name in WORKLOADS:
        for region in (HOME, SECOND):
            events = organization.view(name, region).client("events")
            rule = events.describe_rule(Name=FORWARDER_RULE)
            assert rule["State"] == "ENABLED"
            (target,) = events.list_targets_by_rule(Rule=FORWARDER_RULE)["Targets"]
            assert target["Arn"] == bus_arn
            assert target["RoleArn"].endswith(f"role/HpoGuardrailForwarder-{region}")
            assert "Arn" in target["DeadLetterConfig"]
        roles = organization.view(name, HOME).client("iam").list_roles()["Roles"]
        assert [r["RoleName"] for r in roles if r["RoleName"] == MEMBER_ROLE] == [MEMBER_ROLE]
        trust = next(r for r in roles if r["RoleName"] == MEMBER_ROLE)["AssumeRolePolicyDocument"]
        (statement,) = trust["Statement"]
        assert statement["Principal"] == {"AWS": organization.central.outputs["GuardrailFunctionRoleArn"]}
        assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": organization.org.organization_id}}
    # The unwatched region and the management account have no forwarder.
    for view in (
        organization.view("workload-b", UNWATCHED),
        organization.aws.in_account(organization.org.management_account_id, region=HOME),
    ):
        assert FORWARDER_RULE not in [r["Name"] for r in view.client("events").list_rules()["Rules"]]
    tooling_events = organization.view("tooling", HOME).client("events")
    policy = json.loads(tooling_events.describe_event_bus(Name=bus_arn.rsplit("/", 1)[-1])["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == organization.org.organization_id


def test_a_costly_job_in_workload_b_second_region_is_stopped_through_bs_member_role_and_audited_centrally(
    organization: Organization,
) -> None:
    b = organization.account("workload-b")
    event = call_in(b, SECOND, costly_misconfigured("b-costly"))
    job = organization.created_in("workload-b", SECOND, event)
    assumed_before = len(ASSUME_ROLE_CALLS.of_role(organization.member_role_arn("workload-b")))

    (invocation,) = organization.put_in("workload-b", SECOND, event)

    assert invocation.error is None, invocation.error
    assert invocation.result["decision"] == "stop"
    assert invocation.result["actions"]["stop"] == "stopped (InProgress -> Stopping)"
    assert organization.job_status("workload-b", SECOND, job) == "Stopping"
    calls = ASSUME_ROLE_CALLS.of_role(organization.member_role_arn("workload-b"))[assumed_before:]
    assert calls and all(c.admitted for c in calls)
    assert calls[0].caller_arn == organization.central.outputs["GuardrailFunctionRoleArn"]
    # The member account's CloudTrail shows why: the session is named after the event.
    assert calls[0].session_name == "hpo-guardrail-" + event["detail"]["eventID"]
    (record,) = [r for r in organization.audit_records("workload-b") if r["job_name"] == job]
    assert (record["account"], record["region"]) == (b, SECOND)
    assert record["decision"] == "stop"


def test_workload_c_scoped_to_monitor_is_only_alerted_and_no_role_is_assumed(organization: Organization) -> None:
    c = organization.account("workload-c")
    organization.alerts.receive()
    event = call_in(c, HOME, costly_misconfigured("c-monitor"))
    job = organization.created_in("workload-c", HOME, event)

    (invocation,) = organization.put_in("workload-c", HOME, event)

    assert invocation.error is None, invocation.error
    assert invocation.result["mode"] == "monitor" and invocation.result["policy_scope"] == "workload-c-monitor"
    assert invocation.result["decision"] == "notify"
    assert organization.job_status("workload-c", HOME, job) == "InProgress"
    assert ASSUME_ROLE_CALLS.into_account(c) == []
    alerts = [n for n in organization.alerts.receive() if job in n.message]
    assert len(alerts) == 1


def test_a_forged_event_whose_envelope_names_another_account_is_rejected_and_recorded(
    organization: Organization,
) -> None:
    # workload-c's forwarder delivers an event whose record claims a call in workload-b.
    b, c = organization.account("workload-b"), organization.account("workload-c")
    event = call_in(b, HOME, costly_misconfigured("forged"))
    job = organization.created_in("workload-b", HOME, event)
    assumed_before = len(ASSUME_ROLE_CALLS.into_account(b))

    (invocation,) = organization.put_in("workload-c", HOME, event)

    assert invocation.error is None and invocation.attempts == 1, "rejected, not retried"
    assert invocation.result["status"] == "rejected"
    assert c in invocation.result["reason"] and b in invocation.result["reason"]
    assert organization.job_status("workload-b", HOME, job) == "InProgress"
    assert len(ASSUME_ROLE_CALLS.into_account(b)) == assumed_before
    dynamodb = organization.view("tooling", HOME).client("dynamodb")
    item = dynamodb.get_item(
        TableName=organization.central.outputs["AuditTableName"],
        Key={"event_id": {"S": event["detail"]["eventID"]}},
        ConsistentRead=True,
    ).get("Item") or dynamodb.get_item(
        TableName=organization.central.outputs["AuditTableName"], Key={"event_id": {"S": event["id"]}}
    ).get("Item")
    assert item is not None and item["status"]["S"] == "rejected"


def test_the_same_event_forwarded_twice_gives_one_alert(organization: Organization) -> None:
    c = organization.account("workload-c")
    organization.alerts.receive()
    event = call_in(c, SECOND, costly_misconfigured("c-twice"))
    job = organization.created_in("workload-c", SECOND, event)

    first = organization.put_in("workload-c", SECOND, event)
    second = organization.put_in("workload-c", SECOND, event)  # EventBridge delivers at least once

    assert [i.result["decision"] for i in first] == ["notify"]
    assert [i.result["status"] for i in second] == ["skipped"], "a duplicate is recorded once, not acted on"
    assert len([n for n in organization.alerts.receive() if job in n.message]) == 1
    assert len([r for r in organization.audit_records("workload-c") if r["job_name"] == job]) == 1


def test_an_opted_out_account_gets_a_stop_failed_alert(organization: Organization) -> None:
    d = organization.account("workload-d")
    iam = organization.view("workload-d", HOME).client("iam")
    assert iam.list_role_policies(RoleName=MEMBER_ROLE)["PolicyNames"] == ["TuningJobs"], "no StopTuningJobs"
    # The emulator does not evaluate a role's own policies; SageMaker answers as IAM would for a role without
    # sagemaker:StopHyperParameterTuningJob.
    inject_faults(
        "sagemaker",
        "StopHyperParameterTuningJob",
        "AccessDeniedException",
        20,
        message=f"User: arn:aws:sts::{d}:assumed-role/{MEMBER_ROLE}/hpo-guardrail is not authorized to perform: "
        "sagemaker:StopHyperParameterTuningJob",
        account_id=d,
        region=HOME,
    )
    organization.alerts.receive()
    event = call_in(d, HOME, costly_misconfigured("d-opted-out"))
    job = organization.created_in("workload-d", HOME, event)
    try:
        invocations = organization.put_in("workload-d", HOME, event)
    finally:
        inject_faults("sagemaker", "StopHyperParameterTuningJob", "AccessDeniedException", 0, account_id=d, region=HOME)

    assert len(invocations) == 1
    assert organization.job_status("workload-d", HOME, job) == "InProgress"
    assert all(c.admitted for c in ASSUME_ROLE_CALLS.of_role(organization.member_role_arn("workload-d")))
    alerts = [n for n in organization.alerts.receive() if job in n.message]
    assert len(alerts) == 1
    assert "stop failed" in alerts[0].message.lower()


def test_a_job_in_a_region_without_the_forwarder_reaches_nothing(organization: Organization) -> None:
    b = organization.account("workload-b")
    event = call_in(b, UNWATCHED, costly_misconfigured("b-unwatched"))
    job = organization.created_in("workload-b", UNWATCHED, event)

    invocations = organization.put_in("workload-b", UNWATCHED, event)

    assert invocations == []
    assert organization.job_status("workload-b", UNWATCHED, job) == "InProgress"
    forwarder = f"arn:aws:events:{UNWATCHED}:{b}:rule/{FORWARDER_RULE}"
    assert FORWARDING.for_rule(forwarder) == []
    assert [r for r in organization.audit_records("workload-b") if r["job_name"] == job] == []
