"""early-stopping: Off on a large budget (Bayesian, Random), or anything but Off under Hyperband."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from rules.findings import Finding, PatchOperation, Severity
from rules.models import Strategy, TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings

PATH = "/HyperParameterTuningJobConfig/TrainingJobEarlyStoppingType"


class EarlyStoppingSettings(RuleSettings):
    min_training_jobs: int | None = Field(
        default=100, ge=1, description="suggest Auto from this many training jobs on; null: never by job count"
    )
    min_cap_share: float | None = Field(
        default=0.5,
        ge=0,
        description="suggest Auto from this share of the budget cap in worst-case cost on; null: never by cost",
    )
    strategies: tuple[Strategy, ...] = Field(
        default=(Strategy.BAYESIAN, Strategy.RANDOM), description="strategies for which Auto is suggested"
    )


def _is_off(value: str) -> bool:
    return value.lower() == "off"


def _hyperband(request: TuningRequest) -> Finding:
    return RULE.finding(
        severity=Severity.HIGH,
        message=(
            f"Strategy Hyperband with TrainingJobEarlyStoppingType {request.early_stopping}: Hyperband has its own "
            "early stopping and needs TrainingJobEarlyStoppingType Off, so SageMaker refuses this request."
        ),
        fix="Set TrainingJobEarlyStoppingType to Off (Hyperband still stops poor training jobs early).",
        patch=(PatchOperation(op="add", path=PATH, value="Off"),),
        evidence={"strategy": request.strategy.value, "early_stopping": request.early_stopping},
    )


def check(request: TuningRequest, context: EvaluationContext[EarlyStoppingSettings]) -> Iterator[Finding]:
    """Hyperband needs Off; on a large Bayesian or Random budget, suggest Auto."""
    if request.strategy is Strategy.HYPERBAND:
        if not _is_off(request.early_stopping):
            yield _hyperband(request)
        return
    settings = context.settings
    if request.strategy not in settings.strategies or not _is_off(request.early_stopping):
        return
    cost, cap = context.cost, context.policy.budget_cap_usd
    reasons: list[str] = []
    many = settings.min_training_jobs is not None and cost.job_count >= settings.min_training_jobs
    if many:
        reasons.append(f"{cost.job_count} training jobs")
    costly = (
        settings.min_cap_share is not None
        and cost.worst_case_usd > 0
        and cost.worst_case_usd >= settings.min_cap_share * cap
    )
    if costly:
        share = ""
        if cap > 0:
            multiple = cost.worst_case_usd / cap
            share = f" ({multiple:.0%} of the cap)" if multiple < 2 else f" ({multiple:,.1f} times the cap)"
        reasons.append(f"a worst case of ${cost.worst_case_usd:,.2f}{share}")
    if not reasons:
        return
    yield RULE.finding(
        severity=Severity.LOW,
        message=(
            f"Early stopping is Off on a large budget ({' and '.join(reasons)}): every training job runs to the end, "
            "even those already clearly worse than earlier ones."
        ),
        fix=(
            "Set TrainingJobEarlyStoppingType to Auto, if the training code reports the objective metric after "
            "every epoch (SageMaker needs that to judge a job early)."
        ),
        patch=(PatchOperation(op="add", path=PATH, value="Auto"),),
        evidence={
            "strategy": request.strategy.value,
            "early_stopping": request.early_stopping,
            "training_jobs": cost.job_count,
            "threshold_training_jobs": settings.min_training_jobs,
            "worst_case_usd": cost.worst_case_usd,
            "cap_usd": cap,
            "threshold_cap_share": settings.min_cap_share,
        },
    )


RULE = Rule(
    id="early-stopping",
    title="Early stopping off on a large budget, or on under Hyperband",
    check=check,
    category=Category.TUNING,
    settings=EarlyStoppingSettings,
    doc=RuleDoc(
        checks=(
            "Strategy Hyperband with TrainingJobEarlyStoppingType other than Off (high). For the `strategies` "
            "(Bayesian, Random) with TrainingJobEarlyStoppingType Off (the default): from `min_training_jobs` (100) "
            "training jobs, or from a worst-case cost of `min_cap_share` (0.5) of the budget cap (low). Grid is "
            "left out by default: the guide does not say early stopping applies to it (inferred)."
        ),
        why=(
            "With Auto, SageMaker stops a training job whose objective metric after an epoch is worse than the "
            "median of the running averages of earlier jobs at the same epoch, which saves compute on a large "
            "search. It works only when the algorithm emits the objective metric every epoch, so check that before "
            "switching. Hyperband brings its own early stopping and the API requires Off with it."
        ),
        example="Strategy: Bayesian, MaxNumberOfTrainingJobs: 200, TrainingJobEarlyStoppingType: Off",
        fix="Set TrainingJobEarlyStoppingType to Auto (Off under Hyperband).",
    ),
)
