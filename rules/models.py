"""Typed, normalised view of a CreateHyperParameterTuningJob request."""

from __future__ import annotations

import math
import sys
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ScalingType(StrEnum):
    AUTO = "Auto"
    LINEAR = "Linear"
    LOGARITHMIC = "Logarithmic"
    REVERSE_LOGARITHMIC = "ReverseLogarithmic"


class RangeKind(StrEnum):
    CONTINUOUS = "continuous"
    INTEGER = "integer"


class Strategy(StrEnum):
    BAYESIAN = "Bayesian"
    RANDOM = "Random"
    HYPERBAND = "Hyperband"
    GRID = "Grid"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ParameterRange(_Frozen):
    """A continuous or integer hyperparameter range, with the exact text the request carried."""

    name: str
    kind: RangeKind
    min_value: float
    max_value: float
    min_text: str
    max_text: str
    scaling: ScalingType = ScalingType.AUTO
    scaling_given: bool = Field(default=True, description="False when the request left ScalingType out")
    pointer: str = Field(default="", description="JSON pointer of this range in the PascalCase request")

    @property
    def ratio(self) -> float | None:
        """MaxValue / MinValue, or None when MinValue is not positive; the largest double when the quotient
        overflows (1e300 / 1e-300), so figures derived from it stay finite."""
        if self.min_value <= 0:
            return None
        ratio = self.max_value / self.min_value
        return ratio if math.isfinite(ratio) else sys.float_info.max


class CategoricalRange(_Frozen):
    name: str
    values: tuple[str, ...]
    pointer: str = ""


class InstanceAllocation(_Frozen):
    """Instances one training job of a definition runs on at the same time."""

    instance_type: str
    instance_count: int = Field(ge=1)


class TrainingDefinition(_Frozen):
    """One training job definition with the ranges it searches.

    `compute` holds the alternatives a training job may run on: each alternative is a set of
    instance allocations used together (InstanceGroups), and with InstanceConfigs any single
    alternative may be chosen, so the cost model takes the dearest.
    """

    name: str | None = None
    ranges: tuple[ParameterRange, ...] = ()
    categorical: tuple[CategoricalRange, ...] = ()
    compute: tuple[tuple[InstanceAllocation, ...], ...] = ()
    max_runtime_seconds: int = 86_400
    max_wait_seconds: int | None = None
    managed_spot: bool = False
    static_hyperparameter_count: int = 0
    static_hyperparameter_names: tuple[str, ...] = Field(
        default=(), description="Keys of StaticHyperParameters, as the request spelled them"
    )
    stopping_condition_given: bool = Field(
        default=True, description="False when the request left StoppingCondition out (SageMaker's defaults apply)"
    )
    pointer: str = Field(default="", description="JSON pointer of this definition in the PascalCase request")

    @property
    def label(self) -> str:
        return self.name or "training job"


class TuningRequest(_Frozen):
    """A CreateHyperParameterTuningJob request, normalised from any key casing."""

    job_name: str
    strategy: Strategy = Strategy.BAYESIAN
    max_parallel_jobs: int = Field(ge=1)
    max_training_jobs: int | None = Field(default=None, ge=1)
    max_runtime_seconds: int | None = Field(default=None, ge=1)
    early_stopping: str = "Off"
    has_hyperband_config: bool = Field(
        default=False, description="True when StrategyConfig.HyperbandStrategyConfig is present (even empty)"
    )
    hyperband_min_resource: int | None = None
    hyperband_max_resource: int | None = None
    definitions: tuple[TrainingDefinition, ...] = Field(min_length=1)
    tags: dict[str, str] = Field(default_factory=dict)

    def ranges(self) -> list[tuple[TrainingDefinition, ParameterRange]]:
        """Every numeric range with the definition it belongs to."""
        return [(definition, r) for definition in self.definitions for r in definition.ranges]


class CallContext(_Frozen):
    """Who made the API call, where and when, as CloudTrail recorded it."""

    event_id: str
    event_time: str | None = None
    account: str | None = None
    region: str | None = None
    principal_arn: str | None = None
    principal_type: str | None = None
    role_arn: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    job_arn: str | None = None


class TuningJobCall(_Frozen):
    """A successful CreateHyperParameterTuningJob call: its context and the request it made."""

    context: CallContext
    request: TuningRequest
