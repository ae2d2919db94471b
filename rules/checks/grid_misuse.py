"""grid-misuse: Grid with numeric ranges, or more training jobs than a finite search space has combinations."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rules.findings import Finding, PatchOperation, Severity
from rules.models import RangeKind, Strategy, TrainingDefinition, TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings

PATH = "/HyperParameterTuningJobConfig/ResourceLimits/MaxNumberOfTrainingJobs"
# How many values of an integer range the fix spells out as a categorical list (a categorical takes 30).
MAX_LISTED_VALUES = 30


def definition_combinations(definition: TrainingDefinition) -> int | None:
    """Distinct combinations of one definition's ranges; None when a continuous range makes it infinite."""
    counts: list[int] = []
    for r in definition.ranges:
        if r.kind is RangeKind.CONTINUOUS:
            return None
        counts.append(int(r.max_value) - int(r.min_value) + 1)
    counts.extend(len(dict.fromkeys(c.values)) for c in definition.categorical)
    return math.prod(counts)


def search_space_size(request: TuningRequest) -> int | None:
    """Combinations over every definition that has ranges (each training job uses one definition), or None
    when the space is infinite or there are no ranges at all."""
    searched = [d for d in request.definitions if d.ranges or d.categorical]
    if not searched:
        return None
    sizes = [definition_combinations(d) for d in searched]
    if any(size is None for size in sizes):
        return None
    return sum(size for size in sizes if size is not None)


def _numeric_on_grid(request: TuningRequest) -> Iterator[Finding]:
    for definition, r in request.ranges():
        values = int(r.max_value) - int(r.min_value) + 1 if r.kind is RangeKind.INTEGER else None
        listing = ""
        if values is not None and values <= MAX_LISTED_VALUES:
            listing = f" (its {values} values {r.min_text} .. {r.max_text} fit in one)"
        yield RULE.finding(
            severity=Severity.HIGH,
            parameter=r.name,
            definition=definition.name,
            message=(
                f"Strategy Grid accepts categorical ranges only, but '{r.name}' is a {r.kind.value} range "
                f"({r.min_text} .. {r.max_text}): SageMaker refuses this request."
            ),
            fix=(
                f"List the values of '{r.name}' to try as a CategoricalParameterRange{listing}, or use Strategy "
                "Bayesian or Random for numeric ranges."
            ),
            evidence={
                "strategy": request.strategy.value,
                "range_kind": r.kind.value,
                "min_value": r.min_value,
                "max_value": r.max_value,
                "integer_values": values,
            },
        )


def _too_many_jobs(request: TuningRequest, combinations: int, jobs: int) -> Finding:
    integer = any(r.kind is RangeKind.INTEGER for _, r in request.ranges())
    grid = request.strategy is Strategy.GRID
    space = "categorical and integer ranges" if integer else "categorical ranges"
    if grid:
        consequence = "SageMaker refuses a Grid search with more training jobs than combinations"
    elif integer:
        consequence = (
            "SageMaker rejects a search space with fewer combinations than MaxNumberOfTrainingJobs (for integer "
            "ranges this is inferred); at best the extra trials repeat combinations already tried"
        )
    else:
        consequence = "SageMaker rejects a search space with fewer combinations than MaxNumberOfTrainingJobs"
    return RULE.finding(
        severity=Severity.MEDIUM if integer and not grid else Severity.HIGH,
        message=(
            f"MaxNumberOfTrainingJobs is {jobs}, but the {space} allow only {combinations} distinct combinations: "
            f"{consequence}."
        ),
        fix=f"Set MaxNumberOfTrainingJobs to {combinations}, or widen the search space.",
        patch=(PatchOperation(op="add", path=PATH, value=combinations),),
        evidence={
            "strategy": request.strategy.value,
            "max_training_jobs": jobs,
            "combinations": combinations,
            "definitions_searched": sum(1 for d in request.definitions if d.ranges or d.categorical),
        },
    )


def _fewer_jobs_on_grid(request: TuningRequest, combinations: int, jobs: int) -> Finding:
    return RULE.finding(
        severity=Severity.MEDIUM,
        message=(
            f"A Grid search runs every combination, and these categorical ranges have {combinations}, but "
            f"MaxNumberOfTrainingJobs is {jobs}: the guide says it should equal the number of combinations "
            "(whether SageMaker refuses or runs a partial grid is not documented)."
        ),
        fix=(
            f"Set MaxNumberOfTrainingJobs to {combinations} (or leave it out: Grid computes it), or drop the values "
            "you do not need to try."
        ),
        patch=(PatchOperation(op="add", path=PATH, value=combinations),),
        evidence={
            "strategy": request.strategy.value,
            "max_training_jobs": jobs,
            "combinations": combinations,
            "definitions_searched": sum(1 for d in request.definitions if d.ranges or d.categorical),
        },
    )


def check(request: TuningRequest, context: EvaluationContext[RuleSettings]) -> Iterator[Finding]:
    """Grid with numeric ranges; MaxNumberOfTrainingJobs against the size of a finite search space."""
    if request.strategy is Strategy.GRID and request.ranges():
        yield from _numeric_on_grid(request)
        return
    combinations = search_space_size(request)
    jobs = request.max_training_jobs
    if combinations is None or jobs is None:
        return
    if jobs > combinations:
        yield _too_many_jobs(request, combinations, jobs)
    elif jobs < combinations and request.strategy is Strategy.GRID:
        yield _fewer_jobs_on_grid(request, combinations, jobs)


RULE = Rule(
    id="grid-misuse",
    title="Grid search with numeric ranges, or more jobs than combinations",
    check=check,
    category=Category.INVALID,
    settings=RuleSettings,
    doc=RuleDoc(
        checks=(
            "Strategy Grid with a continuous or integer range (high: Grid accepts categorical ranges only). A finite "
            "search space (no continuous range) with fewer distinct combinations than MaxNumberOfTrainingJobs: high "
            "for Grid and for categorical-only spaces, medium under another strategy when integer ranges (MaxValue "
            "- MinValue + 1 values each) make up the space. Grid with fewer MaxNumberOfTrainingJobs than "
            "combinations: medium. With several training job definitions the combinations of every definition are "
            "added up (inferred: each training job uses one definition)."
        ),
        why=(
            "The developer guide: Grid supports only categorical parameters, and MaxNumberOfTrainingJobs, if given, "
            "should equal the number of distinct combinations; SageMaker rejects a search space with fewer "
            "combinations than MaxNumberOfTrainingJobs. Such a request fails, so this mostly shows in the "
            "pre-submission linter. That integer ranges count toward the same limit is inferred: at the least, "
            "trials beyond the combinations repeat work."
        ),
        example=(
            "Strategy: Grid, MaxNumberOfTrainingJobs: 20, CategoricalParameterRanges: "
            "[{Name: optimizer, Values: [adam, sgd]}, {Name: batch_size, Values: ['32', '64', '128']}]"
        ),
        fix=(
            "Set MaxNumberOfTrainingJobs to the number of combinations (the patch does), or widen the search space; "
            "on Grid list numeric values as categorical ranges or choose Bayesian or Random."
        ),
    ),
)
