"""What a rule is: a stable id, its documentation, its settings and a check over a request."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from rules.cost import CostEstimate
from rules.findings import Evidence, Finding, PatchOperation, Severity
from rules.models import TuningRequest
from rules.unvalidated import unvalidated

DOCS_PAGE = "docs/rules.md"


class Category(StrEnum):
    """What kind of problem a rule finds; the decision reads it (see rules/decision.py)."""

    MISCONFIGURATION = "misconfiguration"
    INVALID = "invalid"
    COST = "cost"
    TUNING = "tuning"
    HYGIENE = "hygiene"

    @property
    def meaning(self) -> str:
        """What the category means for a job, as docs/rules.md says it."""
        return _CATEGORY_MEANINGS[self]


_CATEGORY_MEANINGS = {
    Category.MISCONFIGURATION: "the search wastes most of its budget; in enforce mode a costly job with such a "
    "finding is stopped",
    Category.INVALID: "SageMaker refuses the request, so no job runs",
    Category.COST: "the budget: the worst case, its bounds and what the estimate leaves out",
    Category.TUNING: "the search could find a better optimum, or find it sooner",
    Category.HYGIENE: "the organisation's own conventions, such as required tags",
}


class RuleSettings(BaseModel):
    """What a policy can set for any rule; rules with thresholds extend it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    severity: Severity | None = None  # a fixed severity, replacing the rule's own grading


class PolicyView(Protocol):
    """What a check may read of the effective policy (rules.policy.Policy)."""

    @property
    def budget_cap_usd(self) -> float: ...

    def is_log_natured_name(self, name: str) -> bool: ...

    def assumes_costly(self, instance_type: str) -> bool:
        """Whether a job with no price for this instance type counts as costly."""
        ...

    def settings_of(self, rule_id: str) -> RuleSettings | None:
        """The rule's settings, validated when the policy was resolved; None when the policy sets none."""
        ...


@dataclass(frozen=True)
class EvaluationContext[S: RuleSettings]:
    """What a check may consult besides the request: the policy, the cost estimate, its settings."""

    policy: PolicyView
    cost: CostEstimate
    settings: S


@dataclass(frozen=True)
class RuleDoc:
    """The rule's entry in docs/rules.md."""

    checks: str
    why: str
    example: str
    fix: str


@functools.cache
def _defaults[S: RuleSettings](settings: type[S]) -> S:
    # Built once per settings class: they are frozen, and every rule asks for them on every request.
    return settings()


@dataclass(frozen=True)
class Rule[S: RuleSettings]:
    """A check with a stable id. Each module in rules/checks defines one as `RULE`."""

    id: str
    title: str
    check: Callable[[TuningRequest, EvaluationContext[S]], Iterable[Finding]]
    category: Category
    doc: RuleDoc
    settings: type[S]

    @functools.cached_property
    def anchor(self) -> str:
        """The rule's documentation link, relative to the repository root."""
        return f"{DOCS_PAGE}#{self.id}"

    def finding(
        self,
        *,
        severity: Severity,
        message: str,
        fix: str,
        parameter: str | None = None,
        definition: str | None = None,
        evidence: Evidence | None = None,
        patch: tuple[PatchOperation, ...] = (),
        platform_note: str | None = None,
    ) -> Finding:
        """A finding of this rule, with its documentation link.

        Built without validating it again (rules/unvalidated.py): a check computes every value itself, typed as the
        fields are (mypy checks each call), and the checks build a few hundred findings for a large request.
        """
        return unvalidated(
            Finding,
            {
                "rule": self.id,
                "severity": severity,
                "message": message,
                "fix": fix,
                "parameter": parameter,
                "definition": definition,
                # A copy, as validation makes one: two findings never share a dict.
                "evidence": {} if evidence is None else dict(evidence),
                "patch": patch,
                "doc": self.anchor,
                "platform_note": platform_note,
            },
        )

    def settings_under(self, policy: PolicyView) -> S:
        """This rule's settings under the policy: validated at resolution, else the rule's defaults."""
        given = policy.settings_of(self.id)
        if given is None:
            defaults: S = _defaults(self.settings)  # functools.cache keeps no type parameters
            return defaults
        if not isinstance(given, self.settings):
            raise TypeError(f"{self.id}: the policy holds {type(given).__name__}, not {self.settings.__name__}")
        return given

    def run(self, request: TuningRequest, policy: PolicyView, cost: CostEstimate) -> list[Finding]:
        """The findings under the policy's settings for this rule (none when it is disabled), each with this rule's
        documentation link and the severity the policy fixes for it, if any."""
        settings = self.settings_under(policy)
        if not settings.enabled:
            return []
        context = EvaluationContext(policy=policy, cost=cost, settings=settings)
        anchor, severity = self.anchor, settings.severity
        # Findings made with `finding` carry the link already; only a fixed severity (or a finding built some other
        # way) needs a copy.
        return [
            finding
            if finding.doc == anchor and (severity is None or finding.severity is severity)
            else finding.model_copy(update={"doc": anchor} | ({} if severity is None else {"severity": severity}))
            for finding in self.check(request, context)
        ]
