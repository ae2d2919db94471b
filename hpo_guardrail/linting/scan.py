"""`hpo-guardrail scan`: evaluate the tuning jobs running now, with the guardrail's own policy.

The Lambda sees a job only through its CloudTrail event. Jobs created before the guardrail was
deployed, and calls whose event CloudTrail could not forward (over 256 KB), never reach it; a sweep
of InProgress jobs (List, then Describe, then ListTags, since Describe returns no tags) covers both.
With --notify, alerts go out through the same composition and SNS path as the Lambda's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from hpo_guardrail.adapters import sts
from hpo_guardrail.adapters.clients import AwsCallFailed, cli_client, session
from hpo_guardrail.adapters.sagemaker import TuningJobReader
from hpo_guardrail.adapters.sns import SnsNotifier
from hpo_guardrail.adapters.sts import caller_account
from hpo_guardrail.enforce.alerts import compose_alert
from hpo_guardrail.enforce.evaluator import Evaluator, utc_now
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.enforce.ports import JobNotFound, NotificationFailed, Notifier
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.linting.evaluation import cli_evaluator
from hpo_guardrail.linting.output import emit, report_problems
from hpo_guardrail.linting.prices import cli_prices
from hpo_guardrail.linting.results import InputKind, JobReport, exit_code, fail_on_level
from rules.assessment import DEFAULT_REGION
from rules.decision import Action
from rules.models import CallContext
from rules.parsing import InvalidRequest, read_request

# What the caller's credentials need (documented in docs/cli.md); --notify adds sns:Publish.
PERMISSIONS = (*TuningJobReader.PERMISSIONS, *sts.PERMISSIONS, *SnsNotifier.PERMISSIONS)


@dataclass(frozen=True)
class ScanOptions:
    """The options of `hpo-guardrail scan`."""

    region: str | None = None
    profile: str | None = None
    policy: str | None = None
    name_contains: str | None = None
    output_format: str = "text"
    fail_on: str = "info"
    notify: bool = False
    topic_arn: str | None = None
    color: str = "auto"
    docs_url: str | None = None
    prices: str = "auto"


def with_progress(jobs: Sequence[tuple[str, str]], stream: TextIO) -> Iterator[tuple[str, str]]:
    """The jobs one by one, with a progress bar on `stream` while they are read; drawn only on a terminal."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        yield from jobs
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    # transient: the bar is cleared at the end, so the report starts on a clean line.
    columns = (BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=Console(file=stream), transient=True) as progress:
        task = progress.add_task("", total=len(jobs))
        for name, arn in jobs:
            progress.update(task, description=name[:60])
            yield name, arn
            progress.advance(task)


def scan_job(
    jobs: TuningJobReader, name: str, arn: str, *, account: str, region: str, evaluator: Evaluator
) -> JobReport:
    """Describe one job, read its tags, and evaluate it as the guardrail function would have."""
    try:
        description = jobs.describe(name)
        tags = jobs.tags(arn)
    except JobNotFound:
        return JobReport(path=arn, status=Status.SKIPPED, kind=InputKind.TUNING_JOB, reason="the job is gone")
    except AwsCallFailed as error:
        return JobReport(path=arn, status=Status.ERROR, kind=InputKind.TUNING_JOB, reason=f"cannot describe: {error}")
    status = description.get("HyperParameterTuningJobStatus")
    if status != "InProgress":
        reason = f"no longer InProgress ({status})"
        return JobReport(path=arn, status=Status.SKIPPED, kind=InputKind.TUNING_JOB, reason=reason)
    try:
        request = read_request({**description, "Tags": tags})
    except InvalidRequest as error:
        where = f" at {error.path}" if error.path else ""
        reason = f"invalid describe-response{where}: {error.reason}"
        return JobReport(path=arn, status=Status.ERROR, kind=InputKind.TUNING_JOB, reason=reason)
    created = description.get("CreationTime")
    context = CallContext(
        event_id=f"scan-{name}-{evaluator.today().isoformat()}",
        event_time=created.isoformat() if isinstance(created, datetime) else None,
        account=account,
        region=region,
        job_arn=arn,
    )
    assessment = evaluator.assess(request, context)
    return JobReport(
        path=arn,
        status=Status.EVALUATED,
        kind=InputKind.TUNING_JOB,
        context=assessment.context,
        region=assessment.region,
        evaluation=assessment.evaluation,
        decision=assessment.decision,
        team=assessment.team,
    )


def notify(report: JobReport, notifier: Notifier) -> str | None:
    """Send the job's alert as the guardrail function would; scan itself never stops a job."""
    if report.evaluation is None or report.decision is None or report.context is None:
        return None
    decision = report.decision
    if not decision.notifies:
        return None
    if decision.action is Action.STOP:
        # The alert must not claim a stop that nobody attempted.
        decision = decision.model_copy(
            update={"action": Action.NOTIFY, "reason": f"{decision.reason}; found by scan, which does not stop jobs"}
        )
    region = report.region or DEFAULT_REGION
    return notifier.publish(compose_alert(report.context, report.evaluation, decision, None, region, team=report.team))


def run_scan(
    options: ScanOptions,
    *,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str] = os.environ,
    open_session: Callable[..., Any] = session,
    clock: Callable[[], datetime] = utc_now,
    pricing_client: Any = None,
) -> int:
    """Scan the account and region; exit codes as for lint (2 also when AWS cannot be reached).

    `pricing_client` (tests) stands in for the Price List client of --prices live.
    """
    try:
        fail_on = fail_on_level(options.fail_on)
        settings = Settings.from_environ(environ)
        prices = cli_prices(
            options.prices, profile=options.profile, environ=environ, pricing_client=pricing_client, clock=clock
        )
        topic = options.topic_arn or settings.notify_topic_arn
        if options.notify and not topic:
            raise ValueError("--notify needs --topic-arn or NOTIFY_TOPIC_ARN")
        aws = open_session(options.profile, options.region)
        region = options.region or aws.region_name or DEFAULT_REGION
        # An ssm: policy is read as the same profile, in the region scanned.
        evaluator = cli_evaluator(
            policy=options.policy, environ=environ, prices=prices.book, aws_session=aws, region=region, clock=clock
        )
        evaluator.document()  # a policy that cannot be read fails here, naming the file and the field
        reader = TuningJobReader(cli_client("sagemaker", aws_session=aws, region=region))
        account = caller_account(cli_client("sts", aws_session=aws, region=region))
        jobs = list(reader.in_progress(options.name_contains))
    except (ValueError, AwsCallFailed) as error:
        stderr.write(f"hpo-guardrail scan: error: {error}\n")
        return 2
    reports = [
        scan_job(reader, name, arn, account=account, region=region, evaluator=evaluator)
        for name, arn in with_progress(jobs, stderr)
    ]
    failed_alerts = 0
    if options.notify and topic:
        notifier = SnsNotifier(cli_client("sns", aws_session=aws, region=region), topic)
        for report in reports:
            try:
                report.notification = notify(report, notifier)
            except NotificationFailed as error:
                failed_alerts += 1
                stderr.write(f"hpo-guardrail scan: {report.path}: the alert was not sent: {error}\n")
    emit(reports, options.output_format, stdout, colour=options.color, docs=options.docs_url, noun="job", now=clock())
    report_problems(reports, stderr)
    for note in prices.notes():
        stderr.write(f"hpo-guardrail scan: warning: {note}\n")
    return 2 if failed_alerts else exit_code(reports, fail_on)
