"""`hpo-guardrail replay`: what a candidate policy would have changed on the audit trail's recorded requests."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from hpo_guardrail.cli.options import delivered

if TYPE_CHECKING:
    from rules.policy import Mode, PolicyDocument
    from rules.prices import PriceBook

NAME = "replay"
HELP = "judge the audit trail's recorded requests again under a candidate policy and show what would change"
DESCRIPTION = (
    "Reads the audit table (--table or AUDIT_TABLE_NAME) for a period, evaluates each recorded request again "
    "under the candidate policy (--policy) and compares the result with what the guardrail decided and recorded "
    "at the time: new alerts, new stops, stops and alerts gone, findings new and gone, per scope. Prices are "
    "the ones each evaluation used unless --prices says otherwise. "
    "Exit codes: 0 the replay ran (whatever it found), 2 wrong usage, an unusable policy or an AWS error."
)
TABLE_VARIABLE = "AUDIT_TABLE_NAME"
# replay.render.FORMATS and the price choices, repeated so that building the parser imports no replay code
# (a test compares them).
FORMATS = ("text", "json")
RECORDED = "recorded"
PRICES_CHOICES = (RECORDED, "auto", "live", "bundled")
MODES = ("enforce", "monitor")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The replay subcommand's options."""
    parser.add_argument(
        "--policy",
        metavar="FILE",
        required=True,
        help="the candidate policy: a file or ssm:/parameter/name (read with --region and --profile)",
    )
    parser.add_argument(
        "--since", default="30d", help="start: 30d, 12w, 48h, a date (2026-11-01) or a date-time (default 30d)"
    )
    parser.add_argument("--until", help="end: a date (inclusive, the whole day) or a date-time (default now)")
    parser.add_argument("--table", help=f"the audit table (default: ${TABLE_VARIABLE}, the stack's AuditTableName)")
    parser.add_argument(
        "--region", help="the region of the table (and of an SSM policy); default: the profile's, else AWS_REGION"
    )
    parser.add_argument("--profile", help="AWS named profile to read the table (and an SSM policy) as")
    parser.add_argument(
        "--mode",
        choices=MODES,
        help="decide every job in this mode, whatever the candidate and the deployment say (enforce: what "
        "enforce would have stopped); default: the mode the candidate resolves to for each job",
    )
    parser.add_argument(
        "--prices",
        choices=PRICES_CHOICES,
        default=RECORDED,
        help="recorded (default: the prices each evaluation used, so a price change does not show as a policy "
        "change), or today's prices: auto, live, bundled as for lint",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="text (default) or json")


class ReplayError(Exception):
    """A usage, policy or AWS problem: one line on stderr and exit code 2."""


def run(args: argparse.Namespace) -> int:
    """Replay on the process's standard streams."""
    return delivered(lambda: run_replay(args, stdout=sys.stdout, stderr=sys.stderr), command=NAME)


def run_replay(
    args: argparse.Namespace,
    *,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str] = os.environ,
    now: datetime | None = None,
) -> int:
    """Read, replay, compare, write; 0 when the replay ran, 2 on a usage, policy or AWS error."""
    # Imported here: building the parser loads no Powertools.
    from hpo_guardrail.enforce.escaping import terminal_text
    from hpo_guardrail.observability import silenced

    with silenced():
        try:
            text, warnings = _replay(args, environ, now or datetime.now(UTC))
        except ReplayError as error:
            # One line: a policy's own text or AWS's message may hold anything, shown, never run.
            line = " ".join(str(error).split())
            stderr.write(f"hpo-guardrail replay: error: {terminal_text(line)}\n")
            return 2
    stdout.write(text)
    for warning in warnings:
        stderr.write(f"hpo-guardrail replay: warning: {terminal_text(warning)}\n")
    return 0


def _replay(args: argparse.Namespace, environ: Mapping[str, str], now: datetime) -> tuple[str, list[str]]:
    """The report, and warnings for stderr (a price source that could not be asked)."""
    from hpo_guardrail.adapters.clients import AwsCallFailed, aws_call, cli_client, session
    from hpo_guardrail.adapters.dynamodb import DynamoDbAuditQuery
    from hpo_guardrail.enforce.settings import Settings
    from hpo_guardrail.replay.compare import summarise
    from hpo_guardrail.replay.judge import Replayer
    from hpo_guardrail.replay.render import ReplayBasis, render
    from hpo_guardrail.reporting.figures import ReportPeriod
    from rules.prices import bundled_prices

    table = (args.table or environ.get(TABLE_VARIABLE, "")).strip()
    if not table:
        raise ReplayError(f"give --table or set {TABLE_VARIABLE} (the stack's AuditTableName)")
    try:
        period = ReportPeriod.parse(args.since, args.until, now)
        # For a record that does not carry its deployment's mode and cap: the environment's, as lint reads them.
        fallback_base = Settings.from_environ(environ).base_layer(deployed=False)
    except ValueError as error:
        raise ReplayError(str(error)) from None
    try:
        aws = session(args.profile, args.region)
    except AwsCallFailed as error:
        raise ReplayError(str(error)) from None
    region = args.region or aws.region_name
    document = _candidate(args.policy, aws, region)
    prices, prices_note, price_notes = _prices(args.prices, args.profile, environ)
    if not region:
        raise ReplayError("no AWS region for the audit table: give --region or set AWS_REGION (or a profile's region)")
    try:
        with aws_call():
            query = DynamoDbAuditQuery(cli_client("dynamodb", aws_session=aws, region=region), table)
            records = list(query.query(period.since, period.until))
    except AwsCallFailed as error:
        raise ReplayError(f"cannot read the audit table {table} in {region}: {error}") from None
    replayer = Replayer(
        document,
        bundled_as_of=bundled_prices().as_of,
        prices=prices,
        fallback_base=fallback_base,
        mode=_mode(args.mode),
    )
    jobs, skipped = replayer.replay_all(records)
    basis = ReplayBasis(
        policy=args.policy,
        policy_version=document.content_hash,
        table=table,
        since=period.since,
        until=period.until,
        records=len(records),
        prices=args.prices if prices is not None else RECORDED,
        prices_note=prices_note,
        mode=args.mode,
    )
    return render(args.format, basis, summarise(jobs, skipped)), price_notes()


def _candidate(spec: str, aws: Any, region: str | None) -> PolicyDocument:
    """The candidate policy document; an SSM parameter is read with the command's profile and region."""
    from hpo_guardrail.adapters.clients import AwsCallFailed, cli_parameter_store
    from hpo_guardrail.enforce.policy_source import PolicySource, is_ssm
    from rules.policy_file import PolicyError

    if not spec.strip():
        raise ReplayError("--policy is empty: give a policy file or ssm:/parameter/name")
    ssm = None
    if is_ssm(spec):
        if not region:
            raise ReplayError(f"no AWS region to read {spec} in: give --region or set AWS_REGION")
        try:
            ssm = cli_parameter_store(aws_session=aws, region=region)
        except AwsCallFailed as error:
            raise ReplayError(f"cannot read {spec}: {error}") from None
    try:
        return PolicySource(spec, 0, ssm=ssm).document()
    except PolicyError as error:
        raise ReplayError(str(error)) from None


def _prices(
    requested: str, profile: str | None, environ: Mapping[str, str]
) -> tuple[PriceBook | None, str, Callable[[], list[str]]]:
    """(None, why, no notes) for the recorded prices, else (today's price book, what it is, its notes after the run)."""
    if requested == RECORDED:
        note = (
            "as recorded with each evaluation (--prices recorded), so a price change since does not show as a "
            "policy change"
        )
        return None, note, list
    from hpo_guardrail.linting.prices import BUNDLED, cli_prices

    chosen = cli_prices(requested, profile=profile, environ=environ)
    where = (
        f"the bundled table as of {chosen.book.as_of}"
        if chosen.choice.mode == BUNDLED
        else "the local price cache, then the AWS Price List API, then the bundled table"
    )
    note = (
        f"today's ({chosen.choice.mode}: {where}; {chosen.choice.reason}): a price that changed since an "
        "evaluation shows here as a change"
    )
    return chosen.book, note, chosen.notes


def _mode(name: str | None) -> Mode | None:
    from rules.policy import Mode

    return Mode(name) if name else None
