"""What a check reports: a `Finding` with its severity, evidence and suggested fix."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

Evidence = dict[str, str | int | float | bool | None]


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Finding(BaseModel):
    """One problem a rule found in a tuning request."""

    model_config = ConfigDict(frozen=True)

    rule: str
    severity: Severity
    message: str = Field(description="What is wrong, in words a data scientist understands")
    fix: str = Field(description="What to change in the request")
    parameter: str | None = Field(default=None, description="The hyperparameter concerned, if any")
    definition: str | None = Field(default=None, description="The training job definition, if several")
    evidence: Evidence = Field(default_factory=dict)


def highest_severity(findings: list[Finding] | tuple[Finding, ...]) -> Severity | None:
    """The most severe level among the findings, or None when there are none."""
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)
