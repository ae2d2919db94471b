"""SageMaker: describe one tuning job, for the state-change trigger (the guardrail function).

The function judges a job whose creation event never came, and reviews a finished job, from its Describe
response. `TuningJobReader` (sagemaker.py) describes too, but carries the listing and tag permissions of `scan`
and the reconciliation, which the guardrail function does not need: the state-change event brings the tags.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hpo_guardrail.adapters.clients import aws_call
from hpo_guardrail.adapters.sagemaker import _missing_as_not_found


class TuningJobDescriber:
    """DescribeHyperParameterTuningJob over an injected boto3 SageMaker client; a job that is gone raises
    JobNotFound, any other failure AwsCallFailed."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("sagemaker:DescribeHyperParameterTuningJob",)

    def __init__(self, client: Any) -> None:
        self._client = client

    def describe(self, job_name: str) -> dict[str, Any]:
        """The DescribeHyperParameterTuningJob response (it holds no tags)."""
        with aws_call(), _missing_as_not_found(job_name):
            return dict(self._client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=job_name))
