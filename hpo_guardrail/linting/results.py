"""What `lint` and `scan` report per input, the policy they evaluate with, and the exit code.

`LocalGuardrail` evaluates exactly as the Lambda does (hpo_guardrail/enforce/service.py): the policy document
from PolicySource (a file, `ssm:/name`, or the default), the base mode and budget cap from the same
environment variables, and `rules.assessment.assess`. So a job that passes `lint` passes the guardrail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.settings import Settings
from rules.assessment import assess
from rules.decision import Decision
from rules.engine import DEFAULT_REGION, Evaluation
from rules.findings import Finding, Severity
from rules.models import CallContext, TuningRequest
from rules.policy import PolicyDocument

NEVER = "never"  # --fail-on never: report, but exit 0 whatever is found


class Status(StrEnum):
    EVALUATED = "evaluated"
    SKIPPED = "skipped"
    ERROR = "error"


class InputKind(StrEnum):
    CREATE_REQUEST = "create-request"
    CLOUDTRAIL_RECORD = "cloudtrail-record"
    EVENTBRIDGE_EVENT = "eventbridge-event"
    DESCRIBE_RESPONSE = "describe-response"
    TUNING_JOB = "tuning-job"  # a live job found by `scan`


class LocalGuardrail:
    """The policy and settings the deployed function would use, applied in this process."""

    def __init__(
        self,
        policy: str | None,
        environ: Mapping[str, str],
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        # Settings.from_environ raises SettingsError and PolicySource.document() PolicyError, both
        # ValueErrors naming the variable or the policy's file, line and field.
        self.settings = Settings.from_environ(environ)
        self.source = PolicySource(policy or self.settings.policy, self.settings.policy_max_age_seconds)
        self.document: PolicyDocument = self.source.document()
        self._today = today

    def assess(self, request: TuningRequest, context: CallContext, region: str | None) -> tuple[Evaluation, Decision]:
        """The evaluation and decision the guardrail function would reach for this request."""
        return assess(
            request,
            self.document,
            today=self._today(),
            context=context,
            base_mode=self.settings.mode,
            base_budget_cap_usd=self.settings.budget_cap_usd,
            region=region or context.region or DEFAULT_REGION,
        )


@dataclass
class FixReport:
    """What --fix did to one input."""

    output: str | None = None  # where the request was written; None when nothing was written
    applied: list[Finding] = field(default_factory=list)
    not_applied: dict[str, str] = field(default_factory=dict)  # "rule parameter" -> why its patch failed
    botocore_problems: list[str] = field(default_factory=list)  # already in the input, not caused by the fix

    def as_json(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "applied": [
                {"rule": f.rule, "parameter": f.parameter, "patch": [op.as_json() for op in f.patch]}
                for f in self.applied
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
    finding_lines: list[int | None] = field(default_factory=list)  # aligned with evaluation.findings
    suppressed_lines: list[int | None] = field(default_factory=list)  # aligned with evaluation.suppressed
    request: dict[str, Any] | None = None  # the PascalCase request, for --fix
    fix: FixReport | None = None
    notification: str | None = None  # scan --notify: the SNS message id

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.evaluation.findings if self.evaluation else ()

    def line_of(self, index: int) -> int | None:
        """The line of the index-th finding in the input, when known."""
        return self.finding_lines[index] if index < len(self.finding_lines) else None

    def suppressed_line_of(self, index: int) -> int | None:
        """The line of the index-th finding an exemption set aside, when known."""
        return self.suppressed_lines[index] if index < len(self.suppressed_lines) else None

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape (docs/cli.md)."""
        out: dict[str, Any] = {"path": self.path, "status": self.status.value}
        if self.kind is not None:
            out["kind"] = self.kind.value
        if self.evaluation is None or self.decision is None:
            out["reason"] = self.reason
            return out
        evaluation, decision, cost = self.evaluation, self.decision, self.evaluation.cost
        out |= {
            "job_name": evaluation.request.job_name,
            "account": self.context.account if self.context else None,
            "region": cost.region,
            "findings": [_finding_json(f, self.line_of(i)) for i, f in enumerate(evaluation.findings)],
            "suppressed": [_finding_json(s.finding, None) | {"exemption": s.exemption} for s in evaluation.suppressed],
            "cost": {
                "worst_case_usd": cost.worst_case_usd,
                "complete": cost.complete,
                "basis": cost.describe(),
                "bound": cost.binding_bound,
                "job_count": cost.job_count,
                "budget_cap_usd": evaluation.budget_cap_usd,
                "unpriced_instance_types": list(cost.unpriced_instance_types),
                "prices_as_of": cost.prices_as_of,
            },
            "decision": {
                "action": decision.action.value,
                "reason": decision.reason,
                "mode": decision.mode.value,
                "costly": decision.costly,
                "misconfigured": decision.misconfigured,
            },
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
