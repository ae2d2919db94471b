"""Small builders for tuning requests and the events that carry them (no copy-pasted JSON blobs)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
PRINCIPAL = f"arn:aws:sts::{ACCOUNT}:assumed-role/DataScientist/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/DataScientist"
# Members whose keys the user chose: CloudTrail keeps their spelling.
USER_MAPS = frozenset({"StaticHyperParameters", "Environment"})


def continuous(name: str, low: str, high: str, scaling: str | None = "Linear") -> dict[str, Any]:
    r = {"Name": name, "MinValue": low, "MaxValue": high}
    return r if scaling is None else {**r, "ScalingType": scaling}


def integer(name: str, low: str, high: str, scaling: str | None = "Auto") -> dict[str, Any]:
    return continuous(name, low, high, scaling)


def categorical(name: str, *values: str) -> dict[str, Any]:
    return {"Name": name, "Values": list(values)}


def training_definition(
    instance_type: str = "ml.m5.xlarge",
    instance_count: int = 1,
    max_runtime_seconds: int = 3600,
    **extra: Any,
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "AlgorithmSpecification": {
            "TrainingImage": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/trainer:latest",
            "TrainingInputMode": "File",
        },
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecution",
        "OutputDataConfig": {"S3OutputPath": "s3://ml-artifacts/tuning/"},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": instance_count, "VolumeSizeInGB": 50},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime_seconds},
        "StaticHyperParameters": {"epochs": "10"},
    }
    definition.update(extra)
    return definition


def tuning_request(
    name: str = "churn-tuning",
    *,
    continuous_ranges: list[dict[str, Any]] | None = None,
    integer_ranges: list[dict[str, Any]] | None = None,
    categorical_ranges: list[dict[str, Any]] | None = None,
    strategy: str = "Bayesian",
    max_jobs: int | None = 20,
    max_parallel: int = 2,
    max_runtime_seconds: int | None = None,
    definition: dict[str, Any] | None = None,
    definitions: list[dict[str, Any]] | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A PascalCase CreateHyperParameterTuningJob request, as boto3 takes it."""
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": max_parallel}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    if max_runtime_seconds is not None:
        limits["MaxRuntimeInSeconds"] = max_runtime_seconds
    config: dict[str, Any] = {
        "Strategy": strategy,
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
        "ResourceLimits": limits,
    }
    request: dict[str, Any] = {"HyperParameterTuningJobName": name, "HyperParameterTuningJobConfig": config}
    if definitions is not None:
        request["TrainingJobDefinitions"] = definitions
    else:
        config["ParameterRanges"] = {
            "ContinuousParameterRanges": continuous_ranges or [],
            "IntegerParameterRanges": integer_ranges or [],
            "CategoricalParameterRanges": categorical_ranges or [],
        }
        request["TrainingJobDefinition"] = definition or training_definition()
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return request


def cloudtrail_casing(value: Any, _inside_user_map: bool = False) -> Any:
    """Rewrite structure keys in lowerCamelCase as CloudTrail does; user map keys keep their spelling."""
    if isinstance(value, list):
        return [cloudtrail_casing(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _inside_user_map:
        return dict(value)
    return {k[0].lower() + k[1:]: cloudtrail_casing(v, k in USER_MAPS) for k, v in value.items()}


def cloudtrail_event(
    request: dict[str, Any] | None = None,
    *,
    event_name: str = "CreateHyperParameterTuningJob",
    error_code: str | None = None,
    error_message: str | None = None,
    event_id: str | None = None,
    camel_case: bool = True,
) -> dict[str, Any]:
    """An EventBridge event carrying the CloudTrail record of one SageMaker API call."""
    request = copy.deepcopy(request if request is not None else tuning_request())
    name = request.get("HyperParameterTuningJobName", "job")
    event_id = event_id or str(uuid.uuid4())
    detail: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:alice",
            "arn": PRINCIPAL,
            "accountId": ACCOUNT,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE, "userName": "DataScientist"}},
        },
        "eventTime": "2026-11-26T09:30:00Z",
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": event_name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux lang/python#3.12.4 sagemaker-python-sdk/2.232",
        "requestParameters": cloudtrail_casing(request) if camel_case else request,
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    if error_code:
        detail["errorCode"] = error_code
        detail["errorMessage"] = error_message or "The request was rejected."
    elif event_name == "CreateHyperParameterTuningJob":
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/{name.lower()}"
        detail["responseElements"] = {"hyperParameterTuningJobArn": arn}
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, event_id)),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": "2026-11-26T09:30:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def costly_linear_lr_event(name: str) -> dict[str, Any]:
    """A costly, misconfigured job's event: 100 jobs x 10 h on ml.p3.2xlarge, a linear learning rate."""
    return cloudtrail_event(
        tuning_request(
            name,
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        )
    )


def clean_event(name: str) -> dict[str, Any]:
    """A well-configured, cheap job's event with a fresh event id: no findings, one audit record."""
    return cloudtrail_event(
        tuning_request(
            name,
            continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Logarithmic")],
            max_jobs=10,
            max_runtime_seconds=36_000,
        ),
        event_id=str(uuid.uuid4()),
    )


# The largest request SageMaker accepts, from the SageMaker model in botocore (data/sagemaker/2017-07-24/
# service-2.json): HyperParameterTrainingJobDefinitions max 10; IntegerParameterRanges, ContinuousParameterRanges
# and CategoricalParameterRanges max 30 each, with at most 30 ranges in all per job (the service's limit, which
# the model cannot express: "Developer Guide, Define Hyperparameter Ranges"); ParameterValues max 30;
# HyperParameters (StaticHyperParameters) max 100.
LARGEST_DEFINITIONS, LARGEST_RANGES, LARGEST_STATIC, LARGEST_VALUES = 10, 30, 100, 30


def largest_request(name: str = "largest-tuning-job") -> dict[str, Any]:
    """A CreateHyperParameterTuningJob request at SageMaker's limits: 10 training job definitions, each with 30
    ranges (a mix of well and badly configured ones, so that most rules have something to say) and 100 static
    hyperparameters. Deterministic: evaluating it gives the same findings every time."""
    instance_types = ("ml.m5.xlarge", "ml.g5.2xlarge", "ml.p3.2xlarge", "ml.c5.4xlarge", "ml.p4d.24xlarge")
    definitions = []
    for number in range(LARGEST_DEFINITIONS):
        third = LARGEST_RANGES // 3
        ranges = {
            "ContinuousParameterRanges": [
                continuous(f"learning_rate_{i}", "0.0001", "1.0", "Linear")
                if i % 3 == 0
                else continuous(f"momentum_{i}", "0.8", "0.99", "Linear")
                if i % 3 == 1
                else continuous(f"dropout_{i}", "0.0", "0.5", "Logarithmic")
                for i in range(third)
            ],
            "IntegerParameterRanges": [
                integer(f"batch_size_{i}", "16", "4096", "Linear") if i % 2 else integer(f"layers_{i}", "1", "8")
                for i in range(third)
            ],
            "CategoricalParameterRanges": [
                categorical(f"optimizer_{i}", *(f"choice-{v}" for v in range(LARGEST_VALUES)))
                for i in range(LARGEST_RANGES - 2 * third)
            ],
        }
        definition = training_definition(
            instance_types[number % len(instance_types)], 1 + number % 3, 3600 * (1 + number % 5)
        )
        definition["StaticHyperParameters"] = {f"static_{i}": str(i) for i in range(LARGEST_STATIC)}
        definition["DefinitionName"] = f"definition-{number}"
        definition["TuningObjective"] = {"Type": "Maximize", "MetricName": "validation:auc"}
        definition["HyperParameterRanges"] = ranges
        if number % 4 == 3:
            definition["EnableManagedSpotTraining"] = True
        definitions.append(definition)
    return tuning_request(name, definitions=definitions, max_jobs=500, max_parallel=10)
