"""unknown-price: an instance type with no known price makes the cost estimate a lower bound."""

from __future__ import annotations

from collections.abc import Iterator

from rules.findings import Finding, Severity
from rules.models import TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings


def check(request: TuningRequest, context: EvaluationContext[RuleSettings]) -> Iterator[Finding]:
    """One finding per instance type with no price in the job's region from any source."""
    cost = context.cost
    for instance_type in cost.unpriced_instance_types:
        costly = context.policy.assumes_costly(instance_type)
        treatment = (
            "price unknown; treated as costly, so the budget cap applies as if the job were over it"
            if costly
            else "price unknown; the worst case counts it as $0, so it is only a lower bound"
        )
        yield Finding(
            rule=RULE.id,
            severity=Severity.HIGH if costly else Severity.MEDIUM,
            message=(
                f"No training price is known for {instance_type} in {cost.region} from any price source "
                f"(live, cached, the bundled table as of {cost.prices_as_of}, or another region). "
                f"{treatment[0].upper()}{treatment[1:]}."
            ),
            fix=(
                "Use an instance type with a known price, or ask the platform team to refresh the prices "
                "(hpo-guardrail prices refresh); the policy's unknown_price setting decides how such jobs count."
            ),
            evidence={
                "instance_type": instance_type,
                "region": cost.region,
                "prices_as_of": cost.prices_as_of,
                "treated_as": "costly" if costly else "lower bound",
            },
        )


RULE = Rule(
    id="unknown-price",
    title="Instance type without a known price",
    check=check,
    category=Category.COST,
    settings=RuleSettings,
    doc=RuleDoc(
        checks=(
            "An instance type with no training price in the job's region from any source: the AWS Price List "
            "API (in the deployed guardrail), its cache, the bundled table, or the same type in another region "
            "(an estimate). The policy's `unknown_price` decides what follows: `assume-costly` (the job counts "
            "as costly; high), `lower-bound` (counted as $0, the worst case is a lower bound; medium), or "
            "`by-family` (the default: assume-costly for accelerated types p, g, trn, inf, dl)."
        ),
        why=(
            "The worst case would silently count it as $0, and the costliest jobs (new GPU and accelerator "
            "types) are the ones most often missing from a table. Prices nobody can vouch for stay missing "
            "rather than guessed; the policy says how careful to be about them."
        ),
        example="ResourceConfig: {InstanceType: ml.p5.48xlarge, InstanceCount: 1}",
        fix="Refresh the price table from the AWS Price List API (hpo-guardrail prices refresh).",
    ),
)
