"""The audit record: written first, one per event id, actions recorded as they happen, resumable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hpo_guardrail.enforce.audit import AuditRecord, Claim
from hpo_guardrail.enforce.ports import NotificationFailed, StopFailed
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from rules.policy import Mode
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.fakes import FakeAuditStore, FakeJobs, FakeNotifier

NAME = "audited-job"
# The builders' events happen at 09:30 UTC; the guardrail acts 30 minutes later.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def costly_misconfigured(event_id: str = "evt-audit") -> dict:
    return cloudtrail_event(
        tuning_request(
            NAME,
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            max_parallel=2,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
            tags={"team": "vision"},
        ),
        event_id=event_id,
    )


def guardrail(notifier: FakeNotifier | None = None, jobs: FakeJobs | None = None):
    audit, jobs = FakeAuditStore(), jobs or FakeJobs({NAME: "InProgress"})
    notifier = notifier or FakeNotifier()
    service = GuardrailService(Settings(mode=Mode.ENFORCE), jobs, notifier, audit=audit, clock=lambda: NOW)
    return service, audit, jobs, notifier


def test_an_evaluation_is_recorded_with_its_context_findings_cost_decision_and_actions():
    service, audit, _, _ = guardrail()
    service.handle(costly_misconfigured())
    record = audit.records["evt-audit"]
    assert (record.status, record.job_name, record.account, record.team) == (
        "evaluated",
        NAME,
        "123456789012",
        "vision",
    )
    assert record.principal_arn.endswith("assumed-role/DataScientist/alice") and record.job_arn
    assert record.policy_version.startswith("sha256:") and record.policy_scope == "defaults"
    assert {f.rule for f in record.findings} >= {"log-scale", "budget-cap"}
    assert record.worst_case_usd == pytest.approx(3825.0) and "100 training jobs" in record.cost_basis
    assert record.decision == "stop" and record.occurred_at == "2026-11-26T09:30:00Z"
    assert record.actions["stop"].result == "stopped" and record.actions["notify"].message_id == "msg-1"
    assert record.complete


def test_cost_avoided_is_the_unspent_part_of_the_worst_case_at_stop_time():
    service, audit, _, _ = guardrail()
    service.handle(costly_misconfigured())
    # 30 minutes at 2 parallel x $3.825/h = $3.825 spent of $3,825.00
    assert audit.records["evt-audit"].actions["stop"].cost_avoided_usd == pytest.approx(3825.0 - 3.825, abs=0.01)


def test_a_duplicate_delivery_creates_no_second_record_and_no_second_alert():
    service, audit, jobs, notifier = guardrail()
    first = service.handle(costly_misconfigured())
    second = service.handle(costly_misconfigured())
    assert first.status == "evaluated" and second.status == "skipped"
    assert "duplicate delivery" in second.reason
    assert len(audit.records) == 1 and len(notifier.sent) == 1 and jobs.stopped == [NAME]


def test_the_record_exists_when_the_publish_fails_and_a_retry_resumes_without_stopping_again():
    failing = FakeNotifier(fail=True)
    service, audit, jobs, notifier = guardrail(notifier=failing)
    with pytest.raises(NotificationFailed):
        service.handle(costly_misconfigured())
    record = audit.records["evt-audit"]
    assert record.actions["stop"].result == "stopped" and record.actions["notify"].result == "failed"
    assert not record.complete

    failing.fail = False
    outcome = service.handle(costly_misconfigured())  # Lambda's retry of the same event

    assert outcome.status == "evaluated" and outcome.actions["stop"] == "stopped (InProgress -> Stopping)"
    assert jobs.stopped == [NAME], "the job is stopped once"
    assert len(notifier.sent) == 1 and audit.records["evt-audit"].complete
    assert "stopped (InProgress -> Stopping)" in notifier.sent[0].email


def test_the_record_exists_when_the_stop_fails_and_lambda_is_asked_to_retry():
    service, audit, _, notifier = guardrail(jobs=FakeJobs(broken=RuntimeError("AccessDenied")))
    with pytest.raises(StopFailed, match="stop attempt 1 of 3"):
        service.handle(costly_misconfigured())
    stop = audit.records["evt-audit"].actions["stop"]
    assert (stop.result, stop.attempts, stop.final) == ("failed", 1, False)
    assert notifier.sent == [], "no alert yet: the retry may still stop the job"


def test_a_stop_that_keeps_failing_is_tried_three_times_then_one_alert_says_so():
    service, audit, _, notifier = guardrail(jobs=FakeJobs(broken=RuntimeError("AccessDenied")))
    for _ in range(2):  # the first delivery and Lambda's first retry
        with pytest.raises(StopFailed):
            service.handle(costly_misconfigured())
    last = service.handle(costly_misconfigured())  # Lambda's last retry: the alert goes out
    assert last.actions["stop"] == "stop failed: RuntimeError: AccessDenied (after 3 attempts)"
    (alert,) = notifier.sent
    assert "stop failed: RuntimeError: AccessDenied (after 3 attempts)" in alert.email
    assert audit.records["evt-audit"].complete
    assert service.handle(costly_misconfigured()).status == "skipped" and len(notifier.sent) == 1


def test_a_failed_stop_is_pending_again_on_the_next_delivery_and_the_alert_is_not_sent_twice():
    jobs = FakeJobs({NAME: "InProgress"}, broken=RuntimeError("ThrottlingException"))
    service, audit, jobs, notifier = guardrail(jobs=jobs)
    with pytest.raises(StopFailed):
        service.handle(costly_misconfigured())
    assert audit.records["evt-audit"].pending() == ["stop", "notify"]

    jobs.broken = None
    second = service.handle(costly_misconfigured())  # Lambda's retry (or EventBridge delivering it again)

    assert second.status == "evaluated" and second.actions["stop"] == "stopped (InProgress -> Stopping)"
    assert jobs.stopped == [NAME] and len(notifier.sent) == 1
    assert "stopped (InProgress -> Stopping)" in notifier.sent[0].email
    record = audit.records["evt-audit"]
    assert record.actions["stop"].result == "stopped" and record.complete
    third = service.handle(costly_misconfigured())
    assert third.status == "skipped" and len(notifier.sent) == 1 and jobs.stopped == [NAME]


def test_the_stored_stop_result_reads_back_as_it_happened():
    service, audit, _, _ = guardrail(jobs=FakeJobs(broken=RuntimeError("AccessDenied")))
    with pytest.raises(StopFailed):
        service.handle(costly_misconfigured())
    stop = audit.records["evt-audit"].actions["stop"]
    assert stop.detail == "RuntimeError: AccessDenied"
    assert audit.records["evt-audit"].stop_outcome().summary() == "stop failed: RuntimeError: AccessDenied"


def test_a_stop_whose_result_was_never_recorded_is_known_as_the_guardrails_own():
    # The stop call succeeded but the function died before writing its result: the intent is on the record.
    service, audit, jobs, notifier = guardrail()
    record_action = audit.record_action

    def lose_the_stop_result(event_id, name, action):
        if name == "stop" and action.result == "stopped":
            raise ConnectionError("DynamoDB unreachable")
        record_action(event_id, name, action)

    audit.record_action = lose_the_stop_result
    with pytest.raises(ConnectionError):
        service.handle(costly_misconfigured())
    assert jobs.statuses[NAME] == "Stopping" and audit.records["evt-audit"].actions["stop"].result == "stopping"

    audit.record_action = record_action
    retried = service.handle(costly_misconfigured())
    assert retried.actions["stop"] == "stopped (InProgress -> Stopping)"
    stop = audit.records["evt-audit"].actions["stop"]
    assert stop.cost_avoided_usd and stop.cost_avoided_usd > 0, "the cost avoided is not lost"
    assert jobs.stopped == [NAME] and len(notifier.sent) == 1


def test_concurrent_deliveries_step_back_while_one_acts():
    service, audit, jobs, notifier = guardrail()
    other = Claim(owner="another-invocation", until=NOW.timestamp() + 45)
    audit.begin(
        AuditRecord.model_validate(
            {"event_id": "evt-audit", "occurred_at": "t", "recorded_at": "t", "status": "evaluated", "decision": "stop"}
        ),
        other,
    )
    outcome = service.handle(costly_misconfigured())
    assert outcome.status == "skipped" and "being handled now" in outcome.reason
    assert jobs.stopped == [] and notifier.sent == []
    audit.claims["evt-audit"] = Claim(owner="another-invocation", until=NOW.timestamp() - 1)  # its lease ran out
    assert service.handle(costly_misconfigured()).actions["notify"] == "msg-1"


def test_skipped_and_rejected_events_are_recorded_once():
    service, audit, _, _ = guardrail()
    service.handle(cloudtrail_event(error_code="ValidationException", event_id="evt-failed"))
    service.handle(cloudtrail_event(error_code="ValidationException", event_id="evt-failed"))
    malformed = {"source": "aws.sagemaker", "detail-type": "AWS API Call via CloudTrail", "id": "env-1", "detail": 5}
    service.handle(malformed)
    service.handle("not an event")
    assert audit.records["evt-failed"].status == "skipped"
    assert audit.records["env-1"].status == "rejected" and '"detail": 5' in audit.records["env-1"].raw_event
    (no_id,) = [r for key, r in audit.records.items() if key.startswith("sha256-")]
    assert no_id.raw_event == '"not an event"'
    assert len(audit.records) == 3


def test_an_exempted_job_is_recorded_with_what_was_set_aside(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "exemptions:\n  - name: study\n    match: {teams: [vision]}\n    rules: [log-scale]\n"
        "    reason: r\n    owner: o\n    expires: 2099-01-01\n"
    )
    audit = FakeAuditStore()
    settings = Settings(mode=Mode.ENFORCE, policy=str(policy))
    service = GuardrailService(settings, FakeJobs({NAME: "InProgress"}), FakeNotifier(), audit=audit, clock=lambda: NOW)
    service.handle(costly_misconfigured())
    record = audit.records["evt-audit"]
    assert [(s.rule, s.exemption) for s in record.suppressed] == [("log-scale", "study")]
    assert record.exemptions[0].startswith("study (log-scale; until 2099-01-01")


def test_a_failed_stop_is_stored_as_the_word_that_keeps_it_pending():
    from hpo_guardrail.enforce.audit import FAILED
    from hpo_guardrail.enforce.outcome import StopResult

    assert StopResult.FAILED.value == FAILED


def test_a_record_from_before_plans_were_stored_still_resumes():
    from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord

    stored = {
        "event_id": "old",
        "occurred_at": "2026-11-20T10:00:00Z",
        "recorded_at": "2026-11-20T10:00:00Z",
        "status": "evaluated",
        "decision": "stop",
        "actions": {"stop": ActionRecord(result="stopped", at="t"), "notify": ActionRecord(result="failed", at="t")},
    }
    record = AuditRecord.model_validate(stored)
    assert record.plan == ["stop", "notify"] and record.pending() == ["notify"] and not record.complete


def test_a_resumed_event_runs_the_recorded_plan_even_when_a_re_evaluation_decides_otherwise(tmp_path):
    notifier = FakeNotifier(fail=True)
    service, audit, jobs, _ = guardrail(notifier=notifier)
    with pytest.raises(NotificationFailed):
        service.handle(costly_misconfigured())
    assert audit.records["evt-audit"].plan == ["stop", "notify"]
    # The policy changes before the retry: monitor mode would only notify. The recorded plan still runs.
    policy = tmp_path / "policy.yaml"
    policy.write_text("defaults: {mode: monitor}\n")
    notifier.fail = False
    resumed = GuardrailService(
        Settings(mode=Mode.ENFORCE, policy=str(policy)), jobs, notifier, audit=audit, clock=lambda: NOW
    )
    outcome = resumed.handle(costly_misconfigured())
    assert outcome.decision == "stop" and jobs.stopped == [NAME] and len(notifier.sent) == 1
    assert audit.records["evt-audit"].complete


def test_a_broken_policy_evaluates_with_the_packaged_default_records_it_and_tells_the_platform_once(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("defaults:\n  budget_cap_usd: lots\n")
    audit, notifier = FakeAuditStore(), FakeNotifier()
    settings = Settings(mode=Mode.ENFORCE, policy=str(policy))
    service = GuardrailService(settings, FakeJobs({NAME: "InProgress"}), notifier, audit=audit, clock=lambda: NOW)

    outcome = service.handle(costly_misconfigured())
    service.handle(costly_misconfigured("evt-second"))

    assert outcome.status == "evaluated" and outcome.decision == "stop", "the guardrail keeps guarding"
    record = audit.records["evt-audit"]
    assert "line 2, at defaults.budget_cap_usd" in record.policy_problem
    assert record.policy_problem.endswith("evaluated with the packaged default policy")
    platform = [a for a in notifier.sent if a.attributes.get("audience") == "platform"]
    assert len(platform) == 1, "once per broken policy version, not once per event"
    assert "Policy error: evaluating with the packaged default policy" in platform[0].subject


def test_a_policy_that_breaks_after_working_is_replaced_by_the_last_good_one(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("defaults: {budget_cap_usd: 5000000}\n")  # a cap so high the job is not costly
    audit, notifier = FakeAuditStore(), FakeNotifier()
    settings = Settings(mode=Mode.ENFORCE, policy=str(policy))
    service = GuardrailService(settings, FakeJobs({NAME: "InProgress"}), notifier, audit=audit, clock=lambda: NOW)
    assert service.handle(costly_misconfigured("evt-before")).decision == "notify"

    policy.write_text("defaults: {budget_cap_usd: [}\n")
    after = service.handle(costly_misconfigured("evt-after"))

    assert after.decision == "notify", "the last good policy's cap still applies"
    assert audit.records["evt-after"].policy_problem.endswith("evaluated with the last good policy")


def test_an_event_nested_too_deep_to_write_back_is_still_rejected_and_recorded():
    service, audit, _, _ = guardrail()
    deep: object = {}
    for _ in range(5000):
        deep = {"a": deep}
    outcome = service.handle(deep)
    assert outcome.status == "rejected"
    (record,) = audit.records.values()
    assert record.status == "rejected" and record.raw_event
