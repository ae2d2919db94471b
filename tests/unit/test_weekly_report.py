"""The weekly reporter: which week, where the report goes, and the summary it publishes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from hpo_guardrail.enforce.audit import AuditRecord
from hpo_guardrail.environment import SettingsError
from hpo_guardrail.reporting.figures import ReportPeriod, compute_figures
from hpo_guardrail.reporting.settings import ReporterSettings
from hpo_guardrail.reporting.weekly import (
    WeeklyReporter,
    compose_summary,
    previous_week,
    report_key,
)
from tests.audit_builders import FIXTURE_PERIOD, fixture_records
from tests.unit.fakes import FakeNotifier

MONDAY_MORNING = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
LOCATION = "s3://reports-bucket/reports/2026/week-47.html"


@dataclass
class FakeAuditQuery:
    records: list[AuditRecord]
    asked: list[tuple[str, str]] = field(default_factory=list)

    def query(self, since: str, until: str, *, account: str | None = None, team: str | None = None):
        self.asked.append((since, until))
        return [r for r in self.records if since <= r.occurred_at <= until]


@dataclass
class FakeArchive:
    stored: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def put(self, key: str, body: bytes, content_type: str) -> str:
        self.stored[key] = (body, content_type)
        return f"s3://reports-bucket/{key}"


def test_on_monday_morning_the_reporter_reports_the_week_that_just_ended():
    assert previous_week(MONDAY_MORNING) == "2026-W47"
    assert previous_week(datetime(2026, 1, 5, 7, tzinfo=UTC)) == "2026-W01"
    assert previous_week(datetime(2027, 1, 4, 7, tzinfo=UTC)) == "2026-W53", "2026 has 53 ISO weeks"


def test_the_report_key_names_the_iso_year_and_week():
    assert report_key("2026-W48") == "reports/2026/week-48.html"
    with pytest.raises(ValueError):
        report_key("2026-48")


def test_a_run_stores_the_weeks_html_and_publishes_one_summary():
    audit, archive, notifier = FakeAuditQuery(fixture_records()), FakeArchive(), FakeNotifier()
    reporter = WeeklyReporter(audit, archive, notifier, region="eu-west-1", clock=lambda: MONDAY_MORNING)

    result = reporter.handle({})  # what EventBridge Scheduler sends

    assert audit.asked == [("2026-11-16T00:00:00Z", "2026-11-22T23:59:59Z")]
    body, content_type = archive.stored["reports/2026/week-47.html"]
    assert content_type == "text/html; charset=utf-8" and body.startswith(b"<!doctype html>")
    assert (result.week, result.location, result.message_id) == ("2026-W47", LOCATION, "msg-1")
    # W47 holds r9 (stopped, log-scale) and r10 (budget-cap), plus the skipped r11.
    assert (result.totals.evaluated, result.totals.jobs_flagged, result.totals.jobs_stopped) == (2, 2, 1)
    assert result.rules == ["budget-cap", "log-scale"]
    assert len(notifier.sent) == 1


def test_an_event_may_name_the_week_to_report():
    audit, archive = FakeAuditQuery(fixture_records()), FakeArchive()
    reporter = WeeklyReporter(audit, archive, None, region="us-east-1", clock=lambda: MONDAY_MORNING)

    result = reporter.handle({"week": "2026-W45"})

    assert list(archive.stored) == ["reports/2026/week-45.html"]
    assert result.message_id is None, "no topic configured: the report is still written"
    assert result.totals.evaluated == 3


def test_the_summary_is_a_chatbot_notification_an_email_and_filterable_attributes():
    figures = compute_figures(fixture_records(), FIXTURE_PERIOD, "2026-11-23T07:00:00Z")

    alert = compose_summary(figures, "2026-W47", LOCATION, "eu-west-1")

    assert alert.subject == "[HPO Guardrail] Weekly report 2026-W47: 6 of 8 jobs flagged, 2 stopped"
    assert alert.attributes == {
        "severity": "info",
        "action": "report",
        "rules": ["log-scale", "budget-cap", "positive-min"],
    }
    content = alert.chatbot["content"]
    assert alert.chatbot["version"] == "1.0" and alert.chatbot["source"] == "custom"
    assert isinstance(content, dict) and content["textType"] == "client-markdown"
    assert "2026-W47" in content["title"]
    assert "at least $18,920" in content["description"] and "$13,700" in content["description"]
    assert "https://eu-west-1.console.aws.amazon.com/s3/object/reports-bucket" in content["description"]
    assert any("expired exemptions" in step for step in content["nextSteps"])
    assert any("with the teams above" in step for step in content["nextSteps"])
    assert "Cost avoided by stops: $13,700" in alert.email and LOCATION in alert.email
    json.dumps(alert.chatbot)  # SNS takes it as a JSON string


def test_a_long_subject_is_cut_to_what_sns_accepts():
    period = ReportPeriod.iso_week("2026-W47")
    figures = compute_figures([], period, "2026-11-23T07:00:00Z")
    long_week = "2026-W47" + " " * 120
    assert len(compose_summary(figures, long_week, LOCATION, "us-east-1").subject) <= 100


def test_reporter_settings_name_the_missing_variable():
    with pytest.raises(SettingsError, match="REPORT_BUCKET_NAME"):
        ReporterSettings.from_environ({"AUDIT_TABLE_NAME": "audit"})
    settings = ReporterSettings.from_environ({"AUDIT_TABLE_NAME": "audit", "REPORT_BUCKET_NAME": "reports"})
    assert settings.notify_topic_arn is None


def test_team_names_in_the_chat_summary_cannot_ping_a_channel():
    from tests.audit_builders import evaluated, finding

    records = [
        evaluated(f"e{n}", "2026-11-17T10:00:00Z", team="<!channel> *ops*", findings=(finding("log-scale"),))
        for n in range(5)
    ]
    figures = compute_figures(records, ReportPeriod.iso_week("2026-W47"), "2026-11-23T07:00:00Z")
    alert = compose_summary(figures, "2026-W47", LOCATION, "us-east-1")
    description = alert.chatbot["content"]["description"]
    assert "team" in description and "<!channel>" not in description and "&lt;!channel&gt;" in description
    assert "<!channel>" in alert.email, "the email is plain text: the name as written"


def test_the_summary_names_teams_never_people():
    """It goes to a shared channel: flagged jobs are counted per team; who created them stays in the report."""
    from tests.audit_builders import evaluated, finding

    records = [
        evaluated(f"a{n}", "2026-11-17T10:00:00Z", team="nlp", who="alice", findings=(finding("log-scale"),))
        for n in range(3)
    ]
    records += [evaluated("b0", "2026-11-17T11:00:00Z", team="nlp", who="bob")]
    records += [
        evaluated(f"c{n}", "2026-11-18T10:00:00Z", team=None, who="carol", findings=(finding("budget-cap"),))
        for n in range(2)
    ]
    figures = compute_figures(records, ReportPeriod.iso_week("2026-W47"), "2026-11-23T07:00:00Z")
    assert figures.repeat_offenders.principals, "the report itself still names the people"

    alert = compose_summary(figures, "2026-W47", LOCATION, "us-east-1")

    content = alert.chatbot["content"]
    shared = [content["description"], *content["nextSteps"], alert.email, alert.subject]
    for text in shared:
        for person in ("alice", "bob", "carol", "assumed-role", "DataScientist"):
            assert person not in text, (person, text)
    assert "*Flagged jobs by team:* nlp 3 of 4, no team tag 2 of 2" in content["description"]
    assert "Flagged jobs by team:  nlp 3 of 4, no team tag 2 of 2" in alert.email
    assert any("team tag on every tuning job" in step for step in content["nextSteps"])
    assert "offender" not in content["description"].lower() and "offender" not in alert.email.lower()
