"""Evaluate a tuning request against a policy: every rule, one cost estimate."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from rules.checks import all_rules
from rules.cost import CostEstimate, estimate_cost
from rules.findings import Finding, Severity, highest_severity
from rules.models import TuningRequest
from rules.policy import Policy
from rules.prices import PriceTable, bundled_prices
from rules.rule import EvaluationContext

# Region assumed when the request comes without one (a linted file, say).
DEFAULT_REGION = "us-east-1"


class Evaluation(BaseModel):
    """What the rules found in one request, and its worst-case cost."""

    model_config = ConfigDict(frozen=True)

    request: TuningRequest
    findings: tuple[Finding, ...]
    cost: CostEstimate
    policy_version: str
    budget_cap_usd: float

    @property
    def severity(self) -> Severity | None:
        return highest_severity(self.findings)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule for f in self.findings))


def evaluate(
    request: TuningRequest,
    policy: Policy,
    region: str | None = None,
    prices: PriceTable | None = None,
) -> Evaluation:
    """Run every rule in the catalogue over the request."""
    table = prices or bundled_prices()
    cost = estimate_cost(request, table, region or DEFAULT_REGION, policy.default_max_training_jobs)
    context = EvaluationContext(policy=policy, cost=cost)
    findings = [finding for rule in all_rules() for finding in rule.check(request, context)]
    findings.sort(key=lambda f: (-f.severity.rank, f.rule, f.parameter or ""))
    return Evaluation(
        request=request,
        findings=tuple(findings),
        cost=cost,
        policy_version=policy.version,
        budget_cap_usd=policy.budget_cap_usd,
    )
