"""The demo's closing part: the audit report of what it just did, and one run of the weekly reporter.

`hpo-guardrail report` reads the deployed stack's audit table for the sample events' ISO week(s) and
writes report.html and report.md next to the function log; then the deployed ReporterFunction runs once,
as EventBridge Scheduler would run it on Monday morning, and the demo shows the S3 object it wrote and
the summary it published.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditQuery
from hpo_guardrail.embedded.deployment import DeployedStack
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner
from hpo_guardrail.embedded.sns_capture import SnsCapture, SnsNotification
from hpo_guardrail.reporting.figures import Figures, ReportPeriod, compute_figures, iso_utc, iso_week_of
from hpo_guardrail.reporting.render import period_label, render_html, render_markdown, short_principal, usd

_RULE = "=" * 78
_SUMMARY_SUBJECT = "[HPO Guardrail] Weekly report"


class ReportFailed(RuntimeError):
    """The report or the reporter function did not do what it should."""


def sample_weeks(events: Iterable[dict[str, Any]]) -> list[str]:
    """The ISO weeks the events happened in (CloudTrail's eventTime, else the envelope's time)."""
    weeks = set()
    for event in events:
        detail = event.get("detail")
        when = (detail.get("eventTime") if isinstance(detail, dict) else None) or event.get("time")
        moment = datetime.fromisoformat(str(when)) if when else datetime.now(UTC)
        weeks.add(iso_week_of(moment if moment.tzinfo else moment.replace(tzinfo=UTC)))
    return sorted(weeks)


def print_audit_report(
    aws: EmbeddedAws, stack: DeployedStack, weeks: list[str], workdir: Path, out: TextIO, *, now: datetime | None = None
) -> Figures:
    """Query the audit table for the weeks, write report.html and report.md, print the summary figures; `now` is
    when the report says it was made (the demo's clock)."""
    table = stack.outputs["AuditTableName"]
    period = ReportPeriod(since=ReportPeriod.iso_week(weeks[0]).since, until=ReportPeriod.iso_week(weeks[-1]).until)
    records = list(DynamoDbAuditQuery(aws.client("dynamodb"), table).query(period.since, period.until))
    figures = compute_figures(records, period, iso_utc(now or datetime.now(UTC)))
    html, markdown = workdir / "report.html", workdir / "report.md"
    html.write_text(render_html(figures), encoding="utf-8")
    markdown.write_text(render_markdown(figures), encoding="utf-8")
    totals = figures.totals
    rules = ", ".join(f"{r.rule} {r.findings}" for r in figures.by_rule) or "none"
    repeat = figures.repeat_offenders
    offenders = [f"{short_principal(o.name)} ({o.flagged_jobs} jobs)" for o in repeat.principals]
    offenders += [f"team {o.name} ({o.flagged_jobs} jobs)" for o in repeat.teams]
    print(f"\n{_RULE}\nThe audit report of this run (hpo-guardrail report, from the audit table)\n{_RULE}", file=out)
    print(f"Period          {period_label(figures)} ({', '.join(weeks)})", file=out)
    print(
        f"Events seen     {totals.events_seen}: {totals.evaluated} evaluated, {totals.skipped} skipped, "
        f"{totals.rejected} rejected",
        file=out,
    )
    print(
        f"Jobs            {totals.jobs_flagged} flagged ({totals.findings} findings), "
        f"{totals.jobs_notified} notified, {totals.jobs_stopped} stopped",
        file=out,
    )
    print(
        f"Worst case      {usd(totals.worst_case_flagged_usd, totals.worst_case_flagged_is_lower_bound)} "
        "flagged (sum over the flagged jobs)",
        file=out,
    )
    print(f"Cost avoided    {usd(totals.cost_avoided_usd)} (unspent worst case of the stopped jobs)", file=out)
    print(f"By rule         {rules}", file=out)
    print(f"Repeat flagged  {', '.join(offenders) or 'none'}", file=out)
    print(f"Report          {html}\n                {markdown}", file=out)
    print(
        f"The same from a shell: hpo-guardrail report --since {period.since[:10]} --until {period.until[:10]} "
        f"--table {table} --out report.html",
        file=out,
    )
    return figures


def run_weekly_reporter(
    aws: EmbeddedAws,
    stack: DeployedStack,
    runner: FunctionRunner,
    capture: SnsCapture,
    week: str,
    out: TextIO,
    print_notification: Callable[[SnsNotification, TextIO], None],
) -> None:
    """Invoke the deployed reporter for `week`; print its schedule, the S3 object and the summary received."""
    print(
        f"\n{_RULE}\nThe weekly report function (ReporterFunction), run once as EventBridge Scheduler would\n{_RULE}",
        file=out,
    )
    print(f"Schedule        {_schedule(aws, runner.function_arn)}", file=out)
    event = {"week": week}
    print(f"Invoked with    {json.dumps(event)}", file=out)
    invocation = runner.run(event)
    if invocation.error is not None:
        raise ReportFailed(f"the reporter failed: {invocation.error.error_type}: {invocation.error.error_message}")
    location = str(invocation.result["location"])
    bucket, _, key = location.removeprefix("s3://").partition("/")
    head = aws.client("s3").head_object(Bucket=bucket, Key=key)
    print(
        f"S3 object       {location}\n                {head['ContentLength']:,} bytes, {head['ContentType']}, "
        f"encrypted {head.get('ServerSideEncryption', 'no')}, version {head.get('VersionId', '-')}",
        file=out,
    )
    summaries = [n for n in capture.receive() if (n.subject or "").startswith(_SUMMARY_SUBJECT)]
    if not summaries:
        raise ReportFailed("the reporter's summary did not reach the topic's subscribers")
    print("The summary as the Chatbot subscriber received it:", file=out)
    print_notification(summaries[-1], out)


def _schedule(aws: EmbeddedAws, function_arn: str) -> str:
    scheduler = aws.client("scheduler")
    for summary in scheduler.list_schedules().get("Schedules", []):
        if summary.get("Target", {}).get("Arn") == function_arn:
            schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName", "default"))
            return f"{schedule['ScheduleExpression']} {schedule['ScheduleExpressionTimezone']} ({schedule['Name']})"
    return "none found (the emulator did not create the schedule)"
