"""What the installed botocore's SageMaker service model says: request shapes and training instance types.

CloudTrail logs the request in lowerCamelCase and DescribeHyperParameterTuningJob returns more than a
request holds; walking the installed service model turns either into the exact request boto3 takes,
and botocore's parameter validator then checks it as boto3 would before sending it. The model's
TrainingInstanceType enum is the list of instance types the price table covers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore
import botocore.session
from botocore.exceptions import ParamValidationError
from botocore.model import ServiceModel, Shape, StringShape, StructureShape
from botocore.validate import validate_parameters

CREATE_TUNING_JOB = "CreateHyperParameterTuningJob"


@cache
def _sagemaker_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("sagemaker")


@cache
def create_request_shape() -> StructureShape:
    """The input shape of CreateHyperParameterTuningJob in the installed botocore."""
    shape = _sagemaker_model().operation_model(CREATE_TUNING_JOB).input_shape
    if shape is None:  # every version of the model has one; this keeps the type precise
        raise RuntimeError(f"botocore's SageMaker model has no input shape for {CREATE_TUNING_JOB}")
    return shape


def _to_shape(value: Any, shape: Shape, keep_unknown: bool = False) -> Any:
    if shape.type_name == "structure" and isinstance(value, dict):
        members = {name.lower(): (name, member) for name, member in shape.members.items()}  # type: ignore[attr-defined]
        converted = {}
        for key, item in value.items():
            if key.lower() in members:
                name, member = members[key.lower()]
                converted[name] = _to_shape(item, member, keep_unknown)
            elif keep_unknown:
                converted[key] = item
        return converted
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_shape(item, shape.member, keep_unknown) for item in value]  # type: ignore[attr-defined]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _to_shape(item, shape.value, keep_unknown) for key, item in value.items()}  # type: ignore[attr-defined]
    if shape.type_name == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads `MinValue: 0.001` as a number; the API takes the string.
        return str(value)
    return value


def request_from_cloudtrail(request_parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateHyperParameterTuningJob request (PascalCase) that CloudTrail logged in lowerCamelCase.

    Structure members are matched case-insensitively against the service model; map keys (static
    hyperparameters, environment) keep their spelling; keys the model does not know are dropped.
    """
    return dict(_to_shape(dict(request_parameters), create_request_shape()))


def create_request_from(document: Mapping[str, Any]) -> dict[str, Any]:
    """The request members of a request in either casing or of a Describe response, in PascalCase."""
    # The walk keeps only members of the request shape, so a Describe response loses its status,
    # ARN, timestamps and counters and keeps exactly what CreateHyperParameterTuningJob takes.
    return request_from_cloudtrail(document)


def normalise_request(document: Mapping[str, Any]) -> dict[str, Any]:
    """A request file with the API's spelling and types, keeping members the model does not know.

    Unknown members stay so that the botocore validation reports them rather than --fix deleting
    what someone wrote on purpose.
    """
    return dict(_to_shape(dict(document), create_request_shape(), keep_unknown=True))


def validation_problems(request: Mapping[str, Any]) -> list[str]:
    """What botocore's parameter validator rejects in the request (empty when boto3 would send it)."""
    try:
        validate_parameters(dict(request), create_request_shape())
    except ParamValidationError as error:
        report = str(error.kwargs.get("report", error))
        return [line.strip() for line in report.splitlines() if line.strip() and not line.startswith("Parameter valid")]
    return []


@dataclass(frozen=True)
class InstanceTypeList:
    """The training instance types every region of the price table lists, and where the list came from."""

    types: tuple[str, ...]
    source: str

    @classmethod
    def from_botocore(cls) -> InstanceTypeList:
        """The `TrainingInstanceType` enum of the installed botocore's SageMaker service model."""
        shape = _sagemaker_model().shape_for("TrainingInstanceType")
        if not isinstance(shape, StringShape) or not shape.enum:
            raise RuntimeError("botocore's SageMaker model has no TrainingInstanceType enum")
        return cls(
            types=tuple(shape.enum),
            source=f"botocore {botocore.__version__} sagemaker TrainingInstanceType enum",
        )
