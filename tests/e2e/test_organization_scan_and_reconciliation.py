"""`scan --org` and the scheduled reconciliation, on the embedded AWS with several accounts and regions.

The organization: the tooling account (OU Platform; the central stack, enforce mode, with ReconcileSchedule and
ReconcileRegions set; the delegated administrator, so it may list the organization's accounts), workload-b and
workload-c (OU Workloads: the member role, and the forwarder in two regions), and workload-d (OU Unmanaged: no
member role). A third region has no forwarder: a job there reaches nothing through events, and only `scan --org`
and the reconciliation find it. The reconciliation is the deployed ReconcileFunction, run as Lambda runs it (its
execution role is the guardrail function's, which the member roles trust).
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from moto.sagemaker.models import sagemaker_backends

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.embedded.deployment import REPO_ROOT
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation
from hpo_guardrail.embedded.moto_extensions import ASSUME_ROLE_CALLS
from hpo_guardrail.embedded.moto_extensions.organizations import STACKSETS_PRINCIPAL
from hpo_guardrail.embedded.org_deployment import deploy_guardrail_organization
from hpo_guardrail.embedded.organization import build_organization
from hpo_guardrail.embedded.sns_capture import SnsCapture
from hpo_guardrail.enforce.audit import RECONCILIATION, job_claim_key
from hpo_guardrail.enforce.reconcile import SETTLE
from tests.cli.conftest import clean_request, run_cli
from tests.e2e.test_organization_end_to_end import (
    HOME,
    MEMBER_ROLE,
    SECOND,
    UNWATCHED,
    Organization,
    call_in,
    costly_misconfigured,
)

pytestmark = pytest.mark.emulator

SCAN_ROLE = "HpoGuardrailScan"  # what a platform team deploys for people who run `scan --org`
REGIONS = (HOME, SECOND, UNWATCHED)


@dataclass(frozen=True)
class Reconciled:
    org: Organization
    reconcile: FunctionRunner

    def run_reconciliation(self) -> Invocation:
        invocation = self.reconcile.invoke_async({})  # EventBridge Scheduler's payload for a Lambda target
        sys.stdout.write(invocation.logs)
        return invocation

    def store(self) -> DynamoDbAuditStore:
        tooling = self.org.aws.in_account(self.org.account("tooling"), region=HOME)
        return DynamoDbAuditStore(tooling.client("dynamodb"), self.org.central.outputs["AuditTableName"])

    def alerts_for(self, job: str) -> list[Any]:
        return [n for n in self.org.alerts.receive() if job in json.dumps(n.message_json())]


def _template_with_reconciliation(directory: Path) -> Path:
    """template.yaml with ReconcileSchedule and ReconcileRegions defaulting to on (the deployment helper passes the
    parameters it knows; the template's defaults decide the others)."""
    text = (REPO_ROOT / "template.yaml").read_text(encoding="utf-8")
    schedule = '  ReconcileSchedule:\n    Type: String\n    Default: ""\n'
    regions = '  ReconcileRegions:\n    Type: CommaDelimitedList\n    Default: ""\n'
    assert schedule in text and regions in text
    text = text.replace(schedule, schedule.replace('Default: ""', 'Default: "rate(1 hour)"'))
    text = text.replace(regions, regions.replace('Default: ""', f'Default: "{",".join(REGIONS)}"'))
    path = directory / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _scan_role(view: EmbeddedAws, trusted_account: str, organization_id: str) -> None:
    """A read-only role for people who scan: trusts the tooling account, lists, describes and reads tags."""
    iam = view.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{trusted_account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}},
            }
        ],
    }
    iam.create_role(RoleName=SCAN_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "sagemaker:ListHyperParameterTuningJobs",
                    "sagemaker:DescribeHyperParameterTuningJob",
                    "sagemaker:ListTags",
                ],
                "Resource": "*",
            }
        ],
    }
    iam.put_role_policy(RoleName=SCAN_ROLE, PolicyName="ReadTuningJobs", PolicyDocument=json.dumps(read))


@pytest.fixture(scope="module")
def reconciled(embedded_aws: EmbeddedAws, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reconciled]:
    org = build_organization(
        embedded_aws,
        organizational_units=("Platform", "Workloads", "Unmanaged"),
        accounts={
            "tooling": "Platform",
            "workload-b": "Workloads",
            "workload-c": "Workloads",
            "workload-d": "Unmanaged",
        },
    )
    management = embedded_aws.in_account(org.management_account_id, region=HOME)
    # docs/deploy-org.md: the tooling account is the StackSets' delegated administrator, which lets it list the
    # organization's accounts.
    management.client("organizations").register_delegated_administrator(
        AccountId=org.account_id("tooling"), ServicePrincipal=STACKSETS_PRINCIPAL
    )
    tooling = embedded_aws.in_account(org.account_id("tooling"), region=HOME)
    workdir = tmp_path_factory.mktemp("org-reconcile")
    # The member roles to Workloads only (workload-d has none), the forwarder in HOME and SECOND (not UNWATCHED).
    guardrail_org = deploy_guardrail_organization(
        embedded_aws,
        org,
        enforced_ous=["Workloads"],
        regions=(HOME, SECOND),
        template_path=_template_with_reconciliation(workdir),
    )
    central = guardrail_org.central
    for name in ("workload-b", "workload-c"):
        _scan_role(embedded_aws.in_account(org.account_id(name), region=HOME), tooling.account_id, org.organization_id)
    # moto's CloudFormation joins a CommaDelimitedList parameter's default character by character ("u,s,-,...");
    # CloudFormation joins the list. Set the variable as CloudFormation sets it.
    lambda_client = tooling.client("lambda")
    reconcile_name = central.outputs["ReconcileFunctionName"]
    deployed = lambda_client.get_function_configuration(FunctionName=reconcile_name)["Environment"]["Variables"]
    variables = {name: str(value) for name, value in deployed.items()} | {"RECONCILE_REGIONS": ",".join(REGIONS)}
    lambda_client.update_function_configuration(FunctionName=reconcile_name, Environment={"Variables": variables})
    runner = FunctionRunner.for_stack(tooling, central, workdir / "guardrail")
    reconcile = FunctionRunner.for_stack(tooling, central, workdir / "reconcile", function_name=reconcile_name)
    yield Reconciled(Organization(guardrail_org, runner, SnsCapture(tooling, central.topic_arn)), reconcile)


def _created_minutes_ago(org: Organization, name: str, region: str, job: str, minutes: float) -> None:
    """The job as if created `minutes` ago: the reconciliation leaves a job SETTLE minutes for its own event."""
    backend = sagemaker_backends[org.account(name)][region]
    backend.hyper_parameter_tuning_jobs[job].creation_time -= timedelta(minutes=minutes)


def _created(org: Organization, name: str, region: str, prefix: str) -> tuple[dict[str, Any], str]:
    event = call_in(org.account(name), region, costly_misconfigured(prefix))
    job = org.created_in(name, region, event)
    _created_minutes_ago(org, name, region, job, SETTLE.total_seconds() / 60 + 1)
    return event, job


def _place(summary: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    (place,) = [p for p in summary["places"] if (p["account"], p["region"]) == (account, region)]
    return place


# --- the reconciliation -------------------------------------------------------------------------------------


def test_the_reconciliation_judges_a_job_whose_event_never_came_and_stops_it_through_the_member_role(
    reconciled: Reconciled,
) -> None:
    org = reconciled.org
    b = org.account("workload-b")
    # A region without the forwarder: the event goes nowhere.
    event, job = _created(org, "workload-b", UNWATCHED, "b-unwatched")
    assert org.put_in("workload-b", UNWATCHED, event) == []
    assumed_before = len(ASSUME_ROLE_CALLS.of_role(org.member_role_arn("workload-b")))

    invocation = reconciled.run_reconciliation()

    assert invocation.error is None, invocation.error
    place = _place(invocation.result, b, UNWATCHED)
    (outcome,) = [o for o in place["evaluated"] if o["job_name"] == job]
    assert outcome["status"] == "evaluated" and outcome["decision"] == "stop"
    assert outcome["actions"]["stop"] == "stopped (InProgress -> Stopping)"
    assert org.job_status("workload-b", UNWATCHED, job) == "Stopping"
    calls = ASSUME_ROLE_CALLS.of_role(org.member_role_arn("workload-b"))[assumed_before:]
    assert calls and all(c.admitted for c in calls)
    assert calls[0].caller_arn == org.central.outputs["GuardrailFunctionRoleArn"]
    assert calls[0].session_name.startswith("hpo-guardrail-reconciliation-")
    record = reconciled.store().get(f"reconciliation-{b}-{UNWATCHED}-{job}")
    assert record is not None and record.trigger == RECONCILIATION
    assert (record.account, record.region, record.decision) == (b, UNWATCHED, "stop")
    assert record.request is not None and record.request["HyperParameterTuningJobName"] == job
    (alert,) = reconciled.alerts_for(job)
    assert alert.message_attributes["action"] == "stop"
    # The workload account without a member role is named, and the run went on.
    d = org.account("workload-d")
    assert "not reconciled" in _place(invocation.result, d, UNWATCHED)["failed"]

    again = reconciled.run_reconciliation()

    assert again.error is None, again.error
    repeated = [o for o in _place(again.result, b, UNWATCHED)["evaluated"] if o["job_name"] == job]
    assert [o["status"] for o in repeated] == ["skipped"], "its own record, complete: a duplicate"
    assert reconciled.alerts_for(job) == [], "a repeated run sends no second alert"


def test_a_job_its_event_already_judged_is_skipped_by_the_reconciliation(reconciled: Reconciled) -> None:
    org = reconciled.org
    c = org.account("workload-c")
    event, job = _created(org, "workload-c", SECOND, "c-event")
    (delivered,) = org.put_in("workload-c", SECOND, event)
    assert delivered.result["status"] == "evaluated"
    assert len(reconciled.alerts_for(job)) == 1

    invocation = reconciled.run_reconciliation()

    place = _place(invocation.result, c, SECOND)
    assert job not in [o["job_name"] for o in place["evaluated"]]
    assert place["judged_already"] >= 1
    assert reconciled.alerts_for(job) == []
    claim = reconciled.store().job_claim(job_claim_key(c, SECOND, job))
    assert claim is not None and (claim.event_id, claim.trigger) == (event["detail"]["eventID"], "cloudtrail")


def test_an_event_arriving_after_the_reconciliation_judged_its_job_gives_no_second_alert(
    reconciled: Reconciled,
) -> None:
    org = reconciled.org
    c = org.account("workload-c")
    event, job = _created(org, "workload-c", HOME, "c-late")
    reconciled.run_reconciliation()
    assert len(reconciled.alerts_for(job)) == 1

    (late,) = org.put_in("workload-c", HOME, event)  # CloudTrail's event, late

    assert late.error is None, late.error
    assert late.result["status"] == "skipped"
    assert f"reconciliation-{c}-{HOME}-{job}" in late.result["reason"]
    assert reconciled.alerts_for(job) == []


# --- scan --org ---------------------------------------------------------------------------------------------


def _scan(reconciled: Reconciled, tmp_path: Path, *args: str):
    tooling = reconciled.org.aws.in_account(reconciled.org.account("tooling"), region=HOME)
    return run_cli("scan", *args, "--format", "json", cwd=tmp_path, env=tooling.environment_variables())


def test_scan_org_finds_the_job_in_a_region_without_the_forwarder_and_names_the_accounts_it_could_not_read(
    reconciled: Reconciled, tmp_path: Path
) -> None:
    org = reconciled.org
    b, c = org.account("workload-b"), org.account("workload-c")
    prefix = f"scanorg{uuid.uuid4().hex[:6]}"
    in_b = org.created_in("workload-b", UNWATCHED, call_in(b, UNWATCHED, costly_misconfigured(prefix)))
    in_c = org.created_in("workload-c", SECOND, call_in(c, SECOND, clean_request(f"{prefix}-clean")))

    run = _scan(
        reconciled,
        tmp_path,
        "--org",
        "--regions",
        f"{SECOND},{UNWATCHED}",
        "--member-role-name",
        SCAN_ROLE,
        "--name-contains",
        prefix,
    )

    assert run.returncode == 3, run.stdout + run.stderr
    reports = {report["job_name"]: report for report in run.json()}
    assert set(reports) == {in_b, in_c}
    assert (reports[in_b]["account"], reports[in_b]["region"]) == (b, UNWATCHED)
    assert {f["rule"] for f in reports[in_b]["findings"]} >= {"log-scale", "budget-cap"}
    assert (reports[in_c]["account"], reports[in_c]["region"]) == (c, SECOND)
    # The management account and workload-d have no scan role: one line per account and region, and the rest ran.
    lines = [line for line in run.stderr.splitlines() if ": not scanned: " in line]
    for account in (org.org.management_account_id, org.account("workload-d")):
        for region in (SECOND, UNWATCHED):
            assert sum(f"account {account}, region {region}: not scanned" in line for line in lines) == 1, lines
    assert len(lines) == 4
    assert "incomplete: 4 of 10 account/region pair(s) not scanned (exit 3)" in run.stderr
    sessions = ASSUME_ROLE_CALLS.of_role(f"arn:aws:iam::{b}:role/{SCAN_ROLE}")
    assert sessions and sessions[-1].session_name.startswith("hpo-guardrail-scan-")


def test_scan_accounts_reads_only_the_accounts_named(reconciled: Reconciled, tmp_path: Path) -> None:
    org = reconciled.org
    b, c = org.account("workload-b"), org.account("workload-c")
    prefix = f"scanacc{uuid.uuid4().hex[:6]}"
    in_b = org.created_in("workload-b", SECOND, call_in(b, SECOND, clean_request(f"{prefix}-b")))
    org.created_in("workload-c", SECOND, call_in(c, SECOND, clean_request(f"{prefix}-c")))

    run = _scan(
        reconciled, tmp_path, "--accounts", b, "--regions", SECOND, "--member-role-name", SCAN_ROLE,
        "--name-contains", prefix,
    )  # fmt: skip

    assert run.returncode == 0, run.stdout + run.stderr
    assert [(r["job_name"], r["account"], r["region"]) for r in run.json()] == [(in_b, b, SECOND)]


def test_the_member_role_itself_admits_only_the_central_function(reconciled: Reconciled, tmp_path: Path) -> None:
    """A person scanning with the default role name is refused: the member role trusts the function alone."""
    b = reconciled.org.account("workload-b")

    run = _scan(reconciled, tmp_path, "--accounts", b, "--regions", SECOND)

    assert run.returncode == 3, run.stdout + run.stderr
    assert f"account {b}, region {SECOND}: not scanned: cannot act in account {b}: assuming " in run.stderr
    assert f"role/{MEMBER_ROLE} failed" in run.stderr
