"""Run one rule, or the whole engine, over a request built with tests.builders."""

from __future__ import annotations

from typing import Any

from rules.checks import rules_by_id
from rules.cost import estimate_cost
from rules.engine import Evaluation, evaluate
from rules.findings import Finding
from rules.parsing import read_request
from rules.policy import Policy
from rules.prices import bundled_prices


def run_rule(rule_id: str, raw_request: dict[str, Any], policy: Policy | None = None) -> list[Finding]:
    policy = policy or Policy()
    request = read_request(raw_request)
    cost = estimate_cost(request, bundled_prices(), "us-east-1", policy.default_max_training_jobs)
    return rules_by_id()[rule_id].run(request, policy, cost)


def run_engine(raw_request: dict[str, Any], policy: Policy | None = None, region: str = "us-east-1") -> Evaluation:
    return evaluate(read_request(raw_request), policy or Policy(), region=region)
