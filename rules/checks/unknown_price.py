"""unknown-price: an instance type with no known price makes the cost estimate a lower bound."""

from __future__ import annotations

from collections.abc import Iterator

from rules.findings import Finding, Severity
from rules.models import TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings


def check(request: TuningRequest, context: EvaluationContext[RuleSettings]) -> Iterator[Finding]:
    """One finding per instance type the price table has no price for in the job's region."""
    cost = context.cost
    for instance_type in cost.unpriced_instance_types:
        yield Finding(
            rule=RULE.id,
            severity=Severity.MEDIUM,
            message=(
                f"No training price is known for {instance_type} in {cost.region} (price table as of "
                f"{cost.prices_as_of}), so the worst-case cost counts it as $0 and is only a lower bound."
            ),
            fix=(
                f"Add the {cost.region} training price of {instance_type} to the price table "
                "(hpo-guardrail prices refresh), or use an instance type with a known price."
            ),
            evidence={"instance_type": instance_type, "region": cost.region, "prices_as_of": cost.prices_as_of},
        )


RULE = Rule(
    id="unknown-price",
    title="Instance type without a known price",
    check=check,
    category=Category.COST,
    settings=RuleSettings,
    doc=RuleDoc(
        checks="An instance type the price table has no training price for in the job's region.",
        why=(
            "The worst case would silently count it as $0. Prices nobody can vouch for stay missing rather "
            "than guessed, so the estimate is marked a lower bound and this finding says why."
        ),
        example="ResourceConfig: {InstanceType: ml.p5.48xlarge, InstanceCount: 1}",
        fix="Refresh the price table from the AWS Price List API (hpo-guardrail prices refresh).",
    ),
)
