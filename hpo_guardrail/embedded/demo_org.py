"""`hpo-guardrail demo --org`: one central guardrail over an organization's accounts and regions, no AWS account.

Starts the embedded AWS on 127.0.0.1 and builds an organization in it: a management account, OU Platform with
the tooling account, OU Workloads with workload-b and workload-c. The central stack (template.yaml with
OrganizationId, enforce mode, a policy scope that sets workload-c to monitor) goes into the tooling account;
the member role and the forwarder reach the workload accounts through the service-managed StackSets of
org/stacksets/ (org_deployment.py, the same code the end-to-end tests deploy with). Then CloudTrail's events
are put on the member accounts' default buses and the central function runs for what the forwarders bring:

1. the topology, read back from each account and region;
2. a costly misconfigured job in workload-b's second region, stopped through workload-b's member role;
3. a job in workload-c, scoped to monitor: only an alert, no role assumed;
4. a forged event (its envelope names workload-c, its record workload-b): rejected and recorded;
5. an alert-only job in workload-c stopped through the payload of the alert's Stop tuning job button.

Each step prints one line (account, region, what happened) and the facts behind it, and checks them against
the emulator: a claim that does not hold ends the demo with DEMO FAILED and exit code 1. Ids and times are the
same on every run: the emulator's random ids are seeded, each event has a fixed id and time, and the function
reads the time from the demo's clock (demo_clock.py).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import urllib.request
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from hpo_guardrail.adapters.dynamodb import JOB_CLAIM_TYPE
from hpo_guardrail.embedded.chat_button import STOP_BUTTON_OUTPUT, button_press, deployed_template, press_stop_button
from hpo_guardrail.embedded.demo import DemoFailed, clean_up
from hpo_guardrail.embedded.demo_clock import DemoClock, PinnedClockRunner, event_time
from hpo_guardrail.embedded.deployment import REPO_ROOT
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation
from hpo_guardrail.embedded.moto_extensions import ASSUME_ROLE_CALLS
from hpo_guardrail.embedded.moto_extensions.sts import AssumeRoleCall
from hpo_guardrail.embedded.org_deployment import (
    FORWARDER_RULE,
    HOME,
    MEMBER_ROLE,
    SECOND,
    TOOLING,
    GuardrailOrganization,
    call_in,
    deploy_guardrail_organization,
)
from hpo_guardrail.embedded.organization import MANAGEMENT, build_organization
from hpo_guardrail.embedded.sns_capture import SnsCapture, SnsNotification
from hpo_guardrail.enforce.chat_stop import CHAT_CHANNEL

WORKLOAD_B = "workload-b"
WORKLOAD_C = "workload-c"
ACCOUNTS = {TOOLING: "Platform", WORKLOAD_B: "Workloads", WORKLOAD_C: "Workloads"}
ORGANIZATIONAL_UNITS = ("Platform", "Workloads")
REGIONS = (HOME, SECOND)
STACK_NAME = "hpo-guardrail-central"
# A management account id and a seed for the emulator's random ids (moto's /moto-api/seed): with both fixed,
# the organization, its accounts and every id the emulator makes are the same on every run in a fresh process.
MANAGEMENT_ACCOUNT_ID = "999900000001"
EMULATOR_SEED = 12
# The costly misconfigured sample call (linear learning rate over four orders of magnitude, 2 x ml.p3.16xlarge).
BASE_EVENT = REPO_ROOT / "events" / "04-costly-misconfigured.json"
# How long after its alert the engineer presses the Stop button (the cost avoided is what is not yet spent).
PRESSED_AFTER = timedelta(minutes=20)
STEP_INTERVAL = timedelta(minutes=5)  # between the demo's calls
KEPT_FILES = ("function.log", "audit-records.json")
_STOPPED_STATUSES = ("Stopping", "Stopped")
_RULE = "=" * 78


@dataclass(frozen=True)
class Call:
    """One CreateHyperParameterTuningJob call of the demo: where it was made and the event CloudTrail gives."""

    account: str  # the account's name
    region: str
    job: str
    event: dict[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.event["detail"]["eventID"])


@dataclass
class OrgDemoResult:
    """What the demo did, for its summary and for tests that check its claims against the emulator."""

    deployment: GuardrailOrganization
    enforced: Call | None = None  # the job stopped through workload-b's member role
    monitored: Call | None = None  # the job in workload-c that only alerted
    forged: Call | None = None  # the forged event (its record names workload-b), and the job it names
    button: Call | None = None  # the alert-only job stopped through the button's payload
    button_reply: dict[str, Any] = field(default_factory=dict)
    alerts: list[SnsNotification] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # event ids
    audit_export: Path | None = None


def main(argv: Sequence[str] = ()) -> int:
    """Run the organization demo in a fresh embedded AWS; 0 when every claim held, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="hpo-guardrail demo --org", description=__doc__)
    parser.parse_args(list(argv))
    out = sys.stdout
    workdir = Path(tempfile.mkdtemp(prefix="hpo-guardrail-demo-org-"))
    try:
        with EmbeddedAws() as aws:
            seed_emulator(aws, EMULATOR_SEED)
            run_org_demo(aws, out, workdir, management_account_id=MANAGEMENT_ACCOUNT_ID)
    except Exception as failure:
        print(f"\nDEMO FAILED: {type(failure).__name__}: {failure}", file=out)
        return 1
    finally:
        clean_up(workdir, KEPT_FILES)
    return 0


def seed_emulator(aws: EmbeddedAws, seed: int) -> None:
    """Seed the random ids the emulator makes (account and organization ids, ARNs, message ids). moto's server
    answers POST /moto-api/seed?a=<n> by seeding its mock_random (moto/moto_api/_internal/responses.py, `seed`).
    Only for an emulator the demo started: with the same seed, the ids repeat."""
    request = urllib.request.Request(f"{aws.endpoint_url}/moto-api/seed?a={seed}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # the emulator, on 127.0.0.1
        response.read()


def run_org_demo(
    aws: EmbeddedAws, out: TextIO, workdir: Path, *, management_account_id: str | None = None
) -> OrgDemoResult:
    """Build the organization in `aws`, deploy the guardrail over it, run the four scenarios and print each with
    its facts; raises DemoFailed when a claim does not hold. Writes function.log and audit-records.json into
    `workdir`. Without `management_account_id` the organization gets a fresh one (many demos in one emulator)."""
    print(f"Embedded AWS on {aws.endpoint_url}; no AWS account is used.", file=out)
    org = build_organization(
        aws,
        organizational_units=ORGANIZATIONAL_UNITS,
        accounts=ACCOUNTS,
        management_account_id=management_account_id,
    )
    deployment = deploy_guardrail_organization(
        aws,
        org,
        enforced_ous=("Workloads",),
        monitored=(WORKLOAD_C,),
        regions=REGIONS,
        stack_name=STACK_NAME,  # the tooling account is new with each organization: the name is free
    )
    result = OrgDemoResult(deployment)
    base = json.loads(BASE_EVENT.read_text(encoding="utf-8"))
    base_time = event_time(base)
    if base_time is None:
        raise DemoFailed(f"{BASE_EVENT.name} has no time")
    steps = [
        (WORKLOAD_B, SECOND, "b-llm-sweep-costly"),
        (WORKLOAD_C, HOME, "c-llm-sweep-monitored"),
        (WORKLOAD_B, HOME, "b-llm-sweep-forged-target"),
        (WORKLOAD_C, SECOND, "c-llm-sweep-button"),
    ]
    enforced, monitored, forged, button = (
        _call(deployment, base, account, region, job, base_time + STEP_INTERVAL * number)
        for number, (account, region, job) in enumerate(steps)
    )
    clock = DemoClock(base_time)
    log_path = workdir / "function.log"
    with log_path.open("w", encoding="utf-8") as function_log:
        tooling = deployment.tooling
        alerts = SnsCapture(tooling, deployment.central.topic_arn)
        runner = PinnedClockRunner.at(clock, tooling, deployment.central, workdir / "code", echo=function_log)
        # The button's own function (the chat channel may invoke it and nothing else), on the same clock.
        button_runner = PinnedClockRunner.at(
            clock,
            tooling,
            deployment.central,
            workdir / "code",
            echo=function_log,
            function_name=deployment.central.outputs[STOP_BUTTON_OUTPUT],
        )
        demo = _OrgDemo(deployment, runner, button_runner, clock, alerts, result, out)
        demo.topology()
        demo.enforced_in_b(enforced)
        demo.monitored_in_c(monitored)
        demo.forged_from_c(forged)
        demo.stopped_by_button(button)
        demo.summary(workdir, log_path)
    return result


def _call(
    deployment: GuardrailOrganization, base: dict[str, Any], account: str, region: str, job: str, at: datetime
) -> Call:
    """The sample call, for a job named `job`, made in `account` and `region` at `at`, with ids of its own (the
    same on every run)."""
    event = copy.deepcopy(base)
    event["detail"]["requestParameters"]["hyperParameterTuningJobName"] = job
    event["detail"]["eventID"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hpo-guardrail-demo-org/{job}/cloudtrail"))
    event["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hpo-guardrail-demo-org/{job}/eventbridge"))
    event["time"] = event["detail"]["eventTime"] = at.isoformat().replace("+00:00", "Z")
    return Call(account, region, job, call_in(event, deployment.account(account), region))


class _OrgDemo:
    """The demo's steps over one deployed organization: each prints its line and checks its claims."""

    def __init__(
        self,
        deployment: GuardrailOrganization,
        runner: FunctionRunner,
        button_runner: FunctionRunner,
        clock: DemoClock,
        alerts: SnsCapture,
        result: OrgDemoResult,
        out: TextIO,
    ) -> None:
        self.deployment = deployment
        self.runner = runner
        self.button_runner = button_runner
        self.clock = clock
        self.alerts = alerts
        self.result = result
        self.out = out

    # --- printing ------------------------------------------------------------------------------------

    def _where(self, name: str, region: str) -> str:
        return f"{name} {self.deployment.account(name)} {region}"

    def line(self, name: str, region: str, what: str) -> None:
        """One line: the account (name and id), the region, what happened."""
        print(f"{self._where(name, region):<34} {what}", file=self.out)

    def fact(self, text: str) -> None:
        print(f"{'':<36}{text}", file=self.out)

    def heading(self, text: str) -> None:
        print(f"\n{text}", file=self.out)

    # --- the steps -----------------------------------------------------------------------------------

    def topology(self) -> None:
        """The organization and the deployment, read back from each account and region."""
        d = self.deployment
        org = d.org
        workloads = (WORKLOAD_B, WORKLOAD_C)
        self.heading(
            f"1. Topology: organization {org.organization_id}; {len(workloads)} workload accounts x "
            f"{len(REGIONS)} regions through the StackSets"
        )
        management_events = d.aws.in_account(org.management_account_id, region=d.home).client("events")
        if FORWARDER_RULE in _rule_names(management_events):
            raise DemoFailed("the management account has a forwarder: a service-managed StackSet never targets it")
        self.line(MANAGEMENT, d.home, "created the StackSets (service-managed, automatic deployment to OU Workloads)")
        self.fact(f"{', '.join(d.stack_sets)}; no member stacks here: StackSets never target it")
        bus_policy = self._bus_policy()
        if org.organization_id not in json.dumps(bus_policy):
            raise DemoFailed(f"the central bus policy does not hold the organization condition: {bus_policy}")
        self.line(TOOLING, d.home, f"central stack {d.central.stack_name} (template.yaml, OrganizationId, enforce)")
        self.fact(
            f"bus {d.central_bus_arn.rsplit('/', 1)[-1]}: puts only from aws:PrincipalOrgID {org.organization_id}"
        )
        self.fact(f"function {d.central.function_name}")
        self.fact(f"audit table {d.audit_table}; policy scope: {WORKLOAD_C} monitor")
        for name in workloads:
            for region in REGIONS:
                self.line(name, region, f"forwarder {FORWARDER_RULE} -> central bus ({self._forwarder(name, region)})")
                if region == d.home:
                    self.line(name, region, f"member role {MEMBER_ROLE} ({self._member_role(name)})")

    def _bus_policy(self) -> Any:
        events = self.deployment.tooling.client("events")
        name = self.deployment.central_bus_arn.rsplit("/", 1)[-1]
        return json.loads(events.describe_event_bus(Name=name).get("Policy") or "{}")

    def _member_role(self, name: str) -> str:
        """The member role's trust and permissions, in words; DemoFailed unless it trusts exactly the central
        function's role, within the organization."""
        iam = self.deployment.view(name, self.deployment.home).client("iam")
        roles = [r for r in iam.list_roles()["Roles"] if r["RoleName"] == MEMBER_ROLE]
        if len(roles) != 1:
            raise DemoFailed(f"{name} has {len(roles)} roles named {MEMBER_ROLE}, not one")
        (statement,) = roles[0]["AssumeRolePolicyDocument"]["Statement"]
        if statement.get("Principal") != {"AWS": self.deployment.function_role_arn}:
            raise DemoFailed(f"{name}'s member role trusts {statement.get('Principal')}, not the central function")
        if self.deployment.org.organization_id not in json.dumps(statement.get("Condition")):
            raise DemoFailed(f"{name}'s member role has no aws:PrincipalOrgID condition")
        policies = iam.list_role_policies(RoleName=MEMBER_ROLE)["PolicyNames"]
        return f"trusts only the central function's role, in the organization; {' + '.join(sorted(policies))}"

    def _forwarder(self, name: str, region: str) -> str:
        events = self.deployment.view(name, region).client("events")
        if FORWARDER_RULE not in _rule_names(events):
            raise DemoFailed(f"{name} has no forwarder in {region}")
        (target,) = events.list_targets_by_rule(Rule=FORWARDER_RULE)["Targets"]
        if target["Arn"] != self.deployment.central_bus_arn or "Arn" not in target.get("DeadLetterConfig", {}):
            raise DemoFailed(f"{name}'s forwarder in {region} does not target the central bus with a dead-letter queue")
        return f"role {target['RoleArn'].rsplit('/', 1)[-1]}, dead-letter queue"

    def _run(self, put_in: str, call: Call) -> Invocation:
        """Create the call's job in its account and region, put its event on `put_in`'s default bus in the call's
        region (as CloudTrail does) and run the central function for what the forwarder brought: one invocation."""
        d = self.deployment
        d.created_in(call.account, call.region, call.event)
        self.clock.handling(call.event)
        invocations = d.put_in(put_in, call.region, call.event, self.runner)
        if len(invocations) != 1:
            raise DemoFailed(f"the event of {call.job} reached the central function {len(invocations)} times, not once")
        (invocation,) = invocations
        if invocation.error is not None:
            raise DemoFailed(f"the central function failed on {call.job}: {invocation.error.error_message}")
        return invocation

    def enforced_in_b(self, call: Call) -> None:
        d = self.deployment
        self.heading("2. Enforce: a costly misconfigured job in workload-b's second region")
        role_arn = d.member_role_arn(WORKLOAD_B)
        before = len(ASSUME_ROLE_CALLS.of_role(role_arn))
        result = _result(self._run(WORKLOAD_B, call))
        status = d.job_status(call.account, call.region, call.job)
        stop = str((result.get("actions") or {}).get("stop") or "not stopped")
        sessions = ASSUME_ROLE_CALLS.of_role(role_arn)[before:]
        alerts = self._new_alerts(call)
        self.line(WORKLOAD_B, call.region, f"job {call.job} {stop} through {WORKLOAD_B}'s member role")
        cap = d.central.parameters.budget_cap_usd
        self.fact(f"findings {_rules(result)}")
        self.fact(f"worst case {_usd(result)} (cap ${cap:,.0f}); decision {_decision(result)}")
        for price in result.get("prices") or []:
            self.fact(f"price {price}")
        for session in sessions:
            self.fact(f"role session seen in {WORKLOAD_B}: {_session_arn(session)}")
        record = d.audit_record(call.event_id)
        self.fact(f"DescribeHyperParameterTuningJob in {WORKLOAD_B} {call.region}: {status}; {len(alerts)} alert")
        if record is not None:
            self.fact(f"central audit: record {record.event_id} (account {record.account}, region {record.region})")
        if result.get("decision") != "stop" or not stop.startswith("stopped") or status not in _STOPPED_STATUSES:
            raise DemoFailed(f"{call.job} in {WORKLOAD_B} was not stopped: {_decision(result)}, {stop}, {status}")
        self._check_session(WORKLOAD_B, call, sessions)
        if record is None or (record.account, record.region, record.decision) != (
            d.account(WORKLOAD_B),
            call.region,
            "stop",
        ):
            raise DemoFailed(f"the central audit table has no stop record of {call.job} in {WORKLOAD_B} {call.region}")
        if len(alerts) != 1:
            raise DemoFailed(f"{len(alerts)} alerts of {call.job} reached the topic, not one")
        self.result.enforced = call

    def monitored_in_c(self, call: Call) -> None:
        d = self.deployment
        self.heading("3. Monitor: the same kind of job in workload-c, which the policy scopes to monitor")
        before = len(ASSUME_ROLE_CALLS.into_account(d.account(WORKLOAD_C)))
        result = _result(self._run(WORKLOAD_C, call))
        status = d.job_status(call.account, call.region, call.job)
        assumed = ASSUME_ROLE_CALLS.into_account(d.account(WORKLOAD_C))[before:]
        alerts = self._new_alerts(call)
        scope = f"scope {result.get('policy_scope')}, mode {result.get('mode')}"
        self.line(WORKLOAD_C, call.region, f"job {call.job} only alerted ({scope}); no role assumed")
        self.fact(f"findings {_rules(result)}")
        self.fact(f"worst case {_usd(result)}; decision {_decision(result)}")
        self.fact(f"AssumeRole into {WORKLOAD_C}: {len(assumed)}; DescribeHyperParameterTuningJob: {status}")
        self.fact(f"{len(alerts)} alert, {_alert_words(alerts)}")
        if (result.get("mode"), result.get("decision"), status) != ("monitor", "notify", "InProgress"):
            raise DemoFailed(f"{call.job} in {WORKLOAD_C} was not only alerted: {scope}, {_decision(result)}, {status}")
        if assumed or len(alerts) != 1:
            raise DemoFailed(f"{call.job}: {len(assumed)} role session(s) in {WORKLOAD_C}, {len(alerts)} alert(s)")
        self.result.monitored = call

    def forged_from_c(self, call: Call) -> None:
        d = self.deployment
        b, c = d.account(WORKLOAD_B), d.account(WORKLOAD_C)
        self.heading("4. Forged: an event from workload-c's forwarder whose CloudTrail record names workload-b")
        # The job the record names exists in workload-b: had the guardrail believed the record, it would stop it.
        d.created_in(call.account, call.region, call.event)
        before = len(ASSUME_ROLE_CALLS.into_account(b))
        self.clock.handling(call.event)
        invocations = d.put_in(WORKLOAD_C, call.region, call.event, self.runner)
        if len(invocations) != 1 or invocations[0].error is not None:
            raise DemoFailed(f"the forged event was not handled once by the central function: {invocations}")
        result = _result(invocations[0])
        status = d.job_status(call.account, call.region, call.job)
        assumed = ASSUME_ROLE_CALLS.into_account(b)[before:]
        record = d.audit_record(call.event_id)
        alerts = self._new_alerts(call)
        self.line(WORKLOAD_C, call.region, f"event {call.event_id} {result.get('status')}: forged account")
        self.fact(f"reason: {result.get('reason')}")
        recorded = f"record {record.event_id}, status {record.status}" if record is not None else "none"
        self.fact(f"central audit: {recorded}")
        self.fact(f"{WORKLOAD_B}'s job {call.job}: {status}; AssumeRole into {WORKLOAD_B}: {len(assumed)}")
        reason = str(result.get("reason"))
        if result.get("status") != "rejected" or invocations[0].attempts != 1 or b not in reason or c not in reason:
            raise DemoFailed(f"the forged event was {result.get('status')}, not rejected once for its two accounts")
        if record is None or record.status != "rejected" or record.account == b:
            raise DemoFailed(f"the forged event was not recorded as rejected: {recorded}")
        if status != "InProgress" or assumed or alerts:
            raise DemoFailed(f"the forged event acted: {WORKLOAD_B}'s job {status}, {len(assumed)} role session(s)")
        self.result.forged = call
        self.result.rejected.append(call.event_id)

    def stopped_by_button(self, call: Call) -> None:
        d = self.deployment
        c = d.account(WORKLOAD_C)
        self.heading("5. Stop button: an alert-only job in workload-c, stopped through the alert's button payload")
        result = _result(self._run(WORKLOAD_C, call))
        status_before = d.job_status(call.account, call.region, call.job)
        alerts = self._new_alerts(call)
        if result.get("decision") != "notify" or len(alerts) != 1:
            raise DemoFailed(f"{call.job} was not only alerted: {_decision(result)}, {len(alerts)} alert(s)")
        alert = alerts[0].message_json()
        self.line(WORKLOAD_C, call.region, f"job {call.job} alerted ({_rules(result)}); {status_before}")
        before = len(ASSUME_ROLE_CALLS.into_account(c))
        self.clock.set(self.clock.now() + PRESSED_AFTER)
        reply = press_stop_button(d.tooling, d.central, alert, runner=self.button_runner)
        status = d.job_status(call.account, call.region, call.job)
        sessions = ASSUME_ROLE_CALLS.into_account(c)[before:]
        record = d.audit_record(call.event_id)
        stop = record.actions.get("stop") if record is not None else None
        follow_ups = self._new_alerts(call)
        minutes = int(PRESSED_AFTER.total_seconds() // 60)
        pressed = f"{reply.get('message')} by the Stop button ({minutes} min later)"
        self.line(WORKLOAD_C, call.region, f"job {call.job} {pressed}")
        press = button_press(deployed_template(d.tooling, d.central.stack_name), alert)
        self.fact(f"{press.function_name} invoked with {json.dumps(press.payload, separators=(',', ':'))}")
        for session in sessions:
            self.fact(f"role session seen in {WORKLOAD_C}: {_session_arn(session)}")
        cost = reply.get("cost_avoided_usd")
        cost_words = f"${cost:,.2f}" if isinstance(cost, int | float) else "unknown"
        self.fact(f"cost avoided {cost_words}; DescribeHyperParameterTuningJob: {status}")
        requested_by = stop.requested_by if stop is not None else None
        outcome = stop.result if stop is not None else "none"
        self.fact(f"central audit: stop {outcome}, asked for by the {requested_by}")
        self.fact(f"{len(follow_ups)} follow-up message in the alert's thread")
        if reply.get("status") != "stopped" or status not in _STOPPED_STATUSES:
            raise DemoFailed(f"the Stop button did not stop {call.job}: {reply}, {status}")
        self._check_session(WORKLOAD_C, call, sessions)
        if requested_by != CHAT_CHANNEL or len(follow_ups) != 1:
            raise DemoFailed(f"the button's stop was not recorded as the chat channel's with one follow-up: {stop}")
        if follow_ups[0].message_json()["metadata"]["threadId"] != alert["metadata"]["threadId"]:
            raise DemoFailed("the follow-up is not in the alert's thread")
        self.result.button = call
        self.result.button_reply = reply

    def _check_session(self, name: str, call: Call, sessions: Sequence[AssumeRoleCall]) -> None:
        """The stop went through the account's member role, assumed by the central function as the session the
        event names (what the member account's CloudTrail shows)."""
        expected = f"hpo-guardrail-{call.event_id}"
        if not sessions or not all(s.admitted for s in sessions) or sessions[0].session_name != expected:
            raise DemoFailed(f"the stop in {name} did not go through its member role as session {expected}")
        if sessions[0].role_arn != self.deployment.member_role_arn(name):
            raise DemoFailed(f"the stop in {name} went through {sessions[0].role_arn}, not its member role")
        if sessions[0].caller_arn != self.deployment.function_role_arn:
            raise DemoFailed(f"{name}'s member role was assumed by {sessions[0].caller_arn}, not the central function")

    def _new_alerts(self, call: Call) -> list[SnsNotification]:
        """The messages the topic received since the last look; those about `call` (its event id)."""
        received = self.alerts.receive()
        self.result.alerts.extend(received)
        return [n for n in received if _event_id_of(n) == call.event_id]

    def summary(self, workdir: Path, log_path: Path) -> None:
        d = self.deployment
        self.result.alerts.extend(self.alerts.receive())
        names = {d.account(name): name for name in (WORKLOAD_B, WORKLOAD_C)}
        per_account = Counter(names.get(n.message_attributes.get("account", ""), "other") for n in self.result.alerts)
        export = workdir / "audit-records.json"
        scanned = d.tooling.client("dynamodb").scan(TableName=d.audit_table, ConsistentRead=True)["Items"]
        # The records of events; the table also keeps one claim per job (which event judged it), not a record.
        items = sorted(
            (item for item in scanned if item.get("record_type", {}).get("S") != JOB_CLAIM_TYPE),
            key=lambda item: item["event_id"]["S"],
        )
        export.write_text(json.dumps(items, indent=2) + "\n", encoding="utf-8")
        self.result.audit_export = export
        print(f"\n{_RULE}\nSummary\n{_RULE}", file=self.out)
        alerts = ", ".join(f"{name} {per_account.get(name, 0)}" for name in (WORKLOAD_B, WORKLOAD_C))
        print(f"Alerts sent      {alerts} (the follow-up included), on the topic in {TOOLING}", file=self.out)
        stops = [(self.result.enforced, "the policy (enforce)"), (self.result.button, "the Stop button's payload")]
        for number, (call, by) in enumerate(stops):
            if call is not None:
                label = "Stops" if number == 0 else ""
                print(f"{label:<16} {call.job} in {call.account} {call.region}, by {by}", file=self.out)
        rejected = ", ".join(self.result.rejected) or "none"
        print(f"Rejected events  {len(self.result.rejected)}: {rejected} (forged account)", file=self.out)
        where = f"{TOOLING} {d.account(TOOLING)} {d.home}"
        print(f"Audit records    {len(items)} in table {d.audit_table} ({where})", file=self.out)
        print(f"                 exported to {export}", file=self.out)
        print(f"Function log     {log_path}", file=self.out)
        if per_account.get("other"):
            raise DemoFailed(f"{per_account['other']} alert(s) named no workload account")


def _rule_names(events: Any) -> list[str]:
    return [rule["Name"] for rule in events.list_rules()["Rules"]]


def _session_arn(call: AssumeRoleCall) -> str:
    """The assumed-role session's ARN, as the member account's CloudTrail names it."""
    account, role = call.role_arn.split(":")[4], call.role_arn.rsplit("/", 1)[-1]
    admitted = "" if call.admitted else " (DENIED)"
    return f"arn:aws:sts::{account}:assumed-role/{role}/{call.session_name}{admitted}"


def _decision(result: Mapping[str, Any]) -> str:
    return str(result.get("decision") or result.get("status") or "-")


def _alert_words(alerts: Sequence[SnsNotification]) -> str:
    return "; ".join(f"{n.subject}" for n in alerts) or "none"


def _result(invocation: Invocation) -> dict[str, Any]:
    return invocation.result if isinstance(invocation.result, dict) else {}


def _rules(result: Mapping[str, Any]) -> str:
    rules = list(dict.fromkeys(str(f.get("rule")) for f in result.get("findings") or []))
    return ", ".join(rules) or "none"


def _usd(result: Mapping[str, Any]) -> str:
    amount = result.get("worst_case_usd")
    return f"${amount:,.2f}" if isinstance(amount, int | float) else "-"


def _event_id_of(notification: SnsNotification) -> str | None:
    """The event id an alert (or its follow-up) is about: its metadata.additionalContext.eventId."""
    try:
        context = notification.message_json()["metadata"]["additionalContext"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return None
    return str(context["eventId"]) if isinstance(context, dict) and context.get("eventId") else None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
