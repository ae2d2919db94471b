"""limits: more hyperparameters, categorical values or training job definitions than SageMaker accepts."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from rules.findings import Evidence, Finding, Severity
from rules.models import TrainingDefinition, TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings

# SageMaker adds this static hyperparameter to pass the objective metric to the training job.
OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"


class LimitsSettings(RuleSettings):
    max_tunable: int = Field(
        default=30, ge=1, description="tunable hyperparameters per definition (ranges of every kind together)"
    )
    max_categorical_values: int = Field(default=30, ge=1, description="values in one categorical range")
    max_total: int = Field(
        default=100,
        ge=1,
        description="hyperparameters per definition: static + tunable + the _tuning_objective_metric SageMaker adds",
    )
    max_definitions: int = Field(default=10, ge=1, description="training job definitions in one tuning job")


def _finding(
    message: str,
    fix: str,
    evidence: Evidence,
    parameter: str | None = None,
    definition: str | None = None,
) -> Finding:
    return RULE.finding(
        severity=Severity.HIGH,
        message=message,
        fix=fix,
        evidence=evidence,
        parameter=parameter,
        definition=definition,
    )


def total_hyperparameters(definition: TrainingDefinition) -> int:
    """Static + tunable hyperparameters, plus the objective metric SageMaker adds unless already there."""
    added = 0 if OBJECTIVE_HYPERPARAMETER in definition.static_hyperparameter_names else 1
    return definition.static_hyperparameter_count + len(definition.ranges) + len(definition.categorical) + added


def _definition_limits(definition: TrainingDefinition, settings: LimitsSettings, several: bool) -> Iterator[Finding]:
    name = definition.name if several else None
    tunable = len(definition.ranges) + len(definition.categorical)
    if tunable > settings.max_tunable:
        yield _finding(
            f"{definition.label} tunes {tunable} hyperparameters; SageMaker accepts at most {settings.max_tunable} "
            "(continuous, integer and categorical ranges together).",
            f"Tune at most {settings.max_tunable} hyperparameters: fix the least important ones as static values.",
            {"tunable": tunable, "limit": settings.max_tunable},
            definition=name,
        )
    for c in definition.categorical:
        if len(c.values) > settings.max_categorical_values:
            yield _finding(
                f"Categorical range '{c.name}' lists {len(c.values)} values; SageMaker accepts at most "
                f"{settings.max_categorical_values}.",
                f"Keep at most {settings.max_categorical_values} values for '{c.name}', or make it a numeric range.",
                {"values": len(c.values), "limit": settings.max_categorical_values},
                parameter=c.name,
                definition=name,
            )
    total = total_hyperparameters(definition)
    if total > settings.max_total:
        yield _finding(
            f"{definition.label} has {total} hyperparameters in total ({definition.static_hyperparameter_count} "
            f"static + {tunable} tunable + {OBJECTIVE_HYPERPARAMETER}, which SageMaker adds); SageMaker accepts at "
            f"most {settings.max_total}.",
            "Drop static hyperparameters the training code does not read, or tune fewer hyperparameters.",
            {
                "total": total,
                "static": definition.static_hyperparameter_count,
                "tunable": tunable,
                "limit": settings.max_total,
            },
            definition=name,
        )


def check(request: TuningRequest, context: EvaluationContext[LimitsSettings]) -> Iterator[Finding]:
    """Each limit as its own finding; none has a patch, since what to drop is the author's choice."""
    settings = context.settings
    count = len(request.definitions)
    if count > settings.max_definitions:
        yield _finding(
            f"The tuning job has {count} training job definitions; SageMaker accepts at most "
            f"{settings.max_definitions}.",
            f"Keep at most {settings.max_definitions} TrainingJobDefinitions, or split the search into several "
            "tuning jobs.",
            {"definitions": count, "limit": settings.max_definitions},
        )
    for definition in request.definitions:
        yield from _definition_limits(definition, settings, several=count > 1)


RULE = Rule(
    id="limits",
    title="More hyperparameters, categorical values or training job definitions than SageMaker accepts",
    check=check,
    category=Category.INVALID,
    settings=LimitsSettings,
    doc=RuleDoc(
        checks=(
            "Per training job definition: more than `max_tunable` (30) tunable hyperparameters (ranges of every "
            "kind together), a categorical range with more than `max_categorical_values` (30) values, more than "
            "`max_total` (100) hyperparameters in total (static + tunable + the `_tuning_objective_metric` "
            "SageMaker adds, unless the static ones already hold it); and more than `max_definitions` (10) "
            "TrainingJobDefinitions. All high, without a patch."
        ),
        why=(
            "These are SageMaker's limits (API model: 30 per range list and 30 for all ranges together, 1-30 "
            "categorical values, 100 hyperparameters, 1-10 definitions; the guide counts the objective metric "
            "SageMaker adds toward the 100). A request beyond them fails, so this mostly shows in the pre-submission "
            "linter. A policy can set lower limits; the guide notes that fewer hyperparameters converge faster."
        ),
        example="StaticHyperParameters with 95 entries plus 5 tunable ranges: 101 with _tuning_objective_metric",
        fix="Tune fewer hyperparameters, fix the rest as static values, and drop static ones nobody reads.",
    ),
)
