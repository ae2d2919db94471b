"""The scheduled reconciliation: tuning jobs whose CloudTrail event never reached the guardrail.

CloudTrail's delivery to EventBridge is best effort, an event over 256 KB is never delivered, and a region
without the forwarder sends nothing. On a schedule (template.yaml, ReconcileSchedule), the reconciliation lists,
in every account of the organization (or the guardrail's own account alone) and every region named, the tuning
jobs created in the last window, and judges each job that no event judged yet through
`GuardrailService.evaluate_described_job`: the same evaluation, decision, audit record, stop and alert as if its
creation event had come, the record saying "reconciliation".

The window is the schedule's interval plus OVERLAP, ending SETTLE before the run: consecutive runs overlap, so a
job created between two runs is seen by at least one of them, and a job is left SETTLE to let its own event
arrive first. A job judged already (by its event, or by an earlier run) is skipped through its claim in the audit
table; a job whose event arrives after the reconciliation judged it is skipped by the event path the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

from pydantic import Field, field_validator

from hpo_guardrail.enforce.audit import RECONCILIATION
from hpo_guardrail.enforce.described import DescribedJob
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.enforce.ports import JobNotFound, NotificationFailed, StopFailed
from hpo_guardrail.enforce.service import GuardrailService, described_event_id
from hpo_guardrail.environment import EnvironmentSettings
from hpo_guardrail.observability import count, logger

# Runs overlap by OVERLAP - SETTLE (10 minutes): a run that starts late, or a job listed a little late, is not
# lost between two runs. SETTLE gives a job's own CloudTrail event time to come: it usually takes minutes (best
# effort; no bound is documented), and a job its event judges is judged with its caller, which principal and role
# scopes and exemptions need and Describe cannot say.
OVERLAP = timedelta(minutes=25)
SETTLE = timedelta(minutes=15)

# EventBridge Scheduler's rate expressions (EventBridge user guide, "Rate expressions reference"): a positive
# value and minute(s) | hour(s) | day(s), singular exactly for 1. A cron schedule has no fixed interval, so no
# window could be derived from it: the template accepts rate expressions only (the same pattern).
RATE_EXPRESSION = re.compile(r"^rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)$")
_UNIT = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def rate_interval(expression: str) -> timedelta:
    """The interval of a rate expression (`rate(1 hour)`, `rate(30 minutes)`); raises ValueError otherwise."""
    if not RATE_EXPRESSION.match(expression):
        raise ValueError(
            f"{expression!r} is not a rate expression such as rate(1 hour) or rate(30 minutes) (value 1 takes a "
            "singular unit, a larger value a plural one; cron expressions have no fixed interval)"
        )
    value, unit = expression[len("rate(") : -1].split(" ")
    return int(value) * _UNIT[unit.rstrip("s")]


class ReconcileSettings(EnvironmentSettings):
    """RECONCILE_SCHEDULE (the schedule's rate expression) and RECONCILE_REGIONS (comma-separated; empty: the
    function's own region)."""

    settings_name: ClassVar[str] = "reconciliation"

    schedule: str = Field(default="rate(1 hour)", validation_alias="RECONCILE_SCHEDULE")
    regions_text: str = Field(default="", validation_alias="RECONCILE_REGIONS")

    @field_validator("schedule")
    @classmethod
    def _rate(cls, value: str) -> str:
        rate_interval(value)
        return value

    @property
    def interval(self) -> timedelta:
        return rate_interval(self.schedule)

    def regions(self, own_region: str) -> list[str]:
        named = [region.strip() for region in self.regions_text.split(",") if region.strip()]
        return named or [own_region]


class JobLister(Protocol):
    """What the reconciliation reads of one account and region (adapters.sagemaker.TuningJobReader)."""

    def created_between(self, after: datetime, before: datetime) -> Iterator[tuple[str, str, datetime | None]]: ...

    def describe(self, job_name: str) -> dict[str, Any]: ...

    def tags(self, arn: str) -> list[dict[str, str]]: ...


@dataclass
class PlaceReport:
    """What one run did in one account and region."""

    account: str
    region: str
    listed: int = 0
    judged_already: int = 0
    evaluated: list[dict[str, Any]] = field(default_factory=list)  # each job's outcome (the handler's summary)
    pending: list[str] = field(default_factory=list)  # jobs whose stop or alert failed (recorded; run again)
    gone: int = 0
    failed: str | None = None  # why the place (or a job of it) could not be read


@dataclass
class ReconcileReport:
    """One run: its window and what it did in each place."""

    since: str
    until: str
    places: list[PlaceReport] = field(default_factory=list)
    accounts_failed: str | None = None  # the organization's accounts could not be listed: home account only

    @property
    def pending(self) -> list[str]:
        return [job for place in self.places for job in place.pending]

    @property
    def incomplete(self) -> bool:
        """Some place could not be read, or some job's stop or alert is still pending."""
        return bool(self.accounts_failed or self.pending or any(p.failed for p in self.places))

    def summary(self) -> dict[str, Any]:
        """The run as the function returns and logs it (JSON)."""
        return {
            "window": {"since": self.since, "until": self.until},
            "accounts_failed": self.accounts_failed,
            "places": [vars(place) for place in self.places],
            "evaluated": sum(len(p.evaluated) for p in self.places),
            "judged_already": sum(p.judged_already for p in self.places),
            "pending": self.pending,
        }


class ReconciliationIncomplete(Exception):
    """A job's stop or alert failed (recorded as pending): raised after the whole run so that Lambda runs it again,
    which resumes exactly what is pending and skips what is done."""


class Reconciler:
    """One reconciliation run over the accounts x regions, through the guardrail service.

    `accounts()` lists the accounts (raises on failure: then only `home_account` is reconciled and the run says
    so); `lister(account, region)` reads one place's jobs (raises AccountAccessFailed or an AWS failure, reported
    for that place while the others go on).
    """

    def __init__(
        self,
        service: GuardrailService,
        *,
        accounts: Callable[[], Sequence[str]],
        lister: Callable[[str, str], JobLister],
        regions: Sequence[str],
        interval: timedelta,
        home_account: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._service = service
        self._accounts = accounts
        self._lister = lister
        self._regions = list(regions)
        self._interval = interval
        self._home_account = home_account
        self._clock = clock

    def handle(self, event: object = None) -> dict[str, Any]:
        """One scheduled run (the schedule's payload carries nothing): its summary, or ReconciliationIncomplete at
        the end when a job's stop or alert is pending, or the organization's accounts could not be listed (only the
        home account was covered), so that Lambda runs it again and the function's Errors alarm tells the
        platform team; what is done is skipped on the retry."""
        report = self.run()
        if report.pending:
            raise ReconciliationIncomplete(f"{len(report.pending)} job(s) with a pending action: {report.pending}")
        if report.accounts_failed:
            raise ReconciliationIncomplete(
                f"the organization's accounts could not be listed ({report.accounts_failed}): only the home account "
                "was reconciled"
            )
        return report.summary()

    def window(self) -> tuple[datetime, datetime]:
        """(after, before): the creation times this run looks at."""
        now = self._clock()
        return now - self._interval - OVERLAP, now - SETTLE

    def run(self) -> ReconcileReport:
        """Reconcile every place; never raises for one place or one job (see ReconcileReport)."""
        after, before = self.window()
        report = ReconcileReport(since=_iso(after), until=_iso(before))
        try:
            accounts = list(dict.fromkeys(self._accounts()))
        except Exception as error:  # every cause is the same to the run: say it, reconcile the home account
            logger.exception("Listing the organization's accounts failed; reconciling the home account only")
            count("ReconcileAccountsFailed")
            report.accounts_failed = f"{type(error).__name__}: {error}"
            accounts = [self._home_account]
        for account in accounts:
            for region in self._regions:
                report.places.append(self._reconcile_place(account, region, after, before))
        count("ReconcileRuns")
        logger.info("Reconciliation run", extra={"reconciliation": report.summary()})
        return report

    def _reconcile_place(self, account: str, region: str, after: datetime, before: datetime) -> PlaceReport:
        place = PlaceReport(account=account, region=region)
        try:
            lister = self._lister(account, region)
            jobs = list(lister.created_between(after, before))
        except Exception as error:  # AccountAccessFailed, AccessDenied, a region not enabled: this place only
            place.failed = f"not reconciled: {error}"
            count("ReconcilePlacesFailed")
            where = {"account": account, "region": region, "error": place.failed}
            logger.warning("Could not reconcile a place", extra=where)
            return place
        place.listed = len(jobs)
        own = {name: described_event_id(RECONCILIATION, account, region, name) for name, _, _ in jobs}
        for name, arn, created in jobs:
            judged = self._service.job_judged_by(account, region, name)
            if judged is not None and judged.event_id != own[name] and judged.covers(created):
                place.judged_already += 1  # its event came (or another trigger found it): nothing to do
                continue
            try:
                job = DescribedJob(account, region, lister.describe(name), lister.tags(arn))
            except JobNotFound:
                place.gone += 1
                continue
            except Exception as error:
                place.failed = f"{name}: could not be described: {error}"
                count("ReconcilePlacesFailed")
                continue
            try:
                outcome = self._service.evaluate_described_job(job, trigger=RECONCILIATION)
            except (StopFailed, NotificationFailed) as error:
                place.pending.append(f"{account}/{region}/{name}: {error}")
                continue
            if outcome.status is Status.EVALUATED:
                count("JobsReconciled")
            place.evaluated.append(outcome.model_dump(mode="json", exclude_none=True))
        return place


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
