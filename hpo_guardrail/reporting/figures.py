"""The audit report's figures: pure functions over a list of AuditRecords.

Nothing here reads the audit table or writes a file; `hpo-guardrail report` and the weekly reporter
query the table and hand the records over, and `report_render` turns the figures into HTML, Markdown,
CSV or JSON. The JSON form of `Figures` is documented in docs/reports.md: change both together and bump
SCHEMA_VERSION when a field changes meaning or disappears.

A job's review (attached to its record after it finished) adds its actual spend next to the worst case, turns
a stopped job's cost avoided from an estimate into a projection of its own pace (COST_AVOIDED_METHOD), and feeds
"What the reviews taught". A job without a review is never counted as $0: it is "not reviewed".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hpo_guardrail.enforce import AuditRecord, Status, StopResult

# 2: totals.cost_avoided_usd (and the groups' and jobs') projects a reviewed stopped job's own pace instead of
# the estimate made at the stop; review figures added.
SCHEMA_VERSION = 2
# A principal or team with this many flagged jobs in the period is a repeat offender.
REPEAT_OFFENDER_MIN_JOBS = 2
COSTLIEST_JOBS_SHOWN = 10
LESSONS_SHOWN = 10

# How a stopped job's cost avoided was reached (JobRow.cost_avoided_method).
PACE = "pace"  # reviewed, with completed training jobs: their mean cost x the budget, capped at the worst case
# Reviewed, no training job completed: no pace to project; the lower of this and the estimate at the stop.
WORST_CASE_LESS_SPEND = "worst case less spend"
ESTIMATE = "estimate at stop"  # not reviewed: the unspent part of the worst case at full parallelism
COST_AVOIDED_METHOD = (
    "Cost avoided by a stopped job: when the job has been reviewed, its own pace (the mean cost of its completed "
    "training jobs x its training-job budget: MaxNumberOfTrainingJobs, the Grid combinations or the default "
    "quota), capped at its worst case, less what it actually spent up to the stop; when no training job had "
    "completed, the lower of its worst case less its actual spend and the estimate made at the stop, labelled "
    "'worst case less spend' or 'estimate' by which it was. Not reviewed yet: the estimate made at the stop (the "
    "worst case less what full parallelism would have spent by then), labelled 'estimate'. 'At most' when the "
    "actual spend was a lower bound or priced spot on demand."
)

_RELATIVE = re.compile(r"^(?P<count>\d+)(?P<unit>[hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
# ExemptionStatus.describe() (rules/policy.py) writes "name (rules; EXPIRED 2026-01-31; owner ...)";
# the audit record keeps that text, so an expired exemption is recognised by it.
_EXPIRED = re.compile(r"; EXPIRED(?: (?P<on>\d{4}-\d{2}-\d{2}))?;")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


def iso_utc(moment: datetime) -> str:
    """A moment as the audit table stores it: ISO 8601 in UTC, seconds precision, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_week_of(moment: datetime) -> str:
    """The ISO week label of a moment, e.g. 2026-W48."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


class ReportPeriod(_Frozen):
    """The period a report covers: occurred_at in [since, until], both ISO 8601 UTC and inclusive."""

    since: str
    until: str

    @classmethod
    def parse(cls, since: str, until: str | None, now: datetime) -> ReportPeriod:
        """Read `--since` (30d, 12w, 48h, a date or a date-time) and `--until` (a date, a date-time or now).

        A date as `until` means the end of that day, so `--since 2026-11-01 --until 2026-11-30` is all of
        November.
        """
        start = _since(since, now)
        end = _until(until, now)
        if start > end:
            raise ValueError(f"the period starts ({iso_utc(start)}) after it ends ({iso_utc(end)})")
        return cls(since=iso_utc(start), until=iso_utc(end))

    @classmethod
    def iso_week(cls, label: str) -> ReportPeriod:
        """Monday 00:00:00 to Sunday 23:59:59 UTC of an ISO week such as 2026-W48."""
        match = re.fullmatch(r"(\d{4})-W(\d{2})", label.strip())
        if not match:
            raise ValueError(f"{label!r} is not an ISO week such as 2026-W48")
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        start = datetime.combine(monday, time(), UTC)
        return cls(since=iso_utc(start), until=iso_utc(start + timedelta(days=7, seconds=-1)))

    def weeks(self) -> list[str]:
        """The ISO weeks the period touches, in order."""
        start, end = _parse_moment(self.since), _parse_moment(self.until)
        monday = start - timedelta(days=start.weekday())
        labels = []
        while monday <= end:
            labels.append(iso_week_of(monday))
            monday += timedelta(weeks=1)
        return labels


def _since(text: str, now: datetime) -> datetime:
    relative = _RELATIVE.match(text.strip())
    if relative:
        return now - int(relative["count"]) * _UNITS[relative["unit"]]
    try:
        return _parse_moment(text)
    except ValueError:
        raise ValueError(f"--since {text!r}: expected 30d, 12w, 48h, a date (2026-11-01) or a date-time") from None


def _until(text: str | None, now: datetime) -> datetime:
    if text is None or not text.strip():
        return now
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            return datetime.combine(date.fromisoformat(text.strip()), time(23, 59, 59), UTC)
        return _parse_moment(text)
    except ValueError:
        raise ValueError(f"--until {text!r}: expected a date (2026-11-30) or a date-time") from None


class Filters(_Frozen):
    account: str | None = None
    team: str | None = None


class Totals(_Frozen):
    events_seen: int
    evaluated: int
    skipped: int
    rejected: int
    jobs_flagged: int
    jobs_notified: int
    jobs_stopped: int
    findings: int
    suppressed_findings: int
    worst_case_flagged_usd: float
    worst_case_flagged_is_lower_bound: bool
    cost_avoided_usd: float
    # How the evaluated jobs' costs were priced (records before prices were tracked count as complete
    # when their cost was, else unknown).
    costs_complete: int = 0
    costs_estimated: int = 0
    costs_unknown: int = 0
    # The reviews of finished jobs: actual spend next to the worst case of the same jobs.
    jobs_reviewed: int = 0
    actual_spend_usd: float = 0.0
    actual_spend_is_lower_bound: bool = False
    actual_spend_is_upper_bound: bool = False
    worst_case_reviewed_usd: float = 0.0
    # Stopped jobs by how their cost avoided was reached (PACE, WORST_CASE_LESS_SPEND, ESTIMATE).
    stops_by_cost_method: dict[str, int] = Field(default_factory=dict)
    cost_avoided_is_upper_bound: bool = False


class RuleFigures(_Frozen):
    rule: str
    findings: int
    jobs: int


class GroupFigures(_Frozen):
    """Evaluated jobs of one team or account (name None: jobs without one)."""

    name: str | None
    evaluated: int
    flagged: int
    findings: int
    stopped: int
    worst_case_flagged_usd: float
    cost_avoided_usd: float
    reviewed: int = 0
    actual_spend_usd: float = 0.0
    actual_spend_is_lower_bound: bool = False
    actual_spend_is_upper_bound: bool = False
    worst_case_reviewed_usd: float = Field(default=0.0, description="the worst case of the reviewed jobs")


class Offender(_Frozen):
    name: str
    flagged_jobs: int
    rules: list[str]
    jobs: list[str]
    worst_case_flagged_usd: float


class RepeatOffenders(_Frozen):
    min_flagged_jobs: int
    principals: list[Offender]
    teams: list[Offender]


class WeekFigures(_Frozen):
    week: str
    starts: str
    evaluated: int
    flagged: int
    stopped: int


class ExemptionUse(_Frozen):
    exemption: str
    findings: int
    jobs: int
    rules: list[str]


class ExpiredExemption(_Frozen):
    exemption: str
    expired_on: str | None
    jobs: int
    job_names: list[str]


class ExemptionFigures(_Frozen):
    suppressed_findings: int
    jobs_with_suppressed: int
    by_exemption: list[ExemptionUse]
    expired: list[ExpiredExemption]


class PlatformNote(_Frozen):
    """Advice for the platform team that findings of the period carried (a missing price), with how often."""

    note: str
    rules: list[str]
    jobs: int


class JobRow(_Frozen):
    """One evaluated job: a CSV row, and an entry of the costliest flagged jobs."""

    event_id: str
    occurred_at: str
    account: str | None
    team: str | None
    job_name: str | None
    principal_arn: str | None
    rules: list[str]
    worst_case_usd: float | None
    cost_complete: bool | None
    decision: str | None
    stop_result: str | None
    cost_avoided_usd: float | None
    mode: str | None = None
    mode_origin: str | None = Field(default=None, description="where the mode came from (rules.policy.Policy.origin)")
    reviewed: bool = False
    job_status: str | None = Field(default=None, description="the terminal status the review saw")
    actual_spend_usd: float | None = Field(default=None, description="None: not reviewed (never $0)")
    actual_spend_bound: str | None = Field(default=None, description="'at least', 'at most' or None (exact)")
    best_objective: str | None = Field(default=None, description="'validation:loss 0.28 (Minimize), 14 of 100'")
    review_findings: list[str] = Field(default_factory=list, description="review rules that found more than info")
    cost_avoided_method: str | None = None
    cost_avoided_bound: str | None = None


class ReviewLesson(_Frozen):
    """A review rule: in how many reviewed jobs it found something (above info), and their share."""

    rule: str
    jobs: int
    share_of_reviewed: float
    findings: int


class EdgeLesson(_Frozen):
    """A hyperparameter whose best value sat at the same edge of its range in several reviewed jobs."""

    parameter: str
    edge: str
    jobs: int


class ReviewLessons(_Frozen):
    """What the reviews taught: the most frequent review findings and the ranges most often at an edge."""

    jobs_reviewed: int
    jobs_not_reviewed: int = Field(
        default=0, description="evaluated jobs without a review (still running, or reviewed never)"
    )
    findings: list[ReviewLesson]
    range_edges: list[EdgeLesson]


class Figures(_Frozen):
    """Everything a report shows; its JSON form is the `--format json` output (docs/reports.md)."""

    schema_version: int = SCHEMA_VERSION
    generated_at: str
    period: ReportPeriod
    filters: Filters
    totals: Totals
    by_rule: list[RuleFigures]
    by_team: list[GroupFigures]
    by_account: list[GroupFigures]
    repeat_offenders: RepeatOffenders
    weekly: list[WeekFigures]
    exemptions: ExemptionFigures
    costliest_flagged_jobs: list[JobRow]
    platform_notes: list[PlatformNote] = []
    costliest_reviewed_jobs: list[JobRow] = []
    reviews: ReviewLessons = ReviewLessons(jobs_reviewed=0, findings=[], range_edges=[])
    cost_avoided_method: str = COST_AVOIDED_METHOD


# --- facts about one record -------------------------------------------------------------------


def _evaluated(records: Iterable[AuditRecord]) -> list[AuditRecord]:
    return [r for r in records if r.status is Status.EVALUATED]


def _flagged(record: AuditRecord) -> bool:
    return record.status is Status.EVALUATED and bool(record.findings)


def _stopped(record: AuditRecord) -> bool:
    stop = record.actions.get("stop")
    return stop is not None and stop.result == StopResult.STOPPED.value


def _notified(record: AuditRecord) -> bool:
    notify = record.actions.get("notify")
    return notify is not None and notify.result == "sent"


class CostAvoided(_Frozen):
    """A stopped job's cost avoided, how it was reached, and whether it is at most that."""

    usd: float
    method: str
    upper_bound: bool = False


def cost_avoided(record: AuditRecord) -> CostAvoided | None:
    """The cost a stop avoided (COST_AVOIDED_METHOD), or None when the guardrail did not stop the job."""
    if not _stopped(record):
        return None
    review = record.review
    if review is None:
        stop = record.actions["stop"]
        return CostAvoided(usd=_money(stop.cost_avoided_usd or 0.0), method=ESTIMATE)
    spent = review.spend_usd
    # A lower-bound spend leaves at most the rest avoided; spot billed seconds at the on-demand rate (AWS counts the
    # spot savings in BillableTimeInSeconds) affect the projection and the spend alike.
    upper = review.spend_bound is not None
    worst = _worst_case_of(record)
    pace = review.pace
    per_job = pace.usd_per_training_job if pace is not None else None
    if pace is not None and per_job is not None:
        projected = max(spent, per_job * pace.training_job_budget)
        if worst is not None:
            projected = min(projected, worst)
        return CostAvoided(usd=_money(max(0.0, projected - spent)), method=PACE, upper_bound=upper)
    estimate = record.actions["stop"].cost_avoided_usd
    if worst is None:  # nothing to project from and nothing to cap at: keep what the stop estimated
        return CostAvoided(usd=_money(estimate or 0.0), method=ESTIMATE)
    rest = max(0.0, worst - spent)
    # The worst case less the spend assumes every training job the stop prevented would have run at the worst case;
    # the estimate at the stop already took off what full parallelism would have spent by then. Keep the lower.
    if estimate is not None and estimate < rest:
        return CostAvoided(usd=_money(estimate), method=ESTIMATE)
    return CostAvoided(usd=_money(rest), method=WORST_CASE_LESS_SPEND, upper_bound=upper)


def _cost_avoided(record: AuditRecord) -> float:
    avoided = cost_avoided(record)
    return avoided.usd if avoided is not None else 0.0


def _reviewed(records: Iterable[AuditRecord]) -> list[AuditRecord]:
    return [r for r in _evaluated(records) if r.review is not None]


class _Spend(_Frozen):
    actual_spend_usd: float
    actual_spend_is_lower_bound: bool
    actual_spend_is_upper_bound: bool
    worst_case_reviewed_usd: float


def _spend_figures(records: Sequence[AuditRecord]) -> dict[str, Any]:
    """Actual spend of the reviewed jobs among `records`, with its bounds and the same jobs' worst case."""
    pairs = [(record, record.review) for record in _reviewed(records) if record.review is not None]
    return _Spend(
        actual_spend_usd=_money(sum(review.spend_usd for _, review in pairs)),
        actual_spend_is_lower_bound=any(review.spend_bound == "at least" for _, review in pairs),
        actual_spend_is_upper_bound=any(review.spend_bound == "at most" for _, review in pairs),
        worst_case_reviewed_usd=_money(sum(_worst_case_of(record) or 0.0 for record, _ in pairs)),
    ).model_dump()


def _worst_case_of(record: AuditRecord) -> float | None:
    """The worst case the review compared with (the record's when the review was given none)."""
    if record.review is not None and record.review.worst_case_usd is not None:
        return record.review.worst_case_usd
    return record.worst_case_usd


def _flagged_cost(record: AuditRecord) -> float:
    return (record.worst_case_usd or 0.0) if _flagged(record) else 0.0


def _rules(record: AuditRecord) -> list[str]:
    return list(dict.fromkeys(f.rule for f in record.findings))


def _money(amount: float) -> float:
    return round(amount, 2)


def _week_of(record: AuditRecord) -> str:
    return iso_week_of(_parse_moment(record.occurred_at))


def job_row(record: AuditRecord) -> JobRow:
    """The report's row for one evaluated job."""
    stop = record.actions.get("stop")
    avoided = cost_avoided(record)
    review = record.review
    best = review.best if review is not None else None
    return JobRow(
        event_id=record.event_id,
        occurred_at=record.occurred_at,
        account=record.account,
        team=record.team,
        job_name=record.job_name,
        principal_arn=record.principal_arn,
        rules=_rules(record),
        worst_case_usd=record.worst_case_usd,
        cost_complete=record.cost_complete,
        decision=record.decision,
        stop_result=stop.result if stop else None,
        cost_avoided_usd=avoided.usd if avoided is not None else (stop.cost_avoided_usd if stop else None),
        mode=record.mode,
        mode_origin=record.setting_origins.get("mode"),
        reviewed=review is not None,
        job_status=review.job_status if review is not None else None,
        actual_spend_usd=review.spend_usd if review is not None else None,
        actual_spend_bound=review.spend_bound if review is not None else None,
        best_objective=None
        if best is None
        else f"{best.metric} {best.objective_value:.6g}"
        + (f" ({best.objective_type})" if best.objective_type else "")
        + f", {best.position} of {best.of}",
        review_findings=_lessons_of(record),
        cost_avoided_method=avoided.method if avoided is not None else None,
        cost_avoided_bound="at most" if avoided is not None and avoided.upper_bound else None,
    )


def _lessons_of(record: AuditRecord) -> list[str]:
    """The review rules that found more than context (above info) in this job's review, sorted."""
    if record.review is None:
        return []
    return sorted(rule for rule, severity in record.review.rule_severities.items() if severity != "info")


def job_rows(records: Iterable[AuditRecord]) -> list[JobRow]:
    """One row per evaluated job, oldest first (the CSV report)."""
    return [job_row(r) for r in sorted(_evaluated(records), key=lambda r: (r.occurred_at, r.event_id))]


# --- the figures --------------------------------------------------------------------------------


def compute_figures(
    records: Sequence[AuditRecord], period: ReportPeriod, generated_at: str, filters: Filters | None = None
) -> Figures:
    """Every figure of the report, from the period's audit records."""
    return Figures(
        generated_at=generated_at,
        period=period,
        filters=filters or Filters(),
        totals=totals(records),
        by_rule=by_rule(records),
        by_team=by_group(records, lambda r: r.team),
        by_account=by_group(records, lambda r: r.account),
        repeat_offenders=repeat_offenders(records),
        weekly=weekly(records, period),
        exemptions=exemptions(records),
        costliest_flagged_jobs=costliest_flagged_jobs(records),
        platform_notes=platform_notes(records),
        costliest_reviewed_jobs=costliest_reviewed_jobs(records),
        reviews=review_lessons(records),
    )


def costliest_reviewed_jobs(records: Sequence[AuditRecord], limit: int = COSTLIEST_JOBS_SHOWN) -> list[JobRow]:
    """The reviewed jobs with the highest actual spend."""
    reviewed = _reviewed(records)
    reviewed.sort(key=lambda r: (-(r.review.spend_usd if r.review else 0.0), r.occurred_at, r.event_id))
    return [job_row(r) for r in reviewed[:limit]]


def review_lessons(records: Sequence[AuditRecord], limit: int = LESSONS_SHOWN) -> ReviewLessons:
    """The review rules that found something (above info) in most reviewed jobs, and the (hyperparameter, edge)
    pairs most often at an edge, each counted once per job; most jobs first."""
    reviewed = _reviewed(records)
    jobs: Counter[str] = Counter()
    findings: Counter[str] = Counter()
    edges: Counter[tuple[str, str]] = Counter()
    for record in reviewed:
        assert record.review is not None
        jobs.update(_lessons_of(record))
        findings.update(f.rule for f in record.review.findings if f.severity != "info")
        edges.update({(e.parameter, e.edge) for e in record.review.range_edges})
    total = len(reviewed)
    lessons = [
        ReviewLesson(rule=rule, jobs=n, share_of_reviewed=round(n / total, 4), findings=findings[rule])
        for rule, n in jobs.items()
    ]
    edge_rows = [EdgeLesson(parameter=p, edge=e, jobs=n) for (p, e), n in edges.items()]
    return ReviewLessons(
        jobs_reviewed=total,
        jobs_not_reviewed=len(_evaluated(records)) - total,
        findings=sorted(lessons, key=lambda row: (-row.jobs, -row.findings, row.rule))[:limit],
        range_edges=sorted(edge_rows, key=lambda row: (-row.jobs, row.parameter, row.edge))[:limit],
    )


def platform_notes(records: Sequence[AuditRecord]) -> list[PlatformNote]:
    """Each distinct note for the platform team, with its rules and the number of jobs it came with, most first."""
    jobs: Counter[str] = Counter()
    rules: dict[str, set[str]] = defaultdict(set)
    for record in _evaluated(records):
        notes = {f.platform_note: f.rule for f in record.findings if f.platform_note}
        jobs.update(notes.keys())
        for note, rule in notes.items():
            rules[note].add(rule)
    return [PlatformNote(note=note, rules=sorted(rules[note]), jobs=n) for note, n in jobs.most_common()]


def totals(records: Sequence[AuditRecord]) -> Totals:
    """Counts of events and jobs, the worst case flagged and the cost stops avoided."""
    statuses = Counter(r.status for r in records)
    evaluated = _evaluated(records)
    flagged = [r for r in evaluated if _flagged(r)]
    return Totals(
        events_seen=len(records),
        evaluated=statuses[Status.EVALUATED],
        skipped=statuses[Status.SKIPPED],
        rejected=statuses[Status.REJECTED],
        jobs_flagged=len(flagged),
        jobs_notified=sum(_notified(r) for r in evaluated),
        jobs_stopped=sum(_stopped(r) for r in evaluated),
        findings=sum(len(r.findings) for r in evaluated),
        suppressed_findings=sum(len(r.suppressed) for r in evaluated),
        worst_case_flagged_usd=_money(sum(_flagged_cost(r) for r in flagged)),
        # A price was unknown for one of them: the sum is then at least this much.
        worst_case_flagged_is_lower_bound=any(r.cost_complete is False for r in flagged),
        cost_avoided_usd=_money(sum(_cost_avoided(r) for r in evaluated)),
        **_price_bases(evaluated),
        jobs_reviewed=len(_reviewed(evaluated)),
        **_spend_figures(evaluated),
        stops_by_cost_method=dict(Counter(a.method for r in evaluated if (a := cost_avoided(r)) is not None)),
        cost_avoided_is_upper_bound=any(a.upper_bound for r in evaluated if (a := cost_avoided(r)) is not None),
    )


def _price_bases(evaluated: Sequence[AuditRecord]) -> dict[str, int]:
    bases = Counter(r.price_basis or ("complete" if r.cost_complete is not False else "unknown") for r in evaluated)
    return {
        "costs_complete": bases["complete"],
        "costs_estimated": bases["estimated"],
        "costs_unknown": bases["unknown"],
    }


def by_rule(records: Sequence[AuditRecord]) -> list[RuleFigures]:
    """Findings and jobs per rule, most findings first."""
    findings: Counter[str] = Counter()
    jobs: Counter[str] = Counter()
    for record in _evaluated(records):
        findings.update(f.rule for f in record.findings)
        jobs.update(_rules(record))
    rows = [RuleFigures(rule=rule, findings=n, jobs=jobs[rule]) for rule, n in findings.items()]
    return sorted(rows, key=lambda row: (-row.findings, -row.jobs, row.rule))


def by_group(records: Sequence[AuditRecord], key: Callable[[AuditRecord], str | None]) -> list[GroupFigures]:
    """Evaluated jobs grouped by team or account, most flagged first; jobs without one come last."""
    groups: dict[str | None, list[AuditRecord]] = defaultdict(list)
    for record in _evaluated(records):
        groups[key(record)].append(record)
    rows = [
        GroupFigures(
            name=name,
            evaluated=len(members),
            flagged=sum(_flagged(r) for r in members),
            findings=sum(len(r.findings) for r in members),
            stopped=sum(_stopped(r) for r in members),
            worst_case_flagged_usd=_money(sum(_flagged_cost(r) for r in members)),
            cost_avoided_usd=_money(sum(_cost_avoided(r) for r in members)),
            reviewed=len(_reviewed(members)),
            **_spend_figures(members),
        )
        for name, members in groups.items()
    ]
    return sorted(rows, key=lambda row: (row.name is None, -row.flagged, -row.worst_case_flagged_usd, row.name or ""))


def repeat_offenders(records: Sequence[AuditRecord]) -> RepeatOffenders:
    """Principals and teams with at least REPEAT_OFFENDER_MIN_JOBS flagged jobs."""
    flagged = [r for r in records if _flagged(r)]
    return RepeatOffenders(
        min_flagged_jobs=REPEAT_OFFENDER_MIN_JOBS,
        principals=_offenders(flagged, lambda r: r.principal_arn),
        teams=_offenders(flagged, lambda r: r.team),
    )


def _offenders(flagged: list[AuditRecord], key: Callable[[AuditRecord], str | None]) -> list[Offender]:
    groups: dict[str, list[AuditRecord]] = defaultdict(list)
    for record in flagged:
        name = key(record)
        if name:
            groups[name].append(record)
    rows = [
        Offender(
            name=name,
            flagged_jobs=len(members),
            rules=sorted({rule for r in members for rule in _rules(r)}),
            jobs=sorted({r.job_name or r.event_id for r in members}),
            worst_case_flagged_usd=_money(sum(_flagged_cost(r) for r in members)),
        )
        for name, members in groups.items()
        if len(members) >= REPEAT_OFFENDER_MIN_JOBS
    ]
    return sorted(rows, key=lambda row: (-row.flagged_jobs, -row.worst_case_flagged_usd, row.name))


def weekly(records: Sequence[AuditRecord], period: ReportPeriod) -> list[WeekFigures]:
    """Evaluated, flagged and stopped jobs per ISO week of the period (weeks without any count zero)."""
    evaluated = _evaluated(records)
    weeks = sorted(set(period.weeks()) | {_week_of(r) for r in evaluated})
    per_week: dict[str, list[AuditRecord]] = defaultdict(list)
    for record in evaluated:
        per_week[_week_of(record)].append(record)
    return [
        WeekFigures(
            week=week,
            starts=date.fromisocalendar(int(week[:4]), int(week[6:]), 1).isoformat(),
            evaluated=len(per_week[week]),
            flagged=sum(_flagged(r) for r in per_week[week]),
            stopped=sum(_stopped(r) for r in per_week[week]),
        )
        for week in weeks
    ]


def exemptions(records: Sequence[AuditRecord]) -> ExemptionFigures:
    """Findings set aside by exemptions, and the exemptions that matched a job after they expired."""
    evaluated = _evaluated(records)
    uses: dict[str, list[tuple[AuditRecord, str]]] = defaultdict(list)
    for record in evaluated:
        for finding in record.suppressed:
            uses[finding.exemption or "(unnamed)"].append((record, finding.rule))
    by_exemption = [
        ExemptionUse(
            exemption=name,
            findings=len(pairs),
            jobs=len({r.event_id for r, _ in pairs}),
            rules=sorted({rule for _, rule in pairs}),
        )
        for name, pairs in uses.items()
    ]
    return ExemptionFigures(
        suppressed_findings=sum(len(r.suppressed) for r in evaluated),
        jobs_with_suppressed=sum(bool(r.suppressed) for r in evaluated),
        by_exemption=sorted(by_exemption, key=lambda row: (-row.findings, row.exemption)),
        expired=_expired_exemptions(evaluated),
    )


def _expired_exemptions(evaluated: list[AuditRecord]) -> list[ExpiredExemption]:
    jobs: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for record in evaluated:
        for described in record.exemptions:
            expired = _EXPIRED.search(described)
            if expired:
                name = described.split(" (", 1)[0]
                jobs[(name, expired["on"])].add(record.job_name or record.event_id)
    rows = [
        ExpiredExemption(exemption=name, expired_on=on, jobs=len(names), job_names=sorted(names))
        for (name, on), names in jobs.items()
    ]
    return sorted(rows, key=lambda row: (-row.jobs, row.exemption))


def costliest_flagged_jobs(records: Sequence[AuditRecord], limit: int = COSTLIEST_JOBS_SHOWN) -> list[JobRow]:
    """The flagged jobs with the highest worst case."""
    flagged = [r for r in records if _flagged(r)]
    flagged.sort(key=lambda r: (-(r.worst_case_usd or 0.0), r.occurred_at, r.event_id))
    return [job_row(r) for r in flagged[:limit]]
