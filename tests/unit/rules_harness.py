"""Run one rule, or the whole engine, over a request built with tests.builders."""

from __future__ import annotations

from typing import Any

from rules.checks import all_rules
from rules.cost import estimate_cost
from rules.engine import Evaluation, evaluate
from rules.findings import Finding
from rules.parsing import read_request
from rules.policy import Policy
from rules.prices import bundled_prices
from rules.rule import EvaluationContext


def run_rule(rule_id: str, raw_request: dict[str, Any], policy: Policy | None = None) -> list[Finding]:
    policy = policy or Policy()
    request = read_request(raw_request)
    cost = estimate_cost(request, bundled_prices(), "us-east-1", policy.default_max_training_jobs)
    (rule,) = [r for r in all_rules() if r.id == rule_id]
    return list(rule.check(request, EvaluationContext(policy=policy, cost=cost)))


def run_engine(raw_request: dict[str, Any], policy: Policy | None = None, region: str = "us-east-1") -> Evaluation:
    return evaluate(read_request(raw_request), policy or Policy(), region=region)
