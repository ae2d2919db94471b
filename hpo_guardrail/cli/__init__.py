"""The `hpo-guardrail` command."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _demo(args: argparse.Namespace) -> int:
    # Imported here: the emulator (moto) is a development dependency, not part of the Lambda.
    from hpo_guardrail.embedded.demo import main as demo_main

    return int(demo_main() or 0)


def _docs(args: argparse.Namespace) -> int:
    from hpo_guardrail.tools.reference_docs import stale_documents, write_documents

    root = Path(args.root)
    if args.write:
        changed = write_documents(root)
        print("updated: " + ", ".join(map(str, changed)) if changed else "generated documents are current")
        return 0
    stale = stale_documents(root)
    if stale:
        print("stale: " + ", ".join(map(str, stale)) + " (run: hpo-guardrail docs --write)", file=sys.stderr)
        return 1
    print("generated documents are current")
    return 0


def _prices(args: argparse.Namespace) -> int:
    from hpo_guardrail.tools.prices import prices_refresh_command

    return prices_refresh_command(args.rest)


SEVERITY_CHOICES = ("info", "low", "medium", "high", "critical", "never")
FORMAT_CHOICES = ("text", "json", "sarif")


@contextlib.contextmanager
def _quiet_broken_pipe() -> Iterator[None]:
    """Let `hpo-guardrail lint ... | head` end quietly instead of with a traceback."""
    try:
        yield
    except BrokenPipeError:
        # Python would report the pipe again when flushing stdout at exit; point stdout at devnull.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _lint(args: argparse.Namespace) -> int:
    from hpo_guardrail.cli.lint import run_lint
    from hpo_guardrail.linting.inputs import LintOptions

    options = LintOptions(
        paths=args.paths,
        policy=args.policy,
        region=args.region,
        account=args.account,
        output_format=args.format,
        fail_on=args.fail_on,
        fix=args.fix,
        output=args.output,
        color=args.color,
        docs_url=args.docs_url,
    )
    with _quiet_broken_pipe():
        return run_lint(options, stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr)
    return 1  # stdout closed early (e.g. piped into head): the report was not fully delivered


def _scan(args: argparse.Namespace) -> int:
    from hpo_guardrail.linting.scan import ScanOptions, run_scan

    options = ScanOptions(
        region=args.region,
        profile=args.profile,
        policy=args.policy,
        name_contains=args.name_contains,
        output_format=args.format,
        fail_on=args.fail_on,
        notify=args.notify,
        topic_arn=args.topic_arn,
        color=args.color,
        docs_url=args.docs_url,
    )
    with _quiet_broken_pipe():
        return run_scan(options, stdout=sys.stdout, stderr=sys.stderr)
    return 1


def _add_evaluation_options(parser: argparse.ArgumentParser) -> None:
    """Options lint and scan share: the policy, the output format and the failure threshold."""
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file (or ssm:/parameter/name); default: GUARDRAIL_POLICY, else the packaged default policy",
    )
    parser.add_argument("--format", choices=FORMAT_CHOICES, default="text", help="report format (default: text)")
    parser.add_argument(
        "--fail-on",
        choices=SEVERITY_CHOICES,
        default="info",
        metavar="SEVERITY",
        help="exit 1 when a finding is at least this severe: info (default; any finding alerts), low, medium, "
        "high, critical, or never",
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report (auto: only on a terminal and when NO_COLOR is unset)",
    )
    parser.add_argument(
        "--docs-url",
        metavar="URL",
        help="base URL of this repository's docs for SARIF helpUri (default: HPO_GUARDRAIL_DOCS_URL, else the "
        "local checkout)",
    )


def _report(args: argparse.Namespace) -> int:
    from hpo_guardrail.cli.report import run

    return run(args)


def _add_report(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from hpo_guardrail.cli.report import add_arguments

    report = commands.add_parser(
        "report",
        help="write the audit report for a period: findings, costs, stops, repeat offenders, weekly trend",
        description="Reads the audit table (--table or AUDIT_TABLE_NAME) for a period and writes one report: "
        "html (one self-contained page with charts), md, csv (one row per evaluated job) or json (the figures, "
        "see docs/reports.md).",
    )
    add_arguments(report)
    report.set_defaults(run=_report)


def _add_lint_and_scan(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lint = commands.add_parser(
        "lint",
        help="check tuning requests, CloudTrail records, EventBridge events or Describe responses before submission",
        description="Evaluates each input with the guardrail's own engine, policy (GUARDRAIL_POLICY or --policy) "
        "and settings (GUARDRAIL_MODE, BUDGET_CAP_USD): a request that passes lint passes the guardrail. "
        "Exit codes: 0 no finding reaches --fail-on, 1 one does, 2 unreadable input or wrong usage.",
    )
    lint.add_argument(
        "paths", nargs="+", metavar="PATH", help="JSON or YAML files, globs ('configs/**/*.json'), - for stdin"
    )
    lint.add_argument("--region", help="region for prices and scopes (default: the record's, else us-east-1)")
    lint.add_argument("--account", help="AWS account id the job runs in, for account scopes (default: the record's)")
    lint.add_argument(
        "--fix",
        action="store_true",
        help="apply each finding's JSON Patch and write the corrected request (in place; beside an event or "
        "Describe response as NAME.request.json)",
    )
    lint.add_argument(
        "--output", "-o", metavar="FILE", help="with --fix and one input: write the request here (- for stdout)"
    )
    _add_evaluation_options(lint)
    lint.set_defaults(run=_lint)
    scan = commands.add_parser(
        "scan",
        help="evaluate the InProgress tuning jobs of an account and region",
        description="Lists InProgress tuning jobs, describes each (and reads its tags) and evaluates it as the "
        "guardrail would: catches jobs created before the guardrail was deployed and events CloudTrail could not "
        "forward. Same formats and exit codes as lint.",
    )
    scan.add_argument("--region", help="region to scan (default: the AWS profile's, else us-east-1)")
    scan.add_argument("--profile", help="AWS named profile")
    scan.add_argument("--name-contains", metavar="TEXT", help="only jobs whose name contains TEXT")
    scan.add_argument(
        "--notify", action="store_true", help="send an alert per job with findings, as the guardrail does"
    )
    scan.add_argument("--topic-arn", metavar="ARN", help="SNS topic for --notify (default: NOTIFY_TOPIC_ARN)")
    _add_evaluation_options(scan)
    scan.set_defaults(run=_scan)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-guardrail",
        description="Policy enforcement for Amazon SageMaker hyperparameter tuning jobs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="deploy the template into an embedded AWS emulator and replay every sample event",
        description="Runs on 127.0.0.1 with no AWS account: deploys template.yaml into an emulator "
        "(enforce mode), sends each event in events/ through the real EventBridge rule, and prints "
        "the findings, decisions, actions and the alerts as received.",
    )
    demo.set_defaults(run=_demo)
    docs = commands.add_parser("docs", help="check or regenerate docs/rules.md and docs/policy.schema.json")
    docs.add_argument("--write", action="store_true", help="rewrite the generated documents")
    docs.add_argument("--root", default=str(REPO_ROOT), help="repository root (default: this checkout)")
    docs.set_defaults(run=_docs)
    prices = commands.add_parser(
        "prices",
        help="refresh the training price table from the AWS Price List API (prices refresh --help)",
        add_help=False,
    )
    prices.add_argument("rest", nargs=argparse.REMAINDER)
    prices.set_defaults(run=_prices)
    _add_lint_and_scan(commands)
    _add_report(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
