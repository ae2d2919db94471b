"""One job through the whole engine: resolve the policy, evaluate, decide. Shared by every door."""

from __future__ import annotations

from datetime import date

from rules.decision import Decision, decide
from rules.engine import Evaluation, evaluate
from rules.models import CallContext, TuningRequest
from rules.policy import BaseLayer, Overrides, PolicyDocument, Subject
from rules.prices import PriceBook

# Region assumed when a call comes without one (a linted file, say).
DEFAULT_REGION = "us-east-1"


def subject_of(request: TuningRequest, context: CallContext | None = None) -> Subject:
    """Who and what a policy is resolved for: the job, its tags, and the caller when known."""
    return Subject(
        job_name=request.job_name,
        account=context.account if context else None,
        principal_arn=context.principal_arn if context else None,
        role_arn=context.role_arn if context else None,
        tags=request.tags,
    )


def region_of(context: CallContext | None) -> str:
    """The region a call is evaluated in: the record's, else the default (a linted file has none)."""
    return (context.region if context else None) or DEFAULT_REGION


def assess(
    request: TuningRequest,
    document: PolicyDocument,
    *,
    today: date,
    context: CallContext | None = None,
    base: BaseLayer | Overrides | None = None,
    prices: PriceBook | None = None,
) -> tuple[Evaluation, Decision]:
    """The evaluation and the decision for one request under a policy document and a base layer (the
    deployment's settings, each labelled with where it came from; see PolicyDocument.resolve)."""
    policy = document.resolve(subject_of(request, context), today, base)
    evaluation = evaluate(request, policy, region=region_of(context), prices=prices)
    return evaluation, decide(evaluation)
