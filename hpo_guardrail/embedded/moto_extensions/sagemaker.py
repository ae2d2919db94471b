"""SageMaker: the tuning job lifecycle moto lacks (InProgress, StopHyperParameterTuningJob, tags)."""

from __future__ import annotations

from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceNotFound, ValidationError
from moto.sagemaker.models import HyperParameterTuningJob, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from hpo_guardrail.embedded.moto_extensions.faults import with_faults

DEFAULT_REGION = "us-east-1"


TUNING_JOB_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting", "DeleteFailed")
_RUNNING_STATUSES = ("InProgress", "Stopping")


def extend_sagemaker() -> None:
    original_init = HyperParameterTuningJob.__init__

    def init_in_progress(self: HyperParameterTuningJob, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # moto keeps Tags=None for a job created without tags, and AddTags/ListTags/DeleteTags then
        # crash on None; SageMaker treats it as no tags.
        self.tags = self.tags or []
        # moto reports every job Completed at once. A real job runs for hours after the create call,
        # and the guardrail exists to act on running jobs.
        _apply_status(self, "InProgress")

    HyperParameterTuningJob.__init__ = init_in_progress  # type: ignore[method-assign]
    # moto has no StopHyperParameterTuningJob; the response class dispatches actions by method name.
    SageMakerModelBackend.stop_hyper_parameter_tuning_job = _stop_tuning_job  # type: ignore[attr-defined]
    SageMakerResponse.stop_hyper_parameter_tuning_job = with_faults(  # type: ignore[attr-defined]
        "sagemaker", "StopHyperParameterTuningJob", _stop_tuning_job_action
    )
    SageMakerResponse.describe_hyper_parameter_tuning_job = with_faults(  # type: ignore[method-assign,assignment]
        "sagemaker", "DescribeHyperParameterTuningJob", SageMakerResponse.describe_hyper_parameter_tuning_job
    )


def _stop_tuning_job(self: SageMakerModelBackend, hyper_parameter_tuning_job_name: str) -> None:
    job = _find_tuning_job(self, hyper_parameter_tuning_job_name)
    status = job.hyper_parameter_tuning_job_status
    if status != "InProgress":
        # SageMaker only models ResourceNotFound for this call; stopping a training job that is not
        # InProgress fails with ValidationException, and the tuning job API most likely does the same.
        raise ValidationError(
            message=f"The request was rejected because the hyper parameter tuning job "
            f"'{hyper_parameter_tuning_job_name}' is in status {status}."
        )
    # Real jobs stay Stopping while their training jobs get SIGTERM and 120 s to save; the emulator
    # keeps them there until a test or the demo calls set_tuning_job_status(..., "Stopped").
    _apply_status(job, "Stopping")


def _stop_tuning_job_action(self: SageMakerResponse) -> ActionResult:
    self.sagemaker_backend.stop_hyper_parameter_tuning_job(  # type: ignore[attr-defined]
        self._get_param("HyperParameterTuningJobName")
    )
    return EmptyResult()


def _find_tuning_job(backend: SageMakerModelBackend, name: str) -> HyperParameterTuningJob:
    job = backend.hyper_parameter_tuning_jobs.get(name)
    if job is None:
        raise ResourceNotFound(message=f"Could not find hyper parameter tuning job '{name}'.")
    return job


def _apply_status(job: HyperParameterTuningJob, status: str) -> None:
    job.hyper_parameter_tuning_job_status = status
    job.last_modified_time = utcnow()
    running = status in _RUNNING_STATUSES
    # moto types the end time as always set; a running job has none.
    job.hyper_parameter_tuning_end_time = None if running else utcnow()  # type: ignore[assignment]
    # Counters consistent with the status, so a Describe does not claim a finished training job
    # for a job that has only just started.
    job.training_job_status_counters = {
        "Completed": int(status == "Completed"),
        "InProgress": int(running),
        "RetryableError": 0,
        "NonRetryableError": int(status == "Failed"),
        "Stopped": int(status == "Stopped"),
    }


def set_tuning_job_status(
    name: str, status: str, *, account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION
) -> None:
    """Move an emulated tuning job to `status`, e.g. Completed before it is stopped, or Stopped."""
    if status not in TUNING_JOB_STATUSES:
        raise ValueError(f"unknown tuning job status {status!r}; expected one of {TUNING_JOB_STATUSES}")
    _apply_status(_find_tuning_job(sagemaker_backends[account_id][region], name), status)
