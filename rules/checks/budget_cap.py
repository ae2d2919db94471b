"""budget-cap: the worst-case cost of the tuning job is over the policy's cap."""

from __future__ import annotations

import math
from collections.abc import Iterator

from pydantic import Field

from rules.cost import over_cap
from rules.findings import Finding, PatchOperation, Severity
from rules.models import TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings

# SageMaker's lower limit for a tuning job's MaxRuntimeInSeconds.
MIN_TUNING_RUNTIME_SECONDS = 120


class BudgetCapSettings(RuleSettings):
    critical_multiple: float = Field(default=10.0, gt=1, description="from this multiple of the cap on: critical")


def _jobs_that_fit(context: EvaluationContext[BudgetCapSettings]) -> int:
    per_job = context.cost.max_per_job_usd
    return math.floor(context.policy.budget_cap_usd / per_job) if per_job > 0 else 0


def _runtime_that_fits(context: EvaluationContext[BudgetCapSettings]) -> int:
    cost = context.cost
    if cost.max_hourly_usd <= 0:
        return 0
    return math.floor(context.policy.budget_cap_usd / (cost.max_parallel_jobs * cost.max_hourly_usd) * 3600)


def _fix(context: EvaluationContext[BudgetCapSettings]) -> tuple[str, tuple[PatchOperation, ...]]:
    options: list[str] = []
    patch: tuple[PatchOperation, ...] = ()
    jobs = _jobs_that_fit(context)
    if jobs >= 1:
        options.append(f"set MaxNumberOfTrainingJobs to {jobs} or fewer")
        path = "/HyperParameterTuningJobConfig/ResourceLimits/MaxNumberOfTrainingJobs"
        patch = (PatchOperation(op="add", path=path, value=jobs),)
    seconds = _runtime_that_fits(context)
    if seconds >= MIN_TUNING_RUNTIME_SECONDS:
        options.append(f"set ResourceLimits.MaxRuntimeInSeconds to {seconds} or less")
        if not patch:
            path = "/HyperParameterTuningJobConfig/ResourceLimits/MaxRuntimeInSeconds"
            patch = (PatchOperation(op="add", path=path, value=seconds),)
    options.append("choose a cheaper instance type or a shorter StoppingCondition.MaxRuntimeInSeconds")
    return "To stay within the cap, " + "; or ".join(options) + ".", patch


def check(request: TuningRequest, context: EvaluationContext[BudgetCapSettings]) -> Iterator[Finding]:
    """Flag a worst case above the cap (a lower bound above it counts too)."""
    cost, cap = context.cost, context.policy.budget_cap_usd
    if not over_cap(cost.worst_case_usd, cap):
        return
    qualifier = "" if cost.complete else "at least "
    critical = cost.worst_case_usd >= context.settings.critical_multiple * cap > 0
    fix, patch = _fix(context)
    yield Finding(
        rule=RULE.id,
        severity=Severity.CRITICAL if critical else Severity.HIGH,
        message=(
            f"Worst-case cost is {qualifier}${cost.worst_case_usd:,.2f}, over the ${cap:,.2f} cap: "
            f"{cost.job_count} training jobs at up to ${cost.max_per_job_usd:,.2f} each."
        ),
        fix=fix,
        patch=patch,
        evidence={
            "worst_case_usd": cost.worst_case_usd,
            "cap_usd": cap,
            "complete": cost.complete,
            "job_count": cost.job_count,
            "job_count_basis": cost.job_count_basis,
            "jobs_bound_usd": cost.jobs_bound_usd,
            "wall_clock_bound_usd": cost.wall_clock_bound_usd,
            "binding_bound": cost.binding_bound,
        },
    )


RULE = Rule(
    id="budget-cap",
    title="Worst-case cost over the cap",
    check=check,
    category=Category.COST,
    settings=BudgetCapSettings,
    doc=RuleDoc(
        checks=(
            "The worst-case on-demand cost (the lower of the job-count and wall-clock bounds, see "
            "docs/architecture.md) above the policy's `budget_cap_usd`; critical from `critical_multiple` (10) "
            "times the cap. A lower bound (unknown prices) above the cap counts too."
        ),
        why=(
            "A tuning job runs up to MaxNumberOfTrainingJobs training jobs (750 when unset) at up to "
            "StoppingCondition.MaxRuntimeInSeconds each: an unbounded or oversized job can spend far more than "
            "anyone meant."
        ),
        example="ResourceLimits: {MaxParallelTrainingJobs: 10} with 2 x ml.p3.16xlarge for a day per job",
        fix=(
            "Lower MaxNumberOfTrainingJobs to what fits, or set ResourceLimits.MaxRuntimeInSeconds, "
            "or use cheaper instances."
        ),
    ),
)
