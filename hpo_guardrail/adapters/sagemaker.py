"""SageMaker tuning jobs: describe and stop."""

from __future__ import annotations

from typing import Any, ClassVar

from botocore.exceptions import ClientError

from hpo_guardrail.enforce.ports import JobNotFound, JobNotStoppable


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class SageMakerJobController:
    """JobController over an injected boto3 SageMaker client."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = (
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:StopHyperParameterTuningJob",
    )

    def __init__(self, client: Any) -> None:
        self._client = client

    def status(self, job_name: str) -> str:
        try:
            response = self._client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=job_name)
        except ClientError as error:
            if _code(error) in ("ResourceNotFound", "ResourceNotFoundException", "ValidationException"):
                raise JobNotFound(job_name) from error
            raise
        return str(response["HyperParameterTuningJobStatus"])

    def stop(self, job_name: str) -> None:
        try:
            self._client.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=job_name)
        except ClientError as error:
            code = _code(error)
            if code in ("ResourceNotFound", "ResourceNotFoundException"):
                raise JobNotFound(job_name) from error
            if code == "ValidationException":
                raise JobNotStoppable(error.response.get("Error", {}).get("Message", code)) from error
            raise
