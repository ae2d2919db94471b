"""One job through the whole engine: resolve the policy, evaluate, decide. Shared by every door."""

from __future__ import annotations

from datetime import date

from rules.decision import Decision, decide
from rules.engine import Evaluation, evaluate
from rules.models import CallContext, TuningRequest
from rules.policy import DEFAULT_BUDGET_CAP_USD, Mode, PolicyDocument, Subject
from rules.prices import PriceTable


def subject_of(request: TuningRequest, context: CallContext | None = None) -> Subject:
    """Who and what a policy is resolved for: the job, its tags, and the caller when known."""
    return Subject(
        job_name=request.job_name,
        account=context.account if context else None,
        principal_arn=context.principal_arn if context else None,
        role_arn=context.role_arn if context else None,
        tags=request.tags,
    )


def assess(
    request: TuningRequest,
    document: PolicyDocument,
    *,
    today: date,
    context: CallContext | None = None,
    base_mode: Mode = Mode.MONITOR,
    base_budget_cap_usd: float = DEFAULT_BUDGET_CAP_USD,
    region: str | None = None,
    prices: PriceTable | None = None,
) -> tuple[Evaluation, Decision]:
    """The evaluation and the decision for one request under a policy document."""
    policy = document.resolve(subject_of(request, context), today, base_mode, base_budget_cap_usd)
    evaluation = evaluate(request, policy, region=region or (context.region if context else None), prices=prices)
    return evaluation, decide(evaluation)
