"""What a rule is: a stable id, a title and a check over a request in its evaluation context."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rules.cost import CostEstimate
from rules.findings import Finding
from rules.models import TuningRequest
from rules.policy import Policy


@dataclass(frozen=True)
class EvaluationContext:
    """What every check may consult besides the request: the policy and the cost estimate."""

    policy: Policy
    cost: CostEstimate


Check = Callable[[TuningRequest, EvaluationContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A check with a stable id. Each module in rules/checks defines one as `RULE`."""

    id: str
    title: str
    check: Check
