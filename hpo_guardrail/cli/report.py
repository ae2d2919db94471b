"""`hpo-guardrail report`: read the audit table for a period and write the report in one format."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NAME = "report"
HELP = "write the audit report for a period: findings, costs, stops, repeat offenders, weekly trend"
DESCRIPTION = (
    "Reads the audit table (--table or AUDIT_TABLE_NAME) for a period and writes one report: "
    "html (one self-contained page with charts), md, csv (one row per evaluated job) or json (the figures, "
    "see docs/reports.md)."
)
TABLE_VARIABLE = "AUDIT_TABLE_NAME"
# reporting.render.FORMATS, repeated so that building the CLI's parser imports no report code (pydantic
# models take a while to import); a test compares the parser's choices with the renderer's formats.
FORMATS = ("html", "md", "csv", "json")
_SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".csv": "csv", ".json": "json"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The report subcommand's options."""
    parser.add_argument(
        "--since", default="30d", help="start: 30d, 12w, 48h, a date (2026-11-01) or a date-time (default 30d)"
    )
    parser.add_argument("--until", help="end: a date (inclusive, the whole day) or a date-time (default now)")
    parser.add_argument("--account", help="only this AWS account id")
    parser.add_argument("--team", help="only this team (the policy's team tag)")
    parser.add_argument(
        "--format", choices=FORMATS, help="html, md, csv (one row per job) or json (default: from --out, else html)"
    )
    parser.add_argument("--out", default="-", help="file to write (default: standard output)")
    parser.add_argument("--table", help=f"the audit table (default: ${TABLE_VARIABLE}, the stack's AuditTableName)")
    parser.add_argument("--region", help="the table's region (default: the AWS profile's or AWS_REGION)")
    parser.add_argument("--profile", help="AWS named profile to read the table as (default: the environment's)")


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    return _SUFFIX_FORMATS.get(Path(args.out).suffix.lower(), "html")


def _store(table: str, region: str | None, profile: str | None) -> Any:
    # Imported here: the other subcommands need no AWS client.
    from hpo_guardrail.adapters.clients import cli_client, session
    from hpo_guardrail.adapters.dynamodb import DynamoDbAuditQuery

    return DynamoDbAuditQuery(cli_client("dynamodb", aws_session=session(profile, region), region=region), table)


def _records(store: Any, since: str, until: str, account: str | None, team: str | None) -> list[Any]:
    from hpo_guardrail.adapters.clients import aws_call

    with aws_call():  # the query pages lazily: its errors surface while reading
        return list(store.query(since, until, account=account, team=team))


def run(args: argparse.Namespace, now: datetime | None = None) -> int:
    """Query, compute, render, write; 0 written, 2 for a usage error or an AWS failure (one line on stderr)."""
    from hpo_guardrail.cli.options import delivered

    return delivered(lambda: _run(args, now), command=NAME)


def _run(args: argparse.Namespace, now: datetime | None) -> int:
    from hpo_guardrail.reporting.figures import Filters, ReportPeriod, compute_figures, iso_utc, job_rows
    from hpo_guardrail.reporting.render import render, usd

    table = args.table or os.environ.get(TABLE_VARIABLE, "").strip()
    if not table:
        print(
            f"hpo-guardrail report: give --table or set {TABLE_VARIABLE} (the stack's AuditTableName)", file=sys.stderr
        )
        return 2
    moment = now or datetime.now(UTC)
    try:
        period = ReportPeriod.parse(args.since, args.until, moment)
    except ValueError as error:
        print(f"hpo-guardrail report: {error}", file=sys.stderr)
        return 2
    records = _records(_store(table, args.region, args.profile), period.since, period.until, args.account, args.team)
    filters = Filters(account=args.account, team=args.team)
    figures = compute_figures(records, period, iso_utc(moment), filters)
    text = render(_format(args), figures, job_rows(records))
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    Path(args.out).write_text(text, encoding="utf-8")
    totals = figures.totals
    print(
        f"wrote {args.out}: {totals.events_seen} events, {totals.evaluated} jobs evaluated, "
        f"{totals.jobs_flagged} flagged, {totals.jobs_stopped} stopped; worst case flagged "
        f"{usd(totals.worst_case_flagged_usd, totals.worst_case_flagged_is_lower_bound)}, "
        f"cost avoided {usd(totals.cost_avoided_usd)}",
        file=sys.stderr,
    )
    return 0
