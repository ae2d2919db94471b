"""budget-cap: the worst-case cost of the tuning job is over the policy's cap."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rules.findings import Finding, Severity
from rules.models import TuningRequest
from rules.rule import EvaluationContext, Rule

# From this multiple of the cap on, the overrun is critical.
CRITICAL_MULTIPLE = 10


def _fixes(context: EvaluationContext) -> str:
    cost, cap = context.cost, context.policy.budget_cap_usd
    options = []
    if cost.max_per_job_usd > 0:
        jobs_that_fit = math.floor(cap / cost.max_per_job_usd)
        if jobs_that_fit >= 1:
            options.append(f"set MaxNumberOfTrainingJobs to {jobs_that_fit} or fewer")
    if cost.max_hourly_usd > 0:
        seconds = math.floor(cap / (cost.max_parallel_jobs * cost.max_hourly_usd) * 3600)
        if seconds >= 120:
            options.append(f"set ResourceLimits.MaxRuntimeInSeconds to {seconds} or less")
    options.append("choose a cheaper instance type or a shorter StoppingCondition.MaxRuntimeInSeconds")
    return "To stay within the cap, " + "; or ".join(options) + "."


def check(request: TuningRequest, context: EvaluationContext) -> Iterator[Finding]:
    """Flag a worst case above the cap (a lower bound above it counts too)."""
    cost, cap = context.cost, context.policy.budget_cap_usd
    if cost.worst_case_usd <= cap:
        return
    qualifier = "" if cost.complete else "at least "
    severity = Severity.CRITICAL if cost.worst_case_usd >= CRITICAL_MULTIPLE * cap > 0 else Severity.HIGH
    yield Finding(
        rule=RULE.id,
        severity=severity,
        message=(
            f"Worst-case cost is {qualifier}${cost.worst_case_usd:,.2f}, over the ${cap:,.2f} cap: "
            f"{cost.job_count} training jobs at up to ${cost.max_per_job_usd:,.2f} each."
        ),
        fix=_fixes(context),
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


RULE = Rule(id="budget-cap", title="Worst-case cost over the cap", check=check)
