"""runtime-unbounded: no tuning-level MaxRuntimeInSeconds while each training job may run for many hours."""

from __future__ import annotations

import math
from collections.abc import Iterator

from pydantic import Field

from rules.cost import over_cap, runtime_within_cap
from rules.findings import Finding, PatchOperation, Severity
from rules.models import TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings

# ResourceLimits.MaxRuntimeInSeconds as the API accepts it (botocore: HyperParameterTuningMaxRuntimeInSeconds).
MIN_TUNING_RUNTIME_SECONDS = 120
MAX_TUNING_RUNTIME_SECONDS = 15_768_000
# The developer guide's default quota: a tuning job runs at most 30 days.
QUOTA_TUNING_RUNTIME_SECONDS = 30 * 24 * 3600
PATH = "/HyperParameterTuningJobConfig/ResourceLimits/MaxRuntimeInSeconds"


class RuntimeUnboundedSettings(RuleSettings):
    min_job_runtime_hours: float = Field(
        default=12.0, gt=0, description="flag from this per-job StoppingCondition.MaxRuntimeInSeconds, in hours"
    )
    long_wall_clock_hours: float = Field(
        default=720.0, gt=0, description="from this possible wall clock (hours) the severity is medium, not low"
    )
    proposed_max_runtime_hours: float | None = Field(
        default=None,
        gt=0,
        description=(
            "the tuning MaxRuntimeInSeconds to propose, in hours; default: the time the training jobs can take, "
            "at most 30 days"
        ),
    )


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    days = f" ({hours / 24:,.1f} days)" if hours >= 48 else ""
    return f"{hours:,.4g} h{days}" if hours < 1000 else f"{hours:,.0f} h{days}"


def proposal_seconds(bound_seconds: int, settings: RuntimeUnboundedSettings, job_seconds: int = 0) -> int:
    """The MaxRuntimeInSeconds to propose: the setting or the bound, within the quota and the API's range, and
    never shorter than one training job (`job_seconds`), which could then never finish."""
    wanted = bound_seconds
    if settings.proposed_max_runtime_hours is not None:
        wanted = min(wanted, math.ceil(settings.proposed_max_runtime_hours * 3600))
    wanted = max(wanted, job_seconds)
    return max(MIN_TUNING_RUNTIME_SECONDS, min(wanted, QUOTA_TUNING_RUNTIME_SECONDS, MAX_TUNING_RUNTIME_SECONDS))


def check(request: TuningRequest, context: EvaluationContext[RuntimeUnboundedSettings]) -> Iterator[Finding]:
    """Flag a missing tuning-level runtime limit when a training job may run `min_job_runtime_hours` or more."""
    if request.max_runtime_seconds is not None:
        return
    settings = context.settings
    job_seconds = max(d.max_runtime_seconds for d in request.definitions)
    if job_seconds < settings.min_job_runtime_hours * 3600:
        return
    jobs, parallel = context.cost.job_count, request.max_parallel_jobs
    rounds = math.ceil(jobs / parallel)
    bound = rounds * job_seconds
    proposal = proposal_seconds(bound, settings, job_seconds)
    cost, cap = context.cost, context.policy.budget_cap_usd
    within_cap = runtime_within_cap(cost, cap) if over_cap(cost.worst_case_usd, cap) else 0
    if job_seconds <= within_cap < proposal:
        # Over the cap, the limit proposed is the one budget-cap offers too: one piece of advice, not two.
        proposal = max(MIN_TUNING_RUNTIME_SECONDS, within_cap)
    quota = (
        "; SageMaker's 30-day limit per tuning job (default quota) would end it first"
        if bound > QUOTA_TUNING_RUNTIME_SECONDS
        else ""
    )
    basis = "" if request.max_training_jobs is not None else f" ({context.cost.job_count_basis})"
    yield RULE.finding(
        severity=Severity.MEDIUM if bound >= settings.long_wall_clock_hours * 3600 else Severity.LOW,
        message=(
            f"The tuning job sets no ResourceLimits.MaxRuntimeInSeconds and each training job may run up to "
            f"{_hours(job_seconds)}: its wall clock is bounded only by {jobs} training jobs{basis} / {parallel} in "
            f"parallel = {rounds} rounds x {_hours(job_seconds)} = {_hours(bound)}{quota}."
        ),
        fix=(
            f"Set ResourceLimits.MaxRuntimeInSeconds to the longest you are willing to wait, for example "
            f"{proposal} s = {_hours(proposal)}; SageMaker accepts {MIN_TUNING_RUNTIME_SECONDS} .. "
            f"{MAX_TUNING_RUNTIME_SECONDS:,} s."
        ),
        patch=(PatchOperation(op="add", path=PATH, value=proposal),),
        evidence={
            "job_runtime_hours": round(job_seconds / 3600, 4),
            "threshold_job_runtime_hours": settings.min_job_runtime_hours,
            "training_jobs": jobs,
            "job_count_basis": context.cost.job_count_basis,
            "max_parallel_jobs": parallel,
            "rounds": rounds,
            "wall_clock_bound_hours": round(bound / 3600, 4),
            "beyond_30_day_quota": bound > QUOTA_TUNING_RUNTIME_SECONDS,
            "proposed_max_runtime_seconds": proposal,
        },
    )


RULE = Rule(
    id="runtime-unbounded",
    title="No wall-clock limit on a tuning job with long training jobs",
    check=check,
    category=Category.COST,
    settings=RuntimeUnboundedSettings,
    doc=RuleDoc(
        checks=(
            "A tuning job without ResourceLimits.MaxRuntimeInSeconds whose training jobs may each run "
            "`min_job_runtime_hours` (12) or more (StoppingCondition.MaxRuntimeInSeconds; SageMaker's default is "
            "one day when it is left out). Low; medium when the possible wall clock reaches "
            "`long_wall_clock_hours` (720, i.e. 30 days)."
        ),
        why=(
            "Without a tuning-level limit the job ends only when every training job has run: up to "
            "ceil(training jobs / parallel jobs) rounds of the longest per-job runtime. 750 jobs (the default when "
            "MaxNumberOfTrainingJobs is unset), 10 in parallel and 24 h each is 75 rounds, 1,800 hours, so only "
            "SageMaker's 30-day limit per tuning job stops it. A MaxRuntimeInSeconds also gives the cost model its "
            "wall-clock bound."
        ),
        example="ResourceLimits: {MaxParallelTrainingJobs: 10}, StoppingCondition: {MaxRuntimeInSeconds: 86400}",
        fix=(
            "Set ResourceLimits.MaxRuntimeInSeconds (120 .. 15,768,000 s). The patch proposes "
            "`proposed_max_runtime_hours` when the policy sets it, else the time the training jobs can take, "
            "capped at 30 days; never less than one training job's StoppingCondition.MaxRuntimeInSeconds, so a "
            "training job can always finish."
        ),
    ),
)
