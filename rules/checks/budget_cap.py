"""budget-cap: the worst-case cost of the tuning job is over the policy's cap."""

from __future__ import annotations

import math
from collections.abc import Iterator

from pydantic import Field

from rules.cost import over_cap, runtime_within_cap
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
    return runtime_within_cap(context.cost, context.policy.budget_cap_usd)


def _longest_training_seconds(context: EvaluationContext[BudgetCapSettings]) -> int:
    """The longest StoppingCondition.MaxRuntimeInSeconds of the definitions: what one training job may need."""
    return max(math.ceil(d.max_runtime_hours * 3600) for d in context.cost.definitions)


def _fix(context: EvaluationContext[BudgetCapSettings]) -> tuple[str, tuple[PatchOperation, ...]]:
    """The fix in words and as a patch. Every option it offers leaves a job that can complete a training job:
    a tuning-level MaxRuntimeInSeconds shorter than one training job's would stop them all unfinished."""
    cost, cap = context.cost, context.policy.budget_cap_usd
    jobs = _jobs_that_fit(context)
    longest = _longest_training_seconds(context)
    dearest = max(cost.definitions, key=lambda d: d.per_job_usd)
    if jobs < 1:
        # Neither fewer training jobs nor a tuning runtime limit can help: the limit that would fit the cap is
        # shorter than one training job, so every training job would be stopped before it finishes.
        alone = math.floor(cap / dearest.hourly_usd * 3600) if dearest.hourly_usd > 0 else 0
        return (
            f"No limit on the tuning job fixes this: one training job alone may cost ${dearest.per_job_usd:,.2f} "
            f"({dearest.instances} for up to {dearest.max_runtime_hours:g} h), over the ${cap:,.2f} cap, and a "
            "ResourceLimits.MaxRuntimeInSeconds short enough to fit the cap would stop every training job before it "
            "finishes. Choose a cheaper instance type or fewer instances, lower StoppingCondition.MaxRuntimeInSeconds "
            f"to what one training job really needs (one job fits the cap in {alone:,} s), or ask the policy's owner "
            "for a higher cap.",
            (),
        )
    options = [f"set MaxNumberOfTrainingJobs to {jobs} or fewer"]
    patch = (
        PatchOperation(
            op="add", path="/HyperParameterTuningJobConfig/ResourceLimits/MaxNumberOfTrainingJobs", value=jobs
        ),
    )
    seconds = _runtime_that_fits(context)
    if seconds >= max(longest, MIN_TUNING_RUNTIME_SECONDS):
        rounds = seconds // longest
        options.append(
            f"set ResourceLimits.MaxRuntimeInSeconds to {seconds} or less ({rounds} round{'s' if rounds > 1 else ''} "
            f"of {cost.max_parallel_jobs} training jobs of up to {longest:,} s)"
        )
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
    yield RULE.finding(
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
            "Lower MaxNumberOfTrainingJobs to what fits (the patch), or set ResourceLimits.MaxRuntimeInSeconds (only "
            "offered when it still lets one training job finish), or use cheaper instances. When one training job "
            "alone costs more than the cap, no limit on the tuning job helps: the fix says so and leaves the choice "
            "(cheaper instances, a shorter StoppingCondition, a higher cap) to a person."
        ),
    ),
)
