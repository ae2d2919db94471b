"""The interfaces the guardrail acts through; boto3 adapters implement them (hpo_guardrail/adapters/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from rules.prices import PriceBook

if TYPE_CHECKING:
    from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord, Claim, JobClaim, ReviewRecord


class JobNotFound(Exception):
    """The tuning job does not exist (or is not visible to the guardrail)."""


class JobNotStoppable(Exception):
    """SageMaker refused to stop the job, typically because it left InProgress meanwhile."""


class AccountAccessFailed(Exception):
    """The guardrail could not act in a member account: its role could not be assumed (the account opted out,
    has no member role, or is outside the organization). The message says which account and why."""


class AuditRecordNotFound(Exception):
    """No audit record exists for the event id given (nothing to attach a review to)."""


class StopFailed(Exception):
    """The stop failed and is recorded as pending: raised so that Lambda retries the event."""


class NotificationFailed(Exception):
    """The alert could not be published."""


class ExportFailed(Exception):
    """The findings could not be exported (Security Hub)."""


class Alert(BaseModel):
    """One notification: a subject, the per-protocol bodies, and attributes subscribers filter on."""

    model_config = ConfigDict(frozen=True)

    subject: str
    chatbot: dict[str, object]
    email: str
    attributes: dict[str, str | list[str]]


class JobController(Protocol):
    def status(self, job_name: str) -> str:
        """The tuning job's HyperParameterTuningJobStatus; raises JobNotFound."""
        ...

    def stop(self, job_name: str) -> None:
        """Ask SageMaker to stop the tuning job; raises JobNotFound or JobNotStoppable."""
        ...


@runtime_checkable
class JobControllers(Protocol):
    """The job controller for the account and region a tuning job lives in."""

    def controller(self, account: str | None, region: str | None, *, event_id: str) -> JobController:
        """A controller acting in `account` and `region` (None: the guardrail's own), on behalf of the event
        `event_id` (the member account's CloudTrail names it); raises AccountAccessFailed."""
        ...


class OneJobController:
    """JobControllers that answers every account and region with one controller: a single account, or tests."""

    def __init__(self, jobs: JobController) -> None:
        self._jobs = jobs

    def controller(self, account: str | None, region: str | None, *, event_id: str) -> JobController:
        return self._jobs


class Notifier(Protocol):
    def publish(self, alert: Alert) -> str:
        """Publish the alert and return the message id; raises NotificationFailed."""
        ...


class FindingsExporter(Protocol):
    def export(self, findings: list[dict[str, Any]]) -> int:
        """Export ASFF findings; returns how many were imported; raises ExportFailed."""
        ...


class AuditStore(Protocol):
    def begin(self, record: AuditRecord, claim: Claim | None = None) -> AuditRecord | None:
        """Store a new record (holding `claim`); when one exists for the event id, return it and store nothing."""
        ...

    def claim(self, event_id: str, claim: Claim, now: float) -> AuditRecord | None:
        """Take the record's claim if nobody holds it or the holder's lease ran out; returns the record as it
        is now, or None when another invocation holds it."""
        ...

    def release(self, event_id: str, owner: str) -> None:
        """Give the claim back (only the owner's)."""
        ...

    def first_notice(self, key: str, now: str) -> bool:
        """Whether this is the first time anyone noted `key` (a conditional write): for telling people once."""
        ...

    def record_action(self, event_id: str, name: str, action: ActionRecord) -> None:
        """Store the outcome of one action on an existing record."""
        ...

    def attach_review(self, event_id: str, review: ReviewRecord) -> ReviewRecord | None:
        """Attach the finished job's review to its existing record, once (a conditional write): returns None when
        this call stored it, or the review stored before (this one is dropped: repeated state-change events
        review a job once). Raises AuditRecordNotFound when no record exists for `event_id`."""
        ...


@runtime_checkable
class AuditReader(Protocol):
    """An audit store that can read one record back (the DynamoDB table): the Stop button needs it."""

    def get(self, event_id: str) -> AuditRecord | None:
        """The record of this event id (a consistent read), or None."""
        ...


@runtime_checkable
class JobClaims(Protocol):
    """An audit store that knows which event judged each tuning job (the DynamoDB table): a job's CloudTrail
    event and the reconciliation that found it without one must not both alert."""

    def claim_job(self, key: str, claim: JobClaim) -> JobClaim:
        """Claim the job for `claim.event_id` unless another event holds it (a conditional write); returns the
        claim that holds now: `claim` itself, an earlier one of the same event, or another event's."""
        ...

    def job_claim(self, key: str) -> JobClaim | None:
        """The job's claim (a consistent read), or None when no event judged it yet."""
        ...

    def replace_job_claim(self, key: str, claim: JobClaim, held: JobClaim) -> JobClaim:
        """Put `claim` in place of `held` (a new job under a name used before) unless another event replaced it
        first (a conditional write on the held event); returns the claim that holds now."""
        ...


class ParameterStore(Protocol):
    def get(self, name: str, max_age: int) -> str:
        """A parameter's text, at most `max_age` seconds old."""
        ...


@runtime_checkable
class PriceProvider(Protocol):
    """Prices that hand each evaluation its own book (live lookups share one time budget per evaluation)."""

    def for_evaluation(self) -> PriceBook: ...
