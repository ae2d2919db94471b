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

from hpo_guardrail.embedded.deployment import DeployedStack
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation
from hpo_guardrail.embedded.moto_extensions import ASSUME_ROLE_CALLS, FORWARDING, inject_faults
from hpo_guardrail.embedded.org_deployment import (
    FORWARDER_RULE,
    HOME,
    MEMBER_ROLE,
    SECOND,
    GuardrailOrganization,
    deploy_guardrail_organization,
)
from hpo_guardrail.embedded.org_deployment import call_in as moved_to
from hpo_guardrail.embedded.organization import EmulatedOrganization, build_organization
from hpo_guardrail.embedded.sns_capture import SnsCapture
from tests.builders import cloudtrail_event as recorded_call
from tests.builders import continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator

UNWATCHED = "ap-southeast-2"  # a region without the forwarder


@dataclass(frozen=True)
class Organization:
    """The organization with the guardrail deployed (org_deployment.py), its running function and its alerts."""

    deployed: GuardrailOrganization
    runner: FunctionRunner
    alerts: SnsCapture

    @property
    def aws(self) -> EmbeddedAws:
        return self.deployed.aws

    @property
    def org(self) -> EmulatedOrganization:
        return self.deployed.org

    @property
    def central(self) -> DeployedStack:
        return self.deployed.central

    def account(self, name: str) -> str:
        return self.deployed.account(name)

    def view(self, name: str, region: str) -> EmbeddedAws:
        return self.deployed.view(name, region)

    def member_role_arn(self, name: str) -> str:
        return self.deployed.member_role_arn(name)

    def audit_records(self, account_name: str) -> list[dict[str, Any]]:
        return self.deployed.audit_records(account_name)

    def created_in(self, name: str, region: str, event: dict[str, Any]) -> str:
        return self.deployed.created_in(name, region, event)

    def job_status(self, name: str, region: str, job: str) -> str:
        return self.deployed.job_status(name, region, job)

    def put_in(self, name: str, region: str, event: dict[str, Any]) -> list[Invocation]:
        """Put the event on the member account's default bus in `region`, as CloudTrail does; run the central
        function for every invocation it caused there (none: it never reached the central rule)."""
        invocations = self.deployed.put_in(name, region, event, self.runner)
        for invocation in invocations:
            sys.stdout.write(invocation.logs)  # shown by pytest when a test fails
        return invocations


def call_in(account: str, region: str, request: dict[str, Any]) -> dict[str, Any]:
    """A CreateHyperParameterTuningJob call's event as CloudTrail and EventBridge give it for `account` and
    `region`: the envelope and the record (recipientAccountId, awsRegion, the caller's account, the job's ARN)."""
    return moved_to(recorded_call(request), account, region)


def costly_misconfigured(prefix: str) -> dict[str, Any]:
    """100 jobs x 10 h on ml.p3.2xlarge with a linear learning rate: over the $1000 cap, a log-scale finding."""
    return tuning_request(
        f"{prefix}-{uuid.uuid4().hex[:6]}",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
    )


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
    # Enforce by default (the stack's Mode), workload-c scoped to monitor; the member role without the stop
    # permission for the OptedOut OU; the forwarder in HOME and SECOND.
    deployed = deploy_guardrail_organization(
        embedded_aws,
        org,
        enforced_ous=("Workloads",),
        opted_out_ous=("OptedOut",),
        monitored=("workload-c",),
        regions=(HOME, SECOND),
    )
    runner = FunctionRunner.for_stack(
        deployed.tooling, deployed.central, Path(tmp_path_factory.mktemp("org-lambda-code"))
    )
    return Organization(deployed, runner, SnsCapture(deployed.tooling, deployed.central.topic_arn))


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


def test_a_member_accounts_finished_job_is_reviewed_through_its_member_role_on_the_central_record(
    organization: Organization,
) -> None:
    from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS, TrainingJobRun

    c = organization.account("workload-c")
    request = tuning_request(
        f"c-review-{uuid.uuid4().hex[:8]}",
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Linear")],
        max_jobs=10,
        definition=training_definition("ml.m5.xlarge", 1, 3600),
    )
    event = call_in(c, HOME, request)
    job = organization.created_in("workload-c", HOME, event)
    (created,) = organization.put_in("workload-c", HOME, event)
    assert created.result["status"] == "evaluated", created.error
    runs = [
        TrainingJobRun(
            {"learning_rate": "0.0001" if i == 0 else f"0.0{i + 2}"},
            objective_value=0.9 - i / 100,
            billable_seconds=600,
        )
        for i in range(4)
    ]
    assumed_before = len(ASSUME_ROLE_CALLS.of_role(organization.member_role_arn("workload-c")))

    # SageMaker puts the state change on the member account's default bus; the forwarder takes it to the central bus.
    (event_id,) = organization.view("workload-c", HOME).run_tuning_job(job, runs, "Completed")
    queued = [q for q in ASYNC_INVOCATIONS.take_event(event_id) if q.function_arn == organization.runner.function_arn]
    (invocation,) = [organization.runner.invoke_async(q.event) for q in queued]

    assert invocation.error is None, invocation.error
    assert invocation.result["status"] == "evaluated"
    assert invocation.result["event_id"] == event["detail"]["eventID"], "the review goes on the creation record"
    calls = ASSUME_ROLE_CALLS.of_role(organization.member_role_arn("workload-c"))[assumed_before:]
    assert calls and all(call.admitted for call in calls), "read through workload-c's member role"
    assert calls[0].session_name == "hpo-guardrail-" + event_id
    stored = organization.deployed.audit_record(event["detail"]["eventID"])
    assert stored is not None and stored.review is not None
    assert stored.review.spend_usd == pytest.approx(4 * 600 / 3600 * 0.23, abs=0.01)
    assert (stored.account, stored.review.job_status) == (c, "Completed")
