"""`lint --fix`: apply the evaluation's reconciled fixes, check the result with botocore, write the request.

Each round applies every automatic fix of `Evaluation.fixes` (rules/fixes.py: fixes never touch the same
member, and never set the tuning job's runtime below one training job's), then evaluates again, until
no automatic fix is left (a fix can reveal another, e.g. a smaller MaxNumberOfTrainingJobs that no longer
fits the Grid), at most MAX_ROUNDS times. A patch that cannot be applied, or whose result the parser
rejects, is left out and reported. The corrected request is written only when botocore's parameter
validator finds no problem the fixes introduced and the fixes left a job that can complete a training
job. A request file is edited in place, value by value (linting/layout.py): its layout and comments stay.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TextIO

import yaml

from hpo_guardrail.adapters.request_shapes import create_request_from, normalise_request, validation_problems
from hpo_guardrail.enforce.evaluator import Evaluator
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.linting.fixing import MAX_ROUNDS, fix_label, keep_line_breaks
from hpo_guardrail.linting.inputs import REQUEST_LOCATION, STDIN, locate_findings, with_team
from hpo_guardrail.linting.json_patch import PatchError, apply_patch
from hpo_guardrail.linting.layout import LayoutError, edit_text
from hpo_guardrail.linting.results import AppliedFix, FixReport, InputKind, JobReport
from hpo_guardrail.linting.source_lines import YAML_SUFFIXES, UnreadableDocument, parse_document
from rules.checks.runtime_too_short import RULE as RUNTIME_TOO_SHORT
from rules.decision import Decision
from rules.engine import Evaluation
from rules.parsing import InvalidRequest, read_request

REQUEST_SUFFIX = ".request"  # events/x.json -> events/x.request.json: an event file is a record, not a request


def pascal_request(report: JobReport) -> dict[str, Any]:
    """The PascalCase request the patches apply to: a request file keeps its members, others are extracted."""
    document = report.request or {}
    if report.kind is InputKind.CREATE_REQUEST:
        return normalise_request(document)
    return create_request_from(document)


def output_path(report: JobReport, output: str | None) -> str:
    """Where the corrected request goes: --output, the request file itself, or beside the event."""
    if output is not None:
        return output
    if report.kind is InputKind.CREATE_REQUEST:
        return report.path
    path = Path(report.path)
    return str(path.with_name(f"{path.stem}{REQUEST_SUFFIX}{path.suffix or '.json'}"))


def _serialise(request: dict[str, Any], target: str, original_text: str | None) -> str:
    """The whole request in the target's language (an extracted request, or a file that cannot be edited)."""
    if target.lower().endswith(YAML_SUFFIXES):
        return str(yaml.safe_dump(request, sort_keys=False, allow_unicode=True, width=120))
    indent = 2
    if original_text:
        match = re.search(r"^\{\s*\n([ \t]+)\S", original_text)
        indent = len(match.group(1)) if match else indent
    return json.dumps(request, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _edited(report: JobReport, original: dict[str, Any], current: dict[str, Any], target: str, text: str | None) -> str:
    """The request file with only the fixed values changed; the whole request when that cannot be done."""
    source_is_yaml = report.path.lower().endswith(YAML_SUFFIXES)
    if report.kind is InputKind.CREATE_REQUEST and text and source_is_yaml == target.lower().endswith(YAML_SUFFIXES):

        def read_back(edited: str) -> dict[str, Any]:
            return normalise_request(parse_document(edited, yaml_allowed=source_is_yaml))

        try:
            return edit_text(text, original, current, yaml_text=source_is_yaml, read_back=read_back)
        except (LayoutError, UnreadableDocument):
            pass  # written whole below, as it would be for an extracted request
    return _serialise(current, target, text)


def _assess(
    report: JobReport, evaluator: Evaluator, request: dict[str, Any], team: str | None
) -> tuple[Evaluation, Decision]:
    assert report.context is not None  # an evaluated report always has one
    tagged = with_team(read_request(request), team, evaluator.document().team_tag_key)
    assessment = evaluator.assess(tagged, report.context)
    return assessment.evaluation, assessment.decision


def fix_report(
    report: JobReport,
    evaluator: Evaluator,
    *,
    output: str | None,
    original_text: str | None,
    stdout: TextIO,
    team: str | None = None,
) -> JobReport:
    """Correct one evaluated input and write the request; the report then holds what is left (evaluated with
    the --team it was linted with, and the report's context)."""
    if report.status is not Status.EVALUATED or report.evaluation is None:
        return report
    original = pascal_request(report)
    current, evaluation, decision = original, report.evaluation, report.decision
    fix = FixReport()
    for _ in range(MAX_ROUNDS):
        progressed = False
        # Reconciled: no two fixes touch the same member, so each applies to what the others left.
        for reconciled in (f for f in evaluation.fixes if f.automatic):
            answered = tuple(evaluation.findings[i] for i in reconciled.findings)
            label = fix_label(answered[0])
            try:
                candidate = apply_patch(current, [op.as_json() for op in reconciled.patch])
                read_request(candidate)  # a fix must leave a request the guardrail can read
            except (PatchError, InvalidRequest) as error:
                fix.not_applied[label] = str(error)
                continue
            if candidate == current:
                fix.not_applied[label] = "its patch changes nothing (a fault in the rule; please report it)"
                continue
            current, progressed = candidate, True
            fix.applied.append(AppliedFix(reconciled, answered))
            fix.not_applied.pop(label, None)
        if not progressed:
            break
        evaluation, decision = _assess(report, evaluator, current, team)
    # A patch that failed in one round may have become unnecessary after another fix.
    remaining = {fix_label(f) for f in evaluation.findings}
    fix.not_applied = {label: why for label, why in fix.not_applied.items() if label in remaining}
    before_rules = {f.rule for f in report.evaluation.findings}
    if RUNTIME_TOO_SHORT.id in {f.rule for f in evaluation.findings} - before_rules:
        # rules/fixes.py never proposes this; kept as a last guard, since such a job spends without a result.
        report.status = Status.ERROR
        report.reason = (
            "the fixes would leave a tuning job that stops before one training job can finish, so nothing was "
            "written; please report it"
        )
        return report
    before = validation_problems(original)
    after = validation_problems(current)
    introduced = [problem for problem in after if problem not in before]
    if introduced:
        report.status = Status.ERROR
        report.reason = "the fixed request fails botocore's validation, so it was not written: " + "; ".join(introduced)
        return report
    fix.botocore_problems = after
    changed = current != original
    target = output_path(report, output)
    text = keep_line_breaks(original_text, _edited(report, original, current, target, original_text))
    if changed or output is not None or report.kind is not InputKind.CREATE_REQUEST:
        if target == STDIN:
            stdout.write(text)
        else:
            try:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                # newline="": the line breaks as the text has them (a CRLF request file stays CRLF).
                with open(target, "w", encoding="utf-8", newline="") as file:
                    file.write(text)
            except OSError as error:
                report.status = Status.ERROR
                report.reason = f"cannot write the fixed request to {target}: {error.strerror or error}"
                return report
        fix.output = target
    if fix.applied:
        report.evaluation, report.decision = evaluation, decision
        # Lines point into the file the report names: the rewritten request, or the untouched input.
        if fix.output == report.path:
            locate_findings(report, text, ())
        else:
            locate_findings(report, original_text or "", REQUEST_LOCATION[report.kind] if report.kind else ())
    report.fix = fix
    return report
