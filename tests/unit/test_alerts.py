"""The alert: an AWS Chatbot custom notification, a readable email, a short subject, filterable attributes."""

from __future__ import annotations

from hpo_guardrail.enforce.alerts import SUBJECT_LIMIT, compose_alert, console_url
from hpo_guardrail.enforce.outcome import StopOutcome, StopResult
from rules.decision import decide
from rules.findings import Finding, PatchOperation, Severity
from rules.fixes import TUNING_RUNTIME
from rules.models import CallContext
from rules.parsing import read_cloudtrail_record
from rules.policy import Mode, Policy
from tests.builders import PRINCIPAL, cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.rules_harness import run_engine


def alert_for(name: str = "resnet-sweep", mode: Mode = Mode.ENFORCE, stop: StopOutcome | None = None):
    raw = tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
    )
    call = read_cloudtrail_record(cloudtrail_event(raw, event_id="evt-42")["detail"])
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000))
    decision = decide(evaluation, mode)
    return compose_alert(call.context, evaluation, decision, stop, "us-east-1")


STOPPED = StopOutcome(result=StopResult.STOPPED, status_before="InProgress")


def test_chatbot_message_follows_the_custom_notification_schema():
    chatbot = alert_for(stop=STOPPED).chatbot
    assert chatbot["version"] == "1.0" and chatbot["source"] == "custom"
    content = chatbot["content"]
    assert content["textType"] == "client-markdown"
    assert "resnet-sweep" in content["title"] and "stopped" in content["title"]
    assert "learning_rate" in content["description"] and "$3,825.00" in content["description"]
    assert any("Logarithmic" in step for step in content["nextSteps"])
    assert {"log-scale", "budget-cap", "stop"} <= set(content["keywords"])
    assert chatbot["metadata"]["relatedResources"] == [
        "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/resnet-sweep"
    ]


def test_email_tells_the_whole_story():
    email = alert_for(stop=STOPPED).email
    for expected in [
        "Job:         resnet-sweep",
        "Account:     123456789012",
        "Region:      us-east-1",
        PRINCIPAL,
        "[HIGH] budget-cap",
        "[CRITICAL] log-scale (learning_rate)",
        "Evidence: ",
        "Fix: Set ScalingType to Logarithmic",
        "Worst-case cost: $3,825.00 (cap $1,000.00, from the policy)",
        "100 training jobs (MaxNumberOfTrainingJobs) x up to 10 h x $3.825/h",
        "stopped (InProgress -> Stopping)",
        console_url("us-east-1", "resnet-sweep"),
        "evt-42",
    ]:
        assert expected in email, expected


def test_subject_is_at_most_100_characters():
    alert = alert_for(name="x" * 32, stop=STOPPED)
    assert len(alert.subject) <= SUBJECT_LIMIT
    assert alert.subject.startswith("[HPO Guardrail] " + "x" * 32)
    assert "(worst case $3,825): " in alert.subject and "log-scale" in alert.subject
    assert "\n" not in alert.subject


def test_monitor_mode_alert_says_notified_only():
    alert = alert_for(mode=Mode.MONITOR)
    assert "needs attention" in alert.subject
    assert "notified only" in alert.email and "would stop in enforce mode" in alert.email


def test_attributes_let_subscribers_filter():
    alert = alert_for(stop=STOPPED)
    assert alert.attributes == {
        "severity": "critical",
        "action": "stop",
        "rules": ["log-scale", "budget-cap", "early-stopping", "spot"],
        "team": "none",
        "account": "123456789012",
        "principal": PRINCIPAL,
        "role": "DataScientist",
    }


def test_the_subject_says_the_worst_case_is_unknown_when_no_price_is_known():
    raw = tuning_request(max_jobs=10, definition=training_definition("ml.p5en.48xlarge", 1, 3600))
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000))
    decision = decide(evaluation)
    alert = compose_alert(CallContext(event_id="e"), evaluation, decision, None, "us-east-1")
    assert "(worst case unknown)" in alert.subject
    assert "price unknown for ml.p5en.48xlarge; treated as costly" in alert.email


def test_the_alert_carries_only_findings_at_or_above_the_notify_threshold_and_counts_the_rest():
    raw = tuning_request(
        "quiet-sweep",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.m5.xlarge", 1, 3_600),
    )
    call = read_cloudtrail_record(cloudtrail_event(raw, event_id="evt-43")["detail"])
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000, notify_min_severity=Severity.HIGH))
    below = [f for f in evaluation.findings if f.severity.rank < Severity.HIGH.rank]
    assert below and any(f.severity.rank >= Severity.HIGH.rank for f in evaluation.findings)  # both kinds
    decision = decide(evaluation, Mode.MONITOR)
    alert = compose_alert(call.context, evaluation, decision, None, "us-east-1")

    assert f"Findings ({len(evaluation.findings) - len(below)}):" in alert.email
    assert f"({len(below)} more finding" in alert.email and "below the notify threshold, notify" in alert.email
    for finding in below:
        assert f"] {finding.rule}" not in alert.email
        assert finding.rule not in alert.attributes["rules"] and finding.rule not in alert.subject
    assert alert.attributes["severity"] in ("high", "critical")


def test_the_alert_gives_one_reconciled_fix_where_two_rules_suggest_different_values():
    raw = tuning_request(
        "resnet-sweep",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
    )
    call = read_cloudtrail_record(cloudtrail_event(raw, event_id="evt-44")["detail"])
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000))
    conflicting = tuple(
        Finding(
            rule=rule,
            severity=severity,
            message=f"{rule} found",
            fix=f"{rule}: set it to {value}",
            patch=(PatchOperation(op="add", path=TUNING_RUNTIME, value=value),),
        )
        for rule, severity, value in (
            ("budget-cap", Severity.CRITICAL, 200_000),
            ("runtime-unbounded", Severity.MEDIUM, 2_592_000),
        )
    )
    evaluation = evaluation.model_copy(update={"findings": conflicting})
    alert = compose_alert(call.context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1")

    assert "2592000" not in alert.email and "2,592,000 s" not in alert.email.split("Findings (")[1].split("Worst")[0]
    assert alert.email.count("Fix: Set ResourceLimits.MaxRuntimeInSeconds to 200,000") == 2
    assert "(this also answers runtime-unbounded)" in alert.email
    chat_fixes = [step for step in alert.chatbot["content"]["nextSteps"] if "MaxRuntimeInSeconds" in step]
    assert len(chat_fixes) == 1 and "200,000" in chat_fixes[0]
