"""runtime-too-short: the tuning job's MaxRuntimeInSeconds is shorter than one training job's."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rules.findings import Finding, Severity
from rules.models import TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings


def _duration(seconds: int) -> str:
    hours = seconds / 3600
    return f"{seconds:,} s ({hours:,.4g} h)" if seconds >= 3600 else f"{seconds:,} s"


def check(request: TuningRequest, context: EvaluationContext[RuleSettings]) -> Iterator[Finding]:
    """Flag each definition whose StoppingCondition.MaxRuntimeInSeconds exceeds ResourceLimits.MaxRuntimeInSeconds."""
    tuning = request.max_runtime_seconds
    if tuning is None:
        return
    several = len(request.definitions) > 1
    for definition in request.definitions:
        training = definition.max_runtime_seconds
        if training <= tuning:
            continue
        given = (
            ""
            if definition.stopping_condition_given
            else " (SageMaker's default: the request sets no StoppingCondition)"
        )
        rounds = math.ceil(context.cost.job_count / request.max_parallel_jobs)
        yield RULE.finding(
            severity=Severity.MEDIUM,
            definition=definition.name if several else None,
            message=(
                f"The tuning job stops after {_duration(tuning)} (ResourceLimits.MaxRuntimeInSeconds), but each "
                f"training job{f' of {definition.label}' if several else ''} may run up to {_duration(training)}"
                f"{given}: a training job that needs longer than the tuning job's limit is stopped unfinished, and "
                "what it ran is paid for without a result."
            ),
            fix=(
                f"Set ResourceLimits.MaxRuntimeInSeconds to at least {training:,} s so one training job can finish "
                f"({rounds} round{'s' if rounds > 1 else ''} of {request.max_parallel_jobs} parallel jobs need up to "
                f"{rounds * training:,} s), or, if training needs less, lower "
                f"StoppingCondition.MaxRuntimeInSeconds{f' of {definition.label}' if several else ''} to at most "
                f"{tuning:,} s."
            ),
            evidence={
                "tuning_max_runtime_seconds": tuning,
                "training_max_runtime_seconds": training,
                "stopping_condition_given": definition.stopping_condition_given,
                "max_parallel_jobs": request.max_parallel_jobs,
                "rounds": rounds,
            },
        )


RULE = Rule(
    id="runtime-too-short",
    title="Tuning job shorter than one training job",
    check=check,
    category=Category.COST,
    settings=RuleSettings,
    doc=RuleDoc(
        checks=(
            "ResourceLimits.MaxRuntimeInSeconds of the tuning job shorter than StoppingCondition.MaxRuntimeInSeconds "
            "of a training job definition (one finding per such definition; SageMaker's default of one day counts "
            "when the definition sets no StoppingCondition). Medium."
        ),
        why=(
            "SageMaker stops the tuning job, and every training job still running, when the tuning job's runtime "
            "limit is reached. A training job allowed to run longer than that may be stopped before it reports its "
            "final objective: its cost is spent without a result. The limits contradict each other, so one of them "
            "is wrong. `lint --fix` never writes such a request: the fixes it applies keep the tuning job's limit "
            "at or above the longest training job's (rules/fixes.py)."
        ),
        example=(
            "ResourceLimits: {MaxParallelTrainingJobs: 10, MaxRuntimeInSeconds: 6393}, "
            "StoppingCondition: {MaxRuntimeInSeconds: 86400}"
        ),
        fix=(
            "A choice only a person can make, so there is no patch: raise ResourceLimits.MaxRuntimeInSeconds to at "
            "least the training jobs' limit (a whole number of rounds of parallel jobs is better), or lower "
            "StoppingCondition.MaxRuntimeInSeconds to what training really needs."
        ),
    ),
)
