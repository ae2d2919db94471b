"""The weekly report: last ISO week's audit records, an HTML report in S3, a summary on the alert topic.

The summary goes to a shared channel and mailing list, so it names teams (the policy's team tag), never
people: who created which flagged job stays in the report, which only those with the bucket's access read.

EventBridge Scheduler runs the reporter function every Monday morning; it reports the ISO week that
ended at the previous Sunday midnight (UTC), so `reports/2026/week-48.html` holds exactly week 48,
whenever it ran. An event `{"week": "2026-W47"}` reports another week (a re-run or a backfill).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from hpo_guardrail.enforce import Alert, Notifier, chat_text, plain_text
from hpo_guardrail.observability import count, logger
from hpo_guardrail.reporting.figures import Figures, ReportPeriod, Totals, compute_figures, iso_utc, iso_week_of
from hpo_guardrail.reporting.ports import AuditQuery, ReportArchive
from hpo_guardrail.reporting.render import bounded_usd, period_label, render_html, usd

PRODUCT = "HPO Guardrail"
SUBJECT_LIMIT = 100  # SNS rejects longer subjects
REPORT_CONTENT_TYPE = "text/html; charset=utf-8"
_RULES_IN_SUMMARY = 5
_TEAMS_IN_SUMMARY = 5


class WeeklyReportResult(BaseModel):
    """What one run of the reporter did (the function's return value)."""

    model_config = ConfigDict(frozen=True)

    week: str
    period: ReportPeriod
    location: str
    message_id: str | None
    totals: Totals
    rules: list[str]


def previous_week(now: datetime) -> str:
    """The ISO week before the one `now` is in, e.g. 2026-W47 on Monday 23 November 2026."""
    return iso_week_of(now - timedelta(weeks=1))


def report_key(week: str) -> str:
    """Where a week's report goes: reports/2026/week-48.html for 2026-W48."""
    ReportPeriod.iso_week(week)  # validates the label
    return f"reports/{week[:4]}/week-{week[6:]}.html"


def s3_console_url(location: str, region: str) -> str:
    """The S3 console page of an s3://bucket/key object (a link that needs a console sign-in)."""
    bucket, _, key = location.removeprefix("s3://").partition("/")
    return (
        f"https://{region}.console.aws.amazon.com/s3/object/{quote(bucket)}"
        f"?region={region}&bucketType=general&prefix={quote(key)}"
    )


class WeeklyReporter:
    """Writes one week's report to the archive and publishes its summary."""

    def __init__(
        self,
        audit: AuditQuery,
        archive: ReportArchive,
        notifier: Notifier | None,
        *,
        region: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._audit = audit
        self._archive = archive
        self._notifier = notifier
        self._region = region
        self._clock = clock

    def handle(self, event: object) -> WeeklyReportResult:
        """Report the week the event names ({"week": "2026-W48"}), else the last complete ISO week."""
        week = event.get("week") if isinstance(event, Mapping) else None
        return self.run(str(week) if week else previous_week(self._clock()))

    def run(self, week: str) -> WeeklyReportResult:
        """Query the week's records, store the HTML report, publish the summary."""
        period = ReportPeriod.iso_week(week)
        records = list(self._audit.query(period.since, period.until))
        figures = compute_figures(records, period, iso_utc(self._clock()))
        location = self._archive.put(report_key(week), render_html(figures).encode(), REPORT_CONTENT_TYPE)
        count("ReportsWritten")
        logger.info("Weekly report written", extra={"week": week, "location": location, "events": len(records)})
        message_id = None
        if self._notifier is None:
            logger.warning("No NOTIFY_TOPIC_ARN configured; report summary not sent", extra={"week": week})
        else:
            # A failed publish raises, so Lambda retries the invocation; the report is then written again.
            message_id = self._notifier.publish(compose_summary(figures, week, location, self._region))
            count("ReportSummariesSent")
        return WeeklyReportResult(
            week=week,
            period=period,
            location=location,
            message_id=message_id,
            totals=figures.totals,
            rules=[r.rule for r in figures.by_rule],
        )


# --- the summary message ----------------------------------------------------------------------


def _subject(week: str, totals: Totals) -> str:
    subject = (
        f"[{PRODUCT}] Weekly report {week}: {totals.jobs_flagged} of {totals.evaluated} jobs flagged, "
        f"{totals.jobs_stopped} stopped"
    )
    return subject if len(subject) <= SUBJECT_LIMIT else subject[: SUBJECT_LIMIT - 3].rstrip() + "..."


def _rules_line(figures: Figures, code: Callable[[str], str]) -> str:
    shown = [f"{code(r.rule)} {r.findings}" for r in figures.by_rule[:_RULES_IN_SUMMARY]]
    if not shown:
        return "none"
    more = len(figures.by_rule) - _RULES_IN_SUMMARY
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _teams_line(figures: Figures, text: Callable[[object], str]) -> str | None:
    """Flagged jobs per team, most flagged first: 'nlp 3 of 5, vision 1 of 2, no team tag 6 of 7 and 2 more'.
    Teams only: the people who created the jobs are named in the report, not in a shared channel."""
    flagged = [group for group in figures.by_team if group.flagged]
    if not flagged:
        return None
    shown = [
        f"{text(group.name) if group.name is not None else 'no team tag'} {group.flagged} of {group.evaluated}"
        for group in flagged[:_TEAMS_IN_SUMMARY]
    ]
    more = len(flagged) - _TEAMS_IN_SUMMARY
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _exemptions_line(figures: Figures, text: Callable[[object], str]) -> str | None:
    exemptions = figures.exemptions
    if not exemptions.suppressed_findings and not exemptions.expired:
        return None
    line = f"{exemptions.suppressed_findings} finding(s) set aside"
    if exemptions.expired:
        line += "; expired but still matching: " + ", ".join(text(e.exemption) for e in exemptions.expired)
    return line


def _reviewed_line(figures: Figures) -> str | None:
    """'2 of 8; actual spend at least $415.00 of a worst case of $5,120', when a job was reviewed."""
    t = figures.totals
    if not t.jobs_reviewed:
        return None
    spend = bounded_usd(t.actual_spend_usd, t.actual_spend_is_lower_bound, t.actual_spend_is_upper_bound)
    return (
        f"{t.jobs_reviewed} of {t.evaluated}; actual spend {spend} of a worst case of {usd(t.worst_case_reviewed_usd)}"
    )


def _next_steps(figures: Figures, location: str) -> list[str]:
    steps = [f"Open the full report from the link above, or: aws s3 cp {location} ."]
    if any(group.flagged and group.name is not None for group in figures.by_team):
        steps.append("Go through the flagged tuning set-ups with the teams above (the report names the jobs)")
    if any(group.flagged and group.name is None for group in figures.by_team):
        steps.append("Ask for the team tag on every tuning job, so alerts and this summary reach a team")
    if figures.exemptions.expired:
        steps.append("Renew or remove the expired exemptions that still match jobs")
    if figures.totals.rejected:
        steps.append("Look at the rejected events in the audit table (each keeps its raw event)")
    return steps


def compose_summary(figures: Figures, week: str, location: str, region: str) -> Alert:
    """The report's summary: an AWS Chatbot custom notification, a plain-text email and attributes."""
    totals = figures.totals
    console = s3_console_url(location, region)
    worst = usd(totals.worst_case_flagged_usd, totals.worst_case_flagged_is_lower_bound)
    jobs = (
        f"{totals.evaluated} evaluated, {totals.jobs_flagged} flagged, {totals.jobs_notified} notified, "
        f"{totals.jobs_stopped} stopped"
    )
    # Team tag values and exemption names are other people's text: escaped for each sink.
    chat_optional = [
        ("Reviewed jobs", _reviewed_line(figures)),
        ("Flagged jobs by team", _teams_line(figures, chat_text)),
        ("Exemptions", _exemptions_line(figures, chat_text)),
    ]
    optional = [
        ("Reviewed jobs", _reviewed_line(figures)),
        ("Flagged jobs by team", _teams_line(figures, plain_text)),
        ("Exemptions", _exemptions_line(figures, plain_text)),
    ]
    description = "\n".join(
        [
            f"*Period:* {period_label(figures)}",
            f"*Jobs:* {jobs}",
            f"*Worst case flagged:* {worst} | *Cost avoided by stops:* {usd(totals.cost_avoided_usd)}",
            f"*Findings by rule:* {_rules_line(figures, lambda rule: f'`{rule}`')}",
            *[f"*{name}:* {value}" for name, value in chat_optional if value],
            f"*Events skipped / rejected:* {totals.skipped} / {totals.rejected}",
            # A bare URL: Chatbot's client-markdown renders it as a link in Slack and Teams alike.
            f"*Report:* {console}",
        ]
    )
    chatbot: dict[str, object] = {
        "version": "1.0",
        "source": "custom",
        "id": f"hpo-guardrail-report-{week}",
        "content": {
            "textType": "client-markdown",
            "title": f":bar_chart: {PRODUCT} weekly report {week}",
            "description": description,
            "nextSteps": _next_steps(figures, location),
            "keywords": ["report", week],
        },
        "metadata": {
            "threadId": "hpo-guardrail-weekly-report",
            "summary": f"{PRODUCT} weekly report {week}: {jobs}",
            "eventType": "HpoGuardrailWeeklyReport",
            "additionalContext": {
                "week": week,
                "jobsFlagged": str(totals.jobs_flagged),
                "jobsStopped": str(totals.jobs_stopped),
                "costAvoidedUsd": f"{totals.cost_avoided_usd:.2f}",
            },
        },
    }
    email_lines = [
        f"{PRODUCT} weekly report, {week}",
        f"Period: {period_label(figures)}",
        "",
        f"Events seen:           {totals.events_seen} ({totals.skipped} skipped, {totals.rejected} rejected)",
        f"Jobs:                  {jobs}",
        f"Findings:              {totals.findings} ({_rules_line(figures, str)})",
        f"Worst case flagged:    {worst}",
        f"Cost avoided by stops: {usd(totals.cost_avoided_usd)}",
        *[f"{name + ':':<23}{value}" for name, value in optional if value],
        "",
        f"Report:  {location}",
        f"Console: {console}",
        "",
        f"You receive this because you subscribed to the {PRODUCT} alert topic.",
    ]
    return Alert(
        subject=_subject(week, totals),
        chatbot=chatbot,
        email="\n".join(email_lines) + "\n",
        attributes={"severity": "info", "action": "report", "rules": [r.rule for r in figures.by_rule]},
    )
