"""unknown-price: an instance type with no known price makes the cost estimate a lower bound."""

from __future__ import annotations

from collections.abc import Iterator

from rules.findings import Finding, Severity
from rules.models import TuningRequest
from rules.prices import PriceSource
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings

# The evidence value the decision reads: this type's missing price makes the job count as costly.
TREATED_AS_COSTLY = "costly"


def check(request: TuningRequest, context: EvaluationContext[RuleSettings]) -> Iterator[Finding]:
    """One finding per instance type with no price in the job's region from any source, and an information per
    price estimated from another region (regional prices differ; a job near the cap may be over it)."""
    cost = context.cost
    for quote in cost.quotes:
        if quote.source is not PriceSource.ESTIMATE:
            continue
        yield RULE.finding(
            severity=Severity.INFO,
            message=(
                f"No {cost.region} training price is known for {quote.instance_type}; the worst case uses its "
                f"{quote.from_region} price (${quote.usd_per_hour:,.3f}/h) as an estimate. Prices differ by "
                "region, so the real worst case may be higher or lower."
            ),
            fix="Check the worst case against the cap with the region's own price before a large run.",
            platform_note=(
                f"Load {cost.region}'s own training prices (add it to the stack's PricedRegions, then invoke "
                "PriceRefreshFunction) so this estimate is replaced by the region's price."
            ),
            evidence={
                "instance_type": quote.instance_type,
                "region": cost.region,
                "estimated_from": quote.from_region,
                "treated_as": "estimate",
            },
        )
    for instance_type in cost.unpriced_instance_types:
        costly = context.policy.assumes_costly(instance_type)
        treatment = (
            "price unknown; treated as costly, so the budget cap applies as if the job were over it"
            if costly
            else "price unknown; the worst case counts it as $0, so it is only a lower bound"
        )
        yield RULE.finding(
            severity=Severity.HIGH if costly else Severity.MEDIUM,
            message=(
                f"No training price is known for {instance_type} in {cost.region} from any price source "
                f"(live, cached, the bundled table as of {cost.prices_as_of}, or another region). "
                f"{treatment[0].upper()}{treatment[1:]}."
            ),
            fix=(
                f"Use an instance type with a known training price in {cost.region}, or work out the worst case "
                f"with {instance_type}'s price yourself before a large run: until it is priced, the guardrail "
                f"{'treats the job as costly' if costly else 'counts that type as $0'}."
            ),
            platform_note=(
                f"Price {instance_type} in {cost.region}: invoke the stack's PriceRefreshFunction (it loads the AWS "
                "Price List API's prices into the price cache) or wait for its weekly run; if the Price List API "
                "has no price for it, the policy's unknown_price decides how such jobs count."
            ),
            evidence={
                "instance_type": instance_type,
                "region": cost.region,
                "prices_as_of": cost.prices_as_of,
                "treated_as": TREATED_AS_COSTLY if costly else "lower bound",
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
            "`by-family` (the default: assume-costly for accelerated types p, g, trn, inf, dl). A price "
            "estimated from another region is reported as information."
        ),
        why=(
            "The worst case would silently count it as $0, and the costliest jobs (new GPU and accelerator "
            "types) are the ones most often missing from a table. Prices nobody can vouch for stay missing "
            "rather than guessed; the policy says how careful to be about them."
        ),
        example="ResourceConfig: {InstanceType: ml.p5.48xlarge, InstanceCount: 1}",
        fix=(
            "Deployed: invoke the stack's PriceRefreshFunction for the region (or wait for its weekly run). Offline: "
            "hpo-guardrail prices refresh fills the local cache; maintainers add the price to the bundled table."
        ),
    ),
)
