"""Tuning jobs in the emulator, created from the CloudTrail events that describe them.

In AWS the API call creates the job and CloudTrail reports it afterwards. To replay a recorded event,
the job must exist first: the event's `requestParameters` (CloudTrail's lowerCamelCase) is turned back
into the boto3 request by walking the SageMaker service model, and the job is created with it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from hpo_guardrail.adapters.request_shapes import request_from_cloudtrail
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.moto_extensions import inject_faults, set_tuning_job_status
from rules.events import read_event
from rules.models import TuningJobCall
from rules.parsing import InvalidRequest


def is_successful_create_call(event: dict[str, Any]) -> bool:
    """Whether the event reports a CreateHyperParameterTuningJob call that succeeded (so a job exists).

    Read by the guardrail's own event reader: a job exists exactly for the events it would evaluate.
    """
    try:
        return isinstance(read_event(event), TuningJobCall)
    except InvalidRequest:
        return False


def create_tuning_job_for_event(aws: EmbeddedAws, event: dict[str, Any]) -> str | None:
    """Create in the emulator the job a successful create call's event describes; returns its name.

    Events of failed calls or of other APIs create nothing (None). A job that already exists (the same
    event delivered twice) is left as it is.
    """
    if not is_successful_create_call(event):
        return None
    request = request_from_cloudtrail(event["detail"]["requestParameters"])
    try:
        aws.client("sagemaker").create_hyper_parameter_tuning_job(**request)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUse":
            raise
    return str(request["HyperParameterTuningJobName"])


def tuning_job_status(aws: EmbeddedAws, name: str) -> str:
    """The job's status, read by DescribeHyperParameterTuningJob."""
    description = aws.client("sagemaker").describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    return str(description["HyperParameterTuningJobStatus"])


def set_status(aws: EmbeddedAws, name: str, status: str) -> None:
    """Move a tuning job in the emulator to `status` (e.g. Completed, or Stopped after Stopping)."""
    set_tuning_job_status(name, status, account_id=aws.account_id, region=aws.region)


class EmulatedTuningJobs:
    """The emulator's tuning jobs, for tests and the demo: create from events, read and set status."""

    def __init__(self, aws: EmbeddedAws) -> None:
        self._aws = aws

    def create_for_event(self, event: dict[str, Any]) -> str | None:
        """Create the job a successful create call's event describes (see create_tuning_job_for_event)."""
        return create_tuning_job_for_event(self._aws, event)

    def status(self, name: str) -> str:
        """The job's status, read by DescribeHyperParameterTuningJob."""
        return tuning_job_status(self._aws, name)

    def set_status(self, name: str, status: str) -> None:
        """Move the job to `status` in the emulator."""
        set_status(self._aws, name, status)

    def fail_next(self, action: str, error_code: str, times: int) -> None:
        """Make the next `times` calls of a SageMaker action fail with `error_code` (see inject_faults)."""
        inject_faults("sagemaker", action, error_code, times, account_id=self._aws.account_id, region=self._aws.region)
