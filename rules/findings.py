"""What a check reports: a `Finding` with its severity, evidence, suggested fix and JSON Patch."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.unvalidated import unvalidated

Evidence = dict[str, str | int | float | bool | None]


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def raised(self, steps: int) -> Severity:
        """This severity moved `steps` levels up (or down when negative), within info .. critical."""
        return _LEVELS[max(0, min(len(_LEVELS) - 1, self.rank + steps))]


# Looked up rather than listed at each call: findings are sorted and graded by rank many times per request.
_LEVELS = tuple(Severity)
_RANKS = {severity: rank for rank, severity in enumerate(_LEVELS)}


class PatchOperation(BaseModel):
    """One RFC 6902 operation against the PascalCase CreateHyperParameterTuningJob request."""

    model_config = ConfigDict(frozen=True)

    op: Literal["add", "remove", "replace"]
    path: str
    value: Any = None

    def as_json(self) -> dict[str, Any]:
        return {"op": self.op, "path": self.path} | ({} if self.op == "remove" else {"value": self.value})


def set_member(pointer: str, member: str, value: Any) -> PatchOperation:
    """Set a member of the object at `pointer` ("add" also replaces an existing member)."""
    # Not validated: the op is the literal "add", the path a str and the value is Any.
    return unvalidated(PatchOperation, {"op": "add", "path": f"{pointer}/{member}", "value": value})


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
    patch: tuple[PatchOperation, ...] = Field(
        default=(), description="The fix as JSON Patch operations on the request; empty when it needs a choice"
    )
    doc: str | None = Field(default=None, description="Where the rule is documented")
    platform_note: str | None = Field(
        default=None,
        description="What the platform team (not the job's owner) can do about it, e.g. load a missing price; "
        "kept out of the job owner's next steps",
    )


def highest_severity(findings: list[Finding] | tuple[Finding, ...]) -> Severity | None:
    """The most severe level among the findings, or None when there are none."""
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)
