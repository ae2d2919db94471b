"""Evaluate a tuning request against the effective policy: every rule, one cost estimate."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from rules.checks import all_rules
from rules.cost import CostEstimate, estimate_cost
from rules.findings import Finding, Severity, highest_severity
from rules.fixes import Fix, reconcile
from rules.models import TuningRequest
from rules.policy import Policy
from rules.prices import BundledPrices, PriceBook


class SuppressedFinding(BaseModel):
    """A finding an active exemption covers: kept for the audit trail, left out of the decision."""

    model_config = ConfigDict(frozen=True)

    finding: Finding
    exemption: str


class Evaluation(BaseModel):
    """What the rules found in one request, and its worst-case cost."""

    model_config = ConfigDict(frozen=True)

    request: TuningRequest
    findings: tuple[Finding, ...]
    suppressed: tuple[SuppressedFinding, ...] = ()
    cost: CostEstimate
    policy: Policy

    @property
    def severity(self) -> Severity | None:
        return highest_severity(self.findings)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule for f in self.findings))

    @property
    def fixes(self) -> tuple[Fix, ...]:
        """One reconciled set of fixes (rules/fixes.py): every finding answered by exactly one fix, no two fixes
        touching the same member, limits merged into the tightest value that still lets a training job finish."""
        return reconcile(self.findings, self.request)

    def fix_for(self, finding: Finding) -> Fix | None:
        """The reconciled fix that answers one of this evaluation's findings (None for another evaluation's)."""
        position = next((i for i, f in enumerate(self.findings) if f is finding), None)
        if position is None:
            position = next((i for i, f in enumerate(self.findings) if f == finding), None)
        return next((fix for fix in self.fixes if position in fix.findings), None) if position is not None else None

    @property
    def policy_version(self) -> str:
        return self.policy.version

    @property
    def budget_cap_usd(self) -> float:
        return self.policy.budget_cap_usd


def evaluate(
    request: TuningRequest,
    policy: Policy,
    *,
    region: str,
    prices: PriceBook | None = None,
) -> Evaluation:
    """Run every rule in the catalogue over the request; exempted findings are set aside."""
    cost = estimate_cost(request, prices or BundledPrices(), region, policy.default_max_training_jobs)
    findings: list[Finding] = []
    suppressed: list[SuppressedFinding] = []
    for rule in all_rules():
        exemption = policy.exemption_for(rule.id)
        for finding in rule.run(request, policy, cost):
            if exemption is None:
                findings.append(finding)
            else:
                suppressed.append(SuppressedFinding(finding=finding, exemption=exemption.name))
    findings.sort(key=lambda f: (-f.severity.rank, f.rule, f.parameter or ""))
    return Evaluation(request=request, findings=tuple(findings), suppressed=tuple(suppressed), cost=cost, policy=policy)
