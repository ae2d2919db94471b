"""Findings in ASFF for Security Hub, and an export failure that does not lose the alert."""

from __future__ import annotations

from datetime import UTC, datetime

from hpo_guardrail.enforce.ports import ExportFailed
from hpo_guardrail.enforce.security_hub import asff_findings, product_arn
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from rules.assessment import assess
from rules.parsing import read_cloudtrail_record
from rules.policy import Mode
from rules.policy_file import default_policy
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.fakes import FakeAuditStore, FakeJobs, FakeNotifier

ASFF_REQUIRED = {
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Resources",
}
NOW = "2026-11-26T10:00:00Z"


def event() -> dict:
    return cloudtrail_event(
        tuning_request(
            "asff-job",
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=10,
            definition=training_definition("ml.m5.xlarge", 1, 600),
        ),
        event_id="evt-asff",
    )


def test_each_finding_becomes_an_asff_finding_with_the_required_fields():
    call = read_cloudtrail_record(event()["detail"])
    evaluation, decision = assess(
        call.request, default_policy(), today=datetime(2026, 11, 26).date(), context=call.context
    )
    (finding,) = asff_findings(call.context, evaluation, decision, "us-east-1", NOW)
    assert set(finding) >= ASFF_REQUIRED
    assert finding["ProductArn"] == product_arn("us-east-1", "123456789012")
    assert finding["Id"].endswith("hyper-parameter-tuning-job/asff-job/log-scale/learning_rate")
    assert finding["Severity"] == {"Label": "HIGH"}
    assert finding["Resources"][0]["Id"] == call.context.job_arn
    assert finding["Remediation"]["Recommendation"]["Text"].startswith("Set ScalingType to Logarithmic")
    assert finding["CreatedAt"] == "2026-11-26T09:30:00Z" and finding["UpdatedAt"] == NOW


class RefusingExporter:
    def export(self, findings: list[dict]) -> int:
        raise ExportFailed("AccessDenied")


class CountingExporter:
    def __init__(self) -> None:
        self.batches: list[list[dict]] = []

    def export(self, findings: list[dict]) -> int:
        self.batches.append(findings)
        return len(findings)


def service(exporter) -> tuple[GuardrailService, FakeAuditStore, FakeNotifier]:
    audit, notifier = FakeAuditStore(), FakeNotifier()
    svc = GuardrailService(
        Settings(mode=Mode.MONITOR),
        FakeJobs(),
        notifier,
        audit=audit,
        exporter=exporter,
        clock=lambda: datetime(2026, 11, 26, 10, tzinfo=UTC),
    )
    return svc, audit, notifier


def test_findings_are_exported_once_and_recorded():
    exporter = CountingExporter()
    svc, audit, _ = service(exporter)
    svc.handle(event())
    svc.handle(event())  # duplicate delivery
    assert len(exporter.batches) == 1 and len(exporter.batches[0]) == 1
    assert audit.records["evt-asff"].actions["security-hub"].result == "exported"


def test_an_export_failure_is_recorded_and_the_alert_still_goes_out():
    svc, audit, notifier = service(RefusingExporter())
    outcome = svc.handle(event())
    assert outcome.status == "evaluated" and len(notifier.sent) == 1
    assert audit.records["evt-asff"].actions["security-hub"].result == "failed"
