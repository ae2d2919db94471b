"""`hpo-guardrail lint`: evaluate inputs, optionally fix them, report, and choose the exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from hpo_guardrail.cli.options import add_evaluation_options, delivered, evaluation_options

if TYPE_CHECKING:
    from hpo_guardrail.enforce.evaluator import Evaluator
    from hpo_guardrail.linting.inputs import LintOptions
    from hpo_guardrail.linting.results import JobReport

NAME = "lint"
HELP = "check tuning requests, CloudTrail records, EventBridge events or Describe responses before submission"
DESCRIPTION = (
    "Evaluates each input with the guardrail's own engine, policy (GUARDRAIL_POLICY or --policy) "
    "and settings (GUARDRAIL_MODE, BUDGET_CAP_USD): a request that passes lint passes the guardrail. "
    "Prices: --prices (default auto: live with AWS credentials, else the bundled table). "
    "Exit codes: 0 no finding reaches --fail-on, 1 one does (or, with --fail-on-unknown, a tuner in SDK code "
    "was not evaluated), 2 unreadable input or wrong usage."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The inputs, where they run, --fix and its output, and the evaluation options."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="JSON or YAML files, SageMaker Python SDK scripts (.py) and notebooks (.ipynb), globs "
        "('configs/**/*.json'), - for stdin",
    )
    parser.add_argument("--region", help="region for prices and scopes (default: the record's, else us-east-1)")
    parser.add_argument(
        "--account",
        help="AWS account id the job runs in, for account scopes (default: the record's, else --principal's)",
    )
    parser.add_argument(
        "--principal",
        metavar="ARN",
        help="the creator's ARN as CloudTrail records it (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, or an IAM "
        "role or user ARN), for principal scopes and exemptions (default: the record's)",
    )
    parser.add_argument(
        "--team",
        metavar="NAME",
        help="the team the job is tagged with (the policy's team_tag_key), for team scopes and exemptions, when the "
        "request carries no such tag",
    )
    parser.add_argument("--profile", help="AWS named profile for live prices (--prices live or auto)")
    parser.add_argument(
        "--fix",
        action="store_true",
        help="apply each finding's JSON Patch and write the corrected request (in place; beside an event or "
        "Describe response as NAME.request.json); in SDK code and notebooks, edit the arguments in place",
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="with --fix and one input: write the request here (- for stdout)"
    )
    parser.add_argument(
        "--fail-on-unknown",
        action="store_true",
        help="exit 1 when a tuner in SDK code or a notebook is not evaluated because a value the guardrail needs is "
        "unknown to the linter (by default such a tuner is skipped, named in the report, and does not change the "
        "exit code)",
    )
    add_evaluation_options(parser)


def run(args: argparse.Namespace) -> int:
    """Lint the parsed command line on the process's standard streams."""
    from hpo_guardrail.linting.inputs import LintOptions

    options = LintOptions(
        paths=args.paths,
        region=args.region,
        account=args.account,
        principal=args.principal,
        team=args.team,
        profile=args.profile,
        fix=args.fix,
        output=args.output,
        **evaluation_options(args),
    )
    return delivered(
        lambda: run_lint(
            options, stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr, fail_on_unknown=args.fail_on_unknown
        ),
        command=NAME,
    )


def run_lint(
    options: LintOptions,
    *,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str] = os.environ,
    pricing_client: Any = None,
    fail_on_unknown: bool = False,
) -> int:
    """Lint every input; 0 clean, 1 a finding reaches --fail-on, 2 unusable input or wrong usage.

    With `fail_on_unknown` (--fail-on-unknown), a tuner in SDK code that was not evaluated because a value the
    guardrail needs is unknown to the linter is also exit 1 (it cannot be shown to pass).

    AWS failures (no such profile, no region for an ssm: policy) propagate as AwsCallFailed: `delivered` ends
    the command with one line and exit 2.

    `pricing_client` (tests) stands in for the Price List client of --prices live.
    """
    # Imported here: building the parser loads no Powertools.
    from hpo_guardrail.observability import silenced

    with silenced():
        return _run_lint(options, stdin, stdout, stderr, environ, pricing_client, fail_on_unknown)


def _run_lint(
    options: LintOptions,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str],
    pricing_client: Any,
    fail_on_unknown: bool,
) -> int:
    # Imported here, as in every command module: building the parser loads no evaluation code.
    from hpo_guardrail.enforce.escaping import terminal_text
    from hpo_guardrail.linting.evaluation import check_profile, cli_evaluator
    from hpo_guardrail.linting.inputs import STDIN, UsageError, check_usage, expand_paths
    from hpo_guardrail.linting.output import emit, report_problems
    from hpo_guardrail.linting.prices import cli_prices
    from hpo_guardrail.linting.results import exit_code, fail_on_level

    try:
        check_usage(options)
        check_profile(options.profile)
        prices = cli_prices(options.prices, profile=options.profile, environ=environ, pricing_client=pricing_client)
        evaluator = cli_evaluator(
            policy=options.policy, environ=environ, prices=prices.book, profile=options.profile, region=options.region
        )
        evaluator.document()  # a policy that cannot be read fails here, naming the file and the field
    except (UsageError, ValueError) as error:  # SettingsError and PolicyError name the variable or file
        # A policy's own text may be quoted in the message: shown, never run by the terminal.
        lines = str(error).splitlines() or [""]
        stderr.write("".join(f"hpo-guardrail lint: error: {terminal_text(line)}\n" for line in lines))
        return 2
    paths, reports = expand_paths(options.paths)
    for path in paths:
        reports.extend(_lint_one(path, options, evaluator, stdin=stdin, stdout=stdout))
    # With --output - the corrected request owns stdout, so the report goes to stderr.
    report_stream = stderr if options.output == STDIN else stdout
    emit(
        reports, options.output_format, report_stream, colour=options.color, docs=options.docs_url, now=evaluator.now()
    )
    report_problems(reports, stderr)
    for note in prices.notes():
        stderr.write(f"hpo-guardrail lint: warning: {note}\n")
    code = exit_code(reports, fail_on_level(options.fail_on))
    not_evaluated = [report for report in reports if report.unknowns]
    if fail_on_unknown and not_evaluated:
        for report in not_evaluated:
            where = f" at {report.where}" if report.where else ""
            stderr.write(
                f"hpo-guardrail lint: {terminal_text(report.path)}: the tuner{where} is not evaluated "
                f"(--fail-on-unknown): {terminal_text('; '.join(report.unknowns))}\n"
            )
        code = max(code, 1)  # 2 (an unusable input) stays 2
    return code


def _lint_one(
    path: str, options: LintOptions, evaluator: Evaluator, *, stdin: TextIO, stdout: TextIO
) -> list[JobReport]:
    """The reports of one input: one per tuner in SDK code or a notebook, else one."""
    from hpo_guardrail.linting.inputs import is_sdk_input

    if is_sdk_input(path):
        return _lint_sdk(path, options, evaluator)
    return [_lint_request(path, options, evaluator, stdin=stdin, stdout=stdout)]


def _lint_sdk(path: str, options: LintOptions, evaluator: Evaluator) -> list[JobReport]:
    # Imported here: libcst and nbformat load only when SDK code or a notebook is linted.
    from hpo_guardrail.enforce.outcome import Status
    from hpo_guardrail.linting.results import JobReport
    from hpo_guardrail.linting.sdk_lint import SdkReadError, fix_sdk_file, lint_sdk_text, read_sdk_file

    try:
        text = read_sdk_file(path)
    except SdkReadError as error:
        return [JobReport(path=path, status=Status.ERROR, reason=str(error))]
    run = fix_sdk_file if options.fix else lint_sdk_text
    return run(
        path,
        text,
        evaluator,
        region=options.region,
        account=options.account,
        principal=options.principal,
        team=options.team,
    )


def _lint_request(path: str, options: LintOptions, evaluator: Evaluator, *, stdin: TextIO, stdout: TextIO) -> JobReport:
    from hpo_guardrail.enforce.outcome import Status
    from hpo_guardrail.linting.inputs import STDIN, STDIN_NAME, is_json_input, lint_document, read_input
    from hpo_guardrail.linting.results import JobReport
    from hpo_guardrail.linting.source_lines import UnreadableDocument

    shown = STDIN_NAME if path == STDIN else path
    try:
        text, document = read_input(path, stdin)
    except UnreadableDocument as error:
        return JobReport(path=shown, status=Status.ERROR, reason=str(error))
    report = lint_document(
        shown,
        text,
        document,
        evaluator,
        region=options.region,
        account=options.account,
        principal=options.principal,
        team=options.team,
        json_text=is_json_input(path, text),
    )
    if options.fix:
        # Imported here: fixing checks the corrected request against botocore's service model, which loads
        # botocore; plain linting works offline without it.
        from hpo_guardrail.linting.autofix import fix_report

        report = fix_report(
            report, evaluator, output=options.output, original_text=text, stdout=stdout, team=options.team
        )
    return report
