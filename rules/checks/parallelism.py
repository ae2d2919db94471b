"""parallelism: Bayesian search with so many parallel jobs that the optimiser has little to learn from."""

from __future__ import annotations

import math
from collections.abc import Iterator

from pydantic import Field

from rules.findings import Finding, PatchOperation, Severity
from rules.models import Strategy, TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings

PATH = "/HyperParameterTuningJobConfig/ResourceLimits/MaxParallelTrainingJobs"


class ParallelismSettings(RuleSettings):
    max_parallel_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="flag when MaxParallelTrainingJobs is more than this share of the training jobs",
    )
    min_training_jobs: int = Field(
        default=10, ge=1, description="leave tuning jobs with fewer training jobs than this alone"
    )


def check(request: TuningRequest, context: EvaluationContext[ParallelismSettings]) -> Iterator[Finding]:
    """Flag Bayesian jobs whose parallel share of the training jobs exceeds `max_parallel_share`."""
    if request.strategy is not Strategy.BAYESIAN:
        return
    settings = context.settings
    jobs, parallel = context.cost.job_count, request.max_parallel_jobs
    if jobs < settings.min_training_jobs:
        return
    share = min(parallel, jobs) / jobs
    if share <= settings.max_parallel_share:
        return
    rounds = math.ceil(jobs / parallel)
    suggested = max(1, math.floor(jobs * settings.max_parallel_share))
    suggested_rounds = math.ceil(jobs / suggested)
    if rounds == 1:
        learning = "all of them start at once, so nothing is learnt: this is a random search at Bayesian prices"
    else:
        learning = f"the optimiser updates its model only {rounds - 1} time{'s' if rounds > 2 else ''} in between"
    yield Finding(
        rule=RULE.id,
        severity=Severity.MEDIUM if rounds == 1 else Severity.LOW,
        message=(
            f"Bayesian search runs {parallel} of its {jobs} training jobs in parallel ({share:.0%}), i.e. "
            f"{rounds} round{'s' if rounds > 1 else ''}: {learning}."
        ),
        fix=(
            f"Set MaxParallelTrainingJobs to {suggested} or fewer ({suggested_rounds} rounds, more time in total), "
            "or use Strategy Random if the wall clock matters more than learning between rounds."
        ),
        patch=(PatchOperation(op="add", path=PATH, value=suggested),),
        evidence={
            "max_parallel_jobs": parallel,
            "training_jobs": jobs,
            "job_count_basis": context.cost.job_count_basis,
            "parallel_share": round(share, 4),
            "threshold_share": settings.max_parallel_share,
            "rounds": rounds,
            "suggested_max_parallel_jobs": suggested,
            "suggested_rounds": suggested_rounds,
        },
    )


RULE = Rule(
    id="parallelism",
    title="Bayesian search with too many parallel jobs",
    check=check,
    category=Category.TUNING,
    settings=ParallelismSettings,
    doc=RuleDoc(
        checks=(
            "Strategy Bayesian with MaxParallelTrainingJobs more than `max_parallel_share` (0.25) of the training "
            "jobs (MaxNumberOfTrainingJobs, else the default quota), from `min_training_jobs` (10) training jobs "
            "on. Low; medium when every training job starts in the first round."
        ),
        why=(
            "Bayesian optimisation picks each new trial from the results it has seen so far, so it learns only "
            "between rounds of ceil(jobs / parallel) jobs. The developer guide calls it sequential by nature and "
            "recommends Random search for running many jobs in parallel. With 20 jobs, 10 in parallel, it learns "
            "once; with 20 jobs, 20 in parallel, never."
        ),
        example="Strategy: Bayesian, ResourceLimits: {MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 10}",
        fix=(
            "Lower MaxParallelTrainingJobs to at most that share of the jobs (the patch proposes "
            "floor(jobs x max_parallel_share)), accepting a longer wall clock, or switch to Strategy Random."
        ),
    ),
)
