"""`hpo-guardrail scan`: evaluate the tuning jobs running now, with the guardrail's own policy.

The Lambda sees a job only through its CloudTrail event. Jobs created before the guardrail was
deployed, and calls whose event CloudTrail could not forward (over 256 KB), never reach it; a sweep
of InProgress jobs (List, then Describe, then ListTags, since Describe returns no tags) covers both.
With --notify, alerts go out through the same composition and SNS path as the Lambda's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hpo_guardrail.composition import build_evaluator
from hpo_guardrail.enforce.alerts import compose_alert
from hpo_guardrail.enforce.evaluator import Evaluator, utc_now
from hpo_guardrail.enforce.ports import NotificationFailed, Notifier
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.linting.output import emit, report_problems
from hpo_guardrail.linting.results import InputKind, JobReport, Status, exit_code, fail_on_level
from rules.assessment import DEFAULT_REGION
from rules.decision import Action
from rules.models import CallContext
from rules.parsing import InvalidRequest, read_request

PERMISSIONS = (
    "sagemaker:ListHyperParameterTuningJobs",
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:ListTags",
    "sts:GetCallerIdentity",
    "sns:Publish",  # only with --notify
)
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)
_NOT_FOUND = ("ResourceNotFound", "ResourceNotFoundException")


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


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    WIDTH = 24

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.enabled = hasattr(stream, "isatty") and stream.isatty()

    def step(self, done: int, total: int, label: str) -> None:
        """Show `done` of `total`, with the job being read."""
        if not self.enabled or total == 0:
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self._stream.write(f"\r\033[K[{bar}] {done}/{total} {label[:60]}")
        self._stream.flush()

    def finish(self) -> None:
        """Clear the bar so the report starts on a clean line."""
        if self.enabled:
            self._stream.write("\r\033[K")
            self._stream.flush()


def in_progress_jobs(sagemaker: Any, name_contains: str | None = None) -> Iterator[tuple[str, str]]:
    """(name, ARN) of every InProgress tuning job, through every page."""
    arguments: dict[str, Any] = {"StatusEquals": "InProgress"}
    if name_contains:
        arguments["NameContains"] = name_contains
    for page in sagemaker.get_paginator("list_hyper_parameter_tuning_jobs").paginate(**arguments):
        for summary in page["HyperParameterTuningJobSummaries"]:
            yield summary["HyperParameterTuningJobName"], summary["HyperParameterTuningJobArn"]


def job_tags(sagemaker: Any, arn: str) -> list[dict[str, str]]:
    """The job's tags, which Describe does not return (team scopes match on them)."""
    tags: list[dict[str, str]] = []
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.extend(page.get("Tags", []))
    return tags


def scan_job(sagemaker: Any, name: str, arn: str, *, account: str, region: str, evaluator: Evaluator) -> JobReport:
    """Describe one job, read its tags, and evaluate it as the guardrail function would have."""
    try:
        description = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        tags = job_tags(sagemaker, arn)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _NOT_FOUND:
            return JobReport(path=arn, status=Status.SKIPPED, kind=InputKind.TUNING_JOB, reason="the job is gone")
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
    return notifier.publish(compose_alert(report.context, report.evaluation, decision, None, region))


def run_scan(
    options: ScanOptions,
    *,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str] = os.environ,
    session_factory: Callable[..., Any] = boto3.session.Session,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """Scan the account and region; exit codes as for lint (2 also when AWS cannot be reached)."""
    try:
        fail_on = fail_on_level(options.fail_on)
        settings = Settings.from_environ(environ)
        evaluator = build_evaluator(settings, policy=options.policy, clock=clock)
        evaluator.document()  # a policy that cannot be read fails here, naming the file and the field
        topic = options.topic_arn or settings.notify_topic_arn
        if options.notify and not topic:
            raise ValueError("--notify needs --topic-arn or NOTIFY_TOPIC_ARN")
        session = session_factory(profile_name=options.profile, region_name=options.region)
        region = options.region or session.region_name or DEFAULT_REGION
        sagemaker = session.client("sagemaker", region_name=region, config=CLIENT_CONFIG)
        account = str(session.client("sts", region_name=region).get_caller_identity()["Account"])
        jobs = list(in_progress_jobs(sagemaker, options.name_contains))
    except (ValueError, BotoCoreError, ClientError) as error:
        stderr.write(f"hpo-guardrail scan: error: {error}\n")
        return 2
    progress, reports = Progress(stderr), []
    for done, (name, arn) in enumerate(jobs):
        progress.step(done, len(jobs), name)
        reports.append(scan_job(sagemaker, name, arn, account=account, region=region, evaluator=evaluator))
    progress.finish()
    failed_alerts = 0
    if options.notify and topic:
        from hpo_guardrail.adapters.sns import SnsNotifier

        notifier = SnsNotifier(session.client("sns", region_name=region, config=CLIENT_CONFIG), topic)
        for report in reports:
            try:
                report.notification = notify(report, notifier)
            except NotificationFailed as error:
                failed_alerts += 1
                stderr.write(f"hpo-guardrail scan: {report.path}: the alert was not sent: {error}\n")
    emit(reports, options.output_format, stdout, colour=options.color, docs=options.docs_url, noun="job")
    report_problems(reports, stderr)
    return 2 if failed_alerts else exit_code(reports, fail_on)
