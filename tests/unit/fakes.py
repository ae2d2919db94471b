"""In-memory stand-ins for the service's ports (unit tests only; integration tests use the emulator)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hpo_guardrail.ports import Alert, JobNotFound, JobNotStoppable, NotificationFailed


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
