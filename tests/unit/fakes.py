"""In-memory stand-ins for the service's ports (unit tests only; integration tests use the emulator)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord, Claim, JobClaim, ReviewRecord
from hpo_guardrail.enforce.ports import Alert, AuditRecordNotFound, JobNotFound, JobNotStoppable, NotificationFailed


@dataclass
class FakeJobs:
    statuses: dict[str, str] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    refuse_stop: bool = False
    broken: Exception | None = None

    def status(self, job_name: str) -> str:
        if self.broken:
            raise self.broken
        if job_name not in self.statuses:
            raise JobNotFound(job_name)
        return self.statuses[job_name]

    def stop(self, job_name: str) -> None:
        if self.refuse_stop:
            raise JobNotStoppable("The job is not in progress")
        self.stopped.append(job_name)
        self.statuses[job_name] = "Stopping"


@dataclass
class FakeNotifier:
    sent: list[Alert] = field(default_factory=list)
    fail: bool = False

    def publish(self, alert: Alert) -> str:
        if self.fail:
            raise NotificationFailed("throttled")
        self.sent.append(alert)
        return f"msg-{len(self.sent)}"


@dataclass
class FakeAuditStore:
    """Behaves like the DynamoDB store: one record per event id, actions updated in place."""

    records: dict[str, AuditRecord] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    notices: set[str] = field(default_factory=set)

    def begin(self, record: AuditRecord, claim: Claim | None = None) -> AuditRecord | None:
        if record.event_id in self.records:
            return self.records[record.event_id]
        self.records[record.event_id] = record
        if claim is not None:
            self.claims[record.event_id] = claim
        return None

    def claim(self, event_id: str, claim: Claim, now: float) -> AuditRecord | None:
        held = self.claims.get(event_id)
        if held is not None and held.owner != claim.owner and held.until >= now:
            return None
        self.claims[event_id] = claim
        return self.records[event_id]

    def first_notice(self, key: str, now: str) -> bool:
        if key in self.notices:
            return False
        self.notices.add(key)
        return True

    def release(self, event_id: str, owner: str) -> None:
        if event_id in self.claims and self.claims[event_id].owner == owner:
            del self.claims[event_id]

    def record_action(self, event_id: str, name: str, action: ActionRecord) -> None:
        self.records[event_id] = self.records[event_id].with_action(name, action)

    def attach_review(self, event_id: str, review: ReviewRecord) -> ReviewRecord | None:
        record = self.records.get(event_id)
        if record is None:
            raise AuditRecordNotFound(f"no audit record for event id {event_id}")
        if record.review is not None:
            return record.review
        self.records[event_id] = record.with_review(review)
        return None


@dataclass
class ClaimingAuditStore(FakeAuditStore):
    """The fake audit store with job claims, as the DynamoDB store keeps them (the first claim stays; a new job
    under a name used before replaces the claim it found) and consistent reads of records."""

    jobs: dict[str, JobClaim] = field(default_factory=dict)

    def claim_job(self, key: str, claim: JobClaim) -> JobClaim:
        return self.jobs.setdefault(key, claim)

    def job_claim(self, key: str) -> JobClaim | None:
        return self.jobs.get(key)

    def replace_job_claim(self, key: str, claim: JobClaim, held: JobClaim) -> JobClaim:
        if self.jobs.get(key) == held:
            self.jobs[key] = claim
        return self.jobs[key]

    def get(self, event_id: str) -> AuditRecord | None:
        return self.records.get(event_id)
