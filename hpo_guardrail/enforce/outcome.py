"""What one invocation did, returned by the handler and printed by the demo: a view of the audit record."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from rules.findings import Finding


class Status(StrEnum):
    """What became of one input: an event in the Lambda, a file in lint, a live job in scan."""

    EVALUATED = "evaluated"
    SKIPPED = "skipped"  # nothing to evaluate: another API, a failed call, a duplicate delivery, a gone job
    REJECTED = "rejected"  # the guardrail: a malformed event, recorded with its raw text, never retried
    ERROR = "error"  # lint and scan: an input that cannot be read or used (exit code 2)


class StopResult(StrEnum):
    STOPPED = "stopped"
    ALREADY_ENDED = "already-ended"
    NOT_FOUND = "not-found"
    FAILED = "failed"


class StopOutcome(BaseModel):
    """What the stop action found and did; `detail` is the raw reason (an error, a status), never a summary."""

    model_config = ConfigDict(frozen=True)

    result: StopResult
    status_before: str | None = None
    detail: str = ""

    def summary(self) -> str:
        """A short phrase for alerts and logs, such as 'stopped (InProgress -> Stopping)'."""
        match self.result:
            case StopResult.STOPPED:
                return "stopped (InProgress -> Stopping)"
            case StopResult.ALREADY_ENDED:
                return f"not stopped: job already {self.status_before}"
            case StopResult.NOT_FOUND:
                return "not stopped: job not found"
            case _:
                return f"stop failed: {self.detail}"


class FindingSummary(BaseModel):
    rule: str
    severity: str
    parameter: str | None
    message: str
    exemption: str | None = None
    definition: str | None = None  # the training job definition, in a multi-definition job
    platform_note: str | None = None  # advice for the platform team (Finding.platform_note), not the job's owner

    @classmethod
    def of(cls, finding: Finding, exemption: str | None = None) -> FindingSummary:
        return cls(
            rule=finding.rule,
            severity=finding.severity.value,
            parameter=finding.parameter,
            message=finding.message,
            exemption=exemption,
            definition=finding.definition,
            platform_note=finding.platform_note,
        )


class DecisionSummary(BaseModel):
    """What the guardrail made of one event: the fields the audit record and the handler's result share."""

    model_config = ConfigDict(frozen=True)

    status: Status
    event_id: str | None = None
    reason: str | None = None
    job_name: str | None = None
    findings: list[FindingSummary] = []
    worst_case_usd: float | None = None
    cost_complete: bool | None = None
    prices: list[str] = []  # each price the cost used, with its source and age
    decision: str | None = None
    decision_reason: str | None = None
    mode: str | None = None
    policy_version: str | None = None
    policy_scope: str | None = None
    exemptions: list[str] = []
    suppressed: list[FindingSummary] = []


class Outcome(DecisionSummary):
    """The handler's return value (also logged): a summary of the audit record, never the whole request."""

    actions: dict[str, str | None] = {"stop": None, "notify": None}
