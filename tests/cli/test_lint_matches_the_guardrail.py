"""A job that passes lint passes the guardrail: the CLI and the Lambda's service agree on every input."""

from __future__ import annotations

import json
import shutil

from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from rules.policy import Mode
from tests.builders import ACCOUNT, PRINCIPAL, cloudtrail_event, continuous, training_definition, tuning_request
from tests.cli.conftest import write_json
from tests.conftest import EVENTS_DIR
from tests.unit.fakes import FakeJobs, FakeNotifier

POLICY = """
version: 1
scopes:
  - name: vision
    match: {teams: [vision]}
    budget_cap_usd: 50
    rules: {log-scale: {severity: critical}}
exemptions:
  - name: lr-study
    match: {job_names: ["lr-study-*"]}
    rules: [log-scale]
    reason: compares linear and log scaling on purpose
    owner: ml-platform@example.com
    expires: 2099-12-31
"""


def _events() -> dict[str, dict]:
    linear = [continuous("learning_rate", "0.0001", "1.0", "Linear")]
    return {
        "costly.json": cloudtrail_event(
            tuning_request(
                "costly-linear", continuous_ranges=linear, definition=training_definition("ml.p3.2xlarge", 1, 36_000)
            )
        ),
        "vision.json": cloudtrail_event(tuning_request("vision-lr", continuous_ranges=linear, tags={"team": "vision"})),
        "exempt.json": cloudtrail_event(tuning_request("lr-study-1", continuous_ranges=linear)),
        "failed.json": cloudtrail_event(error_code="ValidationException", error_message="MinValue must be > 0"),
    }


def _comparable_outcome(outcome) -> dict:
    if outcome.status != "evaluated":
        return {"status": outcome.status.value, "reason": outcome.reason}
    return {
        "status": "evaluated",
        "findings": [(f.rule, f.severity, f.parameter, f.message) for f in outcome.findings],
        "suppressed": [(f.rule, f.parameter, f.exemption) for f in outcome.suppressed],
        "worst_case_usd": outcome.worst_case_usd,
        "complete": outcome.cost_complete,
        "decision": (outcome.decision, outcome.decision_reason, outcome.mode),
        "policy": (outcome.policy_version, outcome.policy_scope),
    }


def _comparable_report(report: dict) -> dict:
    if report["status"] != "evaluated":
        return {"status": report["status"], "reason": report["reason"]}
    return {
        "status": "evaluated",
        "findings": [(f["rule"], f["severity"], f["parameter"], f["message"]) for f in report["findings"]],
        "suppressed": [(f["rule"], f["parameter"], f["exemption"]) for f in report["suppressed"]],
        "worst_case_usd": report["cost"]["worst_case_usd"],
        "complete": report["cost"]["complete"],
        "decision": (report["decision"]["action"], report["decision"]["reason"], report["decision"]["mode"]),
        "policy": (report["policy_version"], report["scope"]),
    }


def test_lint_reaches_the_same_findings_and_decision_as_the_lambda_service(lint, tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY, encoding="utf-8")
    events = _events()
    for name, event in events.items():
        write_json(tmp_path / "events" / name, event)
    for sample in EVENTS_DIR.glob("*.json"):
        shutil.copy(sample, tmp_path / "events" / f"sample-{sample.name}")
        events[f"sample-{sample.name}"] = json.loads(sample.read_text(encoding="utf-8"))
    settings = Settings(mode=Mode.ENFORCE, budget_cap_usd=500, policy=str(policy_file))
    names = [(e["detail"].get("requestParameters") or {}).get("hyperParameterTuningJobName") for e in events.values()]
    jobs = FakeJobs({name: "InProgress" for name in names if name})
    service = GuardrailService(settings, jobs, FakeNotifier(), PolicySource(str(policy_file)))

    run = lint(
        "events/*.json",
        "--format",
        "json",
        "--policy",
        "policy.yaml",
        env={"GUARDRAIL_MODE": "enforce", "BUDGET_CAP_USD": "500"},
    )

    reports = {report["path"].removeprefix("events/"): report for report in run.json()}
    assert set(reports) == set(events)
    for name, event in events.items():
        assert _comparable_report(reports[name]) == _comparable_outcome(service.handle(event)), name
    # The inputs cover what matters: a stop, a scope, an exemption, a skip.
    assert reports["costly.json"]["decision"]["action"] == "stop"
    assert reports["vision.json"]["scope"] == "vision"
    assert reports["exempt.json"]["suppressed"][0]["exemption"] == "lr-study"
    assert reports["failed.json"]["status"] == "skipped"


SCOPED_POLICY = """
version: 1
scopes:
  - name: data-science-role
    match: {principals: ["arn:aws:iam::*:role/DataScientist"]}
    budget_cap_usd: 5
    rules: {early-stopping: {severity: medium}}
  - name: vision
    match: {teams: [vision]}
    rules: {log-scale: {severity: critical}}
exemptions:
  - name: alice-grid-study
    match: {principals: ["arn:aws:sts::*:assumed-role/*/alice"]}
    rules: [parallelism]
    reason: measures parallel speed-up on purpose
    owner: ml-platform@example.com
    expires: 2099-12-31
"""


def test_principal_and_team_scopes_apply_to_a_request_file_as_they_do_in_the_function(lint, tmp_path):
    # Given a request file with no tags (the launcher adds team=vision) and a policy whose scopes and
    # exemptions match on the creator's role, the session and the team.
    (tmp_path / "policy.yaml").write_text(SCOPED_POLICY, encoding="utf-8")
    request = tuning_request(
        "vision-sweep",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=40,
        max_parallel=20,
        definition=training_definition("ml.g5.xlarge", 1, 7200),
    )
    write_json(tmp_path / "tuning.json", request)
    # What the function receives when alice (as DataScientist) submits it with the team tag.
    tagged = request | {"Tags": [{"Key": "team", "Value": "vision"}]}
    settings = Settings(mode=Mode.ENFORCE, budget_cap_usd=500, policy=str(tmp_path / "policy.yaml"))
    jobs = FakeJobs({"vision-sweep": "InProgress"})
    outcome = GuardrailService(settings, jobs, FakeNotifier(), PolicySource(str(tmp_path / "policy.yaml"))).handle(
        cloudtrail_event(tagged)
    )
    environment = {"GUARDRAIL_MODE": "enforce", "BUDGET_CAP_USD": "500"}

    # When the file is linted as alice, for the vision team.
    run = lint(
        "tuning.json",
        "--format",
        "json",
        "--policy",
        "policy.yaml",
        "--principal",
        PRINCIPAL,
        "--team",
        "vision",
        env=environment,
    )
    plain = lint("tuning.json", "--format", "json", "--policy", "policy.yaml", env=environment)

    # Then lint reaches the function's findings, exemptions, scope chain and decision.
    (report,) = run.json()
    assert _comparable_report(report) == _comparable_outcome(outcome)
    assert report["scopes"] == ["defaults", "vision", "data-science-role"]
    assert report["account"] == ACCOUNT, "the account comes from the principal's ARN"
    assert [s["exemption"] for s in report["suppressed"]] == ["alice-grid-study"]
    assert report["decision"]["action"] == "stop"
    # And without --principal and --team none of those scopes applies, so the outcomes differ.
    (unscoped,) = plain.json()
    assert unscoped["scopes"] == ["defaults"] and unscoped["suppressed"] == []
    assert _comparable_report(unscoped) != _comparable_outcome(outcome)


def test_a_team_that_contradicts_the_request_tag_and_a_malformed_principal_are_refused(lint, tmp_path):
    write_json(tmp_path / "tuning.json", tuning_request("nlp-sweep", tags={"team": "nlp"}))

    contradicted = lint("tuning.json", "--team", "vision")
    malformed = lint("tuning.json", "--principal", "alice")

    assert contradicted.returncode == 2
    assert "tagged team=nlp, but --team says vision; the guardrail goes by the tag" in contradicted.stderr
    assert malformed.returncode == 2 and "--principal 'alice' is not an IAM or STS ARN" in malformed.stderr
