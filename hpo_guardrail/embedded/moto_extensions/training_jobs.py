"""SageMaker: the training jobs a tuning job runs, and the state-change events it sends.

moto creates no training jobs for a tuning job, has no ListTrainingJobsForHyperParameterTuningJob,
describes every tuning job with a made-up best training job ("FakeTrainingJobName"), runtime and
completion details, and puts no "SageMaker HyperParameter Tuning Job State Change" event on any bus.

Here a test or the demo makes a tuning job run a given list of training jobs and finish
(`run_tuning_job`). The training jobs then exist as SageMaker keeps them, in the tuning job's account and
region: ListTrainingJobsForHyperParameterTuningJob pages through them (sorted and filtered as the API
says), DescribeTrainingJob and ListTrainingJobs serve them, and DescribeHyperParameterTuningJob counts
them, names the best one and reports the finished state. A describe never shows moto's made-up entries.

State-change events: SageMaker puts one on the default bus of the job's account and region when the job
changes state, and "may send multiple events to EventBridge for each state change" (both from "Events that
Amazon SageMaker AI sends to Amazon EventBridge",
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html, section
"Hyperparameter tuning job state change"). `run_tuning_job` sends the finished state's; `emit_state_change`
sends the current state's at any moment (InProgress for a job whose creation a test plays without its
CloudTrail event). moto's CreateHyperParameterTuningJob sends none by itself: each replayed CloudTrail event
creates a job, and an event nobody asked for would reach every state-change rule of the shared emulator.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.events.models import events_backends
from moto.sagemaker.exceptions import ResourceNotFound, ValidationError
from moto.sagemaker.models import FakeTrainingJob, HyperParameterTuningJob, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from hpo_guardrail.embedded.moto_extensions.faults import with_faults

DEFAULT_REGION = "us-east-1"

STATE_CHANGE_SOURCE = "aws.sagemaker"
STATE_CHANGE_DETAIL_TYPE = "SageMaker HyperParameter Tuning Job State Change"
# botocore's service model: TrainingJobStatus (Deleting is left out: StatusEquals does not accept it in
# the API reference, and a tuning job's training jobs are not deleted).
TRAINING_JOB_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
FINISHED_TRAINING_JOB_STATUSES = ("Completed", "Failed", "Stopped")
# How a tuning job finishes (HyperParameterTuningJobStatus's terminal values).
FINAL_TUNING_JOB_STATUSES = ("Completed", "Stopped", "Failed")
# ListTrainingJobsForHyperParameterTuningJob (botocore's model and the API reference): MaxResults 1..100,
# default 10; SortBy Name (default), CreationTime, Status, FinalObjectiveMetricValue; SortOrder Ascending
# (default) or Descending.
_MAX_RESULTS = 100
_DEFAULT_MAX_RESULTS = 10
_SORT_BY = ("Name", "CreationTime", "Status", "FinalObjectiveMetricValue")
_SORT_ORDERS = ("Ascending", "Descending")
_TRAINING_JOBS_ATTRIBUTE = "_emulated_training_jobs"
_lock = threading.Lock()


@dataclass(frozen=True)
class TrainingJobRun:
    """One training job a tuning job runs in the emulator, as a test or the demo gives it.

    `hyperparameters` are the tuned ones, strings as the API keeps them. `objective_value` is the final
    objective metric (None: the job emitted none). Times are optional: by default the training jobs run
    back to back on the tuning job's MaxParallelTrainingJobs slots from its creation, each for
    `training_seconds` (default `billable_seconds`; managed spot bills less than it trains).
    """

    hyperparameters: Mapping[str, str]
    objective_value: float | None = None
    billable_seconds: int | None = None
    status: str = "Completed"
    definition_name: str | None = None
    training_seconds: int | None = None
    creation_time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    failure_reason: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.hyperparameters, Mapping) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in self.hyperparameters.items()
        ):
            raise ValueError(
                f"hyperparameters are a mapping of names to strings, as the API keeps them: {self.hyperparameters!r}"
            )
        # A copy: the caller's mapping may change after the job ran.
        object.__setattr__(self, "hyperparameters", dict(self.hyperparameters))
        if self.status not in TRAINING_JOB_STATUSES:
            raise ValueError(f"unknown training job status {self.status!r}; expected one of {TRAINING_JOB_STATUSES}")
        if self.objective_value is not None:
            if isinstance(self.objective_value, bool) or not isinstance(self.objective_value, int | float):
                raise ValueError(f"objective_value is a number or None, not {self.objective_value!r}")
            if not math.isfinite(self.objective_value):
                raise ValueError(f"objective_value must be finite, not {self.objective_value!r}")
            if self.status == "Failed":
                raise ValueError("a Failed training job has no final objective value (SageMaker does not use it)")
        seconds_given = (("billable_seconds", self.billable_seconds), ("training_seconds", self.training_seconds))
        for label, seconds in seconds_given:
            if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0):
                raise ValueError(f"{label} is a whole number of seconds >= 0, not {seconds!r}")
        if (
            self.billable_seconds is not None
            and self.training_seconds is not None
            and self.billable_seconds > self.training_seconds
        ):
            raise ValueError(
                f"billable_seconds ({self.billable_seconds}) cannot exceed training_seconds ({self.training_seconds})"
            )
        for label, moment in (("creation_time", self.creation_time), ("start_time", self.start_time)):
            if moment is not None and not isinstance(moment, datetime):
                raise ValueError(f"{label} is a datetime, not {moment!r}")
        if self.end_time is not None and not isinstance(self.end_time, datetime):
            raise ValueError(f"end_time is a datetime, not {self.end_time!r}")


class TunedTrainingJob(FakeTrainingJob):
    """A training job launched by a tuning job, kept in moto's SageMaker backend with the others.

    moto's own FakeTrainingJob is always Completed with a made-up metric; this one says what it was given.
    moto's DescribeTrainingJob and ListTrainingJobs read the attributes set here.
    """

    def __init__(  # the parent's constructor invents status, metrics and times: not called
        self,
        *,
        tuning_job: HyperParameterTuningJob,
        run: TrainingJobRun,
        name: str,
        definition: Mapping[str, Any],
        objective: Mapping[str, str],
        creation_time: datetime,
        start_time: datetime | None,
        end_time: datetime | None,
    ) -> None:
        self.training_job_name = name
        self.arn = FakeTrainingJob.arn_formatter(name, tuning_job.account_id, tuning_job.region_name)
        self.tuning_job_name = tuning_job.hyper_parameter_tuning_job_name
        self.tuning_job_arn = tuning_job.arn
        self.definition = definition
        self.definition_name = run.definition_name or definition.get("DefinitionName")
        self.objective = objective
        self.run = run
        self.training_job_status = run.status
        self.creation_time = creation_time
        # moto types them as always set; a training job that has not started or ended has none.
        self.training_start_time = start_time  # type: ignore[assignment]
        self.training_end_time = end_time  # type: ignore[assignment]
        self.last_modified_time = end_time or start_time or creation_time
        # The tuning job's tags are copied onto every training job it launches.
        self.tags = list(tuning_job.tags or [])

    @property
    def objective_status(self) -> str:
        """Succeeded (used by the tuning), Pending (still running) or Failed (none emitted, or failed)."""
        if self.training_job_status in ("InProgress", "Stopping"):
            return "Pending"
        if self.run.objective_value is not None and self.training_job_status in ("Completed", "Stopped"):
            return "Succeeded"
        return "Failed"

    def final_objective(self) -> dict[str, Any] | None:
        if self.run.objective_value is None:
            return None
        return {
            "Type": self.objective["Type"],
            "MetricName": self.objective["MetricName"],
            "Value": float(self.run.objective_value),
        }

    def summary(self) -> dict[str, Any]:
        """The HyperParameterTrainingJobSummary (ListTrainingJobsForHyperParameterTuningJob, BestTrainingJob)."""
        summary: dict[str, Any] = {
            "TrainingJobDefinitionName": self.definition_name,
            "TrainingJobName": self.training_job_name,
            "TrainingJobArn": self.arn,
            "TuningJobName": self.tuning_job_name,
            "CreationTime": self.creation_time,
            "TrainingStartTime": self.training_start_time,
            "TrainingEndTime": self.training_end_time,
            "TrainingJobStatus": self.training_job_status,
            "TunedHyperParameters": dict(self.run.hyperparameters),
            "FailureReason": self._failure_reason(),
            "FinalHyperParameterTuningJobObjectiveMetric": self.final_objective(),
            "ObjectiveStatus": self.objective_status,
        }
        return {key: value for key, value in summary.items() if value is not None}

    @property
    def response_object(self) -> dict[str, Any]:
        """The DescribeTrainingJob response: the definition's settings, the tuned values, times and billing."""
        definition = self.definition
        output = definition.get("OutputDataConfig", {})
        hyperparameters = {
            **definition.get("StaticHyperParameters", {}),
            **self.run.hyperparameters,
            # SageMaker adds the objective's name to every training job's hyperparameters.
            "_tuning_objective_metric": self.objective["MetricName"],
        }
        final = self.final_objective()
        running = self.training_job_status in ("InProgress", "Stopping")
        response: dict[str, Any] = {
            "TrainingJobName": self.training_job_name,
            "TrainingJobArn": self.arn,
            "TuningJobArn": self.tuning_job_arn,
            "ModelArtifacts": {
                "S3ModelArtifacts": f"{str(output.get('S3OutputPath', 's3://')).rstrip('/')}/"
                f"{self.training_job_name}/output/model.tar.gz"
            },
            "TrainingJobStatus": self.training_job_status,
            "SecondaryStatus": "Training" if running else self.training_job_status,
            "FailureReason": self._failure_reason(),
            "HyperParameters": hyperparameters,
            "AlgorithmSpecification": definition.get("AlgorithmSpecification"),
            "RoleArn": definition.get("RoleArn"),
            "InputDataConfig": definition.get("InputDataConfig"),
            "OutputDataConfig": output or None,
            "ResourceConfig": _resource_config(definition),
            "VpcConfig": definition.get("VpcConfig"),
            "StoppingCondition": definition.get("StoppingCondition", {}),
            "CreationTime": self.creation_time,
            "TrainingStartTime": self.training_start_time,
            "TrainingEndTime": self.training_end_time,
            "LastModifiedTime": self.last_modified_time,
            "FinalMetricDataList": (
                [{"MetricName": final["MetricName"], "Value": final["Value"], "Timestamp": self.last_modified_time}]
                if final
                else None
            ),
            "EnableNetworkIsolation": definition.get("EnableNetworkIsolation"),
            "EnableInterContainerTrafficEncryption": definition.get("EnableInterContainerTrafficEncryption"),
            "EnableManagedSpotTraining": definition.get("EnableManagedSpotTraining"),
            "CheckpointConfig": definition.get("CheckpointConfig"),
            "TrainingTimeInSeconds": self._training_seconds(),
            "BillableTimeInSeconds": self.run.billable_seconds,
            "Environment": definition.get("Environment"),
            "RetryStrategy": definition.get("RetryStrategy"),
        }
        return {key: value for key, value in response.items() if value is not None}

    def _failure_reason(self) -> str | None:
        if self.run.failure_reason is not None:
            return self.run.failure_reason
        return "AlgorithmError: the training job failed" if self.training_job_status == "Failed" else None

    def _training_seconds(self) -> int | None:
        if self.run.training_seconds is not None:
            return self.run.training_seconds
        if self.run.billable_seconds is not None:
            return self.run.billable_seconds
        if self.training_start_time is not None and self.training_end_time is not None:
            return int((self.training_end_time - self.training_start_time).total_seconds())
        return None


def _resource_config(definition: Mapping[str, Any]) -> dict[str, Any] | None:
    """The training job's ResourceConfig: the definition's, or with HyperParameterTuningResourceConfig the
    first of its InstanceConfigs (the Prioritized allocation strategy tries them in order)."""
    if "ResourceConfig" in definition:
        return dict(definition["ResourceConfig"])
    configs = definition.get("HyperParameterTuningResourceConfig", {}).get("InstanceConfigs") or []
    return dict(configs[0]) if configs else None


# --- the tuning job's side ---------------------------------------------------------------------------


def training_jobs_of(job: HyperParameterTuningJob) -> list[TunedTrainingJob] | None:
    """The training jobs the emulator ran for a tuning job, in launch order (None: it ran none)."""
    jobs: list[TunedTrainingJob] | None = getattr(job, _TRAINING_JOBS_ATTRIBUTE, None)
    return jobs


def _definitions(job: HyperParameterTuningJob) -> list[Mapping[str, Any]]:
    if job.training_job_definitions:
        return list(job.training_job_definitions)
    return [job.training_job_definition] if job.training_job_definition else []


def _objective(job: HyperParameterTuningJob, definition: Mapping[str, Any]) -> Mapping[str, str]:
    """A definition's TuningObjective (multi-algorithm tuning), else the job's HyperParameterTuningJobObjective."""
    objective: Mapping[str, str] | None = definition.get("TuningObjective") or (
        job.hyper_parameter_tuning_job_config or {}
    ).get("HyperParameterTuningJobObjective")
    if not objective or "Type" not in objective or "MetricName" not in objective:
        raise ValueError(
            f"tuning job {job.hyper_parameter_tuning_job_name!r} has no objective (Type and MetricName) "
            f"for definition {definition.get('DefinitionName')!r}"
        )
    return objective


def _definition_for(job: HyperParameterTuningJob, run: TrainingJobRun) -> Mapping[str, Any]:
    definitions = _definitions(job)
    if not definitions:
        raise ValueError(f"tuning job {job.hyper_parameter_tuning_job_name!r} has no training job definition")
    if run.definition_name is None:
        if len(definitions) > 1:
            names = [d.get("DefinitionName") for d in definitions]
            raise ValueError(f"the tuning job has several training job definitions {names}: give definition_name")
        return definitions[0]
    for definition in definitions:
        if definition.get("DefinitionName") == run.definition_name:
            return definition
    names = [d.get("DefinitionName") for d in definitions]
    raise ValueError(f"no training job definition named {run.definition_name!r}; the tuning job has {names}")


def _as_utc_naive(moment: datetime) -> datetime:
    """moto keeps UTC times without a zone; an aware time is converted, a naive one taken as UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _schedule(
    job: HyperParameterTuningJob, runs: Sequence[TrainingJobRun]
) -> list[tuple[datetime, datetime | None, datetime | None]]:
    """(creation, start, end) of each run: given times win; the rest run back to back on the job's
    MaxParallelTrainingJobs slots from its creation, each for its training (else billable) seconds."""
    limits = (job.hyper_parameter_tuning_job_config or {}).get("ResourceLimits", {})
    slots = [_as_utc_naive(job.creation_time)] * max(1, int(limits.get("MaxParallelTrainingJobs") or 1))
    heapq.heapify(slots)
    times: list[tuple[datetime, datetime | None, datetime | None]] = []
    for run in runs:
        free = heapq.heappop(slots)
        creation = _as_utc_naive(run.creation_time) if run.creation_time else free
        start = _as_utc_naive(run.start_time) if run.start_time else creation
        seconds = run.training_seconds if run.training_seconds is not None else run.billable_seconds
        if run.end_time is not None:
            end: datetime | None = _as_utc_naive(run.end_time)
        elif run.status in FINISHED_TRAINING_JOB_STATUSES:
            end = start + timedelta(seconds=seconds or 0)
        else:
            end = None
        if end is not None and end < start:
            raise ValueError(f"a training job ends ({end}) before it starts ({start})")
        heapq.heappush(slots, end or start)
        times.append((creation, start, end))
    return times


def _training_job_name(tuning_job_name: str, index: int, run: TrainingJobRun) -> str:
    """The given name, else one shaped as SageMaker names a tuning job's training jobs: the tuning job's
    name, a three-digit sequence number and a short hash (e.g. my-tuning-job-007-1f2e3d4c)."""
    if run.name:
        return run.name
    digest = hashlib.sha256(f"{tuning_job_name}/{index}".encode()).hexdigest()[:8]
    return f"{tuning_job_name}-{index:03d}-{digest}"


def run_tuning_job(
    name: str,
    training_jobs: Iterable[TrainingJobRun],
    final_status: str,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    failure_reason: str | None = None,
    end_time: datetime | None = None,
    copies: int = 1,
) -> list[str]:
    """Make an emulated tuning job run `training_jobs` and finish in `final_status`; returns the ids of
    the state-change events it put on its account's default bus (`copies` of them, as SageMaker may
    send several per change).

    The job must be InProgress (or Stopping, to finish Stopped). Every training job must have finished
    (Completed, Failed or Stopped). `end_time` (default: the last training job's end, or now) is the tuning
    job's HyperParameterTuningEndTime.
    """
    if final_status not in FINAL_TUNING_JOB_STATUSES:
        raise ValueError(f"a tuning job finishes {FINAL_TUNING_JOB_STATUSES}, not {final_status!r}")
    if copies < 1:
        raise ValueError(f"copies is the number of events per state change, at least 1, not {copies!r}")
    runs = list(training_jobs)
    for run in runs:
        if not isinstance(run, TrainingJobRun):
            raise ValueError(f"training jobs are TrainingJobRun, not {type(run).__name__}")
        if run.status not in FINISHED_TRAINING_JOB_STATUSES:
            raise ValueError(
                f"a finished tuning job has no running training jobs; got one {run.status} "
                f"(use one of {FINISHED_TRAINING_JOB_STATUSES})"
            )
    if failure_reason is not None and final_status != "Failed":
        raise ValueError("failure_reason is for a tuning job that finishes Failed")
    backend = sagemaker_backends[account_id][region]
    with _lock:
        job = _emulated_job(backend, name, account_id, region)
        status = job.hyper_parameter_tuning_job_status
        if not (status == "InProgress" or (status == "Stopping" and final_status == "Stopped")):
            raise ValueError(f"tuning job {name!r} is {status}: it cannot finish {final_status}")
        if training_jobs_of(job) is not None:
            raise ValueError(f"tuning job {name!r} has already run its training jobs")
        launched = _launch(job, runs)
        names = [training_job.training_job_name for training_job in launched]
        if len(set(names)) != len(names) or any(n in backend.training_jobs for n in names):
            raise ValueError(f"training job names must be new and unique in {account_id}/{region}")
        for training_job in launched:
            backend.training_jobs[training_job.training_job_name] = training_job
        setattr(job, _TRAINING_JOBS_ATTRIBUTE, launched)
        ends = [t.training_end_time for t in launched if t.training_end_time is not None]
        finished = _as_utc_naive(end_time) if end_time else max(ends, default=None) or utcnow()
        job.hyper_parameter_tuning_job_status = final_status
        job.hyper_parameter_tuning_end_time = finished
        job.last_modified_time = finished
        if final_status == "Failed":
            job.failure_reason = failure_reason or "the tuning job failed"
    return emit_state_change(name, account_id=account_id, region=region, copies=copies)


def _launch(job: HyperParameterTuningJob, runs: Sequence[TrainingJobRun]) -> list[TunedTrainingJob]:
    launched = []
    for index, (run, (creation, start, end)) in enumerate(zip(runs, _schedule(job, runs), strict=True), start=1):
        definition = _definition_for(job, run)
        launched.append(
            TunedTrainingJob(
                tuning_job=job,
                run=run,
                name=_training_job_name(job.hyper_parameter_tuning_job_name, index, run),
                definition=definition,
                objective=_objective(job, definition),
                creation_time=creation,
                start_time=start,
                end_time=end,
            )
        )
    return launched


def _find(backend: Any, name: str) -> HyperParameterTuningJob:
    job: HyperParameterTuningJob | None = backend.hyper_parameter_tuning_jobs.get(name)
    if job is None:
        raise ResourceNotFound(message=f"Could not find hyper parameter tuning job '{name}'.")
    return job


def _emulated_job(backend: Any, name: str, account_id: str, region: str) -> HyperParameterTuningJob:
    """The job a test or the demo names (a LookupError, not an API error, when there is none)."""
    job: HyperParameterTuningJob | None = backend.hyper_parameter_tuning_jobs.get(name)
    if job is None:
        raise LookupError(f"no tuning job {name!r} in account {account_id}, region {region}")
    return job


# --- DescribeHyperParameterTuningJob -----------------------------------------------------------------

# Entries moto makes up for every tuning job; SageMaker returns them only when they are true.
_MADE_UP = ("BestTrainingJob", "OverallBestTrainingJob", "TuningJobCompletionDetails", "ConsumedResources")


def _describe(job: HyperParameterTuningJob, original: Any) -> dict[str, Any]:
    response: dict[str, Any] = dict(original(job))
    for key in _MADE_UP:
        response.pop(key, None)
    if not response.get("FailureReason"):
        response.pop("FailureReason", None)
    training_jobs = training_jobs_of(job)
    if training_jobs is not None:
        response["TrainingJobStatusCounters"] = _status_counters(training_jobs)
        response["ObjectiveStatusCounters"] = _objective_counters(training_jobs)
        best = _best(training_jobs)
        if best is not None:
            response["BestTrainingJob"] = best.summary()
    end = job.hyper_parameter_tuning_end_time
    response["ConsumedResources"] = {
        "RuntimeInSeconds": max(0, int(((end or utcnow()) - _as_utc_naive(job.creation_time)).total_seconds()))
    }
    return response


def _status_counters(training_jobs: Sequence[TunedTrainingJob]) -> dict[str, int]:
    statuses = [t.training_job_status for t in training_jobs]
    return {
        "Completed": statuses.count("Completed"),
        "InProgress": statuses.count("InProgress") + statuses.count("Stopping"),
        # The emulator's failures are the algorithm's (client errors), which SageMaker does not retry.
        "RetryableError": 0,
        "NonRetryableError": statuses.count("Failed"),
        "Stopped": statuses.count("Stopped"),
    }


def _objective_counters(training_jobs: Sequence[TunedTrainingJob]) -> dict[str, int]:
    statuses = [t.objective_status for t in training_jobs]
    return {name: statuses.count(name) for name in ("Succeeded", "Pending", "Failed")}


def _best(training_jobs: Sequence[TunedTrainingJob]) -> TunedTrainingJob | None:
    """The training job with the best objective among those the tuning used; the earliest on a tie."""
    scored = [t for t in training_jobs if t.objective_status == "Succeeded"]
    if not scored:
        return None

    def rank(training_job: TunedTrainingJob) -> float:
        value = float(training_job.run.objective_value or 0.0)
        return -value if training_job.objective["Type"] == "Maximize" else value

    return min(scored, key=rank)  # min keeps the first of equals: launch order


# --- ListTrainingJobsForHyperParameterTuningJob ------------------------------------------------------


def _list_training_jobs(self: SageMakerResponse) -> ActionResult:
    name = self._get_param("HyperParameterTuningJobName")
    max_results = self._get_param("MaxResults")
    sort_by = self._get_param("SortBy") or "Name"
    sort_order = self._get_param("SortOrder") or "Ascending"
    status_equals = self._get_param("StatusEquals")
    if max_results is None:
        max_results = _DEFAULT_MAX_RESULTS
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= _MAX_RESULTS:
        raise ValidationError(
            message=f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value between 1 and {_MAX_RESULTS}"
        )
    for label, value, allowed in (
        ("sortBy", sort_by, _SORT_BY),
        ("sortOrder", sort_order, _SORT_ORDERS),
        ("statusEquals", status_equals, TRAINING_JOB_STATUSES),
    ):
        if value is not None and value not in allowed:
            raise ValidationError(
                message=f"1 validation error detected: Value '{value}' at '{label}' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
            )
    job = _find(self.sagemaker_backend, name)
    selected = [
        t for t in training_jobs_of(job) or [] if status_equals is None or t.training_job_status == status_equals
    ]
    if sort_by == "FinalObjectiveMetricValue":
        # The API reference: with this sort, training jobs that returned no objective metric are not listed.
        selected = [t for t in selected if t.run.objective_value is not None]
    selected.sort(key=_sort_key(sort_by), reverse=sort_order == "Descending")
    query = f"{name}|{sort_by}|{sort_order}|{status_equals}"
    offset = _read_token(self._get_param("NextToken"), query, len(selected))
    page = selected[offset : offset + max_results]
    response: dict[str, Any] = {"TrainingJobSummaries": [t.summary() for t in page]}
    if offset + max_results < len(selected):
        response["NextToken"] = _token(offset + max_results, query)
    return ActionResult(response)


def _sort_key(sort_by: str) -> Any:
    if sort_by == "CreationTime":
        return lambda t: (t.creation_time, t.training_job_name)
    if sort_by == "Status":
        return lambda t: (t.training_job_status, t.training_job_name)
    if sort_by == "FinalObjectiveMetricValue":
        return lambda t: (float(t.run.objective_value), t.training_job_name)
    return lambda t: t.training_job_name


def _token(offset: int, query: str) -> str:
    # Opaque to the caller, as SageMaker's tokens are; it names the query it belongs to.
    payload = {"offset": offset, "query": hashlib.sha256(query.encode()).hexdigest()[:16]}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _read_token(token: str | None, query: str, total: int) -> int:
    if not token:
        return 0
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(payload["offset"])
        same_query = payload["query"] == hashlib.sha256(query.encode()).hexdigest()[:16]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValidationError(message="Invalid pagination token.") from None
    if not same_query or not 0 <= offset <= total:
        raise ValidationError(message="Invalid pagination token: it belongs to another request.")
    return offset


# --- state-change events -----------------------------------------------------------------------------


def _epoch_millis(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return int(_as_utc_naive(moment).replace(tzinfo=UTC).timestamp() * 1000)


def state_change_detail(job: HyperParameterTuningJob) -> dict[str, Any]:
    """The event's detail, with the fields AWS's example and the EventBridge schema of this event have
    (the page in the module docstring; CDK's SageMakerHyperParameterTuningJobStateChange pattern lists
    the same): name, ARN, TrainingJobDefinition, status, creation and modification times in epoch
    milliseconds, both counters and the tags as a map. No best training job: consumers Describe."""
    described = job.describe()
    detail: dict[str, Any] = {
        "HyperParameterTuningJobName": job.hyper_parameter_tuning_job_name,
        "HyperParameterTuningJobArn": job.arn,
        "TrainingJobDefinition": described.get("TrainingJobDefinition"),
        "HyperParameterTuningJobStatus": job.hyper_parameter_tuning_job_status,
        "CreationTime": _epoch_millis(job.creation_time),
        "LastModifiedTime": _epoch_millis(job.last_modified_time),
        "TrainingJobStatusCounters": described.get("TrainingJobStatusCounters"),
        "ObjectiveStatusCounters": described.get("ObjectiveStatusCounters"),
        "Tags": {tag["Key"]: tag["Value"] for tag in job.tags or []},
    }
    return {key: value for key, value in detail.items() if value is not None}


def emit_state_change(
    name: str, *, account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION, copies: int = 1
) -> list[str]:
    """Put the tuning job's current state on the default bus of its account and region, `copies` times
    (separate events with their own ids, as SageMaker may send several per change); returns their ids."""
    if copies < 1:
        raise ValueError(f"copies is the number of events per state change, at least 1, not {copies!r}")
    job = _emulated_job(sagemaker_backends[account_id][region], name, account_id, region)
    entry = {
        "Source": STATE_CHANGE_SOURCE,
        "DetailType": STATE_CHANGE_DETAIL_TYPE,
        "Detail": json.dumps(state_change_detail(job)),
        "Resources": [job.arn],
        "EventBusName": "default",
        "Time": _as_utc_naive(job.last_modified_time).replace(tzinfo=UTC).timestamp(),
    }
    bus = events_backends[account_id][region]
    event_ids = []
    for _ in range(copies):
        (result,) = bus.put_events([dict(entry)])
        if "EventId" not in result:
            raise RuntimeError(f"the default bus refused the state-change event: {result}")
        event_ids.append(str(result["EventId"]))
    return event_ids


def extend_training_jobs() -> None:
    """Serve the training jobs of tuning jobs, and describe tuning jobs without moto's made-up entries."""
    original_describe = HyperParameterTuningJob.describe

    def describe(self: HyperParameterTuningJob) -> dict[str, Any]:
        return _describe(self, original_describe)

    HyperParameterTuningJob.describe = describe  # type: ignore[method-assign]
    # The response class dispatches actions by method name; moto has none for this one.
    SageMakerResponse.list_training_jobs_for_hyper_parameter_tuning_job = with_faults(  # type: ignore[attr-defined]
        "sagemaker", "ListTrainingJobsForHyperParameterTuningJob", _list_training_jobs
    )
    SageMakerResponse.describe_training_job = with_faults(  # type: ignore[method-assign,assignment]
        "sagemaker", "DescribeTrainingJob", SageMakerResponse.describe_training_job
    )
