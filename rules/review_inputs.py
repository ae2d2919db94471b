"""What the review of a finished tuning job reads: the tuning job as Describe returns it, its training jobs as
ListTrainingJobsForHyperParameterTuningJob returns them, and each training job's billable time from
DescribeTrainingJob, as typed, normalised models.

Shapes are those of the API model (botocore/data/sagemaker/2017-07-24/service-2.json):
`HyperParameterTrainingJobSummary` {TrainingJobName, TrainingJobArn, CreationTime, TrainingJobStatus and
TunedHyperParameters required; TrainingJobDefinitionName, TuningJobName, TrainingStartTime, TrainingEndTime,
FailureReason, FinalHyperParameterTuningJobObjectiveMetric {Type?, MetricName, Value}, ObjectiveStatus
optional}; TunedHyperParameters is a map of strings. DescribeTrainingJob's BillableTimeInSeconds (integer, min 1)
is optional: a training job that never ran has none. Timestamps arrive as datetimes (boto3), ISO 8601 text
(the CLI, JSON files) or epoch seconds (the wire protocol); all three are read. Unknown keys are ignored and
missing optional ones tolerated; a malformed value raises `InvalidRequest` naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rules.models import InstanceAllocation, TuningRequest
from rules.parsing import INT32_MAX, InvalidRequest, describe_validation_error, parse_number, read_request


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ObjectiveType(StrEnum):
    MAXIMIZE = "Maximize"
    MINIMIZE = "Minimize"


class TrainingJobStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    DELETING = "Deleting"


class ObjectiveStatus(StrEnum):
    SUCCEEDED = "Succeeded"
    PENDING = "Pending"
    FAILED = "Failed"


class TuningJobStatus(StrEnum):
    COMPLETED = "Completed"
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    STOPPED = "Stopped"
    STOPPING = "Stopping"
    DELETING = "Deleting"
    DELETE_FAILED = "DeleteFailed"

    @property
    def finished(self) -> bool:
        """Completed, Stopped and Failed are terminal: the review runs on these."""
        return self in (TuningJobStatus.COMPLETED, TuningJobStatus.STOPPED, TuningJobStatus.FAILED)


class TuningObjective(_Frozen):
    """HyperParameterTuningJobObjective: the metric the tuning job optimised and in which direction."""

    metric_name: str
    type: ObjectiveType

    def better(self, a: float, b: float) -> bool:
        """Whether objective value `a` is strictly better than `b`."""
        return a < b if self.type is ObjectiveType.MINIMIZE else a > b

    @property
    def direction(self) -> str:
        return "lower is better" if self.type is ObjectiveType.MINIMIZE else "higher is better"


class TrainingJobBilling(_Frozen):
    """What DescribeTrainingJob adds for the spend: billable time and the instances the job ran on."""

    billable_seconds: int | None = Field(default=None, ge=0)
    training_seconds: int | None = Field(
        default=None, ge=0, description="TrainingTimeInSeconds: the training time; above the billable time on spot"
    )
    instances: tuple[InstanceAllocation, ...] = Field(
        default=(), description="ResourceConfig of the training job; empty: take the definition's"
    )
    managed_spot: bool | None = Field(default=None, description="EnableManagedSpotTraining; None: the definition's")


class TrainingRun(_Frozen):
    """One training job the tuning job launched (a HyperParameterTrainingJobSummary), with its billing if known."""

    name: str
    definition_name: str | None = None
    hyperparameters: dict[str, str] = Field(default_factory=dict)
    status: TrainingJobStatus
    objective_status: ObjectiveStatus | None = None
    objective_metric: str | None = None
    objective_value: float | None = Field(default=None, description="FinalHyperParameterTuningJobObjectiveMetric")
    creation_time: datetime
    training_start_time: datetime | None = None
    training_end_time: datetime | None = None
    failure_reason: str | None = None
    billing: TrainingJobBilling | None = None

    @property
    def billable_seconds(self) -> int | None:
        return None if self.billing is None else self.billing.billable_seconds


class FinishedTuningJob(_Frozen):
    """A tuning job that reached a terminal status, everything the review needs about it."""

    request: TuningRequest
    status: TuningJobStatus
    objective: TuningObjective | None = Field(
        default=None, description="None when Describe carried no objective: training jobs cannot be ranked"
    )
    training_jobs: tuple[TrainingRun, ...] = ()
    region: str
    worst_case_usd: float | None = Field(
        default=None, ge=0, description="The worst case estimated at creation (the audit record), if known"
    )
    worst_case_complete: bool = Field(
        default=True, description="False when the creation estimate lacked a price (it was a lower bound)"
    )

    @property
    def name(self) -> str:
        return self.request.job_name


# --- parsing from the API's shapes ---------------------------------------------------------------------


def _field(mapping: Mapping[str, Any], name: str) -> Any:
    """A member in PascalCase or lowerCamelCase (CloudTrail and some tools write the latter)."""
    if name in mapping:
        return mapping[name]
    return mapping.get(name[0].lower() + name[1:])


def _text(value: Any, path: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise InvalidRequest("missing", path)
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"expected text, got {type(value).__name__}", path)
    if required and not value:
        raise InvalidRequest("is empty", path)
    return value


def _enum[E: StrEnum](kind: type[E], value: Any, path: str, *, required: bool = False) -> E | None:
    text = _text(value, path, required=required)
    if text is None:
        return None
    for member in kind:
        if text.lower() == member.value.lower():
            return member
    allowed = ", ".join(m.value for m in kind)
    raise InvalidRequest(f"unknown value {text[:40]!r} (expected one of {allowed})", path)


def parse_timestamp(value: Any, path: str, *, required: bool = False) -> datetime | None:
    """A Timestamp as boto3 (datetime), the CLI (ISO 8601) or the wire (epoch seconds) gives it, in UTC."""
    if value is None:
        if required:
            raise InvalidRequest("missing", path)
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise InvalidRequest(f"{value!r} is not a time", path)
        try:
            moment = datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidRequest(f"{value!r} is not a time in epoch seconds", path) from None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InvalidRequest(f"{value[:40]!r} is not an ISO 8601 time", path) from None
    else:
        raise InvalidRequest(f"expected a time, got {type(value).__name__}", path)
    if moment.tzinfo is None:  # the API speaks UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _whole_seconds(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequest(f"{str(value)[:40]!r} is not a whole number of seconds", path)
    if value != int(value) or not 0 <= value <= INT32_MAX:
        raise InvalidRequest(f"{value!r} is not a whole number of seconds between 0 and {INT32_MAX}", path)
    return int(value)


def _count(value: Any, path: str) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT32_MAX:
        raise InvalidRequest(f"{str(value)[:40]!r} is not an instance count (a whole number from 1)", path)
    return value


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRequest(f"expected an object, got {type(value).__name__}", path)
    return value


def read_objective(value: Any, path: str) -> TuningObjective | None:
    """A HyperParameterTuningJobObjective {Type, MetricName}; None when absent."""
    if value is None:
        return None
    objective = _mapping(value, path)
    kind = _enum(ObjectiveType, _field(objective, "Type"), f"{path}.Type", required=True)
    metric = _text(_field(objective, "MetricName"), f"{path}.MetricName", required=True)
    assert kind is not None and metric is not None  # required above
    return TuningObjective(metric_name=metric, type=kind)


def read_tuning_objective(description: Mapping[str, Any]) -> TuningObjective | None:
    """The objective of a DescribeHyperParameterTuningJob response (or a create request): the tuning config's,
    else the first training job definition's TuningObjective (multi-algorithm jobs carry it there)."""
    config = _field(description, "HyperParameterTuningJobConfig")
    if isinstance(config, Mapping):
        found = read_objective(
            _field(config, "HyperParameterTuningJobObjective"),
            "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective",
        )
        if found is not None:
            return found
    definitions = _field(description, "TrainingJobDefinitions")
    single = _field(description, "TrainingJobDefinition")
    candidates = list(definitions) if isinstance(definitions, list) else []
    if isinstance(single, Mapping):
        candidates.insert(0, single)
    for index, definition in enumerate(candidates):
        if isinstance(definition, Mapping):
            found = read_objective(
                _field(definition, "TuningObjective"), f"TrainingJobDefinitions[{index}].TuningObjective"
            )
            if found is not None:
                return found
    return None


def _hyperparameters(value: Any, path: str) -> dict[str, str]:
    if value is None:
        return {}
    mapping = _mapping(value, path)
    tuned: dict[str, str] = {}
    for key, item in mapping.items():
        if not isinstance(key, str) or not isinstance(item, str):
            # HyperParameters is a map of strings in the API model; a number here is someone else's JSON.
            raise InvalidRequest(f"expected text, got {type(item).__name__}", f"{path}.{key}")
        tuned[key] = item
    return tuned


def _final_objective(value: Any, path: str) -> tuple[str | None, float | None]:
    if value is None:
        return None, None
    metric = _mapping(value, path)
    name = _text(_field(metric, "MetricName"), f"{path}.MetricName")
    raw = _field(metric, "Value")
    if raw is None:
        return name, None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidRequest(f"{str(raw)[:40]!r} is not a number", f"{path}.Value")
    number = float(raw) if isinstance(raw, int | float) else parse_number(raw, f"{path}.Value")
    if not math.isfinite(number):
        # An objective of NaN or inf carries no ranking; the tuning job would not use it either.
        return name, None
    return name, number


def read_training_job_summary(summary: Mapping[str, Any], path: str = "TrainingJobSummaries[0]") -> TrainingRun:
    """One HyperParameterTrainingJobSummary as ListTrainingJobsForHyperParameterTuningJob returns it."""
    summary = _mapping(summary, path)
    name = _text(_field(summary, "TrainingJobName"), f"{path}.TrainingJobName", required=True)
    status = _enum(TrainingJobStatus, _field(summary, "TrainingJobStatus"), f"{path}.TrainingJobStatus", required=True)
    created = parse_timestamp(_field(summary, "CreationTime"), f"{path}.CreationTime", required=True)
    assert name is not None and status is not None and created is not None  # required above
    metric, value = _final_objective(
        _field(summary, "FinalHyperParameterTuningJobObjectiveMetric"),
        f"{path}.FinalHyperParameterTuningJobObjectiveMetric",
    )
    return TrainingRun(
        name=name,
        definition_name=_text(_field(summary, "TrainingJobDefinitionName"), f"{path}.TrainingJobDefinitionName"),
        hyperparameters=_hyperparameters(_field(summary, "TunedHyperParameters"), f"{path}.TunedHyperParameters"),
        status=status,
        objective_status=_enum(ObjectiveStatus, _field(summary, "ObjectiveStatus"), f"{path}.ObjectiveStatus"),
        objective_metric=metric,
        objective_value=value,
        creation_time=created,
        training_start_time=parse_timestamp(_field(summary, "TrainingStartTime"), f"{path}.TrainingStartTime"),
        training_end_time=parse_timestamp(_field(summary, "TrainingEndTime"), f"{path}.TrainingEndTime"),
        failure_reason=_text(_field(summary, "FailureReason"), f"{path}.FailureReason"),
    )


def read_training_job_pages(pages: Iterable[Mapping[str, Any]]) -> tuple[TrainingRun, ...]:
    """Every training job in the pages of ListTrainingJobsForHyperParameterTuningJob responses, once each
    (a training job listed on two pages keeps its last listing)."""
    runs: dict[str, TrainingRun] = {}
    for page_number, page in enumerate(pages):
        page = _mapping(page, f"page {page_number}")
        summaries = _field(page, "TrainingJobSummaries")
        if summaries is None:
            raise InvalidRequest("missing", f"page {page_number}.TrainingJobSummaries")
        if not isinstance(summaries, list):
            raise InvalidRequest("expected a list", f"page {page_number}.TrainingJobSummaries")
        for index, summary in enumerate(summaries):
            run = read_training_job_summary(summary, f"page {page_number}.TrainingJobSummaries[{index}]")
            runs.pop(run.name, None)
            runs[run.name] = run
    return tuple(runs.values())


def _instances(config: Any, path: str) -> tuple[InstanceAllocation, ...]:
    if config is None:
        return ()
    resources = _mapping(config, path)
    # SelectedInstanceType/Count: the instance type SageMaker chose when the job offered several (newer API).
    for type_key, count_key in (("SelectedInstanceType", "SelectedInstanceCount"), ("InstanceType", "InstanceCount")):
        instance_type = _text(_field(resources, type_key), f"{path}.{type_key}")
        if instance_type:
            count = _count(_field(resources, count_key), f"{path}.{count_key}")
            return (InstanceAllocation(instance_type=instance_type, instance_count=count),)
    groups = _field(resources, "InstanceGroups") or []
    if not isinstance(groups, list):
        raise InvalidRequest("expected a list", f"{path}.InstanceGroups")
    allocations = []
    for index, group in enumerate(groups):
        group = _mapping(group, f"{path}.InstanceGroups[{index}]")
        instance_type = _text(
            _field(group, "InstanceType"), f"{path}.InstanceGroups[{index}].InstanceType", required=True
        )
        assert instance_type is not None
        count = _count(_field(group, "InstanceCount"), f"{path}.InstanceGroups[{index}].InstanceCount")
        allocations.append(InstanceAllocation(instance_type=instance_type, instance_count=count))
    return tuple(allocations)


def read_training_job_billing(description: Mapping[str, Any]) -> TrainingJobBilling:
    """BillableTimeInSeconds, TrainingTimeInSeconds, ResourceConfig and EnableManagedSpotTraining of a
    DescribeTrainingJob response."""
    description = _mapping(description, "DescribeTrainingJob")
    spot = _field(description, "EnableManagedSpotTraining")
    if spot is not None and not isinstance(spot, bool):
        raise InvalidRequest(f"expected true or false, got {str(spot)[:40]!r}", "EnableManagedSpotTraining")
    return TrainingJobBilling(
        billable_seconds=_whole_seconds(_field(description, "BillableTimeInSeconds"), "BillableTimeInSeconds"),
        training_seconds=_whole_seconds(_field(description, "TrainingTimeInSeconds"), "TrainingTimeInSeconds"),
        instances=_instances(_field(description, "ResourceConfig"), "ResourceConfig"),
        managed_spot=spot,
    )


def read_finished_tuning_job(
    description: Mapping[str, Any],
    pages: Iterable[Mapping[str, Any]],
    billing: Mapping[str, TrainingJobBilling | Mapping[str, Any]],
    *,
    region: str,
    worst_case_usd: float | None = None,
    worst_case_complete: bool = True,
) -> FinishedTuningJob:
    """The review's input from the API: a DescribeHyperParameterTuningJob response, the pages of
    ListTrainingJobsForHyperParameterTuningJob and, by training job name, DescribeTrainingJob responses (or
    billing already read). A training job without billing keeps none; the spend says what it could not count."""
    description = _mapping(description, "DescribeHyperParameterTuningJob")
    request = read_request(description)
    status = _enum(
        TuningJobStatus,
        _field(description, "HyperParameterTuningJobStatus"),
        "HyperParameterTuningJobStatus",
        required=True,
    )
    assert status is not None
    runs = []
    for run in read_training_job_pages(pages):
        given = billing.get(run.name)
        if given is not None:
            if not isinstance(given, TrainingJobBilling):
                try:
                    given = read_training_job_billing(given)
                except InvalidRequest as error:
                    raise InvalidRequest(error.reason, f"{run.name}: {error.path}") from None
            run = run.model_copy(update={"billing": given})
        runs.append(run)
    try:
        return FinishedTuningJob(
            request=request,
            status=status,
            objective=read_tuning_objective(description),
            training_jobs=tuple(runs),
            region=region,
            worst_case_usd=worst_case_usd,
            worst_case_complete=worst_case_complete,
        )
    except ValidationError as error:
        raise describe_validation_error(error) from None
