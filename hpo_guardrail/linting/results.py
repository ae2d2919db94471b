"""What `lint` and `scan` report per input, and the exit code.

Both evaluate through the guardrail's own `Evaluator` (hpo_guardrail/enforce/evaluator.py): the same
policy source, base layer (GUARDRAIL_MODE, BUDGET_CAP_USD), prices and clock as the Lambda. Every
setting they report says where it came from (Policy.origin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.pricing.describe import quote_json, unknown_json
from rules.decision import Decision
from rules.engine import Evaluation
from rules.findings import Finding, Severity
from rules.fixes import Fix
from rules.models import CallContext
from rules.policy import SETTINGS

NEVER = "never"  # --fail-on never: report, but exit 0 whatever is found


class InputKind(StrEnum):
    CREATE_REQUEST = "create-request"
    CLOUDTRAIL_RECORD = "cloudtrail-record"
    EVENTBRIDGE_EVENT = "eventbridge-event"
    DESCRIBE_RESPONSE = "describe-response"
    TUNING_JOB = "tuning-job"  # a live job found by `scan`
    SDK_CODE = "sdk-code"  # a tuner in a Python script (linting/sdk_lint.py)
    NOTEBOOK = "notebook"  # a tuner in a Jupyter notebook's code cells


@dataclass(frozen=True)
class AppliedFix:
    """A reconciled fix --fix applied, and the findings it answered."""

    fix: Fix
    findings: tuple[Finding, ...]


@dataclass
class FixReport:
    """What --fix did to one input."""

    output: str | None = None  # where the request was written; None when nothing was written
    applied: list[AppliedFix] = field(default_factory=list)
    not_applied: dict[str, str] = field(default_factory=dict)  # "rule parameter" -> why its patch failed
    botocore_problems: list[str] = field(default_factory=list)  # already in the input, not caused by the fix

    def as_json(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "applied": [
                {
                    "rule": a.findings[0].rule,
                    "parameter": a.findings[0].parameter,
                    "rules": list(a.fix.rules),
                    "text": a.fix.text,
                    "patch": [op.as_json() for op in a.fix.patch],
                }
                for a in self.applied
            ],
            "not_applied": self.not_applied,
            "botocore_problems": self.botocore_problems,
        }


@dataclass
class JobReport:
    """The outcome for one input file (or one live job): evaluated, skipped with a reason, or an error."""

    path: str
    status: Status
    kind: InputKind | None = None
    reason: str | None = None
    context: CallContext | None = None
    region: str | None = None
    evaluation: Evaluation | None = None
    decision: Decision | None = None
    team: str | None = None  # the job's value of the policy's team tag
    finding_lines: list[int | None] = field(default_factory=list)  # aligned with evaluation.findings
    suppressed_lines: list[int | None] = field(default_factory=list)  # aligned with evaluation.suppressed
    request: dict[str, Any] | None = None  # the PascalCase request, for --fix
    fix: FixReport | None = None
    notification: str | None = None  # scan --notify: the SNS message id
    # SDK code and notebooks: where the tuner call is ("line 12", "cell 3, line 2"), the values the code does
    # not give (the tuner is then skipped), notes (cells not read, values that do not matter), and for each
    # finding its notebook cell (1-based) and its line in the file itself (in a notebook: its JSON text).
    where: str | None = None
    unknowns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finding_cells: list[int | None] = field(default_factory=list)
    suppressed_cells: list[int | None] = field(default_factory=list)
    finding_file_lines: list[int | None] = field(default_factory=list)
    suppressed_file_lines: list[int | None] = field(default_factory=list)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.evaluation.findings if self.evaluation else ()

    def line_of(self, index: int) -> int | None:
        """The line of the index-th finding in the input, when known."""
        return self.finding_lines[index] if index < len(self.finding_lines) else None

    def suppressed_line_of(self, index: int) -> int | None:
        """The line of the index-th finding an exemption set aside, when known."""
        return self.suppressed_lines[index] if index < len(self.suppressed_lines) else None

    def cell_of(self, index: int) -> int | None:
        """The notebook cell (1-based) of the index-th finding, when the input is a notebook."""
        return self.finding_cells[index] if index < len(self.finding_cells) else None

    def file_line_of(self, index: int) -> int | None:
        """The line of the index-th finding in the file's own text (a notebook's JSON), else its line."""
        if index < len(self.finding_file_lines):
            return self.finding_file_lines[index]
        return self.line_of(index)

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape (docs/cli.md)."""
        out: dict[str, Any] = {"path": self.path, "status": self.status.value}
        if self.kind is not None:
            out["kind"] = self.kind.value
        if self.where is not None:
            out["where"] = self.where
        if self.unknowns:
            out["unknowns"] = self.unknowns
        if self.notes:
            out["notes"] = self.notes
        if self.evaluation is None or self.decision is None:
            out["reason"] = self.reason
            return out
        evaluation, decision, cost = self.evaluation, self.decision, self.evaluation.cost
        out |= {
            "job_name": evaluation.request.job_name,
            "account": self.context.account if self.context else None,
            "region": cost.region,
            "findings": [
                _finding_json(f, self.line_of(i)) | ({"cell": self.cell_of(i)} if self.finding_cells else {})
                for i, f in enumerate(evaluation.findings)
            ],
            "suppressed": [_finding_json(s.finding, None) | {"exemption": s.exemption} for s in evaluation.suppressed],
            "fixes": [fix_json(fix) for fix in evaluation.fixes],
            "cost": {
                "worst_case_usd": cost.worst_case_usd,
                "complete": cost.complete,
                "basis": cost.describe(),
                "bound": cost.binding_bound,
                "job_count": cost.job_count,
                "budget_cap_usd": evaluation.budget_cap_usd,
                "unpriced_instance_types": list(cost.unpriced_instance_types),
                "prices_as_of": cost.prices_as_of,
                "price_basis": cost.price_basis,
                "prices": [
                    *(quote_json(quote) for quote in cost.quotes),
                    *(unknown_json(instance_type) for instance_type in cost.unpriced_instance_types),
                ],
            },
            "decision": {
                "action": decision.action.value,
                "reason": decision.reason,
                "mode": decision.mode.value,
                "mode_origin": decision.mode_origin,
                "costly": decision.costly,
                "misconfigured": decision.misconfigured,
            },
            "settings": _settings_json(evaluation),
            "scope": evaluation.policy.scope,
            "scopes": ["defaults", *evaluation.policy.scopes],
            "exemptions": [e.describe() for e in evaluation.policy.exemptions],
            "policy_version": evaluation.policy_version,
        }
        if self.fix is not None:
            out["fix"] = self.fix.as_json()
        if self.notification is not None:
            out["notification"] = self.notification
        return out


def _settings_json(evaluation: Evaluation) -> dict[str, Any]:
    """Each setting of the effective policy, its value and where it came from."""
    policy = evaluation.policy
    values = policy.model_dump(mode="json", include=set(SETTINGS))
    return {name: {"value": values[name], "origin": policy.origin(name)} for name in SETTINGS}


def _finding_json(finding: Finding, line: int | None) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "parameter": finding.parameter,
        "definition": finding.definition,
        "message": finding.message,
        "evidence": finding.evidence,
        "fix": finding.fix,
        "patch": [op.as_json() for op in finding.patch],
        "doc": finding.doc,
        "line": line,
    }


def fix_json(fix: Fix) -> dict[str, Any]:
    """A reconciled fix: `findings` are positions in the report's `findings`."""
    return {
        "text": fix.text,
        "rules": list(fix.rules),
        "findings": list(fix.findings),
        "patch": [op.as_json() for op in fix.patch],
        "automatic": fix.automatic,
        "superseded": list(fix.superseded),
    }


def fail_on_level(value: str) -> Severity | None:
    """The --fail-on threshold: a severity, or None for `never`."""
    return None if value == NEVER else Severity(value)


def exit_code(reports: Sequence[JobReport], fail_on: Severity | None) -> int:
    """2 when an input could not be read or used, 1 when a finding reaches `fail_on`, else 0."""
    if any(r.status is Status.ERROR for r in reports):
        return 2
    if fail_on is not None and any(f.severity.rank >= fail_on.rank for r in reports for f in r.findings):
        return 1
    return 0
