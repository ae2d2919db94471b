"""`hpo-guardrail lint`: evaluate inputs, optionally fix them, report, and choose the exit code."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

from hpo_guardrail.composition import build_evaluator
from hpo_guardrail.enforce.evaluator import Evaluator
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.linting.autofix import fix_report
from hpo_guardrail.linting.inputs import (
    STDIN,
    STDIN_NAME,
    LintOptions,
    UsageError,
    check_usage,
    expand_paths,
    lint_document,
    read_input,
)
from hpo_guardrail.linting.output import emit, report_problems
from hpo_guardrail.linting.results import JobReport, Status, exit_code, fail_on_level
from hpo_guardrail.linting.source_lines import UnreadableDocument


def run_lint(
    options: LintOptions,
    *,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str] = os.environ,
) -> int:
    """Lint every input; 0 clean, 1 a finding reaches --fail-on, 2 unusable input or wrong usage."""
    try:
        check_usage(options)
        evaluator = build_evaluator(Settings.from_environ(environ), policy=options.policy)
        evaluator.document()  # a policy that cannot be read fails here, naming the file and the field
    except (UsageError, ValueError) as error:  # SettingsError and PolicyError name the variable or file
        stderr.write(f"hpo-guardrail lint: error: {error}\n")
        return 2
    paths, reports = expand_paths(options.paths)
    for path in paths:
        reports.append(_lint_one(path, options, evaluator, stdin=stdin, stdout=stdout))
    # With --output - the corrected request owns stdout, so the report goes to stderr.
    report_stream = stderr if options.output == STDIN else stdout
    emit(reports, options.output_format, report_stream, colour=options.color, docs=options.docs_url)
    report_problems(reports, stderr)
    return exit_code(reports, fail_on_level(options.fail_on))


def _lint_one(path: str, options: LintOptions, evaluator: Evaluator, *, stdin: TextIO, stdout: TextIO) -> JobReport:
    shown = STDIN_NAME if path == STDIN else path
    try:
        text, document = read_input(path, stdin)
    except UnreadableDocument as error:
        return JobReport(path=shown, status=Status.ERROR, reason=str(error))
    report = lint_document(shown, text, document, evaluator, region=options.region, account=options.account)
    if options.fix:
        report = fix_report(report, evaluator, output=options.output, original_text=text, stdout=stdout)
    return report
