"""parallelism: Bayesian search with so many parallel jobs that the optimiser has few rounds to learn between."""

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
        description="flag when MaxParallelTrainingJobs is more than this share of the training jobs and so leaves "
        "fewer rounds than this share in parallel would",
    )
    min_training_jobs: int = Field(
        default=10, ge=1, description="leave tuning jobs with fewer training jobs than this alone"
    )


def rounds_of(jobs: int, parallel: int) -> int:
    """How many times the optimiser waits for results: ceil(jobs / parallel), at least 1."""
    return max(1, math.ceil(jobs / max(1, parallel)))


def suggested_parallelism(jobs: int, max_share: float) -> int:
    """The fewest parallel jobs that give as many rounds as running `max_share` of the jobs in parallel.

    Every value between this and floor(jobs x max_share) gives the same rounds, so the same wall clock;
    the fewest means fewer instances at once and even rounds, so more trials are chosen with results in hand
    (30 jobs at 0.25: 6 in parallel, 5 rounds of 6, rather than 7 in rounds of 7, 7, 7, 7, 2).
    """
    most_within_share = max(1, math.floor(jobs * max_share))
    return math.ceil(jobs / rounds_of(jobs, most_within_share))


def check(request: TuningRequest, context: EvaluationContext[ParallelismSettings]) -> Iterator[Finding]:
    """Flag Bayesian jobs that run in fewer rounds than `max_parallel_share` of their jobs in parallel would."""
    if request.strategy is not Strategy.BAYESIAN:
        return
    settings = context.settings
    jobs, parallel = context.cost.job_count, request.max_parallel_jobs
    if jobs < settings.min_training_jobs:
        return
    share = min(parallel, jobs) / jobs
    rounds = rounds_of(jobs, parallel)
    suggested = suggested_parallelism(jobs, settings.max_parallel_share)
    suggested_rounds = rounds_of(jobs, suggested)
    # A share above the threshold that gives as many rounds anyway (6 of 20 jobs: 4 rounds, as 5 gives)
    # is left alone: lowering it would cost nothing and teach the optimiser nothing more.
    if share <= settings.max_parallel_share or rounds >= suggested_rounds:
        return
    if rounds == 1:
        learning = "all of them start at once, so nothing is learnt: this is a random search at Bayesian prices"
    else:
        learning = f"the optimiser updates its model only {rounds - 1} time{'s' if rounds > 2 else ''} in between"
    updates = suggested_rounds - 1
    yield RULE.finding(
        severity=Severity.MEDIUM if rounds == 1 else Severity.LOW,
        message=(
            f"Bayesian search runs {parallel} of its {jobs} training jobs in parallel ({share:.0%}), i.e. "
            f"{rounds} round{'s' if rounds > 1 else ''}: {learning}."
        ),
        fix=(
            f"Set MaxParallelTrainingJobs to {suggested}: {suggested_rounds} rounds instead of {rounds}, so the "
            f"optimiser learns from results {updates} time{'s' if updates != 1 else ''} instead of {rounds - 1}, "
            f"for about {suggested_rounds / rounds:.1f} times the wall clock and the same number of training jobs; "
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
    title="Bayesian search with too many jobs in parallel to learn between rounds",
    check=check,
    category=Category.TUNING,
    settings=ParallelismSettings,
    doc=RuleDoc(
        checks=(
            "Strategy Bayesian with MaxParallelTrainingJobs more than `max_parallel_share` (0.25) of the training "
            "jobs (MaxNumberOfTrainingJobs, else the default quota) when that costs rounds: the search runs in "
            "fewer rounds, ceil(jobs / parallel), than with that share in parallel. From `min_training_jobs` (10) "
            "training jobs on. A share above the threshold with as many rounds is left alone (20 jobs: 6 in "
            "parallel make 4 rounds, as 5 do). Low; medium when every training job starts in the first round."
        ),
        why=(
            "Bayesian optimisation picks each new trial from the results it has seen so far, so it learns only "
            "between rounds of ceil(jobs / parallel) jobs. The developer guide calls it sequential by nature and "
            "recommends Random search for running many jobs in parallel. With 20 jobs, 10 in parallel, it learns "
            "once; with 20 jobs, 20 in parallel, never."
        ),
        example="Strategy: Bayesian, ResourceLimits: {MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 10}",
        fix=(
            "Lower MaxParallelTrainingJobs to the patch's value: the fewest parallel jobs that give as many rounds "
            "as `max_parallel_share` of the jobs would (20 jobs: 5, in 4 rounds; 30 jobs: 6, in 5 even rounds, "
            "where 7 would also take 5 rounds with more instances at once). The same rounds mean the same wall "
            "clock, and even rounds choose more trials from results. Or switch to Strategy Random if the wall "
            "clock matters more than learning between rounds."
        ),
    ),
)
