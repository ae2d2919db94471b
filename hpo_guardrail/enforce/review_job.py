"""The post-run review of one finished tuning job, from a Describe response to a `TuningJobReview`.

One orchestration for every door: `hpo-guardrail review` calls it with the caller's own adapters, and the
guardrail function calls it with its own when a tuning job's state-change event says it finished. The
caller describes the job (and reads its tags); this module reads its training jobs through a
`TrainingJobSource` (adapters/sagemaker.py `TrainingJobReader`), evaluates the described job with the
guardrail's `Evaluator` for the worst case and the policy the job falls under (the same evaluation `scan`
makes of a described job), and reviews it with the same price book (rules/review.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hpo_guardrail.enforce.evaluator import Assessment, Evaluator
from rules.cost import CostEstimate
from rules.models import CallContext
from rules.parsing import InvalidRequest, read_request
from rules.prices import PriceBook
from rules.review import ReviewSettings, TuningJobReview, review_tuning_job
from rules.review_inputs import parse_timestamp, read_finished_tuning_job

# The terminal values of HyperParameterTuningJobStatus (botocore's model: Completed, InProgress, Failed, Stopped,
# Stopping, Deleting, DeleteFailed) that `TuningJobStatus.finished` names, in the order people say them.
FINISHED_STATUSES = ("Completed", "Stopped", "Failed")


class TrainingJobSource(Protocol):
    """The training jobs a tuning job launched (TrainingJobReader over SageMaker, or a test's list)."""

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        """Each training job's HyperParameterTrainingJobSummary with DescribeTrainingJob's BillableTimeInSeconds,
        ResourceConfig and EnableManagedSpotTraining merged in (API field names); raises JobNotFound."""
        ...


class JobNotFinished(Exception):
    """The tuning job has not reached Completed, Stopped or Failed: there is nothing to review yet."""

    def __init__(self, job_name: str, status: str) -> None:
        super().__init__(
            f"job {job_name} is {status}: the review runs on a finished job ({', '.join(FINISHED_STATUSES)})"
        )
        self.job_name = job_name
        self.status = status


@dataclass(frozen=True)
class ReviewedJob:
    """A finished tuning job's review with who and where the job is, and the worst case it is compared with."""

    job_name: str
    job_arn: str | None
    account: str | None
    region: str
    created: datetime | None
    ended: datetime | None
    team: str | None
    assessment: Assessment
    worst_case_source: str
    review: TuningJobReview

    @property
    def worst_case(self) -> CostEstimate:
        """The worst case as the guardrail estimates it for the job's configuration (at today's prices)."""
        return self.assessment.evaluation.cost

    @property
    def policy_version(self) -> str:
        return self.assessment.evaluation.policy_version


def arn_account_region(arn: object) -> tuple[str | None, str | None]:
    """The account and region in an ARN (`arn:aws:sagemaker:us-east-1:123456789012:...`), or Nones."""
    if not isinstance(arn, str):
        return None, None
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None, None
    return parts[4] or None, parts[3] or None


def review_finished_job(
    description: Mapping[str, Any],
    training_jobs: TrainingJobSource,
    evaluator: Evaluator,
    prices: PriceBook,
    *,
    region: str | None = None,
    account: str | None = None,
    tags: Sequence[Mapping[str, str]] = (),
    recorded_worst_case: tuple[float, bool] | None = None,
    settings: ReviewSettings | None = None,
) -> ReviewedJob:
    """Review the tuning job a DescribeHyperParameterTuningJob response describes.

    `training_jobs` reads its training jobs, `evaluator` resolves the policy the job falls under (by `tags`, the
    job's ListTags, and `account`) and estimates its worst case, `prices` prices the actual spend (pass the book
    the evaluator prices with, so both figures rest on the same prices). `region` and `account` default to the
    job ARN's. `recorded_worst_case` (USD, complete) is the worst case the guardrail recorded at creation (the
    audit record's); without it the worst case is the evaluator's estimate for the described configuration.

    Raises JobNotFinished before reading any training job when the job has not finished, InvalidRequest when
    the responses cannot be read (naming the field), JobNotFound when the job is gone, AwsCallFailed.
    """
    name = description.get("HyperParameterTuningJobName")
    if not isinstance(name, str) or not name:
        raise InvalidRequest("missing", "HyperParameterTuningJobName")
    status = description.get("HyperParameterTuningJobStatus")
    if status not in FINISHED_STATUSES:
        raise JobNotFinished(name, str(status))
    arn = description.get("HyperParameterTuningJobArn")
    arn_account, arn_region = arn_account_region(arn)
    account = account or arn_account
    region = region or arn_region
    if not region:
        raise InvalidRequest("no region: neither given nor in the job's ARN", "HyperParameterTuningJobArn")
    # Describe returns no tags; team scopes and exemptions match on them, as in the function and `scan`.
    request = read_request({**description, "Tags": list(tags)})
    created = parse_timestamp(description.get("CreationTime"), "CreationTime")
    ended = parse_timestamp(description.get("HyperParameterTuningEndTime"), "HyperParameterTuningEndTime")
    context = CallContext(
        event_id=f"review-{name}",
        event_time=created.isoformat() if created is not None else None,
        account=account,
        region=region,
        job_arn=arn if isinstance(arn, str) else None,
    )
    assessment = evaluator.assess(request, context)
    cost = assessment.evaluation.cost
    if recorded_worst_case is not None:
        worst_case_usd, worst_case_complete = recorded_worst_case
        source = "recorded at creation"
    else:
        worst_case_usd, worst_case_complete = cost.worst_case_usd, cost.complete
        source = "estimated for the job's configuration, as at creation"
    listed = training_jobs.training_jobs(name)
    # The source merges each training job's DescribeTrainingJob fields into its summary: the summary is its billing.
    billing = {
        summary["TrainingJobName"]: summary for summary in listed if isinstance(summary.get("TrainingJobName"), str)
    }
    job = read_finished_tuning_job(
        description,
        [{"TrainingJobSummaries": listed}],
        billing,
        region=region,
        worst_case_usd=worst_case_usd,
        worst_case_complete=worst_case_complete,
    )
    review = review_tuning_job(job, prices, settings, policy=assessment.evaluation.policy)
    return ReviewedJob(
        job_name=name,
        job_arn=context.job_arn,
        account=account,
        region=region,
        created=created,
        ended=ended,
        team=assessment.team,
        assessment=assessment,
        worst_case_source=source,
        review=review,
    )
