"""Worst-case cost of a tuning job (the model in docs/architecture.md).

Per definition d, hourly_d is the sum of InstanceCount x price over the instances a training job
uses together (InstanceGroups), taking the dearest alternative when InstanceConfigs lets
SageMaker choose. Then:

- bound A (job count):  N x max_d(hourly_d x MaxRuntimeInSeconds_d / 3600)
- bound B (wall clock): MaxParallelTrainingJobs x max_d(hourly_d) x tuning MaxRuntimeInSeconds / 3600,
  only when the tuning job has a MaxRuntimeInSeconds
- worst case = min(A, B), on-demand (a managed-spot discount is not known in advance).

N is MaxNumberOfTrainingJobs, else the Grid combination count, else the policy's default (the
750-job quota). Storage, warm pools and data transfer are left out and said so.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

from rules.models import Strategy, TrainingDefinition, TuningRequest
from rules.prices import PriceBook, PriceQuote, PriceSource

LEFT_OUT = ("storage volumes", "warm pools (KeepAlivePeriodInSeconds)", "data transfer")


def over_cap(cost_usd: float, cap_usd: float) -> bool:
    """Whether a worst case counts as costly: strictly above the cap (the stack's BudgetCapUsd is "the cost
    above which a job is flagged"), so a job exactly at the cap is neither flagged nor stopped. The
    `budget-cap` rule and the decision both ask this, so they never disagree."""
    return cost_usd > cap_usd


def runtime_within_cap(cost: CostEstimate, cap_usd: float) -> int:
    """The longest tuning-level MaxRuntimeInSeconds whose wall-clock bound stays within the cap (every parallel
    slot busy on the dearest definition); 0 when no hourly price is known. `budget-cap` offers it and
    `runtime-unbounded` proposes no more than it, so the two never advise different limits."""
    if cost.max_hourly_usd <= 0:
        return 0
    return math.floor(cap_usd / (cost.max_parallel_jobs * cost.max_hourly_usd) * 3600)


class DefinitionCost(BaseModel):
    model_config = ConfigDict(frozen=True)

    definition: str
    hourly_usd: float
    per_job_usd: float
    max_runtime_hours: float
    instances: str
    unpriced: tuple[str, ...] = ()


class CostEstimate(BaseModel):
    """The worst-case on-demand cost and how it was reached."""

    model_config = ConfigDict(frozen=True)

    worst_case_usd: float
    complete: bool
    job_count: int
    job_count_basis: str
    jobs_bound_usd: float
    wall_clock_bound_usd: float | None
    binding_bound: str
    max_parallel_jobs: int
    definitions: tuple[DefinitionCost, ...]
    unpriced_instance_types: tuple[str, ...]
    region: str
    prices_as_of: str
    quotes: tuple[PriceQuote, ...] = ()
    left_out: tuple[str, ...] = LEFT_OUT

    @property
    def estimated_instance_types(self) -> tuple[str, ...]:
        """Instance types priced from another region's figure."""
        return tuple(q.instance_type for q in self.quotes if q.source is PriceSource.ESTIMATE)

    @property
    def price_basis(self) -> str:
        """ "complete" (every price known for the region), "estimated" (some from another region) or
        "unknown" (some price missing: the worst case is a lower bound)."""
        if self.unpriced_instance_types:
            return "unknown"
        return "estimated" if self.estimated_instance_types else "complete"

    def price_lines(self) -> list[str]:
        """Each price the estimate used, with its source: 'ml.p4d.24xlarge $25.25/h, live from ...'."""
        lines = [f"{q.instance_type} ${q.usd_per_hour:,.3f}/h, {q.describe()}" for q in self.quotes]
        lines += [f"{t}: no price known" for t in self.unpriced_instance_types]
        return lines

    @property
    def max_hourly_usd(self) -> float:
        return max(d.hourly_usd for d in self.definitions)

    @property
    def max_per_job_usd(self) -> float:
        return max(d.per_job_usd for d in self.definitions)

    def unspent_after(self, elapsed_seconds: float) -> float:
        """The part of the worst case not yet spent after running `elapsed_seconds` at full parallelism."""
        spent = self.max_parallel_jobs * self.max_hourly_usd * elapsed_seconds / 3600
        return max(0.0, self.worst_case_usd - spent)

    def describe(self) -> str:
        """One paragraph saying how the worst case was computed."""
        dearest = max(self.definitions, key=lambda d: d.per_job_usd)
        lines = [
            f"{self.job_count} training jobs ({self.job_count_basis}) x up to "
            f"{dearest.max_runtime_hours:g} h x ${dearest.hourly_usd:,.3f}/h ({dearest.instances}) "
            f"= ${self.jobs_bound_usd:,.2f}"
        ]
        if self.wall_clock_bound_usd is None:
            lines.append("no wall-clock bound (the tuning job sets no MaxRuntimeInSeconds)")
        else:
            lines.append(
                f"wall-clock bound: {self.max_parallel_jobs} parallel x ${self.max_hourly_usd:,.3f}/h x "
                f"tuning MaxRuntimeInSeconds = ${self.wall_clock_bound_usd:,.2f}"
            )
        lines.append(f"worst case = the {self.binding_bound} bound, on-demand prices for {self.region}")
        if not self.complete:
            lines.append("no price known for " + ", ".join(self.unpriced_instance_types) + ", so this is a lower bound")
        if self.quotes:
            lines.append("prices: " + "; ".join(self.price_lines()[: len(self.quotes)]))
        lines.append("not included: " + ", ".join(self.left_out))
        return "; ".join(lines) + "."


def grid_combinations(request: TuningRequest) -> int:
    """Distinct combinations a Grid search walks through (the largest over definitions)."""
    return max(math.prod(len(c.values) for c in d.categorical) if d.categorical else 1 for d in request.definitions)


def _job_count(request: TuningRequest, default_job_count: int) -> tuple[int, str]:
    if request.max_training_jobs is not None:
        return request.max_training_jobs, "MaxNumberOfTrainingJobs"
    if request.strategy is Strategy.GRID:
        return grid_combinations(request), "Grid combinations; MaxNumberOfTrainingJobs not set"
    return default_job_count, "default quota; MaxNumberOfTrainingJobs not set"


def _definition_cost(definition: TrainingDefinition, quotes: dict[str, PriceQuote | None]) -> DefinitionCost:
    unpriced: list[str] = []
    best_hourly, best_label = 0.0, ""
    for alternative in definition.compute:
        hourly = 0.0
        for allocation in alternative:
            quote = quotes[allocation.instance_type]
            if quote is None:
                unpriced.append(allocation.instance_type)
                continue
            hourly += quote.usd_per_hour * allocation.instance_count
        label = " + ".join(f"{a.instance_count} x {a.instance_type}" for a in alternative)
        if hourly >= best_hourly:
            best_hourly, best_label = hourly, label
    hours = definition.max_runtime_seconds / 3600
    return DefinitionCost(
        definition=definition.label,
        hourly_usd=best_hourly,
        per_job_usd=best_hourly * hours,
        max_runtime_hours=hours,
        instances=best_label,
        unpriced=tuple(dict.fromkeys(unpriced)),
    )


def estimate_cost(request: TuningRequest, prices: PriceBook, region: str, default_job_count: int) -> CostEstimate:
    """The worst-case cost of a tuning request in a region; each instance type is priced once."""
    instance_types = dict.fromkeys(
        allocation.instance_type
        for definition in request.definitions
        for alternative in definition.compute
        for allocation in alternative
    )
    quotes = {instance_type: prices.quote(region, instance_type) for instance_type in instance_types}
    definitions = tuple(_definition_cost(d, quotes) for d in request.definitions)
    job_count, basis = _job_count(request, default_job_count)
    jobs_bound = job_count * max(d.per_job_usd for d in definitions)
    wall_clock_bound = None
    if request.max_runtime_seconds is not None:
        hourly = max(d.hourly_usd for d in definitions)
        wall_clock_bound = request.max_parallel_jobs * hourly * request.max_runtime_seconds / 3600
    if wall_clock_bound is not None and wall_clock_bound < jobs_bound:
        worst, binding = wall_clock_bound, "wall-clock"
    else:
        worst, binding = jobs_bound, "job-count"
    unpriced = tuple(dict.fromkeys(t for d in definitions for t in d.unpriced))
    return CostEstimate(
        worst_case_usd=round(worst, 2),
        complete=not unpriced,
        job_count=job_count,
        job_count_basis=basis,
        jobs_bound_usd=round(jobs_bound, 2),
        wall_clock_bound_usd=None if wall_clock_bound is None else round(wall_clock_bound, 2),
        binding_bound=binding,
        max_parallel_jobs=request.max_parallel_jobs,
        definitions=definitions,
        unpriced_instance_types=unpriced,
        region=region,
        prices_as_of=prices.as_of,
        quotes=tuple(q for q in quotes.values() if q is not None),
    )
