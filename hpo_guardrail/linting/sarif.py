"""SARIF 2.1.0 output, so code-scanning tools (GitHub, GitLab, IDEs) show findings on the file and line.

One run; the driver's rules are the whole rule catalogue; a result per finding, at the line of the
member its patch names (or the range's Name), else line 1. Findings an exemption sets aside are
results with an external suppression. Skipped inputs and errors are tool execution notifications.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.linting.results import JobReport
from rules.checks import all_rules
from rules.findings import Finding, Severity
from rules.fixes import Fix
from rules.rule import DOCS_PAGE

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "hpo-guardrail"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_STDIN_URI = "stdin"


def _tool_version() -> str:
    try:
        return metadata.version(TOOL_NAME)
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _rule_name(rule_id: str) -> str:
    """SARIF rule names are identifiers: log-scale -> LogScale."""
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _driver(docs_url: str) -> dict[str, Any]:
    rules = [
        {
            "id": rule.id,
            "name": _rule_name(rule.id),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.doc.checks},
            "help": {"text": f"{rule.doc.why}\n\nFix: {rule.doc.fix}"},
            "helpUri": f"{docs_url}/{DOCS_PAGE}#{rule.id}",
        }
        for rule in all_rules()
    ]
    return {
        "name": TOOL_NAME,
        "version": _tool_version(),
        "informationUri": f"{docs_url}/docs/cli.md",
        "rules": rules,
    }


def artifact_uri(path: str) -> str:
    """A URI reference for an input: relative paths stay relative (to the repository), others are file URIs."""
    if path in ("-", "<stdin>"):
        return _STDIN_URI
    if path.startswith("arn:"):
        return path
    as_path = Path(path)
    return as_path.as_uri() if as_path.is_absolute() else as_path.as_posix()


def _location(report: JobReport, line: int | None) -> dict[str, Any]:
    if report.path.startswith("arn:"):
        # A live job found by scan: no file, so a logical location naming the job.
        job = report.evaluation.request.job_name if report.evaluation else report.path
        return {"logicalLocations": [{"name": job, "fullyQualifiedName": report.path, "kind": "resource"}]}
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(report.path)},
            "region": {"startLine": line or 1},
        }
    }


def _fingerprint(report: JobReport, finding: Finding) -> str:
    # Stable across runs and line moves, so code scanning tracks one alert per rule and parameter.
    key = "|".join((report.path, finding.rule, finding.definition or "", finding.parameter or ""))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _result(
    report: JobReport,
    finding: Finding,
    line: int | None,
    rule_index: dict[str, int],
    exemption: str | None,
    fix: Fix | None = None,
    cell: tuple[int, int | None] | None = None,
) -> dict[str, Any]:
    """One finding as a result; `fix` is the reconciled fix that answers it (a set-aside finding keeps its own).

    `cell` (a notebook): the cell (1-based) and the line in it; `line` is then the line of the notebook's JSON."""
    patch = fix.patch if fix is not None else finding.patch
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.severity],
        "message": {"text": f"{finding.message} Fix: {fix.text if fix is not None else finding.fix}"},
        "locations": [_location(report, line)],
        "partialFingerprints": {"hpoGuardrail/v1": _fingerprint(report, finding)},
        "properties": {
            "severity": finding.severity.value,
            "parameter": finding.parameter,
            "definition": finding.definition,
            "evidence": finding.evidence,
            "patch": [op.as_json() for op in patch],
        },
    }
    if cell is not None:
        result["properties"]["cell"], result["properties"]["cellLine"] = cell
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    if exemption is not None:
        result["suppressions"] = [{"kind": "external", "justification": f"policy exemption {exemption}"}]
    return result


def _notification(report: JobReport) -> dict[str, Any]:
    level = "error" if report.status is Status.ERROR else "note"
    words = "error" if report.status is Status.ERROR else "skipped"
    notification: dict[str, Any] = {"level": level, "message": {"text": f"{report.path}: {words}: {report.reason}"}}
    if not report.path.startswith("arn:"):
        notification["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(report.path)}}}]
    return notification


def sarif_log(reports: Sequence[JobReport], docs_url: str) -> dict[str, Any]:
    """The SARIF log of one lint or scan run."""
    driver = _driver(docs_url.rstrip("/"))
    rule_index = {rule["id"]: index for index, rule in enumerate(driver["rules"])}
    results: list[dict[str, Any]] = []
    for report in reports:
        if report.evaluation is None:
            continue
        fixes = {position: fix for fix in report.evaluation.fixes for position in fix.findings}
        for index, finding in enumerate(report.evaluation.findings):
            cell = report.cell_of(index)
            at: tuple[int, int | None] | None = (cell, report.line_of(index)) if cell is not None else None
            line = report.file_line_of(index)
            results.append(_result(report, finding, line, rule_index, None, fixes.get(index), at))
        for index, suppressed in enumerate(report.evaluation.suppressed):
            line = report.suppressed_line_of(index)
            cells = report.suppressed_cells
            cell_index = cells[index] if index < len(cells) else None
            at = (cell_index, line) if cell_index is not None else None
            if at is not None and index < len(report.suppressed_file_lines):
                line = report.suppressed_file_lines[index]
            results.append(_result(report, suppressed.finding, line, rule_index, suppressed.exemption, None, at))
    notifications = [_notification(r) for r in reports if r.status is not Status.EVALUATED]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "invocations": [
                    {
                        "executionSuccessful": not any(r.status is Status.ERROR for r in reports),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }
