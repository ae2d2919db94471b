"""`hpo-guardrail replay` against a deployed stack's audit table.

The sample events (events/) go through the deployed rule and function under the current policy (the
packaged default, monitor mode, a $1,000 cap); then a candidate policy that turns enforce on for one
scope, lowers the budget cap and disables a rule is replayed over what the function recorded.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hpo_guardrail.cli import build_parser
from hpo_guardrail.cli.replay import run_replay

pytestmark = pytest.mark.emulator

# The sample events were recorded on 2026-11-26; the replay runs "three days later".
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CANDIDATE = """\
version: 1
defaults:
  budget_cap_usd: 25           # (b) the deployment's $1,000 cap lowered
  rules:
    reverse-log: {enabled: false}   # (c) a rule turned off
scopes:
  - name: nlp
    match: {teams: [nlp]}
    mode: enforce              # (a) enforce for one team's jobs
"""
OLDER_RECORD_ID = "evt-recorded-before-requests-were-kept"


@pytest.fixture(scope="module")
def replay_stack(deploy_stack, deliver, events_dir: Path, embedded_aws):
    """A stack of its own (its audit table holds only these events), every sample event delivered, and one
    record as the guardrail wrote them before records kept the request."""
    from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
    from hpo_guardrail.enforce import AuditRecord, FindingSummary, Status

    stack = deploy_stack(mode="monitor", budget_cap_usd=1000)
    for path in sorted(events_dir.glob("*.json")):
        deliver(json.loads(path.read_text(encoding="utf-8")), stack=stack)
    older = AuditRecord(
        event_id=OLDER_RECORD_ID,
        occurred_at="2026-11-26T08:00:00Z",
        recorded_at="2026-11-26T08:00:02Z",
        status=Status.EVALUATED,
        job_name="older-sweep",
        decision="notify",
        findings=[FindingSummary(rule="log-scale", severity="high", parameter="lr", message="linear")],
    )
    DynamoDbAuditStore(embedded_aws.client("dynamodb"), stack.outputs["AuditTableName"]).begin(older)
    return stack


def replay(stack: Any, *options: str, policy: Path) -> tuple[int, str, str]:
    args = build_parser().parse_args(
        ["replay", "--policy", str(policy), "--table", stack.outputs["AuditTableName"], *options]
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_replay(args, stdout=stdout, stderr=stderr, environ={}, now=NOW)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def candidate_file(tmp_path: Path) -> Path:
    path = tmp_path / "candidate.yaml"
    path.write_text(CANDIDATE, encoding="utf-8")
    return path


def default_policy_file() -> Path:
    import rules
    from rules.policy_file import DEFAULT_POLICY_FILE

    return Path(rules.__file__).parent / DEFAULT_POLICY_FILE


def finding_keys(findings: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(f["rule"], f["severity"], f["parameter"]) for f in findings]


def changes_of(report: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """scope -> job name -> the change, in the terms the assertions use (messages left to the rules' tests)."""
    return {
        scope["scope"]: {
            change["job_name"]: {
                "decision": (change["recorded"]["decision"], change["replayed"]["decision"]),
                "flags": {f for f in ("new_alert", "alert_gone", "new_stop", "stop_gone") if change[f]},
                "new": finding_keys(change["findings_new"]),
                "gone": finding_keys(change["findings_gone"]),
                "re-rated": [
                    (s["rule"], s["parameter"], s["recorded"], s["replayed"]) for s in change["severity_changed"]
                ],
            }
            for change in scope["changes"]
        }
        for scope in report["scopes"]
    }


# What the candidate changes on the sample events, and why:
# (a) nlp to enforce: llm-sweep-costly (team nlp, $1,013,472, a linear learning rate) is now stopped;
# (b) the $25 cap: the $29.44 and $42.24 jobs go over it (budget-cap, and early-stopping and spot, which
#     measure a large budget against the cap; log-scale grades by cost against the cap too), and the
#     jobs already over $1,000 are now over ten times the cap (critical);
# (c) reverse-log off: its finding on resnet-lr-linear's momentum goes.
EXPECTED_CHANGES = {
    "nlp": {
        "llm-sweep-costly": {
            "decision": ("notify", "stop"),
            "flags": {"new_stop"},
            "new": [],
            "gone": [],
            "re-rated": [],
        }
    },
    "defaults": {
        "resnet-lr-linear": {
            "decision": ("notify", "notify"),
            "flags": set(),
            "new": [("budget-cap", "high", None), ("early-stopping", "low", None), ("spot", "info", None)],
            "gone": [("reverse-log", "medium", "momentum")],
            "re-rated": [("log-scale", "learning_rate", "high", "critical")],
        },
        "bert-finetune-auto": {
            "decision": ("notify", "notify"),
            "flags": set(),
            "new": [("budget-cap", "high", None), ("early-stopping", "low", None), ("spot", "info", None)],
            "gone": [],
            "re-rated": [],
        },
        "vision-sweep-capped": {
            "decision": ("notify", "notify"),
            "flags": set(),
            "new": [],
            "gone": [],
            "re-rated": [("budget-cap", None, "high", "critical")],
        },
        "multi-algo-tabular": {
            "decision": ("notify", "notify"),
            "flags": set(),
            "new": [],
            "gone": [],
            "re-rated": [("budget-cap", None, "high", "critical")],
        },
    },
}


def test_the_candidates_changes_in_json(replay_stack, candidate_file):
    code, out, err = replay(replay_stack, "--since", "30d", "--format", "json", policy=candidate_file)
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert (report["compared_with"], report["prices"], report["mode"]) == ("recorded", "recorded", None)
    assert report["period"] == {"since": "2026-10-30T12:00:00Z", "until": "2026-11-29T12:00:00Z"}
    assert report["records"] == 10, "8 evaluated, the failed call (skipped) and the older record"
    assert changes_of(report) == EXPECTED_CHANGES
    counts = {scope["scope"]: scope["counts"] for scope in report["scopes"]}
    assert counts["nlp"] == {
        "jobs": 1,
        "changed": 1,
        "new_alerts": 0,
        "alerts_gone": 0,
        "new_stops": 1,
        "stops_gone": 0,
        "findings_new": 0,
        "findings_gone": 0,
        "severity_changed": 0,
    }
    assert report["totals"] == {
        "jobs": 8,
        "changed": 5,
        "new_alerts": 0,
        "alerts_gone": 0,
        "new_stops": 1,
        "stops_gone": 0,
        "findings_new": 6,
        "findings_gone": 1,
        "severity_changed": 3,
    }
    assert report["not_replayable"]["counts"] == {"not-evaluated": 1, "no-stored-request": 1}
    older = [r for r in report["not_replayable"]["records"] if r["kind"] == "no-stored-request"]
    assert [(r["event_id"], r["job_name"]) for r in older] == [(OLDER_RECORD_ID, "older-sweep")]


def test_the_candidates_changes_in_text(replay_stack, candidate_file):
    code, out, err = replay(replay_stack, "--since", "2026-11-26", "--until", "2026-11-26", policy=candidate_file)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[1].startswith("Compared with: what the guardrail decided and recorded at the time")
    assert lines[2].startswith("Prices: as recorded with each evaluation")
    # Each finding's message is the rules' business: compare what comes before it.
    shown = [line.split(": ", 1)[0] if line.startswith("    + ") else line for line in lines]
    expected_in_order = [
        "scope nlp: 1 job replayed, 1 changed: 1 new stop",
        "    new stop: notify -> stop",
        "scope defaults: 7 jobs replayed, 4 changed: no decision changes; findings: 6 new, 1 gone, 3 re-rated",
        "    + budget-cap high",
        "    + early-stopping low",
        "    + spot info",
        "    - reverse-log medium on momentum",
        "    ~ log-scale on learning_rate: high -> critical",
        "    + budget-cap high",
        "    ~ budget-cap: high -> critical",
        "    ~ budget-cap: high -> critical",
        "Not replayed: 1 skipped or rejected (nothing was evaluated); 1 not replayable (no stored request)",
        "Totals: 8 jobs replayed, 5 changed: 1 new stop; findings: 6 new, 1 gone, 3 re-rated",
    ]
    cursor = 0
    for line in expected_in_order:  # each in this order (index raises ValueError when one is missing or out of order)
        cursor = shown.index(line, cursor) + 1
    jobs = [line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("   ")]
    assert jobs == [
        "llm-sweep-costly",
        "resnet-lr-linear",
        "bert-finetune-auto",
        "vision-sweep-capped",
        "multi-algo-tabular",
        "older-sweep",
    ]
    stop_line = next(line for line in lines if line.startswith("      replayed: stop"))
    assert stop_line.startswith("      replayed: stop (mode enforce, scope nlp, worst case $1,013,472.00)")


def test_the_policy_in_force_replays_to_no_change(replay_stack):
    """The replay reproduces what the function recorded: same request, context, deployment layer and prices."""
    code, out, _ = replay(replay_stack, "--since", "30d", "--format", "json", policy=default_policy_file())
    assert code == 0
    report = json.loads(out)
    assert report["totals"]["jobs"] == 8 and report["totals"]["changed"] == 0


def test_mode_enforce_shows_what_enforce_would_have_stopped(replay_stack):
    code, out, _ = replay(
        replay_stack, "--since", "30d", "--mode", "enforce", "--format", "json", policy=default_policy_file()
    )
    assert code == 0
    report = json.loads(out)
    assert report["mode"] == "enforce"
    assert {job: change["flags"] for job, change in changes_of(report)["defaults"].items()} == {
        "llm-sweep-costly": {"new_stop"},
        "multi-algo-tabular": {"new_stop"},
    }
    assert report["totals"]["new_stops"] == 2 and report["totals"]["changed"] == 2


def test_todays_prices_are_used_only_when_asked_for_and_the_report_says_so(replay_stack):
    # The p4d and p5 prices came from the (emulated) Price List API; the bundled table has none.
    code, out, _ = replay(
        replay_stack, "--since", "30d", "--prices", "bundled", "--format", "json", policy=default_policy_file()
    )
    assert code == 0
    report = json.loads(out)
    assert report["prices"] == "bundled" and report["prices_note"].startswith("today's (bundled")
    changed = changes_of(report)["defaults"]
    assert set(changed) == {"multi-algo-tabular", "llm-finetune-p4d", "llm-finetune-p4d-rerun"}
    assert all(("unknown-price", "high", None) in change["new"] for change in changed.values())


def test_a_candidate_in_ssm_is_read_with_the_commands_region(replay_stack, embedded_aws, tmp_path):
    name = f"/replay-test/{replay_stack.stack_name}/candidate"
    embedded_aws.client("ssm").put_parameter(Name=name, Value=CANDIDATE, Type="String")
    code, out, err = replay(
        replay_stack, "--since", "30d", "--region", "us-east-1", "--format", "json", policy=Path(f"ssm:{name}")
    )
    assert (code, err) == (0, "")
    assert changes_of(json.loads(out)) == EXPECTED_CHANGES


def test_a_missing_table_is_one_line_and_exit_2(replay_stack, candidate_file):
    args = build_parser().parse_args(["replay", "--policy", str(candidate_file), "--table", "no-such-audit-table"])
    stdout, stderr = io.StringIO(), io.StringIO()
    assert run_replay(args, stdout=stdout, stderr=stderr, environ={}, now=NOW) == 2
    assert stdout.getvalue() == ""
    message = stderr.getvalue()
    assert message.count("\n") == 1
    assert message.startswith("hpo-guardrail replay: error: cannot read the audit table no-such-audit-table in ")
    assert "ResourceNotFoundException" in message
