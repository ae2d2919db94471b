"""The report from the deployed audit table: `hpo-guardrail report`, and the weekly reporter function."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hpo_guardrail.cli import main
from hpo_guardrail.reporting.figures import Figures
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator

ALERT_EMAIL = "ml-platform@example.com"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def job_event(team: str, when: str, *, scaling: str = "Linear") -> dict[str, Any]:
    """A cheap tuning job of `team` created at `when`; a Linear learning rate is flagged by log-scale."""
    request = tuning_request(
        unique("report"),
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", scaling)],
        max_jobs=10,
        definition=training_definition("ml.m5.xlarge", 1, 600),
        tags={"team": team},
    )
    event = cloudtrail_event(request)
    event["time"] = event["detail"]["eventTime"] = when
    return event


@pytest.fixture(scope="module")
def reporter(embedded_aws, deployed_stack, tmp_path_factory):
    """The deployed ReporterFunction, run as Lambda runs it."""
    from hpo_guardrail.embedded.lambda_runtime import FunctionRunner

    return FunctionRunner.for_stack(
        embedded_aws,
        deployed_stack,
        tmp_path_factory.mktemp("reporter-code"),
        function_name=deployed_stack.outputs["ReporterFunctionName"],
    )


def evaluate(invoke, tuning_jobs, event: dict[str, Any]) -> dict[str, Any]:
    tuning_jobs.create_for_event(event)
    result: dict[str, Any] = invoke(event)
    assert result["status"] == "evaluated"
    return result


def test_report_command_reads_what_the_deployed_function_recorded(deployed_stack, invoke, tuning_jobs, tmp_path):
    team = unique("team")
    results = [
        evaluate(invoke, tuning_jobs, job_event(team, "2026-11-18T10:00:00Z")),  # W47, flagged
        evaluate(invoke, tuning_jobs, job_event(team, "2026-11-24T10:00:00Z")),  # W48, flagged
        evaluate(invoke, tuning_jobs, job_event(team, "2026-11-25T10:00:00Z", scaling="Logarithmic")),  # W48
    ]
    flagged = [r for r in results if r["findings"]]
    table = deployed_stack.outputs["AuditTableName"]
    base = ["report", "--since", "2026-11-16", "--until", "2026-11-29", "--team", team, "--table", table]

    assert main([*base, "--format", "json", "--out", str(tmp_path / "report.json")]) == 0
    assert main([*base, "--out", str(tmp_path / "report.csv")]) == 0, "the format follows the file name"
    assert main([*base, "--format", "html", "--out", str(tmp_path / "report.html")]) == 0

    figures = Figures.model_validate_json((tmp_path / "report.json").read_text())
    assert "log-scale" in {f["rule"] for f in flagged[0]["findings"]}
    assert len(flagged) == 2, "the Logarithmic job has no log-scale finding"
    totals = figures.totals
    assert (totals.events_seen, totals.evaluated, totals.jobs_flagged, totals.jobs_stopped) == (3, 3, 2, 0)
    assert totals.jobs_notified == 2, "monitor mode with a topic: every flagged job is notified"
    assert totals.worst_case_flagged_usd == pytest.approx(sum(r["worst_case_usd"] for r in flagged), abs=0.01)
    assert [(w.week, w.evaluated, w.flagged) for w in figures.weekly] == [("2026-W47", 1, 1), ("2026-W48", 2, 1)]
    assert [(t.name, t.flagged_jobs) for t in figures.repeat_offenders.teams] == [(team, 2)]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text())))
    assert sorted(r["event_id"] for r in rows) == sorted(r["event_id"] for r in results)
    assert team in (tmp_path / "report.html").read_text()


def test_report_command_needs_a_table(monkeypatch, capsys):
    monkeypatch.delenv("AUDIT_TABLE_NAME", raising=False)
    assert main(["report", "--since", "7d"]) == 2
    assert "AUDIT_TABLE_NAME" in capsys.readouterr().err


def test_reporter_writes_the_week_to_the_encrypted_bucket_and_publishes_a_summary(
    embedded_aws, deployed_stack, invoke, tuning_jobs, sns_capture, reporter
):
    team = unique("team")
    evaluate(invoke, tuning_jobs, job_event(team, "2026-11-26T08:00:00Z"))
    sns_capture.receive()  # the job's own alert

    result = reporter.invoke({"week": "2026-W48"})

    bucket = deployed_stack.outputs["ReportBucketName"]
    key = "reports/2026/week-48.html"
    assert result["location"] == f"s3://{bucket}/{key}"
    s3 = embedded_aws.client("s3")
    report = s3.get_object(Bucket=bucket, Key=key)
    assert report["ContentType"].startswith("text/html")
    assert report["ServerSideEncryption"] == "AES256"
    page = report["Body"].read().decode()
    assert page.startswith("<!doctype html>") and team in page
    (summary,) = [n for n in sns_capture.receive() if (n.subject or "").startswith("[HPO Guardrail] Weekly report")]
    assert len(summary.subject or "") <= 100 and "2026-W48" in (summary.subject or "")
    assert summary.message_attributes["severity"] == "info" and summary.message_attributes["action"] == "report"
    assert "log-scale" in json.loads(summary.message_attributes["rules"])
    chatbot = summary.message_json()
    assert (chatbot["version"], chatbot["source"], chatbot["content"]["textType"]) == (
        "1.0",
        "custom",
        "client-markdown",
    )
    assert chatbot["content"]["nextSteps"] and key in chatbot["content"]["description"]
    emails = [e for e in sns_capture.emails(recipient=ALERT_EMAIL) if e.message_id == summary.message_id]
    assert emails and "Worst case flagged:" in emails[0].body


def test_report_bucket_is_encrypted_versioned_private_tls_only_and_expires_reports(embedded_aws, deployed_stack):
    s3 = embedded_aws.client("s3")
    bucket = deployed_stack.outputs["ReportBucketName"]

    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Expiration"]["Days"] == 400 and rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30


def test_reporter_runs_every_monday_morning(embedded_aws, deployed_stack, reporter):
    scheduler = embedded_aws.client("scheduler")
    (summary,) = [s for s in scheduler.list_schedules()["Schedules"] if s["Target"]["Arn"] == reporter.function_arn]
    schedule = scheduler.get_schedule(Name=summary["Name"])

    assert schedule["ScheduleExpression"] == "cron(0 7 ? * MON *)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["Target"]["Arn"] == reporter.function_arn


def test_the_emulator_evaluates_a_bucket_policys_transport_condition(embedded_aws):
    # The emulator stands for an HTTPS endpoint: a TLS-only Deny must not apply, a Deny of TLS must.
    s3, bucket = embedded_aws.client("s3"), unique("tls-check")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    def deny_when(secure: str) -> None:
        statement = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"Bool": {"aws:SecureTransport": secure}},
        }
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))

    deny_when("false")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    deny_when("true")
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="k")
