"""From CloudTrail records and API requests (either key casing) to typed `TuningRequest`s.

CloudTrail writes request keys in lowerCamelCase while the API, boto3 and Describe use
PascalCase. The wire models below name fields as the API does and accept both spellings;
user-supplied map keys (static hyperparameters, environment) are kept as they are. Unknown keys
are ignored, since SageMaker adds members over time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AliasChoices, AliasGenerator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from rules.models import (
    CallContext,
    CategoricalRange,
    InstanceAllocation,
    ParameterRange,
    RangeKind,
    ScalingType,
    Strategy,
    TrainingDefinition,
    TuningJobCall,
    TuningRequest,
)
from rules.unvalidated import unvalidated

CREATE_TUNING_JOB = "CreateHyperParameterTuningJob"
SAGEMAKER_EVENT_SOURCE = "sagemaker.amazonaws.com"
# SageMaker's own default for StoppingCondition.MaxRuntimeInSeconds.
DEFAULT_TRAINING_RUNTIME_SECONDS = 86_400

# Bounds from the API model (botocore/data/sagemaker/2017-07-24/service-2.json; tests/unit/test_strict_numbers.py
# compares them with botocore's). Its `integer` shapes are 32-bit signed; where a shape gives no `max`, that is the
# bound. rules/ imports no AWS SDK, so they are written out here.
INT32_MAX = 2**31 - 1
PARAMETER_VALUE_MAX_LENGTH = 256  # ParameterValue: MinValue and MaxValue are strings of at most 256 characters
TUNING_RUNTIME_MIN_SECONDS = 120  # HyperParameterTuningMaxRuntimeInSeconds: min 120
TUNING_RUNTIME_MAX_SECONDS = 15_768_000  # ... max 15768000 (half a year)
# A number as SageMaker reads one: ASCII digits only (Python's Decimal and int also take "1_000",
# Arabic-Indic digits or "NaN").
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_DIGITS = re.compile(r"[+]?[0-9]{1,30}", re.ASCII)
# How a MinValue or MaxValue is spelled nearly always: decimal digits, at most one point, no exponent, no spaces.
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_PLAIN_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)


class InvalidRequest(ValueError):
    """The input is not a usable tuning request; `path` names the offending field."""

    def __init__(self, reason: str, path: str = "") -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


class SkippedCall(BaseModel):
    """A CloudTrail record the guardrail recognises but has nothing to evaluate in."""

    model_config = ConfigDict(frozen=True)

    kind: str  # "failed-call" | "unrelated"
    reason: str
    event_id: str | None = None


def _both_casings(name: str) -> AliasChoices:
    return AliasChoices(name, name[0].lower() + name[1:])


class _Wire(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        alias_generator=AliasGenerator(validation_alias=_both_casings),
    )


# Any JSON value: parse_number decides, so that a wrong type is reported like a wrong number.
Scalar = object


def _strict_integer(value: object) -> object:
    """A JSON integer, an integral float, or a string of ASCII digits; pydantic alone also takes True, "1_000"."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got a boolean")
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{value!r} is not a whole number")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not _DIGITS.fullmatch(text):
            raise ValueError(f"{value[:40]!r} is not a whole number in ASCII digits")
        return int(text)
    return value


# Integer fields of the API model, strictly read and held to their shape's bounds. TrainingInstanceCount has
# min 0, but a training job runs on at least one instance.
_StrictInt = Annotated[int, BeforeValidator(_strict_integer)]
Count = Annotated[_StrictInt, Field(ge=1, le=INT32_MAX)]
Seconds = Annotated[_StrictInt, Field(ge=1, le=INT32_MAX)]
TuningSeconds = Annotated[_StrictInt, Field(ge=TUNING_RUNTIME_MIN_SECONDS, le=TUNING_RUNTIME_MAX_SECONDS)]


class _WireNumericRange(_Wire):
    Name: str
    MinValue: Scalar
    MaxValue: Scalar
    ScalingType: str | None = None


class _WireCategoricalRange(_Wire):
    Name: str
    Values: list[str]


class _WireParameterRanges(_Wire):
    IntegerParameterRanges: list[_WireNumericRange] = []
    ContinuousParameterRanges: list[_WireNumericRange] = []
    CategoricalParameterRanges: list[_WireCategoricalRange] = []


class _WireResourceLimits(_Wire):
    MaxParallelTrainingJobs: Count
    MaxNumberOfTrainingJobs: Count | None = None
    MaxRuntimeInSeconds: TuningSeconds | None = None


class _WireHyperbandConfig(_Wire):
    MinResource: Count | None = None
    MaxResource: Count | None = None


class _WireStrategyConfig(_Wire):
    HyperbandStrategyConfig: _WireHyperbandConfig | None = None


class _WireTuningConfig(_Wire):
    Strategy: Strategy = Strategy.BAYESIAN
    StrategyConfig: _WireStrategyConfig | None = None
    ResourceLimits: _WireResourceLimits
    ParameterRanges: _WireParameterRanges | None = None
    TrainingJobEarlyStoppingType: str = "Off"


class _WireInstance(_Wire):
    InstanceType: str
    InstanceCount: Count = 1


class _WireResourceConfig(_Wire):
    InstanceType: str | None = None
    InstanceCount: Count | None = None
    InstanceGroups: list[_WireInstance] = []


class _WireTuningResourceConfig(_Wire):
    InstanceType: str | None = None
    InstanceCount: Count | None = None
    InstanceConfigs: list[_WireInstance] = []


class _WireStoppingCondition(_Wire):
    MaxRuntimeInSeconds: Seconds = DEFAULT_TRAINING_RUNTIME_SECONDS
    MaxWaitTimeInSeconds: Seconds | None = None


class _WireTrainingDefinition(_Wire):
    DefinitionName: str | None = None
    HyperParameterRanges: _WireParameterRanges | None = None
    ResourceConfig: _WireResourceConfig | None = None
    HyperParameterTuningResourceConfig: _WireTuningResourceConfig | None = None
    StoppingCondition: _WireStoppingCondition | None = None
    EnableManagedSpotTraining: bool = False
    StaticHyperParameters: dict[str, str] = {}


class _WireTag(_Wire):
    Key: str
    Value: str = ""


class _WireRequest(_Wire):
    HyperParameterTuningJobName: str
    HyperParameterTuningJobConfig: _WireTuningConfig
    TrainingJobDefinition: _WireTrainingDefinition | None = None
    TrainingJobDefinitions: list[_WireTrainingDefinition] | None = None
    Tags: list[_WireTag] = []


class _WireSessionIssuer(_Wire):
    Arn: str | None = None


class _WireSessionContext(_Wire):
    SessionIssuer: _WireSessionIssuer | None = None


class _WireUserIdentity(_Wire):
    Type: str | None = None
    Arn: str | None = None
    SessionContext: _WireSessionContext | None = None


class _WireCloudTrailRecord(_Wire):
    EventID: str | None = None
    EventTime: str | None = None
    EventSource: str | None = None
    EventName: str | None = None
    AwsRegion: str | None = None
    RecipientAccountId: str | None = None
    UserIdentity: _WireUserIdentity | None = None
    SourceIPAddress: str | None = None
    UserAgent: str | None = None
    RequestParameters: dict[str, Any] | None = None
    ResponseElements: dict[str, Any] | None = None
    ErrorCode: str | None = None
    ErrorMessage: str | None = None


def describe_validation_error(error: ValidationError, prefix: str = "") -> InvalidRequest:
    """Turn pydantic's error into one readable `InvalidRequest` naming the first bad field."""
    first = error.errors()[0]
    path = ".".join(str(part) for part in first["loc"])
    if prefix:
        path = f"{prefix}.{path}" if path else prefix
    more = error.error_count() - 1
    reason = first["msg"] + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
    return InvalidRequest(reason, path)


def _shown(text: str) -> str:
    """A value quoted in an error message, cut short: the message names the field, not the whole value."""
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _plain_number(value: Scalar, integer: bool) -> float | None:
    """The double of a MinValue/MaxValue spelled plainly ("0.001", "64"; "5" for an integer range), else None.

    Such text passes every check of `parse_number` without checking: without an exponent and within 256 characters
    it lies between 1e-256 and 1e256, so it is finite as a double and rounds to 0 only when it is 0, and without a
    point it is whole. Everything else goes through `parse_number`, which also names what is wrong.
    """
    if type(value) is not str or len(value) > PARAMETER_VALUE_MAX_LENGTH:
        return None
    if (_PLAIN_WHOLE if integer else _PLAIN).fullmatch(value) is None:
        return None
    return float(value)


def parse_number(value: Scalar, path: str, *, integer: bool = False) -> float:
    """Parse a MinValue/MaxValue exactly: strings such as "1e-05" and "0.0001" both occur.

    Strict as SageMaker is: ASCII digits in decimal or exponent notation, at most 256 characters (the API's
    ParameterValue), and finite as a float (a double), which is what the checks compute with.
    """
    plain = _plain_number(value, integer)
    if plain is not None:
        return plain
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidRequest(f"{_shown(str(value))} is not a number", path)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRequest(f"{value!r} is not a finite number", path)
    if isinstance(value, int) and value.bit_length() > 1100:  # well past the largest double, and cheap to test
        raise InvalidRequest("is not a finite number as a double (too large)", path)
    text = str(value).strip()
    if len(text) > PARAMETER_VALUE_MAX_LENGTH:
        raise InvalidRequest(f"longer than the API's {PARAMETER_VALUE_MAX_LENGTH} characters", path)
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise InvalidRequest(f"{_shown(text)} is not a finite number", path)
    if not _NUMBER.fullmatch(text):
        raise InvalidRequest(f"{_shown(text)} is not a number", path)
    # float() rounds decimal text correctly, as float(Decimal(text)) does, so the two give the same double. The
    # exact value is needed only where a double could answer wrongly: whether text with a fraction or an exponent
    # is whole, and whether text that rounds to 0 is 0.
    if integer and ("." in text or "e" in text or "E" in text):
        number = _exact(text, path)
        if number != number.to_integral_value():
            raise InvalidRequest(f"{_shown(text)} is not a whole number, as an integer range needs", path)
    as_float = float(text)
    if not math.isfinite(as_float):
        raise InvalidRequest(f"{_shown(text)} is not a finite number as a double (too large)", path)
    if as_float == 0.0 and _exact(text, path) != 0:
        raise InvalidRequest(f"{_shown(text)} is too small to tell from 0 as a double", path)
    return as_float


def _exact(text: str, path: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise InvalidRequest(f"{_shown(text)} is not a number", path) from None


def parse_event_time(value: str | None, path: str) -> str | None:
    """CloudTrail's eventTime as an aware UTC time, "2026-11-26T09:30:00Z"; a time without a zone is UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{_shown(value)} is not an ISO 8601 time", path) from None
    if moment.tzinfo is None:  # CloudTrail writes UTC; a time without a zone is read as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ScalingType values by their lower-case spelling: a request's value is matched case-insensitively.
_SCALINGS = {scaling.value.lower(): scaling for scaling in ScalingType}


def _scaling(value: str | None, range_path: str) -> tuple[ScalingType, bool]:
    if value is None:
        return ScalingType.AUTO, False
    scaling = _SCALINGS.get(value.lower())
    if scaling is not None:
        return scaling, True
    allowed = ", ".join(s.value for s in ScalingType)
    raise InvalidRequest(f"unknown ScalingType {value!r} (expected one of {allowed})", f"{range_path}.ScalingType")


def _pointer(path: str) -> str:
    """The JSON pointer of a field path such as "TrainingJobDefinitions[0].HyperParameterRanges"."""
    return "/" + path.replace(".", "/").replace("[", "/").replace("]", "")


def _numeric_range(wire: _WireNumericRange, kind: RangeKind, path: str, pointer: str) -> ParameterRange:
    integer = kind is RangeKind.INTEGER
    # The plain spelling first, so that the paths errors name are only written for a value that needs them.
    low = _plain_number(wire.MinValue, integer)
    if low is None:
        low = parse_number(wire.MinValue, f"{path}.MinValue", integer=integer)
    high = _plain_number(wire.MaxValue, integer)
    if high is None:
        high = parse_number(wire.MaxValue, f"{path}.MaxValue", integer=integer)
    if low > high:
        raise InvalidRequest(f"MinValue {low:g} is greater than MaxValue {high:g}", path)
    scaling, given = _scaling(wire.ScalingType, path)
    # Not validated again (rules/unvalidated.py): every value is of its field's type, read and checked above or by
    # the wire model.
    return unvalidated(
        ParameterRange,
        {
            "name": wire.Name,
            "kind": kind,
            "min_value": low,
            "max_value": high,
            "min_text": str(wire.MinValue),
            "max_text": str(wire.MaxValue),
            "scaling": scaling,
            "scaling_given": given,
            "pointer": pointer,
        },
    )


def _ranges(
    wire: _WireParameterRanges | None, path: str, pointer: str
) -> tuple[tuple[ParameterRange, ...], tuple[CategoricalRange, ...]]:
    if wire is None:
        return (), ()
    numeric = [
        _numeric_range(r, kind, f"{path}.{member}[{i}]", f"{pointer}/{member}/{i}")
        for member, kind, ranges in (
            ("ContinuousParameterRanges", RangeKind.CONTINUOUS, wire.ContinuousParameterRanges),
            ("IntegerParameterRanges", RangeKind.INTEGER, wire.IntegerParameterRanges),
        )
        for i, r in enumerate(ranges)
    ]
    categorical = [
        # Not validated again: the wire model read the name and the values as text.
        unvalidated(
            CategoricalRange,
            {"name": c.Name, "values": tuple(c.Values), "pointer": f"{pointer}/CategoricalParameterRanges/{i}"},
        )
        for i, c in enumerate(wire.CategoricalParameterRanges)
    ]
    return tuple(numeric), tuple(categorical)


def _compute(definition: _WireTrainingDefinition, path: str) -> tuple[tuple[InstanceAllocation, ...], ...]:
    tuning = definition.HyperParameterTuningResourceConfig
    if tuning is not None and tuning.InstanceConfigs:
        return tuple(
            (InstanceAllocation(instance_type=c.InstanceType, instance_count=c.InstanceCount),)
            for c in tuning.InstanceConfigs
        )
    for config in (definition.ResourceConfig, tuning):
        if config is None:
            continue
        groups = getattr(config, "InstanceGroups", [])
        if groups:
            return (
                tuple(InstanceAllocation(instance_type=g.InstanceType, instance_count=g.InstanceCount) for g in groups),
            )
        if config.InstanceType:
            count = config.InstanceCount if config.InstanceCount is not None else 1
            return ((InstanceAllocation(instance_type=config.InstanceType, instance_count=count),),)
    raise InvalidRequest("no ResourceConfig or HyperParameterTuningResourceConfig with an instance type", path)


def _definition(
    wire: _WireTrainingDefinition, ranges: _WireParameterRanges | None, path: str, ranges_path: str
) -> TrainingDefinition:
    numeric, categorical = _ranges(
        ranges, ranges_path, "/" + ranges_path.replace(".", "/").replace("[", "/").replace("]", "")
    )
    stopping = wire.StoppingCondition or _WireStoppingCondition()
    # Not validated again: the wire model read every value into its field's type (rules/unvalidated.py).
    return unvalidated(
        TrainingDefinition,
        {
            "name": wire.DefinitionName,
            "ranges": numeric,
            "categorical": categorical,
            "compute": _compute(wire, path),
            "max_runtime_seconds": stopping.MaxRuntimeInSeconds,
            "max_wait_seconds": stopping.MaxWaitTimeInSeconds,
            "managed_spot": wire.EnableManagedSpotTraining,
            "static_hyperparameter_count": len(wire.StaticHyperParameters),
            "static_hyperparameter_names": tuple(wire.StaticHyperParameters),
            "stopping_condition_given": wire.StoppingCondition is not None,
            "pointer": _pointer(path),
        },
    )


def read_request(parameters: Mapping[str, Any]) -> TuningRequest:
    """Read a CreateHyperParameterTuningJob request or a Describe response, in either casing."""
    try:
        wire = _WireRequest.model_validate(parameters)
    except ValidationError as error:
        raise describe_validation_error(error) from None
    config = wire.HyperParameterTuningJobConfig
    if wire.TrainingJobDefinitions:
        definitions = tuple(
            _definition(
                d,
                d.HyperParameterRanges,
                f"TrainingJobDefinitions[{i}]",
                f"TrainingJobDefinitions[{i}].HyperParameterRanges",
            )
            for i, d in enumerate(wire.TrainingJobDefinitions)
        )
    elif wire.TrainingJobDefinition is not None:
        single = wire.TrainingJobDefinition
        # With one definition the ranges live in the tuning config (HyperParameterRanges is for
        # multi-algorithm jobs), but accept either place.
        ranges: _WireParameterRanges | None
        if config.ParameterRanges is not None:
            ranges, ranges_path = config.ParameterRanges, "HyperParameterTuningJobConfig.ParameterRanges"
        else:
            ranges, ranges_path = single.HyperParameterRanges, "TrainingJobDefinition.HyperParameterRanges"
        definitions = (_definition(single, ranges, "TrainingJobDefinition", ranges_path),)
    else:
        raise InvalidRequest("neither TrainingJobDefinition nor TrainingJobDefinitions is present")
    limits = config.ResourceLimits
    hyperband = config.StrategyConfig.HyperbandStrategyConfig if config.StrategyConfig else None
    try:
        return TuningRequest(
            job_name=wire.HyperParameterTuningJobName,
            strategy=config.Strategy,
            max_parallel_jobs=limits.MaxParallelTrainingJobs,
            max_training_jobs=limits.MaxNumberOfTrainingJobs,
            max_runtime_seconds=limits.MaxRuntimeInSeconds,
            early_stopping=config.TrainingJobEarlyStoppingType,
            has_hyperband_config=hyperband is not None,
            hyperband_min_resource=hyperband.MinResource if hyperband else None,
            hyperband_max_resource=hyperband.MaxResource if hyperband else None,
            definitions=definitions,
            tags={t.Key: t.Value for t in wire.Tags},
        )
    except ValidationError as error:
        raise describe_validation_error(error, "HyperParameterTuningJobConfig.ResourceLimits") from None


def read_cloudtrail_record(record: Mapping[str, Any]) -> TuningJobCall | SkippedCall:
    """Read the CloudTrail record of an EventBridge event (its `detail`).

    Returns a `SkippedCall` for records of another API or for failed calls (no job exists), and
    raises `InvalidRequest` when the record is not usable.
    """
    try:
        wire = _WireCloudTrailRecord.model_validate(record)
    except ValidationError as error:
        raise describe_validation_error(error, "detail") from None
    if wire.EventName != CREATE_TUNING_JOB or (wire.EventSource or SAGEMAKER_EVENT_SOURCE) != SAGEMAKER_EVENT_SOURCE:
        return SkippedCall(
            kind="unrelated",
            reason=f"not a {CREATE_TUNING_JOB} call ({wire.EventSource} {wire.EventName})",
            event_id=wire.EventID,
        )
    if wire.ErrorCode:
        return SkippedCall(
            kind="failed-call",
            reason=f"the call failed, so no job exists: {wire.ErrorCode}: {wire.ErrorMessage or ''}".rstrip(": "),
            event_id=wire.EventID,
        )
    if not wire.EventID:
        raise InvalidRequest("missing", "detail.eventID")
    if wire.RequestParameters is None:
        raise InvalidRequest("missing (CloudTrail record without request parameters)", "detail.requestParameters")
    try:
        request = read_request(wire.RequestParameters)
    except InvalidRequest as error:
        raise InvalidRequest(error.reason, f"detail.requestParameters.{error.path}".rstrip(".")) from None
    identity = wire.UserIdentity
    issuer = identity.SessionContext.SessionIssuer if identity and identity.SessionContext else None
    response = wire.ResponseElements or {}
    job_arn = response.get("hyperParameterTuningJobArn") or response.get("HyperParameterTuningJobArn")
    context = CallContext(
        event_id=wire.EventID,
        event_time=parse_event_time(wire.EventTime, "detail.eventTime"),
        account=wire.RecipientAccountId,
        region=wire.AwsRegion,
        principal_arn=identity.Arn if identity else None,
        principal_type=identity.Type if identity else None,
        role_arn=issuer.Arn if issuer else None,
        source_ip=wire.SourceIPAddress,
        user_agent=wire.UserAgent,
        job_arn=job_arn if isinstance(job_arn, str) else None,
    )
    return TuningJobCall(context=context, request=request)
