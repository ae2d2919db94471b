"""SageMaker tuning jobs: describe and stop (the function), list, describe and read tags (scan, reconciliation)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from botocore.exceptions import ClientError

from hpo_guardrail.adapters.clients import AwsCallFailed, aws_call
from hpo_guardrail.enforce.ports import JobController, JobNotFound, JobNotStoppable

if TYPE_CHECKING:
    from hpo_guardrail.adapters.member import MemberSessions

_NOT_FOUND = ("ResourceNotFound", "ResourceNotFoundException")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _missing_as_not_found(job: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        if _code(error) in _NOT_FOUND:
            raise JobNotFound(job) from error
        raise


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
            if _code(error) in (*_NOT_FOUND, "ValidationException"):
                raise JobNotFound(job_name) from error
            raise
        return str(response["HyperParameterTuningJobStatus"])

    def stop(self, job_name: str) -> None:
        try:
            self._client.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=job_name)
        except ClientError as error:
            code = _code(error)
            if code in _NOT_FOUND:
                raise JobNotFound(job_name) from error
            if code == "ValidationException":
                raise JobNotStoppable(error.response.get("Error", {}).get("Message", code)) from error
            raise


class SageMakerJobControllers:
    """JobControllers: the function's own session in its own account, the member role in any other.

    `own_client(region)` makes a SageMaker client of the function's own session in a region. `members` is
    None for a single account: then every job is acted on with the function's own session, as the guardrail
    only receives its own account's events. Controllers are kept per account and region.
    """

    def __init__(
        self,
        own_client: Callable[[str], Any],
        *,
        home_account: str | None,
        home_region: str,
        members: MemberSessions | None = None,
    ) -> None:
        self._own_client = own_client
        self._home_account = home_account
        self._home_region = home_region
        self._members = members
        self._own: dict[str, SageMakerJobController] = {}

    def controller(self, account: str | None, region: str | None, *, event_id: str) -> JobController:
        region = region or self._home_region
        if self._members is None or account is None or account == self._home_account:
            if region not in self._own:
                self._own[region] = SageMakerJobController(self._own_client(region))
            return self._own[region]
        # Not cached here: the member sessions keep each account's clients while its credentials last.
        return SageMakerJobController(self._members.client("sagemaker", account, region, event_id=event_id))


class TuningJobDescriber:
    """DescribeHyperParameterTuningJob over an injected boto3 SageMaker client: what the guardrail function reads of
    a job a state-change event names (the event brings the tags). A job that is gone raises JobNotFound, any other
    failure AwsCallFailed."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("sagemaker:DescribeHyperParameterTuningJob",)

    def __init__(self, client: Any) -> None:
        self._client = client

    def describe(self, job_name: str) -> dict[str, Any]:
        """The DescribeHyperParameterTuningJob response (it holds no tags)."""
        with aws_call(), _missing_as_not_found(job_name):
            return dict(self._client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=job_name))


class TuningJobReader(TuningJobDescriber):
    """What `scan` and the reconciliation read of an account's tuning jobs, over an injected boto3 SageMaker client.

    A job that is gone raises JobNotFound; any other failure AwsCallFailed.
    """

    PERMISSIONS: ClassVar[tuple[str, ...]] = (
        "sagemaker:ListHyperParameterTuningJobs",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:ListTags",
    )

    def in_progress(self, name_contains: str | None = None) -> Iterator[tuple[str, str]]:
        """(name, ARN) of every InProgress tuning job, through every page."""
        arguments: dict[str, Any] = {"StatusEquals": "InProgress"}
        if name_contains:
            arguments["NameContains"] = name_contains
        with aws_call():
            for page in self._client.get_paginator("list_hyper_parameter_tuning_jobs").paginate(**arguments):
                for summary in page["HyperParameterTuningJobSummaries"]:
                    yield summary["HyperParameterTuningJobName"], summary["HyperParameterTuningJobArn"]

    def created_between(self, after: datetime, before: datetime) -> Iterator[tuple[str, str, datetime | None]]:
        """(name, ARN, CreationTime) of every tuning job created after `after` and before `before`, whatever its
        status, through every page (ListHyperParameterTuningJobs' CreationTimeAfter and CreationTimeBefore,
        botocore model)."""
        arguments = {"CreationTimeAfter": after, "CreationTimeBefore": before}
        with aws_call():
            for page in self._client.get_paginator("list_hyper_parameter_tuning_jobs").paginate(**arguments):
                for summary in page["HyperParameterTuningJobSummaries"]:
                    name, arn = summary["HyperParameterTuningJobName"], summary["HyperParameterTuningJobArn"]
                    yield name, arn, summary.get("CreationTime")

    def tags(self, arn: str) -> list[dict[str, str]]:
        """The job's tags through every ListTags page (team scopes match on them)."""
        tags: list[dict[str, str]] = []
        with aws_call(), _missing_as_not_found(arn):
            for page in self._client.get_paginator("list_tags").paginate(ResourceArn=arn):
                tags.extend(page.get("Tags", []))
        return tags


# ListTrainingJobsForHyperParameterTuningJob's MaxResults maximum (botocore's service model: 1..100, default 10).
_TRAINING_JOBS_PAGE_SIZE = 100
# What DescribeTrainingJob adds that the list's HyperParameterTrainingJobSummary lacks and a review needs: the
# billed and trained seconds, the instances (with HyperParameterTuningResourceConfig each training job may get
# another) and whether it ran on managed spot.
_DESCRIBED_FIELDS = ("BillableTimeInSeconds", "TrainingTimeInSeconds", "ResourceConfig", "EnableManagedSpotTraining")


class TrainingJobReader:
    """The training jobs a tuning job launched, for the post-run review, over an injected SageMaker client.

    A tuning job that is gone raises JobNotFound; any other failure AwsCallFailed.
    """

    PERMISSIONS: ClassVar[tuple[str, ...]] = (
        "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
        "sagemaker:DescribeTrainingJob",
    )

    def __init__(self, client: Any, *, describe_workers: int = 8) -> None:
        if describe_workers < 1:
            raise ValueError(f"describe_workers must be at least 1, not {describe_workers}")
        self._client = client
        # DescribeTrainingJob is one call per training job (up to 750 by default, 10,000 for Random): a few
        # at a time keep a large job's review within the function's timeout.
        self._describe_workers = describe_workers

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        """Every training job of the tuning job, in launch order (CreationTime ascending): its
        HyperParameterTrainingJobSummary with the DescribeTrainingJob fields it lacks merged in
        (BillableTimeInSeconds, TrainingTimeInSeconds, ResourceConfig, EnableManagedSpotTraining, when
        SageMaker reports them). Field names are the API's."""
        from concurrent.futures import ThreadPoolExecutor

        paginator = self._client.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
        pages = paginator.paginate(
            HyperParameterTuningJobName=tuning_job_name,
            SortBy="CreationTime",
            SortOrder="Ascending",
            PaginationConfig={"PageSize": _TRAINING_JOBS_PAGE_SIZE},
        )
        training_jobs: list[dict[str, Any]] = []
        with aws_call(), _missing_as_not_found(tuning_job_name), ThreadPoolExecutor(self._describe_workers) as pool:
            for page in pages:
                # One page's describe answers at a time; of each only the few fields the review needs stay.
                summaries = [dict(summary) for summary in page["TrainingJobSummaries"]]
                for summary, described in zip(summaries, pool.map(self._described_fields, summaries), strict=True):
                    summary.update(described)
                    training_jobs.append(summary)
        return training_jobs

    def _described_fields(self, summary: dict[str, Any]) -> dict[str, Any]:
        name = summary["TrainingJobName"]
        try:
            response = self._client.describe_training_job(TrainingJobName=name)
        except ClientError as error:
            if _code(error) in _NOT_FOUND:
                # Not the tuning job missing (JobNotFound): one of its training jobs, listed a moment ago.
                raise AwsCallFailed(
                    f"the training job {name} was listed but cannot be described: {_code(error)}"
                ) from error
            raise
        return {field: response[field] for field in _DESCRIBED_FIELDS if field in response}
