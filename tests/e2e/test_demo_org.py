"""`hpo-guardrail demo --org`: each line's facts hold in the emulator, it fails when one does not, and the command
gives the same lines on every run (the ones docs/deploy-org.md shows)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_guardrail.adapters.dynamodb import JOB_CLAIM_TYPE
from hpo_guardrail.embedded import demo_org
from hpo_guardrail.embedded.demo import DemoFailed
from hpo_guardrail.embedded.moto_extensions import ASSUME_ROLE_CALLS, inject_faults
from hpo_guardrail.embedded.org_deployment import FORWARDER_RULE, HOME, MEMBER_ROLE, SECOND
from hpo_guardrail.enforce.chat_stop import CHAT_CHANNEL

pytestmark = pytest.mark.emulator

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs" / "deploy-org.md"
STOPPED = ("Stopping", "Stopped")


class DemoRun:
    def __init__(self, result: demo_org.OrgDemoResult, output: str) -> None:
        self.result = result
        self.output = output
        self.deployment = result.deployment

    def line(self, account: str, region: str, contains: str) -> str:
        """The one step line of `account` in `region` that says `contains`."""
        where = f"{account} {self.deployment.account(account)} {region}"
        lines = [line for line in self.output.splitlines() if line.startswith(where) and contains in line]
        assert len(lines) == 1, f"no single line for {where} saying {contains!r} in:\n{self.output}"
        return lines[0]

    def facts_after(self, step_line: str) -> str:
        """The step line and the indented facts below it."""
        block = self.output.split(step_line, 1)[1].split("\n")
        facts = [step_line]
        for line in block[1:]:
            if not line.startswith(" "):
                break
            facts.append(line.strip())
        return "\n".join(facts)


@pytest.fixture(scope="module")
def demo_run(embedded_aws, tmp_path_factory) -> DemoRun:
    """The demo run once in the session's emulator (an organization of its own: a fresh management account)."""
    out = io.StringIO()
    result = demo_org.run_org_demo(embedded_aws, out, tmp_path_factory.mktemp("demo-org"))
    sys.stdout.write(out.getvalue())  # shown by pytest when a test fails
    return DemoRun(result, out.getvalue())


def test_the_topology_line_of_each_workload_account_and_region_matches_its_forwarder_and_member_role(demo_run):
    d = demo_run.deployment
    for name in ("workload-b", "workload-c"):
        for region in (HOME, SECOND):
            line = demo_run.line(name, region, f"forwarder {FORWARDER_RULE} -> central bus")
            events = d.view(name, region).client("events")
            (target,) = events.list_targets_by_rule(Rule=FORWARDER_RULE)["Targets"]
            assert target["Arn"] == d.central_bus_arn
            assert f"role {target['RoleArn'].rsplit('/', 1)[-1]}" in line
        demo_run.line(name, HOME, f"member role {MEMBER_ROLE}")
        (role,) = [r for r in d.view(name, HOME).client("iam").list_roles()["Roles"] if r["RoleName"] == MEMBER_ROLE]
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": d.function_role_arn}
    bus = demo_run.line("tooling", HOME, "central stack")
    assert d.central.stack_name in bus
    assert d.org.organization_id in demo_run.facts_after(bus)


def test_the_job_in_b_second_region_is_stopped_through_bs_member_role_and_the_line_shows_its_session(demo_run):
    d, call = demo_run.deployment, demo_run.result.enforced
    assert call is not None and (call.account, call.region) == ("workload-b", SECOND)
    assert d.job_status("workload-b", SECOND, call.job) in STOPPED
    (session,) = [
        c for c in ASSUME_ROLE_CALLS.of_role(d.member_role_arn("workload-b")) if call.event_id in c.session_name
    ]
    assert session.admitted and session.caller_arn == d.function_role_arn
    line = demo_run.line("workload-b", SECOND, f"job {call.job} stopped")
    session_arn = f"arn:aws:sts::{d.account('workload-b')}:assumed-role/{MEMBER_ROLE}/{session.session_name}"
    assert f"role session seen in workload-b: {session_arn}" in demo_run.facts_after(line)
    record = d.audit_record(call.event_id)
    assert record is not None and (record.account, record.region, record.decision) == (
        d.account("workload-b"),
        SECOND,
        "stop",
    )


def test_the_job_in_c_is_only_alerted_still_in_progress_and_no_role_is_assumed_for_it(demo_run):
    d, call = demo_run.deployment, demo_run.result.monitored
    assert call is not None and call.account == "workload-c"
    assert d.job_status("workload-c", call.region, call.job) == "InProgress"
    assert [c for c in ASSUME_ROLE_CALLS.into_account(d.account("workload-c")) if call.event_id in c.session_name] == []
    alerts = [n for n in demo_run.result.alerts if call.job in n.message]
    assert len(alerts) == 1 and alerts[0].message_attributes["account"] == d.account("workload-c")
    demo_run.line("workload-c", call.region, f"job {call.job} only alerted (scope workload-c-monitor, mode monitor)")


def test_the_forged_event_is_rejected_and_recorded_and_the_job_it_names_runs_on(demo_run):
    d, call = demo_run.deployment, demo_run.result.forged
    assert call is not None
    assert call.event["detail"]["recipientAccountId"] == d.account("workload-b")
    record = d.audit_record(call.event_id)
    assert record is not None and record.status == "rejected"
    assert d.account("workload-b") in (record.reason or "") and d.account("workload-c") in (record.reason or "")
    assert d.job_status("workload-b", call.region, call.job) == "InProgress"
    assert [c for c in ASSUME_ROLE_CALLS.into_account(d.account("workload-b")) if call.event_id in c.session_name] == []
    line = demo_run.line("workload-c", call.region, f"event {call.event_id} rejected: forged account")
    assert "status rejected" in demo_run.facts_after(line)
    assert demo_run.result.rejected == [call.event_id]


def test_the_alert_only_job_is_stopped_through_the_buttons_payload_recorded_as_the_chat_channels(demo_run):
    d, call = demo_run.deployment, demo_run.result.button
    assert call is not None and call.account == "workload-c"
    assert d.job_status("workload-c", call.region, call.job) in STOPPED
    record = d.audit_record(call.event_id)
    assert record is not None and record.decision == "notify"
    stop = record.actions["stop"]
    assert (stop.result, stop.requested_by) == ("stopped", CHAT_CHANNEL)
    assert demo_run.result.button_reply["status"] == "stopped"
    assert demo_run.result.button_reply["cost_avoided_usd"] == stop.cost_avoided_usd
    (session,) = [
        c for c in ASSUME_ROLE_CALLS.of_role(d.member_role_arn("workload-c")) if call.event_id in c.session_name
    ]
    assert session.admitted
    line = demo_run.line(
        "workload-c", call.region, f"job {call.job} stopped (InProgress -> Stopping) by the Stop button"
    )
    # The button's own function (not the guardrail's), with exactly the payload the button sends.
    payload = json.dumps({"hpoGuardrail": "stop", "eventId": call.event_id}, separators=(",", ":"))
    assert f"{d.central.outputs['StopButtonFunctionName']} invoked with {payload}" in demo_run.facts_after(line)
    follow_ups = [
        n for n in demo_run.result.alerts if n.message_attributes.get("action") == "stop" and call.job in n.message
    ]
    assert len(follow_ups) == 1


def test_the_summary_counts_what_the_topic_and_the_audit_table_hold(demo_run):
    d, result = demo_run.deployment, demo_run.result
    by_account = {
        name: len([n for n in result.alerts if n.message_attributes.get("account") == d.account(name)])
        for name in ("workload-b", "workload-c")
    }
    assert by_account == {"workload-b": 1, "workload-c": 3}  # the button's follow-up is the third
    assert "Alerts sent      workload-b 1, workload-c 3" in demo_run.output
    scanned = d.tooling.client("dynamodb").scan(TableName=d.audit_table)["Items"]
    # The records of events: the per-job claims beside them (record_type "job") are not records.
    items = [i for i in scanned if i.get("record_type", {}).get("S") != JOB_CLAIM_TYPE]
    assert len(items) == 4 and len(scanned) > len(items)
    assert result.audit_export is not None
    exported = json.loads(result.audit_export.read_text(encoding="utf-8"))
    assert sorted(i["event_id"]["S"] for i in exported) == sorted(i["event_id"]["S"] for i in items)
    assert f"Audit records    {len(items)} in table {d.audit_table}" in demo_run.output
    assert f"Rejected events  1: {result.forged.event_id}" in demo_run.output


def test_the_demo_fails_saying_which_claim_did_not_hold_when_bs_stop_is_refused(embedded_aws, tmp_path, monkeypatch):
    deploy = demo_org.deploy_guardrail_organization
    denied = []

    def deploy_then_refuse_stops_in_b(aws, org, **options):
        deployment = deploy(aws, org, **options)
        denied.append(deployment.account("workload-b"))
        inject_faults(
            "sagemaker", "StopHyperParameterTuningJob", "AccessDeniedException", 20, account_id=denied[0], region=SECOND
        )
        return deployment

    monkeypatch.setattr(demo_org, "deploy_guardrail_organization", deploy_then_refuse_stops_in_b)
    out = io.StringIO()
    try:
        with pytest.raises(DemoFailed, match=r"b-llm-sweep-costly in workload-b was not stopped"):
            demo_org.run_org_demo(embedded_aws, out, tmp_path)
    finally:
        if denied:
            inject_faults(
                "sagemaker",
                "StopHyperParameterTuningJob",
                "AccessDeniedException",
                0,
                account_id=denied[0],
                region=SECOND,
            )
    assert "stop failed" in out.getvalue()


def test_main_prints_demo_failed_and_exits_1_when_a_claim_does_not_hold(monkeypatch, capsys):
    def claim_broken(aws, out, workdir, **_):
        (workdir / "function.log").write_text("", encoding="utf-8")
        raise DemoFailed("c-llm-sweep-monitored in workload-c was not only alerted")

    monkeypatch.setattr(demo_org, "run_org_demo", claim_broken)
    monkeypatch.setattr(demo_org, "seed_emulator", lambda aws, seed: None)  # the session's emulator keeps its ids

    assert demo_org.main([]) == 1
    assert (
        "DEMO FAILED: DemoFailed: c-llm-sweep-monitored in workload-c was not only alerted" in capsys.readouterr().out
    )


def _step_lines(output: str) -> list[str]:
    """The demo's one line per step (account, account id, region, what happened), without the facts below."""
    return [line for line in output.splitlines() if re.match(r"^(management|tooling|workload-[bc]) \d{12} ", line)]


def test_the_command_exits_0_with_the_same_lines_on_every_run_as_deploy_org_md_shows(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-c", "from hpo_guardrail.cli import main; raise SystemExit(main())", "demo", "--org"],
        cwd=REPO_ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = _step_lines(completed.stdout)
    assert len(lines) == 13, completed.stdout  # 8 of the topology, then 1, 1, 1 and 2 for the four scenarios
    assert '"level"' not in completed.stdout, "the function's JSON logs belong in the log file"
    documented = DOCS.read_text(encoding="utf-8").split("hpo-guardrail demo --org", 1)[1]
    # Account and organization ids, event ids and job names are seeded or fixed: the documented run is this run.
    assert _step_lines(documented) == lines, "docs/deploy-org.md shows another run: paste the demo's output there"
    # And every fact below them (resource names are seeded too), but the emulator's port and the run's folder.
    varying = ("Embedded AWS on http://127.0.0.1:", str(tmp_path))
    facts = [line for line in completed.stdout.splitlines() if line.strip() and not any(v in line for v in varying)]
    missing = [line for line in facts if line not in documented]
    assert not missing, f"docs/deploy-org.md shows another run: paste the demo's output there; differs at {missing}"
