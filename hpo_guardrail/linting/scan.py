"""`hpo-guardrail scan`: evaluate the tuning jobs running now, with the guardrail's own policy.

The Lambda sees a job only through its CloudTrail event. Jobs created before the guardrail was
deployed, and calls whose event CloudTrail could not forward (over 256 KB), never reach it; a sweep
of InProgress jobs (List, then Describe, then ListTags, since Describe returns no tags) covers both.
With --notify, alerts go out through the same composition and SNS path as the Lambda's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from hpo_guardrail.adapters import sts
from hpo_guardrail.adapters.clients import CLI_CLIENT_CONFIG, AwsCallFailed, cli_client, session
from hpo_guardrail.adapters.member import MemberSessions
from hpo_guardrail.adapters.organizations import OrganizationAccounts
from hpo_guardrail.adapters.sagemaker import TuningJobReader
from hpo_guardrail.adapters.sns import SnsNotifier
from hpo_guardrail.adapters.sts import caller_account
from hpo_guardrail.enforce.alerts import compose_alert
from hpo_guardrail.enforce.described import DescribedJob
from hpo_guardrail.enforce.evaluator import Evaluator, utc_now
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.enforce.ports import AccountAccessFailed, JobNotFound, NotificationFailed, Notifier
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.linting.evaluation import account_evaluation
from hpo_guardrail.linting.output import emit, report_problems
from hpo_guardrail.linting.results import InputKind, JobReport, exit_code, fail_on_level
from rules.assessment import DEFAULT_REGION
from rules.decision import Action
from rules.parsing import InvalidRequest

# What the caller's credentials need (documented in docs/cli.md); --notify adds sns:Publish; --org adds
# organizations:ListAccounts and sts:AssumeRole (into the member role, which needs the reader's actions).
PERMISSIONS = (*TuningJobReader.PERMISSIONS, *sts.PERMISSIONS, *SnsNotifier.PERMISSIONS)
ORG_PERMISSIONS = (*OrganizationAccounts.PERMISSIONS, *MemberSessions.PERMISSIONS)

# The exit code of a scan across accounts that could not read some account or region (each named on stderr);
# the others were scanned and reported. Above lint's 1 (findings), below 2 (nothing could be scanned).
INCOMPLETE = 3
# The template's MemberRoleName default, as the function's settings have it.
DEFAULT_MEMBER_ROLE_NAME: str = Settings.model_fields["member_role_name"].default
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


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
    org: bool = False
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    member_role_name: str = DEFAULT_MEMBER_ROLE_NAME

    def across_accounts(self) -> bool:
        """Whether this scan goes through several accounts (--org, --accounts); raises ValueError on bad usage."""
        if self.org and self.accounts:
            raise ValueError("give --org or --accounts, not both")
        across = self.org or bool(self.accounts)
        if self.regions and not across:
            raise ValueError("--regions goes with --org or --accounts (one account: --region)")
        for account in self.accounts:
            if not _ACCOUNT_ID.match(account):
                raise ValueError(f"--accounts: {account!r} is not a 12-digit AWS account id")
        for region in self.regions:
            if not _REGION.match(region):
                raise ValueError(f"--regions: {region!r} is not an AWS region name (such as eu-west-1)")
        if not _ROLE_NAME.match(self.member_role_name):
            raise ValueError(f"--member-role-name: {self.member_role_name!r} is not an IAM role name")
        return across


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
    job = DescribedJob(account=account, region=region, description=description, tags=tags)
    if job.status != "InProgress":
        reason = f"no longer InProgress ({job.status})"
        return JobReport(path=arn, status=Status.SKIPPED, kind=InputKind.TUNING_JOB, reason=reason)
    try:
        call = job.call(event_id=f"scan-{name}-{evaluator.today().isoformat()}")
    except InvalidRequest as error:
        where = f" at {error.path}" if error.path else ""
        reason = f"invalid describe-response{where}: {error.reason}"
        return JobReport(path=arn, status=Status.ERROR, kind=InputKind.TUNING_JOB, reason=reason)
    assessment = evaluator.assess(call.request, call.context)
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
    """Scan the account and region (or, with --org or --accounts, every account and region named); exit codes
    as for lint (2 also when AWS cannot be reached), and INCOMPLETE when some account or region was not scanned.

    `pricing_client` (tests) stands in for the Price List client of --prices live.
    """
    try:
        fail_on = fail_on_level(options.fail_on)
        across = options.across_accounts()
        settings = Settings.from_environ(environ)
        topic = options.topic_arn or settings.notify_topic_arn
        if options.notify and not topic:
            raise ValueError("--notify needs --topic-arn or NOTIFY_TOPIC_ARN")
        # With --org, the policy is read in the region given (the first region scanned).
        judged = account_evaluation(
            policy=options.policy,
            prices=options.prices,
            profile=options.profile,
            region=options.region,
            open_session=open_session,
            environ=environ,
            pricing_client=pricing_client,
            clock=clock,
        )
        prices, aws, region, evaluator = judged.prices, judged.aws, judged.region, judged.evaluator
        sts_client = cli_client("sts", aws_session=aws, region=region)
        account = caller_account(sts_client)
        if across:
            places = _member_places(options, aws, sts_client, account, region, clock)
        else:
            reader = TuningJobReader(cli_client("sagemaker", aws_session=aws, region=region))
            places = [Place(account, region, lambda: reader)]
        # One account and region: a listing that fails ends the scan (exit 2), as it always did.
        first_jobs = None if across else list(places[0].reader().in_progress(options.name_contains))
    except (ValueError, AwsCallFailed) as error:
        stderr.write(f"hpo-guardrail scan: error: {error}\n")
        return 2
    reports: list[JobReport] = []
    not_scanned = 0
    for place in places:
        try:
            reader = place.reader()
            jobs = first_jobs if first_jobs is not None else list(reader.in_progress(options.name_contains))
        except (AccountAccessFailed, AwsCallFailed) as error:
            not_scanned += 1
            stderr.write(f"hpo-guardrail scan: account {place.account}, region {place.region}: not scanned: {error}\n")
            continue
        reports += [
            scan_job(reader, name, arn, account=place.account, region=place.region, evaluator=evaluator)
            for name, arn in with_progress(jobs, stderr)
        ]
    failed_alerts = 0
    if options.notify and topic:
        # The topic's own region (an ARN's fourth field): with --regions the jobs are in several.
        topic_region = topic.split(":")[3] if topic.count(":") >= 5 and topic.split(":")[3] else region
        notifier = SnsNotifier(cli_client("sns", aws_session=aws, region=topic_region), topic)
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
    if failed_alerts:
        return 2
    if not_scanned:
        stderr.write(
            f"hpo-guardrail scan: incomplete: {not_scanned} of {len(places)} account/region pair(s) not scanned "
            f"(exit {INCOMPLETE})\n"
        )
        return INCOMPLETE
    return exit_code(reports, fail_on)


@dataclass(frozen=True)
class Place:
    """One account and region to scan, and how to read its jobs (raises AccountAccessFailed or AwsCallFailed)."""

    account: str
    region: str
    reader: Callable[[], TuningJobReader]


def _member_places(
    options: ScanOptions, aws: Any, sts_client: Any, own_account: str, region: str, clock: Callable[[], datetime]
) -> list[Place]:
    """Every account (Organizations' ACTIVE ones, or --accounts) x region (--regions, else the current one). The
    caller's own account is read with its own credentials (a management account has no member role: StackSets
    never deploy there); every other through its member role, in a session whose name says it is a scan."""
    if options.org:
        accounts = OrganizationAccounts(cli_client("organizations", aws_session=aws, region=region)).active()
    else:
        accounts = list(options.accounts)
    regions = list(options.regions) or [region]
    members = MemberSessions(
        sts_client, options.member_role_name, partition=sts_client.meta.partition, client_config=CLI_CLIENT_CONFIG
    )
    session_event = f"scan-{clock().strftime('%Y%m%dT%H%M%SZ')}"

    def reader(account: str, where: str) -> Callable[[], TuningJobReader]:
        if account == own_account:
            return lambda: TuningJobReader(cli_client("sagemaker", aws_session=aws, region=where))
        return lambda: TuningJobReader(members.client("sagemaker", account, where, event_id=session_event))

    return [Place(account, where, reader(account, where)) for account in accounts for where in regions]
