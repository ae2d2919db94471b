"""A minimum severity for notifying, per scope: findings below it are recorded and reported, not sent."""

from __future__ import annotations

from datetime import date

import pytest

from hpo_guardrail.enforce.audit import EXPORT, NOTIFY, STOP, AuditRecord, plan_for
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.linting.results import JobReport, exit_code
from rules.assessment import assess
from rules.decision import Action, decide, notified_findings
from rules.findings import Severity
from rules.parsing import read_request
from rules.policy import DEFAULT_NOTIFY_MIN_SEVERITY, Mode, Policy
from rules.policy_file import PolicyError, parse_policy
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.fakes import FakeAuditStore, FakeJobs, FakeNotifier
from tests.unit.rules_harness import run_engine

TODAY = date(2026, 12, 1)
# The quiet job's worst case, $460, is above half of this cap: spot (info) reports it, budget-cap does not.
CAP = 800
POLICY = parse_policy(
    """
version: 1
defaults:
  budget_cap_usd: CAP
  notify_min_severity: medium
scopes:
  - name: nlp
    match: {teams: [nlp]}
    notify_min_severity: high
  - name: chatty
    match: {job_names: ["chatty-*"]}
    notify_min_severity: info
""".replace("CAP", str(CAP)),
    "policy.yaml",
)


def low_findings_only(name: str = "quiet-job", team: str | None = None) -> dict:
    """Log-scaled, within the cap, without early stopping or spot: early-stopping (low) and spot (info) findings."""
    return tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Logarithmic")],
        max_jobs=2000,
        definition=training_definition("ml.m5.xlarge", 1, 3600),
        tags={"team": team} if team else None,
    )


def severities(evaluation) -> list[Severity]:
    return [f.severity for f in evaluation.findings]


def test_the_default_threshold_is_low_and_info_findings_alone_do_not_alert():
    assert DEFAULT_NOTIFY_MIN_SEVERITY is Severity.LOW and Policy().notify_min_severity is Severity.LOW
    policy = Policy(budget_cap_usd=CAP, rule_settings={"early-stopping": {"enabled": False}})
    evaluation = run_engine(low_findings_only(), policy)
    assert severities(evaluation) == [Severity.INFO]
    decision = decide(evaluation)
    assert decision.action is Action.NONE
    assert decision.reason == "1 finding below the notify threshold low (built-in default)"
    assert notified_findings(evaluation) == ()


def test_findings_below_a_scopes_threshold_are_kept_but_not_sent():
    request = read_request(low_findings_only(team="nlp"))
    evaluation, decision = assess(request, POLICY, today=TODAY)
    assert {f.rule for f in evaluation.findings} == {"early-stopping", "spot"}, "still in the evaluation"
    assert decision.action is Action.NONE and not decision.notifies
    below = len(evaluation.findings)
    assert decision.reason == f"{below} findings below the notify threshold high (policy scope `nlp`)"


def test_the_policy_defaults_threshold_applies_where_no_scope_sets_one():
    evaluation, decision = assess(read_request(low_findings_only()), POLICY, today=TODAY)
    assert evaluation.policy.notify_min_severity is Severity.MEDIUM
    assert decision.reason.endswith("below the notify threshold medium (policy defaults)")


def test_a_scope_can_lower_the_threshold_to_info():
    evaluation, decision = assess(read_request(low_findings_only("chatty-sweep")), POLICY, today=TODAY)
    assert decision.action is Action.NOTIFY
    assert notified_findings(evaluation) == evaluation.findings


def test_a_notification_carries_only_the_findings_that_reach_the_threshold():
    request = tuning_request(
        continuous_ranges=[
            continuous("learning_rate", "0.0001", "1.0", "Linear"),  # log-scale: high
            continuous("momentum", "0.9", "0.999", "Auto"),  # reverse-log: low
        ],
        max_jobs=20,
        definition=training_definition("ml.m5.xlarge", 1, 3600),
    )
    evaluation = run_engine(request, Policy(notify_min_severity=Severity.MEDIUM))
    assert [f.rule for f in evaluation.findings] == ["log-scale", "reverse-log"]
    decision = decide(evaluation)
    assert decision.action is Action.NOTIFY
    sent = notified_findings(evaluation, decision)
    assert [f.rule for f in sent] == ["log-scale"]
    assert decision.reason.endswith("; 1 finding below the notify threshold medium (policy) not sent")


@pytest.mark.parametrize("mode, action", [(Mode.ENFORCE, Action.STOP), (Mode.MONITOR, Action.NOTIFY)])
def test_a_stop_always_notifies_and_its_alert_hides_nothing(mode, action):
    request = tuning_request(
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=2000,
        definition=training_definition("ml.m5.xlarge", 1, 3600),
    )
    policy = Policy(
        budget_cap_usd=300,
        mode=mode,
        notify_min_severity=Severity.CRITICAL,
        rule_settings={"log-scale": {"severity": "high"}},  # costly, it would be critical
    )
    evaluation = run_engine(request, policy)
    assert all(f.severity is not Severity.CRITICAL for f in evaluation.findings), "every finding is below"
    decision = decide(evaluation)
    assert decision.action is action and decision.notifies
    assert notified_findings(evaluation, decision) == evaluation.findings
    assert notified_findings(evaluation) == ()


def test_the_audit_plan_of_a_quiet_job_records_without_alerting():
    evaluation = run_engine(low_findings_only(), Policy(budget_cap_usd=CAP, notify_min_severity=Severity.HIGH))
    decision = decide(evaluation)
    assert decision.action is Action.NONE and evaluation.findings
    assert plan_for(decision, evaluation, exports=False) == []
    assert plan_for(decision, evaluation, exports=True) == [EXPORT]
    assert NOTIFY not in plan_for(decision, evaluation, exports=True)
    assert STOP not in plan_for(decision, evaluation, exports=True)


def test_the_service_records_a_quiet_jobs_findings_and_sends_nothing(tmp_path):
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(f"version: 1\ndefaults: {{notify_min_severity: high, budget_cap_usd: {CAP}}}\n")
    audit, notifier = FakeAuditStore(), FakeNotifier()
    service = GuardrailService(
        Settings(mode=Mode.ENFORCE),
        FakeJobs({"quiet-job": "InProgress"}),
        notifier,
        policies=PolicySource(str(policy_file)),
        audit=audit,
    )
    outcome = service.handle(cloudtrail_event(low_findings_only(), event_id="evt-quiet"))
    assert outcome.decision == "none" and outcome.actions == {"stop": None, "notify": None}
    assert notifier.sent == []
    record = audit.records["evt-quiet"]
    assert isinstance(record, AuditRecord) and record.findings, "the findings are in the audit trail"
    assert record.notify_min_severity == "high"
    assert record.setting_origins["notify_min_severity"] == "policy defaults"
    assert "below the notify threshold high (policy defaults)" in (record.decision_reason or "")


def test_a_bad_threshold_in_the_policy_names_the_field_and_line():
    with pytest.raises(PolicyError) as error:
        parse_policy("version: 1\nscopes:\n  - name: x\n    match: {teams: [a]}\n    notify_min_severity: loud\n")
    assert error.value.path == "scopes.0.notify_min_severity" and error.value.line == 5


def test_lints_exit_code_follows_fail_on_not_the_notify_threshold():
    evaluation = run_engine(low_findings_only(), Policy(budget_cap_usd=CAP, notify_min_severity=Severity.CRITICAL))
    report = JobReport(path="x.json", status=Status.EVALUATED, evaluation=evaluation, decision=decide(evaluation))
    assert report.decision is not None and report.decision.action is Action.NONE
    assert exit_code([report], Severity.INFO) == 1
    assert exit_code([report], Severity.HIGH) == 0


def test_the_report_explains_a_flagged_job_that_sent_no_alert():
    from hpo_guardrail.reporting.figures import Filters, ReportPeriod, compute_figures
    from hpo_guardrail.reporting.render import render_markdown
    from tests.audit_builders import evaluated, finding

    quiet = evaluated("evt-1", "2026-11-24T10:00:00Z", findings=(finding("spot", severity="info"),), decision="none")
    period = ReportPeriod(since="2026-11-23T00:00:00Z", until="2026-11-29T23:59:59Z")
    figures = compute_figures([quiet], period, "2026-11-30T07:00:00Z", Filters())
    assert figures.totals.jobs_flagged == 1 and figures.totals.jobs_notified == 0 and figures.totals.findings == 1
    page = " ".join(render_markdown(figures).split())
    assert "Decision 'none': every finding was below the policy's notify threshold" in page
