"""What a rule is: a stable id, its documentation, its settings and a check over a request."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from rules.cost import CostEstimate
from rules.findings import Finding, Severity
from rules.models import TuningRequest

if TYPE_CHECKING:
    from rules.policy import Policy

DOCS_PAGE = "docs/rules.md"


class RuleSettings(BaseModel):
    """What a policy can set for any rule; rules with thresholds extend it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    severity: Severity | None = None  # a fixed severity, replacing the rule's own grading


@dataclass(frozen=True)
class EvaluationContext[S: RuleSettings]:
    """What a check may consult besides the request: the policy, the cost estimate, its settings."""

    policy: Policy
    cost: CostEstimate
    settings: S


@dataclass(frozen=True)
class RuleDoc:
    """The rule's entry in docs/rules.md."""

    checks: str
    why: str
    example: str
    fix: str


@dataclass(frozen=True)
class Rule[S: RuleSettings]:
    """A check with a stable id. Each module in rules/checks defines one as `RULE`."""

    id: str
    title: str
    check: Callable[[TuningRequest, EvaluationContext[S]], Iterable[Finding]]
    doc: RuleDoc
    settings: type[S]

    @property
    def anchor(self) -> str:
        """The rule's documentation link, relative to the repository root."""
        return f"{DOCS_PAGE}#{self.id}"

    def run(self, request: TuningRequest, policy: Policy, cost: CostEstimate) -> list[Finding]:
        """The findings under the policy's settings for this rule (none when it is disabled)."""
        settings = self.settings.model_validate(policy.rule_settings.get(self.id, {}))
        if not settings.enabled:
            return []
        context = EvaluationContext(policy=policy, cost=cost, settings=settings)
        findings = list(self.check(request, context))
        update: dict[str, object] = {"doc": self.anchor}
        if settings.severity is not None:
            update["severity"] = settings.severity
        return [finding.model_copy(update=update) for finding in findings]
