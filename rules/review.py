"""The review of a finished tuning job: what it actually cost, what its training jobs taught, and how the budget fit.

Pure functions over `FinishedTuningJob` (rules/review_inputs.py): the adapter lists and describes, this module
judges. Each point is a `Finding` with a stable `review-*` rule id, a severity, the evidence as numbers, a
message in words and advice; `REVIEW_RULES` documents them (docs/rules.md, "Review rules"). Info findings give
context (the spend, where the best was found); from low on, the review has something to say.

One pass over the training jobs per point, no sorting beyond what ranks the best few: a review of a few thousand
training jobs stays in milliseconds (bench/review.py).
"""

from __future__ import annotations

import heapq
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from rules.checks.log_scale import RULE as LOG_SCALE_RULE
from rules.checks.log_scale import LogScaleSettings
from rules.findings import Evidence, Finding, Severity
from rules.models import InstanceAllocation, ParameterRange, RangeKind, ScalingType, Strategy, TrainingDefinition
from rules.policy import Policy
from rules.prices import PriceBook, PriceQuote
from rules.review_inputs import (
    FinishedTuningJob,
    ObjectiveStatus,
    ObjectiveType,
    TrainingJobStatus,
    TrainingRun,
    TuningJobStatus,
    TuningObjective,
)
from rules.rule import DOCS_PAGE, PolicyView

SPEND = "review-spend"
RANGE_EDGE = "review-range-edge"
WASTED_TRIALS = "review-wasted-trials"
BUDGET_FIT = "review-budget-fit"
FAILED_TRIALS = "review-failed-trials"
EARLY_STOPPING = "review-early-stopping"
NO_RESULTS = "review-no-results"
MISSING_OBJECTIVE = "review-missing-objective"

# The wide-range thresholds are the `log-scale` rule's, so the review's evidence answers exactly the ranges that
# rule flags at creation.
_LOG_SCALE_DEFAULTS = LogScaleSettings()


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReviewSettings(_Frozen):
    """The review's thresholds. `under(policy)` takes the wide-range ratios from the policy's `log-scale` settings."""

    edge_tolerance: float = Field(
        default=0.05, gt=0, le=0.25, description="share of a range's width, on its scale, that counts as its edge"
    )
    best_few: int = Field(default=3, ge=1, le=20, description="how many of the best training jobs the edge test reads")
    wide_ratio: float = Field(default=_LOG_SCALE_DEFAULTS.min_ratio, gt=1)
    hinted_wide_ratio: float = Field(default=_LOG_SCALE_DEFAULTS.hinted_min_ratio, gt=1)
    min_top_decade_share: float = Field(
        default=0.5, gt=0, le=1, description="share of training jobs in the top decade from which trials were wasted"
    )
    min_training_jobs: int = Field(
        default=5, ge=1, description="training jobs a share needs before the review reads anything into it"
    )
    objective_margin: float = Field(
        default=0.1,
        ge=0,
        lt=1,
        description="share of the objective's spread (best to worst) within which two medians count as the same",
    )
    failed_share: float = Field(
        default=0.1, gt=0, le=1, description="failed share from which failures are a medium finding (below it: low)"
    )
    high_failed_share: float = Field(default=0.5, gt=0, le=1)
    early_best_share: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="best found within this share of the training jobs: the budget was larger than the search needed",
    )
    late_best_share: float = Field(
        default=0.9, gt=0, lt=1, description="best found after this share: the search may not have converged"
    )

    @classmethod
    def under(cls, policy: PolicyView, **overrides: float) -> ReviewSettings:
        """The defaults with the policy's `log-scale` ratios (so review and creation agree on "wide")."""
        log_scale = LOG_SCALE_RULE.settings_under(policy)
        values: dict[str, float] = {"wide_ratio": log_scale.min_ratio, "hinted_wide_ratio": log_scale.hinted_min_ratio}
        return cls.model_validate(values | overrides)


# --- the catalogue, for docs/rules.md ------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRule:
    """A review rule's entry in docs/rules.md."""

    id: str
    title: str
    severity: str
    checks: str
    example: str

    @property
    def anchor(self) -> str:
        return f"{DOCS_PAGE}#{self.id}"


REVIEW_RULES: tuple[ReviewRule, ...] = (
    ReviewRule(
        SPEND,
        "Actual spend next to the worst case",
        "info; low when a price or a training job's billable time is missing (the figure is then a lower bound); "
        "medium when the spend exceeds the worst case estimated at creation",
        "BillableTimeInSeconds (DescribeTrainingJob) x InstanceCount x the on-demand price per instance-hour, from "
        "the same price sources as the worst case (live, cached, bundled, estimated from another region), per "
        "training job definition and in total, next to the worst case estimated at creation. A missing price is "
        "never counted as $0: the training jobs it concerns are left out and named. Managed spot training jobs "
        "are priced at the on-demand rate of their billed seconds: AWS counts the spot savings in "
        "BillableTimeInSeconds itself (savings = 1 - BillableTimeInSeconds / TrainingTimeInSeconds, reported from "
        "TrainingTimeInSeconds), so the figure is an upper bound as long as a billed spot second costs no more than "
        "an on-demand one, and says so.",
        "Evidence: actual $412.80 over 100 training jobs (448 instance-hours), worst case at creation $5,000 "
        "(8.3%). Advice: none needed; the report compares actual spend with the worst case.",
    ),
    ReviewRule(
        RANGE_EDGE,
        "Best training job at the edge of a range",
        "medium when the best training job sits at the edge; low when only most of the best few do",
        "For each continuous and integer range, whether the best training job (and the best few, `best_few` = 3) "
        "sits within `edge_tolerance` (5%) of the range's width from MinValue or MaxValue, measured on the scale "
        "the range used: log distance for Logarithmic, distance of 1 - x on a log scale for ReverseLogarithmic, "
        "linear otherwise. SageMaker documents that under Auto it chooses the scale itself (starting linear), "
        "so a positive Auto range counts as at an edge only when it is on both the linear and the log scale. A "
        "value equal to MinValue or MaxValue is always at the edge (integer ranges). Categorical ranges are "
        "skipped: their values have no order.",
        "Evidence: best learning_rate 0.00012 sits at the lower edge of 0.0001 .. 0.1: the optimum may lie "
        "below. Advice: widen the range downwards (for example MinValue 1e-05).",
    ),
    ReviewRule(
        WASTED_TRIALS,
        "Training jobs spent in the top decade of a wide linear range",
        "medium; high when the other training jobs' median objective was better than the top decade's, low when "
        "it was worse, by more than `objective_margin` (10%) of the objective's spread",
        "A range the `log-scale` rule calls wide (MaxValue/MinValue from its `min_ratio`, 100, or "
        "`hinted_min_ratio`, 10, for log-natured names) and spanning more than one decade, searched on a Linear or "
        "Auto scale: the share of training jobs whose value landed in the top decade (MaxValue/10 .. MaxValue), "
        "reported from "
        "`min_top_decade_share` (50%) with at least `min_training_jobs` (5) training jobs, and the median "
        "objective of those training jobs against the others', respecting Minimize or Maximize.",
        "Evidence: 46 of 50 training jobs (92%) landed in the top decade 0.1 .. 1 of learning_rate; their median "
        "validation:loss 0.41 against 0.28 for the other 4 (lower is better). Advice: set ScalingType to "
        "Logarithmic.",
    ),
    ReviewRule(
        BUDGET_FIT,
        "Where in the budget the best training job came",
        "info; low when the best came within the first `early_best_share` (50%) of the training jobs or after "
        "`late_best_share` (90%), from `min_training_jobs` (5) training jobs; always info under Random search; not "
        "reported under Grid search",
        "The position of the best training job in creation order (for example 14 of 100) and what the training "
        "jobs launched after it cost. Training jobs that reached the same objective value are counted as ties: the "
        'earliest is reported, and "early" is judged on the last of them. Random search draws each training job '
        "independently, so where the best came is chance (info); Grid search enumerates its combinations in an "
        "order of its own, so the position says nothing and the rule is skipped.",
        "Evidence: the best training job was the 14th of 100; the 86 after it cost $355. Advice: a smaller "
        "MaxNumberOfTrainingJobs or TuningJobCompletionCriteria (BestObjectiveNotImproving) would have ended "
        "the search sooner.",
    ),
    ReviewRule(
        FAILED_TRIALS,
        "Failed and stopped training jobs",
        "low below `failed_share` (10%) failed, medium from it, high from `high_failed_share` (50%); info when "
        "training jobs were only stopped (all failed: `review-no-results`)",
        "The training jobs that failed, their share and their most common FailureReason, and the training jobs "
        "stopped and their share: by early stopping or with the tuning job, by Hyperband (which stops "
        "under-performing training jobs itself) under the Hyperband strategy, otherwise with the tuning job or "
        "by hand.",
        "Evidence: 12 of 100 training jobs failed (12%), most often: AlgorithmError: CUDA out of memory. "
        "Advice: fix the cause before the next tuning job; failed training jobs still bill their time.",
    ),
    ReviewRule(
        EARLY_STOPPING,
        "What early stopping did",
        "info; low when early stopping was on but stopped none of at least `min_training_jobs` (5) training jobs",
        "With TrainingJobEarlyStoppingType Auto: the training jobs stopped, what they billed, and an estimate of "
        "the billable time they did not use (the definition's median completed training job, minus what each "
        "stopped one billed). When the tuning job itself was stopped, its running training jobs are stopped "
        "too and the API does not tell the two apart: the evidence says so.",
        "Evidence: early stopping stopped 23 of 100 training jobs; they billed 4.1 h; about 23.5 h unused "
        "(estimate). Advice: none needed.",
    ),
    ReviewRule(
        NO_RESULTS,
        "No training job produced an objective value",
        "high",
        "No training job reported a final objective value: none launched, all failed, or none completed "
        "with the metric. Nothing else can be ranked.",
        "Evidence: all 20 training jobs failed, most often: ClientError: no such file. Advice: fix the cause "
        "and check the metric definition before running again.",
    ),
    ReviewRule(
        MISSING_OBJECTIVE,
        "Completed training jobs without an objective value",
        "medium",
        "Completed training jobs whose final objective metric is missing (ObjectiveStatus Failed or no value): "
        "the tuning job could not learn from them.",
        "Evidence: 7 of 40 completed training jobs reported no validation:auc. Advice: check that the "
        "algorithm emits the metric and that the metric definition's regex matches it.",
    ),
)


def review_rule(rule_id: str) -> ReviewRule:
    """The catalogue entry of a review rule id."""
    for rule in REVIEW_RULES:
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)


# --- the summary ---------------------------------------------------------------------------------------


class DefinitionSpend(_Frozen):
    """What one training job definition's training jobs cost."""

    definition: str
    training_jobs: int
    billable_seconds: int = Field(description="summed over the training jobs that have a billable time")
    instance_hours: float = Field(description="billable time x instance count, in hours")
    usd: float = Field(description="the priced part; see complete")
    complete: bool
    unpriced_instance_types: tuple[str, ...] = ()
    unpriced_instance_hours: float = 0.0
    training_jobs_without_billing: int = Field(default=0, description="no DescribeTrainingJob result given")
    managed_spot: bool = False
    spot_training_seconds: int = Field(
        default=0, description="TrainingTimeInSeconds of the spot training jobs that report it and a billable time"
    )
    spot_billable_seconds: int = Field(default=0, description="BillableTimeInSeconds of those same training jobs")
    dearest_alternative_assumed: int = Field(
        default=0, description="training jobs priced at the dearest InstanceConfig (which one ran is not known)"
    )


class ActualSpend(_Frozen):
    """The actual spend of a tuning job next to the worst case estimated at creation."""

    usd: float = Field(description="the priced part; a lower bound when not complete")
    complete: bool = Field(description="False when a price or a billable time is missing")
    upper_bound: bool = Field(
        description="True when managed spot training jobs are priced on demand, or training jobs at the dearest of "
        "their definition's InstanceConfigs"
    )
    managed_spot: bool = Field(default=False, description="True when some training jobs ran on managed spot")
    instance_hours: float
    definitions: tuple[DefinitionSpend, ...]
    unpriced_instance_types: tuple[str, ...] = ()
    training_jobs_without_billing: int = 0
    worst_case_usd: float | None = None
    worst_case_complete: bool = True
    region: str
    prices: tuple[str, ...] = Field(default=(), description="each price used, with its source")

    @property
    def share_of_worst_case(self) -> float | None:
        if self.worst_case_usd is None or self.worst_case_usd <= 0:
            return None
        return self.usd / self.worst_case_usd

    @property
    def spot_savings_share(self) -> float | None:
        """What managed spot saved, as AWS's DescribeTrainingJob documents it (BillableTimeInSeconds):
        1 - BillableTimeInSeconds / TrainingTimeInSeconds, over the spot training jobs that report both."""
        training = sum(line.spot_training_seconds for line in self.definitions)
        if training <= 0:
            return None
        billed = sum(line.spot_billable_seconds for line in self.definitions)
        return max(0.0, 1 - billed / training)

    def describe(self) -> str:
        """The spend in words: '$412.80 (upper bound: managed spot priced on demand) against a worst case ...'."""
        words = f"{'at least ' if not self.complete else ''}{_usd(self.usd)}"
        words += f" over {_hours(self.instance_hours)} instance-hours"
        if self.managed_spot:
            words += " (an upper bound: managed spot training jobs' billed seconds at the on-demand rate)"
        elif self.upper_bound:
            words += " (an upper bound: training jobs priced at the dearest instance type they could have used)"
        if self.worst_case_usd is not None:
            share = self.share_of_worst_case
            at_least = "at least " if not self.worst_case_complete else ""
            words += f", against a worst case of {at_least}{_usd(self.worst_case_usd)} estimated at creation"
            words += f" ({_percent(share)})" if share is not None else ""
        if self.unpriced_instance_types:
            words += f"; no price known for {', '.join(self.unpriced_instance_types)}"
        if self.training_jobs_without_billing:
            words += f"; {self.training_jobs_without_billing} training job(s) without a billable time"
        return words


class BestTrainingJob(_Frozen):
    """The training job with the best final objective value."""

    name: str
    definition: str | None = None
    objective_value: float
    metric: str
    hyperparameters: dict[str, str] = Field(default_factory=dict)
    position: int = Field(ge=1, description="its place among the training jobs in creation order")
    of: int = Field(ge=1)
    ties: int = Field(
        default=0, ge=0, description="other training jobs with the same objective value (it is the earliest)"
    )


class ReviewCounts(_Frozen):
    launched: int
    completed: int
    failed: int
    stopped: int
    other: int = Field(description="InProgress, Stopping or Deleting when the review ran")
    with_objective: int


class TuningJobReview(_Frozen):
    """Everything the review found about one finished tuning job; `model_dump(mode="json")` goes to the audit."""

    job_name: str
    status: TuningJobStatus
    region: str
    objective: TuningObjective | None
    counts: ReviewCounts
    spend: ActualSpend
    best: BestTrainingJob | None
    findings: tuple[Finding, ...]

    @property
    def has_something_to_say(self) -> bool:
        """True when a finding is above info (the spend and the best's position alone are context)."""
        return any(f.severity.rank > Severity.INFO.rank for f in self.findings)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule for f in self.findings))

    def lines(self) -> list[str]:
        """The review as text lines, in a stable order (findings by severity, then rule, then parameter)."""
        c = self.counts
        lines = [
            f"Review of tuning job {self.job_name} ({self.status.value}, {self.region})",
            f"training jobs: {c.launched} launched, {c.completed} completed, {c.failed} failed, {c.stopped} stopped"
            + (f", {c.other} other" if c.other else ""),
            f"actual spend: {self.spend.describe()}",
        ]
        if self.best is not None and self.objective is not None:
            tuned = ", ".join(f"{k}={v}" for k, v in sorted(self.best.hyperparameters.items()))
            lines.append(
                f"best: {self.best.name} {self.best.metric} {_number(self.best.objective_value)} "
                f"({self.objective.type.value}), training job {self.best.position} of {self.best.of}"
                + (f" (the earliest of {self.best.ties + 1} with that value)" if self.best.ties else "")
                + (f"; {tuned}" if tuned else "")
            )
        for finding in self.findings:
            lines.append(f"[{finding.severity.value}] {finding.rule}: {finding.message}")
            lines.append(f"    advice: {finding.fix}")
        return lines


# --- words ---------------------------------------------------------------------------------------------


def _usd(amount: float) -> str:
    return f"${amount:,.2f}" if abs(amount) < 100 else f"${amount:,.0f}"


def _number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.6g}"


def _percent(share: float) -> str:
    percent = share * 100
    if 0 < percent < 0.1:
        return f"{percent:.2g}%"
    if 99.9 < percent < 100:
        return ">99.9%"
    return f"{percent:.3g}%"


def _hours(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value else "0"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _finding(
    rule_id: str,
    severity: Severity,
    message: str,
    fix: str,
    evidence: Evidence,
    *,
    parameter: str | None = None,
    definition: str | None = None,
    platform_note: str | None = None,
) -> Finding:
    return Finding(
        rule=rule_id,
        severity=severity,
        message=message,
        fix=fix,
        evidence=evidence,
        parameter=parameter,
        definition=definition,
        platform_note=platform_note,
        doc=review_rule(rule_id).anchor,
    )


# --- reading the training jobs -------------------------------------------------------------------------

# A tuned value as SageMaker writes it: a decimal or exponent number. The SageMaker Python SDK JSON-encodes
# hyperparameters of framework estimators, so '"0.001"' (quoted) occurs too.
_TUNED_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def tuned_number(text: str) -> float | None:
    """A tuned hyperparameter's value as a number, or None when it is not one."""
    value = text.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].strip()
    if not _TUNED_NUMBER.fullmatch(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _best_few(runs: Iterable[TrainingRun], objective: TuningObjective, count: int) -> list[TrainingRun]:
    """The `count` training jobs with the best objective values, best first; ties go to the earlier one."""
    sign = 1.0 if objective.type is ObjectiveType.MINIMIZE else -1.0
    usable = (r for r in runs if _has_objective(r))
    return heapq.nsmallest(count, usable, key=lambda r: (sign * (r.objective_value or 0.0), r.creation_time, r.name))


def _has_objective(run: TrainingRun) -> bool:
    return run.objective_value is not None and run.objective_status in (None, ObjectiveStatus.SUCCEEDED)


def _in_creation_order(runs: Iterable[TrainingRun]) -> list[TrainingRun]:
    return sorted(runs, key=lambda r: (r.creation_time, r.name))


def _definition_of(job: FinishedTuningJob, run: TrainingRun) -> TrainingDefinition | None:
    """The definition a training job ran; with one definition, every training job's."""
    definitions = job.request.definitions
    if len(definitions) == 1:
        return definitions[0]
    return next((d for d in definitions if d.name is not None and d.name == run.definition_name), None)


def _runs_by_definition(job: FinishedTuningJob) -> dict[int, list[TrainingRun]]:
    """Training jobs by the index of their definition (-1: a definition the request does not name)."""
    index = {id(d): i for i, d in enumerate(job.request.definitions)}
    grouped: dict[int, list[TrainingRun]] = {}
    for run in job.training_jobs:
        definition = _definition_of(job, run)
        grouped.setdefault(-1 if definition is None else index[id(definition)], []).append(run)
    return grouped


# --- actual spend ----------------------------------------------------------------------------------------


class _Prices:
    """One quote per instance type for the whole review (the price book may call an API)."""

    def __init__(self, book: PriceBook, region: str) -> None:
        self._book, self._region = book, region
        self.quotes: dict[str, PriceQuote | None] = {}

    def hourly(self, instance_type: str) -> float | None:
        if instance_type not in self.quotes:
            self.quotes[instance_type] = self._book.quote(self._region, instance_type)
        quote = self.quotes[instance_type]
        return None if quote is None else quote.usd_per_hour


@dataclass
class _RunCost:
    usd: float | None  # None: a price is missing
    instance_hours: float
    unpriced: tuple[str, ...]
    dearest_assumed: bool


def _allocations(
    run: TrainingRun, definition: TrainingDefinition | None, prices: _Prices
) -> tuple[tuple[InstanceAllocation, ...], bool]:
    """The instances a training job ran on: DescribeTrainingJob's, else its definition's (the dearest alternative
    when InstanceConfigs let SageMaker choose; True says so)."""
    if run.billing is not None and run.billing.instances:
        return run.billing.instances, False
    if definition is None or not definition.compute:
        return (), False
    if len(definition.compute) == 1:
        return definition.compute[0], False

    def hourly(alternative: tuple[InstanceAllocation, ...]) -> float:
        return sum((prices.hourly(a.instance_type) or math.inf) * a.instance_count for a in alternative)

    return max(definition.compute, key=hourly), True


def _run_cost(run: TrainingRun, definition: TrainingDefinition | None, prices: _Prices) -> _RunCost | None:
    """What one training job cost; None when its billable time is not known."""
    if run.billing is None:
        return None
    seconds = run.billing.billable_seconds or 0
    allocations, dearest = _allocations(run, definition, prices)
    if not allocations:
        return _RunCost(None, 0.0, ("unknown instance type",), False)
    usd: float | None = 0.0
    unpriced: list[str] = []
    instance_hours = 0.0
    for allocation in allocations:
        hours = seconds * allocation.instance_count / 3600
        instance_hours += hours
        hourly = prices.hourly(allocation.instance_type)
        if hourly is None:
            unpriced.append(allocation.instance_type)
            usd = None
        elif usd is not None:
            usd += hours * hourly
    return _RunCost(usd, instance_hours, tuple(unpriced), dearest)


def _is_spot(run: TrainingRun, definition: TrainingDefinition | None) -> bool:
    if run.billing is not None and run.billing.managed_spot is not None:
        return run.billing.managed_spot
    return definition.managed_spot if definition is not None else False


def actual_spend(job: FinishedTuningJob, prices: PriceBook) -> tuple[ActualSpend, dict[str, float]]:
    """The actual spend, and the priced cost of each training job by name (for the budget-fit evidence)."""
    return _actual_spend(job, _Prices(prices, job.region))


def _actual_spend(job: FinishedTuningJob, book: _Prices) -> tuple[ActualSpend, dict[str, float]]:
    per_run: dict[str, float] = {}
    lines: list[DefinitionSpend] = []
    grouped = _runs_by_definition(job)
    for index in sorted(grouped):
        definition = job.request.definitions[index] if index >= 0 else None
        runs = grouped[index]
        label = definition.label if definition is not None else "training jobs of an unknown definition"
        usd, hours, unpriced_hours, seconds = 0.0, 0.0, 0.0, 0
        unpriced: dict[str, None] = {}
        without_billing = dearest = spot_training = spot_billed = 0
        spot = False
        for run in runs:
            cost = _run_cost(run, definition, book)
            if cost is None:
                without_billing += 1
                continue
            seconds += run.billable_seconds or 0
            hours += cost.instance_hours
            on_spot = _is_spot(run, definition)
            spot = spot or on_spot
            training_seconds = run.billing.training_seconds if run.billing is not None else None
            if on_spot and training_seconds is not None and run.billable_seconds is not None:
                spot_training += training_seconds
                spot_billed += run.billable_seconds
            dearest += cost.dearest_assumed
            if cost.usd is None:
                unpriced.update(dict.fromkeys(cost.unpriced))
                unpriced_hours += cost.instance_hours
            else:
                usd += cost.usd
                per_run[run.name] = cost.usd
        lines.append(
            DefinitionSpend(
                definition=label,
                training_jobs=len(runs),
                billable_seconds=seconds,
                instance_hours=round(hours, 4),
                usd=round(usd, 2),
                complete=not unpriced and not without_billing,
                unpriced_instance_types=tuple(unpriced),
                unpriced_instance_hours=round(unpriced_hours, 4),
                training_jobs_without_billing=without_billing,
                managed_spot=spot,
                spot_training_seconds=spot_training,
                spot_billable_seconds=spot_billed,
                dearest_alternative_assumed=dearest,
            )
        )
    unpriced_all = tuple(dict.fromkeys(t for line in lines for t in line.unpriced_instance_types))
    used = [q for q in book.quotes.values() if q is not None]
    spend = ActualSpend(
        usd=round(sum(line.usd for line in lines), 2),
        complete=all(line.complete for line in lines),
        upper_bound=any(line.managed_spot or line.dearest_alternative_assumed for line in lines),
        managed_spot=any(line.managed_spot for line in lines),
        instance_hours=round(sum(line.instance_hours for line in lines), 4),
        definitions=tuple(lines),
        unpriced_instance_types=unpriced_all,
        training_jobs_without_billing=sum(line.training_jobs_without_billing for line in lines),
        worst_case_usd=job.worst_case_usd,
        worst_case_complete=job.worst_case_complete,
        region=job.region,
        prices=tuple(f"{q.instance_type} ${q.usd_per_hour:,.3f}/h, {q.describe()}" for q in used),
    )
    return spend, per_run


def _spend_finding(job: FinishedTuningJob, spend: ActualSpend) -> Finding:
    evidence: Evidence = {
        "actual_spend_usd": spend.usd,
        "actual_complete": spend.complete,
        "upper_bound": spend.upper_bound,
        "compute_hours": spend.instance_hours,
        "training_jobs": len(job.training_jobs),
    }
    message = f"Actual spend {spend.describe()}."
    if len(spend.definitions) > 1:
        message += (
            " Per definition: "
            + "; ".join(
                f"{line.definition} {'at least ' if not line.complete else ''}{_usd(line.usd)}"
                for line in spend.definitions
            )
            + "."
        )
    severity, fix, platform_note = (
        Severity.INFO,
        "None needed; the report compares the actual spend with the worst case.",
        None,
    )
    if spend.worst_case_usd is not None:
        evidence["worst_case_usd"] = spend.worst_case_usd
        share = spend.share_of_worst_case
        if share is not None:
            evidence["spent_of_worst_case_share"] = round(share, 4)
    if spend.upper_bound:
        reasons = []
        if any(line.managed_spot for line in spend.definitions):
            # AWS, DescribeTrainingJob BillableTimeInSeconds: the savings from managed spot training are
            # 1 - BillableTimeInSeconds / TrainingTimeInSeconds, i.e. they show in the billed seconds themselves.
            spot_text = (
                "managed spot training jobs are priced at the on-demand rate of their billed seconds: AWS counts the "
                "spot savings in BillableTimeInSeconds itself (savings = 1 - BillableTimeInSeconds / "
                "TrainingTimeInSeconds"
            )
            savings = spend.spot_savings_share
            if savings is not None:
                training = sum(line.spot_training_seconds for line in spend.definitions)
                spot_text += f"; here {_percent(savings)} saved on {_hours(training / 3600)} training hours"
                evidence["spot_savings_share"] = round(savings, 4)
                evidence["spot_training_seconds"] = training
                evidence["spot_billable_seconds"] = sum(line.spot_billable_seconds for line in spend.definitions)
            spot_text += (
                "), so the figure is an upper bound only as long as a billed spot second costs no more than an "
                "on-demand one"
            )
            reasons.append(spot_text)
        dearest = sum(line.dearest_alternative_assumed for line in spend.definitions)
        if dearest:
            reasons.append(
                f"{dearest} training job(s) without their instance type were priced at the dearest of their "
                "definition's InstanceConfigs"
            )
        because = "; ".join(reasons)
        message += f" {because[0].upper()}{because[1:]}."
        evidence["spot_definitions"] = sum(1 for line in spend.definitions if line.managed_spot)
    if not spend.complete:
        severity = Severity.LOW
        parts = []
        if spend.unpriced_instance_types:
            hours = sum(line.unpriced_instance_hours for line in spend.definitions)
            parts.append(
                f"no price is known for {', '.join(spend.unpriced_instance_types)} ({_hours(hours)} instance-hours "
                "not counted)"
            )
            evidence["unpriced_instance_types"] = ", ".join(spend.unpriced_instance_types)
            evidence["unpriced_instance_hours"] = round(hours, 4)
            platform_note = f"Load a price for {', '.join(spend.unpriced_instance_types)} so reviews can count it."
        if spend.training_jobs_without_billing:
            parts.append(f"{spend.training_jobs_without_billing} training job(s) had no billable time to read")
            evidence["training_jobs_without_billing"] = spend.training_jobs_without_billing
        message += f" The spend is at least {_usd(spend.usd)}: " + "; ".join(parts) + "."
        fix = "Read the figure as a lower bound."
    if spend.worst_case_usd is not None and spend.usd > spend.worst_case_usd and spend.worst_case_complete:
        severity = Severity.MEDIUM
        message += " It exceeds the worst case estimated at creation."
        fix = (
            "Check the prices and limits the creation estimate used (a price may have changed, or SageMaker "
            "retried training jobs)."
        )
    return _finding(SPEND, severity, message, fix, evidence, platform_note=platform_note)


# --- range edges -----------------------------------------------------------------------------------------


class EdgeScale(StrEnum):
    LINEAR = "linear"
    LOG = "log"
    REVERSE_LOG = "reverse-log"


def edge_scales(r: ParameterRange) -> tuple[EdgeScale, ...]:
    """The scales a range was searched on, as far as the request tells: Auto on a positive range may be either."""
    match r.scaling:
        case ScalingType.LOGARITHMIC if r.min_value > 0:
            return (EdgeScale.LOG,)
        case ScalingType.REVERSE_LOGARITHMIC if r.min_value >= 0 and r.max_value < 1:
            return (EdgeScale.REVERSE_LOG,)
        case ScalingType.AUTO if r.min_value > 0:
            return (EdgeScale.LINEAR, EdgeScale.LOG)
        case _:
            return (EdgeScale.LINEAR,)


def position_on_scale(r: ParameterRange, value: float, scale: EdgeScale) -> float:
    """Where a value sits in its range on a scale: 0 at MinValue, 1 at MaxValue (clamped)."""
    low, high = r.min_value, r.max_value
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    match scale:
        case EdgeScale.LOG:
            return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
        case EdgeScale.REVERSE_LOG:
            return (math.log1p(-low) - math.log1p(-value)) / (math.log1p(-low) - math.log1p(-high))
        case _:
            return (value - low) / (high - low)


def edge_of(r: ParameterRange, value: float, tolerance: float) -> str | None:
    """ "lower" or "upper" when the value is within `tolerance` of the range's width from that edge on every scale
    the range may have used; None otherwise (and for a range of one value)."""
    if r.max_value <= r.min_value:
        return None
    positions = [position_on_scale(r, value, scale) for scale in edge_scales(r)]
    if all(p <= tolerance for p in positions):
        return "lower"
    if all(p >= 1 - tolerance for p in positions):
        return "upper"
    return None


def _proposal(r: ParameterRange, edge: str) -> float | None:
    """A wider bound for the next tuning job, or None when the range gives no safe example: a decade further on
    a log scale, half the width on a linear one (staying above 0 for a positive range and below 1 for a range
    inside 0 .. 1, such as a probability)."""
    scales = edge_scales(r)
    low, high, width = r.min_value, r.max_value, r.max_value - r.min_value
    integer = r.kind is RangeKind.INTEGER
    if edge == "lower":
        if EdgeScale.LOG in scales:
            proposed = low / 10
        elif low < 0:
            proposed = low - width / 2
        elif low == 0:
            return None  # whether values below 0 make sense is the owner's call
        else:
            proposed = low - min(width / 2, low / 2)
        if integer:
            proposed = float(max(math.floor(proposed), 1) if low > 0 else math.floor(proposed))
            return None if proposed >= low else proposed
        return proposed
    if EdgeScale.REVERSE_LOG in scales:
        proposed = 1 - (1 - high) / 10
    elif scales == (EdgeScale.LOG,):
        proposed = high * 10
    elif low >= 0 and high < 1 and not integer:
        proposed = min(high + width / 2, (high + 1) / 2)
    else:
        proposed = high + width / 2
    return float(math.ceil(proposed)) if integer else proposed


def _scale_words(r: ParameterRange) -> str:
    scales = edge_scales(r)
    if len(scales) > 1:
        return "on both the linear and the log scale (ScalingType Auto: SageMaker chooses)"
    return f"on the {scales[0].value} scale"


def _edge_findings(
    job: FinishedTuningJob, objective: TuningObjective, best: TrainingRun, settings: ReviewSettings
) -> Iterator[Finding]:
    tolerance = settings.edge_tolerance
    grouped = _runs_by_definition(job)
    for index, definition in enumerate(job.request.definitions):
        runs = grouped.get(index, [])
        few = _best_few(runs, objective, settings.best_few)
        if not few:
            continue
        top = few[0]
        for r in definition.ranges:
            edges: list[tuple[TrainingRun, str]] = []
            for run in few:
                text = run.hyperparameters.get(r.name)
                value = tuned_number(text) if text is not None else None
                if value is None:
                    continue
                edge = edge_of(r, value, tolerance)
                if edge is not None:
                    edges.append((run, edge))
            counts = Counter(edge for _, edge in edges)
            for edge, count in counts.items():
                top_at_edge = any(run is top and e == edge for run, e in edges)
                if not top_at_edge and count * 2 <= len(few):
                    continue
                yield _edge_finding(
                    r,
                    definition,
                    edge,
                    top if top_at_edge else None,
                    count,
                    len(few),
                    top is best,
                    objective,
                    settings,
                    multi=len(job.request.definitions) > 1,
                )


def _edge_finding(
    r: ParameterRange,
    definition: TrainingDefinition,
    edge: str,
    top: TrainingRun | None,
    count: int,
    few: int,
    overall_best: bool,
    objective: TuningObjective,
    settings: ReviewSettings,
    *,
    multi: bool,
) -> Finding:
    below_or_above = "below" if edge == "lower" else "above"
    direction = "downwards" if edge == "lower" else "upwards"
    span = f"{r.min_text} .. {r.max_text}"
    who = "best" if overall_best or not multi else f"best of {definition.label}"
    if top is not None:
        value_text = top.hyperparameters[r.name].strip().strip('"')
        message = f"{who} {r.name} {value_text} sits at the {edge} edge of {span}: the optimum may lie {below_or_above}"
    else:
        message = (
            f"{count} of the best {few} training jobs set {r.name} at the {edge} edge of {span}: "
            f"the optimum may lie {below_or_above}"
        )
    if top is not None and count > 1:
        message += f" ({count} of the best {few} training jobs sit there)"
    message += f"; widen the range {direction}."
    message = message[0].upper() + message[1:]
    message += f" Edge: within {_percent(settings.edge_tolerance)} of the range's width {_scale_words(r)}."
    proposed = _proposal(r, edge)
    member = "MinValue" if edge == "lower" else "MaxValue"
    fix = f"Widen the range of '{r.name}' {direction}"
    fix += f" (for example {member} {_number(proposed)})" if proposed is not None else ""
    fix += " in the next tuning job"
    if proposed is None:
        fix += f", if the hyperparameter accepts values below {r.min_text}"
    fix += "."
    evidence: Evidence = {
        "edge": edge,
        "min_value": r.min_value,
        "max_value": r.max_value,
        "range_kind": r.kind.value,
        "scaling_type": r.scaling.value,
        "best_value": tuned_number(top.hyperparameters[r.name]) if top is not None else None,
        "best_training_job": top.name if top is not None else None,
        "best_few_at_edge": count,
        "best_few": few,
        "edge_tolerance_share": settings.edge_tolerance,
    }
    if proposed is not None:
        evidence["proposed_min_value" if edge == "lower" else "proposed_max_value"] = proposed
    severity = Severity.MEDIUM if top is not None else Severity.LOW
    return _finding(RANGE_EDGE, severity, message, fix, evidence, parameter=r.name, definition=definition.name)


# --- wasted trials -----------------------------------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _wasted_findings(
    job: FinishedTuningJob, objective: TuningObjective | None, settings: ReviewSettings, policy: PolicyView
) -> Iterator[Finding]:
    grouped = _runs_by_definition(job)
    for index, definition in enumerate(job.request.definitions):
        runs = grouped.get(index, [])
        for r in definition.ranges:
            if r.scaling not in (ScalingType.LINEAR, ScalingType.AUTO) or r.ratio is None:
                continue
            hinted = policy.is_log_natured_name(r.name)
            threshold = settings.hinted_wide_ratio if hinted else settings.wide_ratio
            if r.ratio < threshold:
                continue
            top_low = max(r.max_value / 10, r.min_value)
            if top_low <= r.min_value:
                continue  # one decade or less: every value is in the "top decade", which then says nothing
            top_values: list[float] = []
            rest_values: list[float] = []
            in_top = searched = 0
            for run in runs:
                text = run.hyperparameters.get(r.name)
                value = tuned_number(text) if text is not None else None
                if value is None:
                    continue
                searched += 1
                landed_top = value >= top_low
                in_top += landed_top
                if objective is not None and _has_objective(run) and run.objective_value is not None:
                    (top_values if landed_top else rest_values).append(run.objective_value)
            if searched < settings.min_training_jobs or in_top / searched < settings.min_top_decade_share:
                continue
            yield _wasted_finding(
                r,
                definition,
                in_top,
                searched,
                top_low,
                top_values,
                rest_values,
                objective,
                threshold,
                settings,
                multi=len(job.request.definitions) > 1,
            )


def _wasted_finding(
    r: ParameterRange,
    definition: TrainingDefinition,
    in_top: int,
    searched: int,
    top_low: float,
    top_values: list[float],
    rest_values: list[float],
    objective: TuningObjective | None,
    threshold: float,
    settings: ReviewSettings,
    *,
    multi: bool,
) -> Finding:
    share = in_top / searched
    decades = math.log10(r.max_value) - math.log10(r.min_value)
    scale = "a linear" if r.scaling is ScalingType.LINEAR else "an Auto (starts linear)"
    where = f" of {definition.label}" if multi else ""
    message = (
        f"'{r.name}' spans {decades:.1f} orders of magnitude ({r.min_text} .. {r.max_text}) and was searched on "
        f"{scale} scale: {in_top} of {searched} training jobs{where} ({_percent(share)}) landed in the top decade "
        f"{_number(top_low)} .. {r.max_text}"
    )
    evidence: Evidence = {
        "min_value": r.min_value,
        "max_value": r.max_value,
        "scaling_type": r.scaling.value,
        "ratio": round(r.ratio or 0.0, 6),
        "threshold_ratio": threshold,
        "top_decade_training_jobs": in_top,
        "searched_training_jobs": searched,
        "top_decade_share": round(share, 4),
    }
    top_median, rest_median = _median(top_values), _median(rest_values)
    severity = Severity.MEDIUM
    if objective is not None and top_median is not None and rest_median is not None:
        message += (
            f"; their median {objective.metric_name} was {_number(top_median)} against {_number(rest_median)} "
            f"for the other {len(rest_values)} ({objective.direction})"
        )
        evidence["top_decade_median_objective"] = top_median
        evidence["rest_median_objective"] = rest_median
        # Medians closer than `objective_margin` of the spread (best to worst) are noise, not a difference.
        values = top_values + rest_values
        margin = settings.objective_margin * (max(values) - min(values))
        if abs(top_median - rest_median) <= margin:
            message += ": about the same"
        elif objective.better(rest_median, top_median):
            severity = Severity.HIGH
            message += ": the budget went where results were worse"
        else:
            severity = Severity.LOW
            message += ": the top decade did better, so a narrower range may serve as well"
    elif rest_median is None and in_top == searched:
        message += "; none searched below it, so nothing compares"
    message += "."
    fix = (
        f"Set ScalingType to Logarithmic for '{r.name}' in the next tuning job: the other "
        f"{decades - 1:.1f} orders of magnitude got {_percent(1 - share)} of the training jobs."
    )
    return _finding(WASTED_TRIALS, severity, message, fix, evidence, parameter=r.name, definition=definition.name)


# --- budget fit, failures, early stopping ---------------------------------------------------------------------


def _budget_finding(
    ordered: list[TrainingRun],
    best: TrainingRun,
    per_run_usd: dict[str, float],
    settings: ReviewSettings,
    strategy: Strategy,
) -> Finding:
    position = next(i for i, run in enumerate(ordered, start=1) if run is best)
    total = len(ordered)
    after = ordered[position:]
    after_usd = sum(per_run_usd.get(run.name, 0.0) for run in after)
    priced_after = all(run.name in per_run_usd for run in after)
    share = position / total
    # Training jobs that reached the best value too: the best is the earliest of them, so "early" is judged on the
    # last (the search kept finding it).
    tied = [i for i, run in enumerate(ordered, start=1) if run is not best and _ties(run, best)]
    last = max(tied, default=position)
    message = f"The best training job ({best.name}) was the {_ordinal(position)} of {total}"
    if tied:
        message += (
            f" ({len(tied)} other(s) reached the same objective value, the last the {_ordinal(last)}: the earliest "
            "is reported)"
        )
    if after:
        cost = f"{'at least ' if not priced_after else ''}{_usd(after_usd)}"
        message += f"; the {len(after)} launched after it did not improve on it and cost {cost}"
    message += "."
    evidence: Evidence = {
        "best_position": position,
        "training_jobs": total,
        "best_found_at_share": round(share, 4),
        "after_best_training_jobs": len(after),
        "after_best_usd": round(after_usd, 2),
        "best_ties": len(tied),
        "strategy": strategy.value,
    }
    if tied:
        evidence["last_tie_position"] = last
    severity, fix = Severity.INFO, "None needed: the budget fit the search."
    if strategy is Strategy.RANDOM:
        # Random search does not learn from earlier training jobs: where the best came is luck, not a budget signal.
        message += " Random search draws each training job independently, so where the best came is chance."
    elif total >= settings.min_training_jobs and last / total <= settings.early_best_share:
        severity = Severity.LOW
        fix = (
            "A smaller MaxNumberOfTrainingJobs, or TuningJobCompletionCriteria (BestObjectiveNotImproving), would "
            "have ended the search sooner."
        )
    elif total >= settings.min_training_jobs and share > settings.late_best_share:
        severity = Severity.LOW
        message += " It came late: the search may not have converged."
        fix = "More training jobs, or a narrower search space, may still improve on it."
    return _finding(BUDGET_FIT, severity, message, fix, evidence)


def _ties(run: TrainingRun, best: TrainingRun) -> bool:
    return _has_objective(run) and run.objective_value == best.objective_value


def _common_reason(runs: list[TrainingRun]) -> str | None:
    reasons = Counter((r.failure_reason or "").strip()[:200] for r in runs if r.failure_reason)
    return reasons.most_common(1)[0][0] if reasons else None


def _failed_finding(job: FinishedTuningJob, settings: ReviewSettings, early_stopping_on: bool) -> Finding | None:
    hyperband = job.request.strategy is Strategy.HYPERBAND
    runs = job.training_jobs
    failed = [r for r in runs if r.status is TrainingJobStatus.FAILED]
    stopped = [r for r in runs if r.status is TrainingJobStatus.STOPPED]
    total = len(runs)
    if not total or len(failed) == total or not (failed or stopped):
        return None
    failed_share, stopped_share = len(failed) / total, len(stopped) / total
    severity = Severity.INFO
    if failed and failed_share >= settings.high_failed_share:
        severity = Severity.HIGH
    elif failed and failed_share >= settings.failed_share:
        severity = Severity.MEDIUM
    elif failed:
        severity = Severity.LOW
    parts = []
    reason = _common_reason(failed)
    if failed:
        parts.append(
            f"{len(failed)} of {total} training jobs failed ({_percent(failed_share)})"
            + (f", most often: {reason}" if reason else "")
        )
    if stopped:
        if hyperband:
            # AWS, HyperbandStrategyConfig: Hyperband stops under-performing configurations itself (its own early
            # stopping; TrainingJobEarlyStoppingType must be OFF with it).
            why = "by Hyperband, which stops under-performing training jobs, or with the tuning job"
        elif early_stopping_on:
            why = "by early stopping or with the tuning job"
        else:
            why = "with the tuning job or by hand"
        parts.append(f"{len(stopped)} of {total} were stopped ({_percent(stopped_share)}, {why})")
    message = "; ".join(parts) + "."
    message = message[0].upper() + message[1:]
    fix = (
        "Fix the cause before the next tuning job: failed training jobs bill their time and teach the search nothing."
        if failed
        else "None needed."
    )
    evidence: Evidence = {
        "training_jobs": total,
        "failed_training_jobs": len(failed),
        "failed_share": round(failed_share, 4),
        "stopped_training_jobs": len(stopped),
        "stopped_share": round(stopped_share, 4),
        "failure_reason": reason,
    }
    return _finding(FAILED_TRIALS, severity, message, fix, evidence)


def _early_stopping_finding(job: FinishedTuningJob, prices: _Prices, settings: ReviewSettings) -> Finding | None:
    runs = job.training_jobs
    stopped = [r for r in runs if r.status is TrainingJobStatus.STOPPED]
    total = len(runs)
    tuning_stopped = job.status is TuningJobStatus.STOPPED
    evidence: Evidence = {"training_jobs": total, "stopped_training_jobs": len(stopped)}
    if not stopped:
        if total < settings.min_training_jobs or tuning_stopped:
            return None
        message = f"Early stopping (TrainingJobEarlyStoppingType Auto) stopped none of the {total} training jobs."
        fix = (
            "Check that the algorithm emits the objective metric after every epoch: early stopping compares it "
            "with earlier training jobs at the same epoch and cannot act without it."
        )
        return _finding(EARLY_STOPPING, Severity.LOW, message, fix, evidence)
    billed = sum(r.billable_seconds or 0 for r in stopped)
    grouped = _runs_by_definition(job)
    unused_seconds, unused_usd, estimable = 0.0, 0.0, 0
    for index, group in grouped.items():
        completed = [
            r.billable_seconds for r in group if r.status is TrainingJobStatus.COMPLETED and r.billable_seconds
        ]
        typical = _median([float(s) for s in completed if s is not None])
        if typical is None:
            continue
        definition = job.request.definitions[index] if index >= 0 else None
        for run in group:
            if run.status is not TrainingJobStatus.STOPPED or run.billable_seconds is None:
                continue
            estimable += 1
            spare = max(0.0, typical - run.billable_seconds)
            unused_seconds += spare
            allocations, _ = _allocations(run, definition, prices)
            for allocation in allocations:
                hourly = prices.hourly(allocation.instance_type)
                if hourly is not None:
                    unused_usd += spare * allocation.instance_count / 3600 * hourly
    message = (
        f"Early stopping (TrainingJobEarlyStoppingType Auto) was on: {len(stopped)} of {total} training jobs were "
        f"stopped ({_percent(len(stopped) / total)}); they billed {_hours(billed / 3600)} h"
    )
    evidence |= {"stopped_billable_seconds": billed}
    if estimable:
        message += (
            f"; had they run as long as the median completed training job they would have billed about "
            f"{_hours(unused_seconds / 3600)} h more (estimate"
            + (f", about {_usd(unused_usd)}" if unused_usd else "")
            + ")"
        )
        evidence |= {
            "unused_billable_seconds_estimate": round(unused_seconds),
            "unused_usd_estimate": round(unused_usd, 2),
        }
    message += "."
    if tuning_stopped:
        message += (
            " The tuning job itself was stopped, which stops its running training jobs too; the API does not tell "
            "the two apart."
        )
        evidence["tuning_job_stopped"] = True
    return _finding(EARLY_STOPPING, Severity.INFO, message, "None needed.", evidence)


def _no_results_finding(job: FinishedTuningJob) -> Finding:
    runs = job.training_jobs
    failed = [r for r in runs if r.status is TrainingJobStatus.FAILED]
    completed = [r for r in runs if r.status is TrainingJobStatus.COMPLETED]
    reason = _common_reason(failed)
    evidence: Evidence = {
        "training_jobs": len(runs),
        "failed_training_jobs": len(failed),
        "completed_training_jobs": len(completed),
        "failure_reason": reason,
    }
    if not runs:
        message = f"The tuning job ({job.status.value}) launched no training jobs: nothing was learnt."
        fix = "Check the tuning job's FailureReason (DescribeHyperParameterTuningJob) before running it again."
    elif len(failed) == len(runs):
        message = f"All {len(runs)} training jobs failed" + (f", most often: {reason}" if reason else "") + "."
        fix = "Fix the cause (run one training job on its own first) before running the tuning job again."
    elif not completed:
        message = f"None of the {len(runs)} training jobs completed ({len(failed)} failed, the others were stopped)."
        fix = "Check why the training jobs were stopped or failed before running the tuning job again."
    elif job.objective is None:
        message = "The tuning job's objective is not known, so its training jobs cannot be ranked."
        fix = "Review a DescribeHyperParameterTuningJob response that carries HyperParameterTuningJobObjective."
    else:
        message = (
            f"None of the {len(completed)} completed training jobs reported a final "
            f"{job.objective.metric_name}: the tuning job learnt nothing."
        )
        fix = (
            "Check that the algorithm emits the metric and that the metric definition's regex matches it; run one "
            "training job on its own first."
        )
    return _finding(NO_RESULTS, Severity.HIGH, message, fix, evidence)


def _missing_objective_finding(job: FinishedTuningJob, objective: TuningObjective) -> Finding | None:
    completed = [r for r in job.training_jobs if r.status is TrainingJobStatus.COMPLETED]
    missing = [r for r in completed if not _has_objective(r)]
    if not missing:
        return None
    message = (
        f"{len(missing)} of {len(completed)} completed training jobs reported no final {objective.metric_name}: "
        "the tuning job could not learn from them."
    )
    fix = "Check that the algorithm emits the metric every run and that the metric definition's regex matches it."
    evidence: Evidence = {"completed_training_jobs": len(completed), "without_objective_training_jobs": len(missing)}
    return _finding(MISSING_OBJECTIVE, Severity.MEDIUM, message, fix, evidence)


# --- the review ---------------------------------------------------------------------------------------------------


_SEVERITY_ORDER: Callable[[Finding], tuple[int, str, str, str]] = lambda f: (  # noqa: E731
    -f.severity.rank,
    f.rule,
    f.definition or "",
    f.parameter or "",
)


class NotFinished(ValueError):
    """The tuning job has not reached Completed, Stopped or Failed."""


def review_tuning_job(
    job: FinishedTuningJob,
    prices: PriceBook,
    settings: ReviewSettings | None = None,
    policy: PolicyView | None = None,
) -> TuningJobReview:
    """Review a finished tuning job: actual spend, best training job, and every review finding.

    `prices` is the price book the cost model uses (live, cached, bundled, estimated). `policy` (default: the
    default policy) supplies the log-natured names and, unless `settings` are given, the `log-scale` ratios that
    decide which ranges are wide.
    """
    if not job.status.finished:
        raise NotFinished(f"tuning job {job.name} is {job.status.value}; the review needs Completed, Stopped or Failed")
    policy = policy if policy is not None else Policy()
    if settings is None:
        settings = ReviewSettings.under(policy)
    book = _Prices(prices, job.region)
    spend, per_run_usd = _actual_spend(job, book)
    objective = job.objective
    runs = job.training_jobs
    ordered = _in_creation_order(runs)
    best_run = _best_few(runs, objective, 1)[0] if objective is not None and any(map(_has_objective, runs)) else None
    findings: list[Finding] = [_spend_finding(job, spend)]
    early_stopping_on = job.request.early_stopping.lower() == "auto"
    if best_run is None or objective is None:
        findings.append(_no_results_finding(job))
    else:
        findings.extend(_edge_findings(job, objective, best_run, settings))
        if job.request.strategy is not Strategy.GRID:
            # Grid search enumerates the combinations in an order of its own: the best's position says nothing.
            findings.append(_budget_finding(ordered, best_run, per_run_usd, settings, job.request.strategy))
        missing = _missing_objective_finding(job, objective)
        if missing is not None:
            findings.append(missing)
    findings.extend(_wasted_findings(job, objective, settings, policy))
    failed = _failed_finding(job, settings, early_stopping_on)
    if failed is not None:
        findings.append(failed)
    if early_stopping_on and runs:
        early = _early_stopping_finding(job, book, settings)
        if early is not None:
            findings.append(early)
    best = None
    if best_run is not None and objective is not None and best_run.objective_value is not None:
        definition = _definition_of(job, best_run)
        best = BestTrainingJob(
            name=best_run.name,
            definition=best_run.definition_name or (definition.name if definition is not None else None),
            objective_value=best_run.objective_value,
            metric=objective.metric_name,
            hyperparameters=dict(best_run.hyperparameters),
            position=next(i for i, run in enumerate(ordered, start=1) if run is best_run),
            of=len(ordered),
            ties=sum(1 for run in runs if run is not best_run and _ties(run, best_run)),
        )
    counts = ReviewCounts(
        launched=len(runs),
        completed=sum(r.status is TrainingJobStatus.COMPLETED for r in runs),
        failed=sum(r.status is TrainingJobStatus.FAILED for r in runs),
        stopped=sum(r.status is TrainingJobStatus.STOPPED for r in runs),
        other=sum(
            r.status not in (TrainingJobStatus.COMPLETED, TrainingJobStatus.FAILED, TrainingJobStatus.STOPPED)
            for r in runs
        ),
        with_objective=sum(map(_has_objective, runs)),
    )
    return TuningJobReview(
        job_name=job.name,
        status=job.status,
        region=job.region,
        objective=objective,
        counts=counts,
        spend=spend,
        best=best,
        findings=tuple(sorted(findings, key=_SEVERITY_ORDER)),
    )


__all__ = [
    "REVIEW_RULES",
    "ActualSpend",
    "BestTrainingJob",
    "DefinitionSpend",
    "EdgeScale",
    "NotFinished",
    "ReviewCounts",
    "ReviewRule",
    "ReviewSettings",
    "TuningJobReview",
    "actual_spend",
    "edge_of",
    "edge_scales",
    "position_on_scale",
    "review_rule",
    "review_tuning_job",
    "tuned_number",
]
