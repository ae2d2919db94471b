"""spot: a large on-demand budget without managed spot training."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from rules.findings import Finding, PatchOperation, Severity, set_member
from rules.models import TrainingDefinition, TuningRequest
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings


class SpotSettings(RuleSettings):
    assumed_discount: float = Field(
        default=0.7,
        gt=0,
        lt=1,
        description="spot discount assumed for the possible saving (0.7 = 70%); the real one is not known in advance",
    )
    min_cap_share: float | None = Field(
        default=0.5, ge=0, description="report from a worst case of this share of the budget cap; null: not by share"
    )
    min_worst_case_usd: float | None = Field(
        default=None, ge=0, description="report from a worst case of this many USD; null: not by amount"
    )


def spot_patch(definition: TrainingDefinition) -> tuple[PatchOperation, ...]:
    """EnableManagedSpotTraining, and MaxWaitTimeInSeconds = MaxRuntimeInSeconds unless already long enough."""
    operations = [set_member(definition.pointer, "EnableManagedSpotTraining", True)]
    runtime = definition.max_runtime_seconds
    if definition.max_wait_seconds is None or definition.max_wait_seconds < runtime:
        if definition.stopping_condition_given:
            operations.append(set_member(f"{definition.pointer}/StoppingCondition", "MaxWaitTimeInSeconds", runtime))
        else:
            stopping = {"MaxRuntimeInSeconds": runtime, "MaxWaitTimeInSeconds": runtime}
            operations.append(set_member(definition.pointer, "StoppingCondition", stopping))
    return tuple(operations)


def _large(worst: float, cap: float, settings: SpotSettings) -> bool:
    by_amount = settings.min_worst_case_usd is not None and worst >= settings.min_worst_case_usd
    by_share = settings.min_cap_share is not None and worst >= settings.min_cap_share * cap
    return worst > 0 and (by_amount or by_share)


def check(request: TuningRequest, context: EvaluationContext[SpotSettings]) -> Iterator[Finding]:
    """One informational finding for the definitions still on demand, with the patch for each."""
    settings, cost = context.settings, context.cost
    on_demand = [d for d in request.definitions if not d.managed_spot]
    if not on_demand or not _large(cost.worst_case_usd, context.policy.budget_cap_usd, settings):
        return
    saving = round(cost.worst_case_usd * settings.assumed_discount, 2)
    several = len(request.definitions) > 1
    which = (
        f"training job definition{'s' if len(on_demand) > 1 else ''} {', '.join(d.label for d in on_demand)} "
        "run on demand"
        if several
        else "training jobs run on demand"
    )
    qualifier = "" if cost.complete else "at least "
    yield RULE.finding(
        severity=Severity.INFO,
        definition=on_demand[0].name if several and len(on_demand) == 1 else None,
        message=(
            f"The worst case is {qualifier}${cost.worst_case_usd:,.2f} and the {which}. Managed spot training "
            f"could save up to ${saving:,.2f} at an assumed {settings.assumed_discount:.0%} discount (an assumption: "
            "the spot discount varies, up to 90%, and is not known in advance)."
        ),
        fix=(
            "Set EnableManagedSpotTraining to true and StoppingCondition.MaxWaitTimeInSeconds to at least "
            "MaxRuntimeInSeconds (the patch sets them equal; more leaves time to wait for spot capacity). Training "
            "code that checkpoints (CheckpointConfig) resumes after an interruption instead of starting over."
        ),
        patch=tuple(op for d in on_demand for op in spot_patch(d)),
        evidence={
            "worst_case_usd": cost.worst_case_usd,
            "cap_usd": context.policy.budget_cap_usd,
            "assumed_discount": settings.assumed_discount,
            "possible_saving_usd": saving,
            "on_demand_definitions": len(on_demand),
            "spot_definitions": len(request.definitions) - len(on_demand),
        },
    )


RULE = Rule(
    id="spot",
    title="Large on-demand budget without managed spot",
    check=check,
    category=Category.COST,
    settings=SpotSettings,
    doc=RuleDoc(
        checks=(
            "Training job definitions without EnableManagedSpotTraining when the worst case reaches "
            "`min_cap_share` (0.5) of the budget cap or `min_worst_case_usd` (unset). Informational; definitions "
            "already on spot are left out of the finding and its patch."
        ),
        why=(
            "Managed spot training bills the same training at a discount of up to 90%, for a job that may be "
            "interrupted and has to wait for capacity. The discount is not known in advance, so the saving shown "
            "assumes `assumed_discount` (70%) of the worst case, which itself stays on demand."
        ),
        example="ResourceConfig: {InstanceType: ml.p3.16xlarge, InstanceCount: 2}, no EnableManagedSpotTraining",
        fix=(
            "Set EnableManagedSpotTraining: true and StoppingCondition.MaxWaitTimeInSeconds >= MaxRuntimeInSeconds "
            "(required with spot); checkpoint long training jobs."
        ),
    ),
)
