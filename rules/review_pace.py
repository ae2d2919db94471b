"""The pace of a finished tuning job: what its completed training jobs cost each, and how many it was allowed.

The report's "cost avoided" for a stopped job projects the job's own pace over its training-job budget
(docs/reports.md, "Cost avoided"). A completed training job ran to its end, so its cost is what one more would
have cost; a stopped or failed one was cut short and would make the pace look cheaper than it was. The budget is
the one the worst case used: MaxNumberOfTrainingJobs, else the Grid combinations, else the policy's default
(the 750-job quota).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from rules.cost import grid_combinations
from rules.models import Strategy, TuningRequest
from rules.prices import PriceBook

if TYPE_CHECKING:
    from rules.review_inputs import FinishedTuningJob

DEFAULT_TRAINING_JOB_BUDGET = 750  # the default quota of training jobs per tuning job (docs: SageMaker quotas)


class TrainingJobPace(BaseModel):
    """What the completed training jobs of a tuning job cost, and how many training jobs it could launch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    training_job_budget: int = Field(ge=1, description="MaxNumberOfTrainingJobs, Grid combinations or the default")
    budget_basis: str
    completed_training_jobs: int = Field(ge=0)
    completed_usd: float = Field(ge=0, description="the priced spend of the completed training jobs")
    completed_complete: bool = Field(description="False when a completed training job lacked a price or billing")

    @property
    def usd_per_training_job(self) -> float | None:
        """The mean cost of a completed training job; None when none completed or one was not priced (then the
        mean would be too low to project from)."""
        if not self.completed_training_jobs or not self.completed_complete:
            return None
        return self.completed_usd / self.completed_training_jobs


def training_job_budget(request: TuningRequest, default: int = DEFAULT_TRAINING_JOB_BUDGET) -> tuple[int, str]:
    """How many training jobs the tuning job could launch, and why: the N of the worst case (rules/cost.py)."""
    if request.max_training_jobs is not None:
        return request.max_training_jobs, "MaxNumberOfTrainingJobs"
    if request.strategy is Strategy.GRID:
        return grid_combinations(request), "Grid combinations"
    return default, "default quota"


def pace_of(
    job: FinishedTuningJob, prices: PriceBook, default_budget: int = DEFAULT_TRAINING_JOB_BUDGET
) -> TrainingJobPace:
    """The job's pace, priced as the review prices (`actual_spend` over its completed training jobs only).

    `default_budget` is the policy's `default_max_training_jobs`, so the budget is the worst case's.
    """
    # Imported here: the audit record holds a TrainingJobPace, so the guardrail's cold start imports this module;
    # only a review computes a pace.
    from rules.review import actual_spend
    from rules.review_inputs import TrainingJobStatus

    completed = tuple(run for run in job.training_jobs if run.status is TrainingJobStatus.COMPLETED)
    budget, basis = training_job_budget(job.request, default_budget)
    spend, _ = actual_spend(job.model_copy(update={"training_jobs": completed}), prices)
    return TrainingJobPace(
        training_job_budget=budget,
        budget_basis=basis,
        completed_training_jobs=len(completed),
        completed_usd=spend.usd,
        completed_complete=spend.complete,
    )


__all__ = ["DEFAULT_TRAINING_JOB_BUDGET", "TrainingJobPace", "pace_of", "training_job_budget"]
