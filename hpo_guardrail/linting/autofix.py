"""`lint --fix`: apply the findings' JSON Patches, check the result with botocore, write the request.

Fixes are applied until no finding with a patch is left (a fix can reveal another, e.g. a smaller
MaxNumberOfTrainingJobs that no longer fits the Grid), at most MAX_ROUNDS times. A patch that cannot
be applied, or whose result the parser rejects, is left out and reported. The corrected request is
written only when botocore's parameter validator finds no problem the fixes introduced.
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
from hpo_guardrail.linting.inputs import REQUEST_LOCATION, STDIN, locate_findings
from hpo_guardrail.linting.json_patch import PatchError, apply_patch
from hpo_guardrail.linting.results import FixReport, InputKind, JobReport
from hpo_guardrail.linting.source_lines import YAML_SUFFIXES
from rules.decision import Decision
from rules.engine import Evaluation
from rules.findings import Finding
from rules.parsing import InvalidRequest, read_request

MAX_ROUNDS = 4
REQUEST_SUFFIX = ".request"  # events/x.json -> events/x.request.json: an event file is a record, not a request


def _label(finding: Finding) -> str:
    return " ".join(part for part in (finding.rule, finding.definition, finding.parameter) if part)


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
    if target.lower().endswith(YAML_SUFFIXES):
        return str(yaml.safe_dump(request, sort_keys=False, allow_unicode=True, width=120))
    indent = 2
    if original_text:
        match = re.search(r"^\{\s*\n([ \t]+)\S", original_text)
        indent = len(match.group(1)) if match else indent
    return json.dumps(request, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _overlaps(path: str, other: str) -> bool:
    """Whether two JSON pointers name the same member, or one lies inside the other."""
    return path == other or path.startswith(other + "/") or other.startswith(path + "/")


def _assess(report: JobReport, evaluator: Evaluator, request: dict[str, Any]) -> tuple[Evaluation, Decision]:
    assert report.context is not None  # an evaluated report always has one
    assessment = evaluator.assess(read_request(request), report.context)
    return assessment.evaluation, assessment.decision


def fix_report(
    report: JobReport,
    evaluator: Evaluator,
    *,
    output: str | None,
    original_text: str | None,
    stdout: TextIO,
) -> JobReport:
    """Correct one evaluated input and write the request; the report then holds what is left."""
    if report.status is not Status.EVALUATED or report.evaluation is None:
        return report
    original = pascal_request(report)
    current, evaluation, decision = original, report.evaluation, report.decision
    fix = FixReport()
    for _ in range(MAX_ROUNDS):
        progressed, touched = False, set[str]()
        for finding in (f for f in evaluation.findings if f.patch):
            paths = {op.path for op in finding.patch}
            if any(_overlaps(path, other) for path in paths for other in touched):
                # Two fixes for one member (budget-cap and runtime-unbounded both set MaxRuntimeInSeconds):
                # the more severe one goes first, and the next round re-evaluates whether the other is needed.
                continue
            try:
                candidate = apply_patch(current, [op.as_json() for op in finding.patch])
                read_request(candidate)  # a fix must leave a request the guardrail can read
            except (PatchError, InvalidRequest) as error:
                fix.not_applied[_label(finding)] = str(error)
                continue
            if candidate == current:
                fix.not_applied[_label(finding)] = "its patch changes nothing (a fault in the rule; please report it)"
                continue
            current, progressed = candidate, True
            touched |= paths
            fix.applied.append(finding)
            fix.not_applied.pop(_label(finding), None)
        if not progressed:
            break
        evaluation, decision = _assess(report, evaluator, current)
    # A patch that failed in one round may have become unnecessary after another fix.
    remaining = {_label(f) for f in evaluation.findings}
    fix.not_applied = {label: why for label, why in fix.not_applied.items() if label in remaining}
    before = validation_problems(original)
    after = validation_problems(current)
    introduced = [problem for problem in after if problem not in before]
    if introduced:
        report.status = Status.ERROR
        report.reason = "the fixed request fails botocore's validation, so it was not written: " + "; ".join(introduced)
        return report
    fix.botocore_problems = after
    changed = current != (report.request or {})
    target = output_path(report, output)
    text = _serialise(current, target, original_text)
    if changed or output is not None or report.kind is not InputKind.CREATE_REQUEST:
        if target == STDIN:
            stdout.write(text)
        else:
            try:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                Path(target).write_text(text, encoding="utf-8")
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
