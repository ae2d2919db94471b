"""What a candidate policy would have changed: each recorded judgement against its replay, and the totals.

Pure comparison over plain values. Reading the audit table, the policy and the prices is the CLI's
business, and evaluating a record again is `judge.py`'s: this module only compares and counts, so the
rules of the comparison are tested on their own.

The baseline is always what the guardrail decided and recorded at the time (the record's decision and
findings), never a second evaluation under the policy in force today.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# The decisions that send an alert (a stop is always announced) and the one that stops the job.
NONE, NOTIFY, STOP = "none", "notify", "stop"
ALERTING = frozenset({NOTIFY, STOP})
DEFAULTS_SCOPE = "defaults"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class FindingRef(_Frozen):
    """One finding as recorded or replayed: enough to name it, tell it apart and show it."""

    rule: str
    severity: str
    parameter: str | None = None
    definition: str | None = Field(default=None, description="the training job definition, when several")
    message: str = ""
    exemption: str | None = Field(default=None, description="the exemption that set it aside, when it was")

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """What makes two findings the same finding: the rule, the training job definition and the parameter it
        is about (a message may name the cap or the cost, which is what a policy change moves)."""
        return self.rule, self.definition, self.parameter

    def label(self) -> str:
        where = f" on {self.parameter}" if self.parameter else ""
        where += f" in {self.definition}" if self.definition else ""
        return f"{self.rule} {self.severity}{where}"


class Judgement(_Frozen):
    """What one evaluation concluded: the decision, why, under which mode and scope, and its findings."""

    decision: str
    reason: str = ""
    mode: str | None = None
    scope: str = DEFAULTS_SCOPE
    worst_case_usd: float | None = None
    cost_complete: bool | None = None
    findings: tuple[FindingRef, ...] = ()
    suppressed: tuple[FindingRef, ...] = ()

    @property
    def alerts(self) -> bool:
        return self.decision in ALERTING

    @property
    def stops(self) -> bool:
        return self.decision == STOP


class ReplayedJob(_Frozen):
    """One recorded evaluation and the same request judged under the candidate policy."""

    event_id: str
    job_name: str | None = None
    occurred_at: str
    account: str | None = None
    team: str | None = None
    principal_arn: str | None = None
    recorded: Judgement
    replayed: Judgement
    stop_outcome: str | None = Field(default=None, description="what the recorded stop did, when there was one")


class SeverityChange(_Frozen):
    rule: str
    parameter: str | None = None
    definition: str | None = None
    recorded: str
    replayed: str


class JobChange(_Frozen):
    """How the replay of one job differs from what was recorded; `changed` is False when it does not."""

    job: ReplayedJob
    new_alert: bool = False
    alert_gone: bool = False
    new_stop: bool = False
    stop_gone: bool = False
    findings_new: tuple[FindingRef, ...] = ()
    findings_gone: tuple[FindingRef, ...] = ()
    severity_changed: tuple[SeverityChange, ...] = ()

    @property
    def decision_changed(self) -> bool:
        return self.job.recorded.decision != self.job.replayed.decision

    @property
    def changed(self) -> bool:
        return bool(self.decision_changed or self.findings_new or self.findings_gone or self.severity_changed)


def diff_findings(
    recorded: Iterable[FindingRef], replayed: Iterable[FindingRef]
) -> tuple[tuple[FindingRef, ...], tuple[FindingRef, ...], tuple[SeverityChange, ...]]:
    """(new, gone, severity changed) between two lists of findings, matched by rule and parameter.

    A rule may report one parameter more than once (`limits`, say): findings of one key are paired with the
    same severity first, then in order; what is left over on either side is new or gone.
    """
    before: dict[tuple[str, str | None, str | None], list[FindingRef]] = defaultdict(list)
    after: dict[tuple[str, str | None, str | None], list[FindingRef]] = defaultdict(list)
    for finding in recorded:
        before[finding.key].append(finding)
    for finding in replayed:
        after[finding.key].append(finding)
    new: list[FindingRef] = []
    gone: list[FindingRef] = []
    changed: list[SeverityChange] = []
    for key in dict.fromkeys([*before, *after]):
        old, now = list(before.get(key, [])), list(after.get(key, []))
        for finding in list(now):
            same = next((f for f in old if f.severity == finding.severity), None)
            if same is not None:
                old.remove(same)
                now.remove(finding)
        for was, is_now in zip(old, now, strict=False):
            changed.append(
                SeverityChange(
                    rule=was.rule,
                    parameter=was.parameter,
                    definition=was.definition,
                    recorded=was.severity,
                    replayed=is_now.severity,
                )
            )
        gone.extend(old[len(now) :])
        new.extend(now[len(old) :])
    return tuple(new), tuple(gone), tuple(changed)


def compare(job: ReplayedJob) -> JobChange:
    """What the candidate changes for one job: alerts and stops it adds or removes, findings new and gone."""
    recorded, replayed = job.recorded, job.replayed
    new, gone, changed = diff_findings(recorded.findings, replayed.findings)
    return JobChange(
        job=job,
        new_alert=replayed.alerts and not recorded.alerts,
        alert_gone=recorded.alerts and not replayed.alerts,
        new_stop=replayed.stops and not recorded.stops,
        stop_gone=recorded.stops and not replayed.stops,
        findings_new=new,
        findings_gone=gone,
        severity_changed=changed,
    )


class NotReplayableKind(StrEnum):
    NOT_EVALUATED = "not-evaluated"  # a skipped or rejected event: nothing was evaluated, nothing to compare
    NO_REQUEST = "no-stored-request"  # written before records kept the request
    REQUEST_OMITTED = "request-not-stored"  # the request was too large to keep
    UNREADABLE = "unreadable"  # the stored request or prices no longer read


class NotReplayable(_Frozen):
    """A record the replay could not judge again, and why."""

    event_id: str
    job_name: str | None = None
    occurred_at: str
    kind: NotReplayableKind
    reason: str


class Counts(_Frozen):
    """How many jobs were replayed and what changed among them."""

    jobs: int = 0
    changed: int = 0
    new_alerts: int = 0
    alerts_gone: int = 0
    new_stops: int = 0
    stops_gone: int = 0
    findings_new: int = 0
    findings_gone: int = 0
    severity_changed: int = 0

    def plus(self, change: JobChange) -> Counts:
        return Counts(
            jobs=self.jobs + 1,
            changed=self.changed + change.changed,
            new_alerts=self.new_alerts + change.new_alert,
            alerts_gone=self.alerts_gone + change.alert_gone,
            new_stops=self.new_stops + change.new_stop,
            stops_gone=self.stops_gone + change.stop_gone,
            findings_new=self.findings_new + len(change.findings_new),
            findings_gone=self.findings_gone + len(change.findings_gone),
            severity_changed=self.severity_changed + len(change.severity_changed),
        )


class ScopeReplay(_Frozen):
    """The jobs the candidate policy puts in one scope: their counts and each job that changed."""

    scope: str
    counts: Counts
    changes: tuple[JobChange, ...] = ()


class ReplaySummary(_Frozen):
    """Every scope's changes, the totals, and the records that could not be replayed."""

    scopes: tuple[ScopeReplay, ...] = ()
    totals: Counts = Counts()
    not_replayable: tuple[NotReplayable, ...] = ()

    def not_replayable_counts(self) -> dict[str, int]:
        """How many records of each kind could not be replayed, in the order of NotReplayableKind."""
        counts = {kind.value: 0 for kind in NotReplayableKind}
        for record in self.not_replayable:
            counts[record.kind.value] += 1
        return {kind: n for kind, n in counts.items() if n}


def summarise(jobs: Iterable[ReplayedJob], not_replayable: Iterable[NotReplayable] = ()) -> ReplaySummary:
    """Group the replayed jobs by the scope the candidate puts them in (the scopes in name order, `defaults`
    last), each scope's changed jobs in time order, and add everything up."""
    counts: dict[str, Counts] = defaultdict(Counts)
    changes: dict[str, list[JobChange]] = defaultdict(list)
    totals = Counts()
    for job in sorted(jobs, key=lambda j: (j.occurred_at, j.event_id)):
        change = compare(job)
        scope = job.replayed.scope
        counts[scope] = counts[scope].plus(change)
        totals = totals.plus(change)
        if change.changed:
            changes[scope].append(change)
    scopes = tuple(
        ScopeReplay(scope=scope, counts=counts[scope], changes=tuple(changes[scope]))
        for scope in sorted(counts, key=lambda s: (s == DEFAULTS_SCOPE, s))
    )
    skipped = tuple(sorted(not_replayable, key=lambda r: (r.occurred_at, r.event_id)))
    return ReplaySummary(scopes=scopes, totals=totals, not_replayable=skipped)
