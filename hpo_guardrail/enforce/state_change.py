"""The second trigger: SageMaker's "Hyperparameter Tuning Job State Change" events.

SageMaker puts one on the default bus of the job's account and region at each change of state, directly (not
through CloudTrail), and may send several per change. The guardrail's second rule (template.yaml,
TuningJobStateChanged) delivers InProgress, Completed, Stopped and Failed to the same function:

- InProgress for a job no event judged yet (its CloudTrail event was dropped, or was over 256 KB): the job is
  described and judged exactly as if its creation event had come (`GuardrailService.evaluate_described_job`), the
  record saying "state-change". A job judged already is skipped, recorded, without an alert.
- Completed, Stopped or Failed: the post-run review (enforce/review_job.py) runs once per job and is attached to
  the record that judged the job (found through the job's claim; a job without one is judged first). The attach
  is a conditional write: whichever delivery stores the review sends the one follow-up in the creation alert's
  thread, and only when the review has something to say or the job was alerted on at creation.

Nothing here loops forever. A malformed event is rejected and recorded; a job or account that cannot be read, or
a review that cannot be made for good (a response that cannot be read, the member role refused), is logged,
counted and recorded, and the event is done. A review that failed for a passing reason (an AWS call throttled or
refused past the client's retries, `AwsCallFailed`; Describe still showing the job running right after its state
change, `JobNotFinished`; anything unexpected) is logged, counted and recorded, then raised (`ReviewNotMade`):
Lambda retries the event twice, and after that the on-failure queue keeps it for `hpo-guardrail redrive`. Nothing
is attached before the review is made, so a retry reviews once. A follow-up is recorded as pending before it is
published; one that could not be published raises (after recording it as failed), and a retry or a later
delivery that finds the review with its follow-up pending, failed, or missing though the review is worth one
publishes it, once, under the record's claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hpo_guardrail.enforce.alerts import review_follow_up_alert
from hpo_guardrail.enforce.audit import FAILED, NOTIFY, ActionRecord, AuditRecord, Claim, ReviewRecord
from hpo_guardrail.enforce.described import DescribedJob
from hpo_guardrail.enforce.outcome import Outcome, Status
from hpo_guardrail.enforce.ports import (
    AccountAccessFailed,
    AuditReader,
    AuditRecordNotFound,
    AuditStore,
    JobNotFound,
    NotificationFailed,
    Notifier,
    PriceProvider,
)
from hpo_guardrail.enforce.service import CLAIM_LEASE_SECONDS, GuardrailService, described_event_id
from hpo_guardrail.observability import count, logger
from rules.events import AccountMismatch, TuningJobStateChange, event_id_of, read_state_change
from rules.parsing import InvalidRequest
from rules.prices import BundledPrices, PriceBook

# The trigger as the audit record names it (AuditRecord.trigger, JobClaim.trigger).
STATE_CHANGE = "state-change"
# The review's follow-up message, as an action on the job's record: sent once; a failed publish is retried.
REVIEW_FOLLOW_UP = "review-follow-up"
# The follow-up's result while it is being published: a delivery that died before recording "sent" or "failed"
# leaves it, and the next delivery of the event (Lambda's retry, a redrive, a duplicate) publishes it.
PENDING = "pending"
# The failures of a review that no retry mends: data that cannot be read (InvalidRequest is a ValueError, a missing
# field a KeyError or TypeError) and a member role the guardrail cannot assume. Any other failure is retried.
_PERMANENT_FAILURES: tuple[type[Exception], ...] = (ValueError, TypeError, LookupError, AccountAccessFailed)


class ReviewNotMade(Exception):
    """A review failed for a reason that passes (AWS throttling, Describe not yet showing the job finished): raised
    so that Lambda retries the event and then the on-failure queue keeps it for `hpo-guardrail redrive`."""


class JobReader(Protocol):
    """What the trigger reads of one account and region: the tuning job, and its training jobs for the review
    (adapters: TuningJobDescriber and TrainingJobReader over one SageMaker client, adapters/sagemaker.py)."""

    def describe(self, job_name: str) -> dict[str, Any]:
        """DescribeHyperParameterTuningJob's response; raises JobNotFound."""
        ...

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        """Every training job's summary with its DescribeTrainingJob fields merged in; raises JobNotFound."""
        ...


# (account, region, event id) -> the reader acting there: the function's own session in its own account, the
# member role elsewhere (the member account's CloudTrail names the event). Raises AccountAccessFailed.
JobReaders = Callable[[str, str, str], JobReader]


class _RecordedTrainingJobs:
    """The training jobs the review read, kept for the job's pace (read once, used twice)."""

    def __init__(self, reader: JobReader) -> None:
        self._reader = reader
        self.listed: list[dict[str, Any]] = []

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        self.listed = self._reader.training_jobs(tuning_job_name)
        return self.listed


class StateChangeTrigger:
    """Acts on one state-change event through the guardrail service (one evaluator, one audit trail)."""

    def __init__(
        self,
        service: GuardrailService,
        *,
        readers: JobReaders,
        audit: AuditStore | None,
        notifier: Notifier | None,
        prices: PriceBook | None = None,
    ) -> None:
        self._service = service
        self._readers = readers
        self._audit = audit
        self._notifier = notifier
        # The evaluator's own prices, so the actual spend and the worst case rest on the same prices.
        self._prices = prices

    def handle(self, event: object) -> Outcome:
        """Judge or review the job one state-change event names; bad input is rejected and recorded, never raised.
        Raises NotificationFailed when the review's follow-up could not be published (recorded as failed), and
        ReviewNotMade when the review failed for a reason that passes (recorded), so that Lambda retries."""
        count("StateChangesReceived")
        try:
            change = read_state_change(event)
        except (ValueError, TypeError) as error:  # InvalidRequest names the field
            reason = str(error)
            logger.warning("Rejected malformed state-change event", extra={"reason": reason})
            count("EventsRejected")
            if isinstance(error, AccountMismatch):
                count("ForeignEventsRejected")
            return self._service.record_not_evaluated(Status.REJECTED, event, event_id_of(event), reason)
        refusal = self._service.account_refusal(change.account)
        if refusal is not None:
            logger.warning(
                "Rejected a state change of an account the guardrail does not watch", extra={"reason": refusal}
            )
            count("EventsRejected")
            count("ForeignEventsRejected")
            return self._service.record_not_evaluated(Status.REJECTED, event, change.event_id, refusal)
        if change.status == "InProgress":
            return self._judge(change, event)
        if change.finished:
            return self._review(change, event)
        reason = f"tuning job {change.job_name} is {change.status}: the guardrail acts on InProgress and finished jobs"
        return self._service.record_not_evaluated(Status.SKIPPED, event, change.event_id, reason)

    # --- InProgress: a job no event judged --------------------------------------------------------

    def _judge(self, change: TuningJobStateChange, event: object, *, retry_passing: bool = False) -> Outcome:
        own = described_event_id(STATE_CHANGE, change.account, change.region, change.job_name)
        judged = self._service.job_judged_by(change.account, change.region, change.job_name)
        if judged is not None and judged.event_id != own:
            count("JobsJudgedAlready")
            reason = (
                f"tuning job {change.job_name} was already judged through {judged.trigger} "
                f"(event {judged.event_id}, at {judged.at}): not judged again"
            )
            logger.info("State change of a job judged already", extra={"reason": reason})
            return self._service.record_not_evaluated(Status.SKIPPED, event, change.event_id, reason)
        description = self._describe(change, event, retry_passing=retry_passing)
        if isinstance(description, Outcome):
            return description
        count("JobsJudgedOnStateChange")
        job = DescribedJob(change.account, change.region, description, change.tag_list())
        return self._service.evaluate_described_job(job, trigger=STATE_CHANGE)

    def _describe(
        self, change: TuningJobStateChange, event: object, *, retry_passing: bool = False
    ) -> dict[str, Any] | Outcome:
        """The job's Describe response, or the recorded outcome of why it could not be read. With `retry_passing`
        (the review), a failure that passes is recorded and raised as ReviewNotMade."""
        try:
            return self._readers(change.account, change.region, change.event_id).describe(change.job_name)
        except JobNotFound:
            reason = f"tuning job {change.job_name} no longer exists in {change.account}/{change.region}"
            return self._service.record_not_evaluated(Status.SKIPPED, event, change.event_id, reason)
        except Exception as error:  # AccountAccessFailed, AwsCallFailed
            what = f"could not describe tuning job {change.job_name}"
            if retry_passing:
                return self._review_failed(change, event, what, error)
            return self._failed(change, event, what, error)

    # --- Completed, Stopped, Failed: the review, once ---------------------------------------------

    def _review(self, change: TuningJobStateChange, event: object) -> Outcome:
        if not isinstance(self._audit, AuditReader):
            reason = "no audit table is configured: there is no record to attach the review to"
            return self._service.record_not_evaluated(Status.SKIPPED, event, change.event_id, reason)
        judged = self._service.job_judged_by(change.account, change.region, change.job_name)
        if judged is None:
            # Neither its CloudTrail event nor its InProgress state change judged it: judge it now, then review.
            judged_now = self._judge(change, event, retry_passing=True)
            judged = self._service.job_judged_by(change.account, change.region, change.job_name)
            if judged is None:
                return judged_now
        record = self._audit.get(judged.event_id)
        if record is None:
            reason = f"the record of event {judged.event_id}, which judged tuning job {change.job_name}, is missing"
            return self._failed(change, event, "could not review", RuntimeError(reason))
        if record.review is not None:
            return self._reviewed_before(record, record.review)
        description = self._describe(change, event, retry_passing=True)
        if isinstance(description, Outcome):
            return description
        try:
            stored = self._make_review(change, description, record)
        except Exception as error:  # AWS, the member role, a response that cannot be read, a job not finished
            return self._review_failed(change, event, f"could not review tuning job {change.job_name}", error)
        try:
            earlier = self._audit.attach_review(record.event_id, stored)
        except AuditRecordNotFound as error:
            return self._failed(change, event, "could not attach the review", error)
        if earlier is not None:
            return self._reviewed_before(record, earlier)
        count("JobsReviewed")
        logger.info(
            "Reviewed finished tuning job",
            extra={
                "job_name": change.job_name,
                "status": stored.job_status,
                "spend_usd": stored.spend_usd,
                "worst_case_usd": stored.worst_case_usd,
                "review_rules": sorted(stored.rule_severities),
                "record": record.event_id,
            },
        )
        record = record.with_review(stored)
        follow_up = self._follow_up(record, stored) if _worth_a_message(record, stored) else "not needed"
        return _review_outcome(record, stored, f"reviewed after state change {change.status}", follow_up)

    def _make_review(
        self, change: TuningJobStateChange, description: Mapping[str, Any], record: AuditRecord
    ) -> ReviewRecord:
        # Imported here: only a finished job's state change reviews, and the review's models and rules are a
        # good part of the guardrail's code; a CloudTrail event (and the cold start before it) needs none of it.
        from hpo_guardrail.enforce.review_job import review_finished_job
        from rules.review_inputs import read_finished_tuning_job
        from rules.review_pace import pace_of

        reader = self._readers(change.account, change.region, change.event_id)
        training_jobs = _RecordedTrainingJobs(reader)
        prices = self._price_book()
        recorded = (
            (record.worst_case_usd, record.cost_complete is not False) if record.worst_case_usd is not None else None
        )
        reviewed = review_finished_job(
            description,
            training_jobs,
            self._service.evaluator,
            prices,
            region=change.region,
            account=change.account,
            tags=change.tag_list(),
            recorded_worst_case=recorded,
        )
        # The job's pace (cost avoided of a stopped job), from the same training jobs and prices.
        finished = read_finished_tuning_job(
            description,
            [{"TrainingJobSummaries": training_jobs.listed}],
            {s["TrainingJobName"]: s for s in training_jobs.listed if isinstance(s.get("TrainingJobName"), str)},
            region=change.region,
        )
        policy = reviewed.assessment.evaluation.policy
        pace = pace_of(finished, prices, policy.default_max_training_jobs)
        return ReviewRecord.of(
            reviewed.review, trigger=f"{STATE_CHANGE} {change.status}", reviewed_at=self._service.now_iso(), pace=pace
        )

    def _price_book(self) -> PriceBook:
        if isinstance(self._prices, PriceProvider):
            return self._prices.for_evaluation()
        return self._prices or BundledPrices()

    def _reviewed_before(self, record: AuditRecord, review: ReviewRecord) -> Outcome:
        """A repeated or duplicate state change (or Lambda's retry): the review is there. A follow-up that is not
        sent is published now: one recorded as pending (its delivery died while publishing) or failed, and one
        never recorded though the review is worth it (its delivery died between attaching the review and
        recording the follow-up). A concurrent delivery still sending it holds the record's claim."""
        count("ReviewsRepeated")
        record = record.with_review(review)
        sent = record.actions.get(REVIEW_FOLLOW_UP)
        follow_up = sent.result if sent is not None else "not needed"
        if (sent is not None and sent.result in (FAILED, PENDING)) or (
            sent is None and _worth_a_message(record, review)
        ):
            follow_up = self._follow_up(record, review)
        reason = f"already reviewed at {review.reviewed_at} ({review.trigger})"
        return _review_outcome(record, review, reason, follow_up, status=Status.SKIPPED)

    def _follow_up(self, record: AuditRecord, review: ReviewRecord) -> str:
        """Publish the one follow-up in the alert's thread under the record's claim; raises NotificationFailed
        after recording the failure, so that Lambda's retry publishes it."""
        if self._notifier is None or self._audit is None:
            return "not-configured"
        claim = Claim(owner=uuid.uuid4().hex, until=self._service.epoch() + CLAIM_LEASE_SECONDS)
        current = self._audit.claim(record.event_id, claim, self._service.epoch())
        if current is None:
            count("ConcurrentDeliveries")
            return "another delivery is sending it"
        try:
            done = current.actions.get(REVIEW_FOLLOW_UP)
            if done is not None and done.result == "sent":
                return "sent"
            pending = ActionRecord(result=PENDING, at=self._service.now_iso())
            self._audit.record_action(record.event_id, REVIEW_FOLLOW_UP, pending)
            try:
                message_id = self._notifier.publish(review_follow_up_alert(current.with_review(review), review))
            except NotificationFailed as error:
                logger.exception("Publishing the review's follow-up failed; raising so Lambda retries the event")
                count("NotificationsFailed")
                failed = ActionRecord(result=FAILED, at=self._service.now_iso(), detail=str(error))
                self._audit.record_action(record.event_id, REVIEW_FOLLOW_UP, failed)
                raise
            count("NotificationsSent")
            count("ReviewFollowUpsSent")
            sent = ActionRecord(result="sent", at=self._service.now_iso(), message_id=message_id)
            self._audit.record_action(record.event_id, REVIEW_FOLLOW_UP, sent)
            return "sent"
        finally:
            self._audit.release(record.event_id, claim.owner)

    def _failed(self, change: TuningJobStateChange, event: object, what: str, error: Exception) -> Outcome:
        """Log, count and record a failure under the state change's own event id; the event is done (no retry:
        `hpo-guardrail review JOB_NAME` runs the same review by hand)."""
        reason = f"{what}: {_detail(error)}"
        logger.warning("State change not acted on", extra={"job_name": change.job_name, "reason": reason})
        count("StateChangesFailed")
        return self._service.record_not_evaluated(Status.SKIPPED, event, change.event_id, reason)

    def _review_failed(self, change: TuningJobStateChange, event: object, what: str, error: Exception) -> Outcome:
        """A review that could not be made: for good (`_PERMANENT_FAILURES`) it is recorded and the event is done;
        otherwise it is recorded (the first attempt's reason stays on the state change's record), counted and
        raised as ReviewNotMade, so Lambda retries the event (twice) and then its on-failure queue keeps it."""
        if isinstance(error, _PERMANENT_FAILURES):
            return self._failed(change, event, what, error)
        reason = f"{what}: {_detail(error)}; raised so that Lambda retries the event"
        logger.warning(
            "Review not made; raising so Lambda retries", extra={"job_name": change.job_name, "reason": reason}
        )
        count("StateChangesFailed")
        count("ReviewsRetried")
        self._service.record_not_evaluated(Status.SKIPPED, event, change.event_id, reason)
        raise ReviewNotMade(reason) from error


def _detail(error: Exception) -> str:
    from hpo_guardrail.enforce.review_job import JobNotFinished  # with the review (see _make_review)

    if isinstance(error, InvalidRequest | JobNotFinished | AccountAccessFailed):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _worth_a_message(record: AuditRecord, review: ReviewRecord) -> bool:
    """A follow-up only when the review has something to say, or the job was alerted on at creation."""
    notified = record.actions.get(NOTIFY)
    return review.has_something_to_say or (notified is not None and notified.result == "sent")


def _review_outcome(
    record: AuditRecord, review: ReviewRecord, reason: str, follow_up: str, *, status: Status = Status.EVALUATED
) -> Outcome:
    return Outcome(
        status=status,
        event_id=record.event_id,
        job_name=record.job_name,
        reason=f"{reason}: actual spend ${review.spend_usd:,.2f}"
        + (f" of a worst case of ${review.worst_case_usd:,.2f}" if review.worst_case_usd is not None else ""),
        worst_case_usd=record.worst_case_usd,
        findings=[],
        actions={"review": review.trigger, REVIEW_FOLLOW_UP: follow_up},
    )
