"""The audit record: what the guardrail saw, what it decided, its action plan, and what each action did.

Written before any action is taken and keyed by the CloudTrail event id, so a duplicate delivery of
the same event finds the record instead of creating a second one. A job can also reach the guardrail
without its event (the scheduled reconciliation): a job claim, keyed by account, region and job name, says
which event's record judged the job, so whichever trigger comes second finds it and does not judge again.
The record carries the plan (the actions the decision calls for) and each action's outcome as soon as it
is known; an action that is missing or failed is pending, so a later delivery runs exactly the pending
ones: a failed stop is tried again, an alert already sent is not sent again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hpo_guardrail.enforce.outcome import DecisionSummary, FindingSummary, Outcome, Status, StopOutcome, StopResult
from rules.decision import Action, Decision
from rules.engine import Evaluation
from rules.findings import Severity
from rules.models import CallContext, TuningJobCall
from rules.policy import BaseLayer
from rules.review_pace import TrainingJobPace

if TYPE_CHECKING:
    from rules.review import TuningJobReview

STOP, NOTIFY, EXPORT = "stop", "notify", "security-hub"
# A stop was asked for and its answer is not recorded yet (the function may have died in between).
STOPPING = "stopping"
# The one result that leaves an action pending: the next delivery of the event tries it again. A failed
# stop is stored under the same word (StopResult.FAILED), which a test holds.
FAILED = "failed"

# What made the guardrail judge a job: its CloudTrail event, or the scheduled reconciliation, which found the
# job without a record (its event never came). A record written before triggers were recorded has none: its
# event did.
CLOUDTRAIL, RECONCILIATION = "cloudtrail", "reconciliation"

# Enough of a rejected event to replay or debug it, well inside DynamoDB's 400 KB item limit.
RAW_EVENT_LIMIT = 100_000
# The request an evaluated record keeps for `hpo-guardrail replay`: its compact JSON up to this many bytes
# (a request's usual size is 1-20 KB), and only while the whole record stays within RECORD_BUDGET, which leaves
# DynamoDB's 400 KB item limit room for the keys, index attributes, action outcomes and claim around the record.
# A request beyond either is not stored (a cut JSON text cannot be evaluated) and `request_omitted` says why.
REQUEST_LIMIT = 100_000
RECORD_BUDGET = 350_000
# Values of the training containers' environment are never evaluated and are where secrets end up: not stored.
ENVIRONMENT_KEYS = frozenset({"environment", "Environment"})
NOT_STORED = "(not stored)"
# The review of the finished job, stored on its record: at most this many bytes of JSON. With RECORD_BUDGET that is
# 390,000 bytes, leaving DynamoDB's 400 KB (409,600 bytes) item limit room for keys, indexes, actions and claim.
# Findings beyond it are dropped, least severe first, and counted (`findings_omitted`); the counts the report
# reads (rule severities, range edges) are kept whole.
REVIEW_LIMIT = 40_000
REVIEW_TEXT_LIMIT = 600  # one finding's message or advice, one spend description
REVIEW_EDGES_LIMIT = 100  # range-edge findings kept for the report (30 ranges x 2 edges, and definitions)
REVIEW_VALUE_LIMIT = 200  # one hyperparameter value of the best training job


class Claim(BaseModel):
    """Who acts on an event's record, until when (epoch seconds): one invocation at a time."""

    model_config = ConfigDict(frozen=True)

    owner: str
    until: float


class ActionRecord(BaseModel):
    """The outcome of one action (stop, notify, export), stored as soon as it is known."""

    model_config = ConfigDict(frozen=True)

    result: str
    at: str
    detail: str = ""
    status_before: str | None = None
    message_id: str | None = None
    cost_avoided_usd: float | None = None
    attempts: int = 1
    final: bool = False  # a failure that is not tried again (the stop's last attempt)
    requested_by: str | None = Field(
        default=None,
        description="who asked for the action when the policy did not: 'chat channel' (the alert's Stop button)",
    )

    @property
    def done(self) -> bool:
        """True when the action need not run again: a failure is pending (until its last attempt), and so is a
        stop whose answer was never recorded."""
        if self.result == STOPPING:
            return False
        return self.result != FAILED or self.final

    @classmethod
    def of_stop(
        cls, stop: StopOutcome, at: str, cost_avoided_usd: float | None, *, attempts: int = 1, final: bool = True
    ) -> ActionRecord:
        """The stop's result itself (not its summary), so it reads back exactly as it happened."""
        return cls(
            result=stop.result.value,
            at=at,
            detail=stop.detail,
            status_before=stop.status_before,
            cost_avoided_usd=cost_avoided_usd,
            attempts=attempts,
            final=final,
        )

    def stop_outcome(self) -> StopOutcome:
        """The stop outcome back from the record (an interrupted invocation resumes with it)."""
        if self.result == STOPPING:  # asked, never answered: nothing is known yet
            return StopOutcome(result=StopResult.FAILED, status_before=self.status_before, detail="no answer recorded")
        detail = self.detail
        if self.result == StopResult.FAILED and self.attempts > 1:
            detail = f"{detail} (after {self.attempts} attempts)"
        return StopOutcome(result=StopResult(self.result), status_before=self.status_before, detail=detail)


def _cut(text: str, limit: int = REVIEW_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class _Stored(BaseModel):
    # Stored JSON outlives code: fields a later version drops are ignored when an old record is read.
    model_config = ConfigDict(frozen=True, extra="ignore")


class ReviewedDefinition(_Stored):
    """What one training job definition's training jobs actually cost."""

    definition: str
    training_jobs: int
    usd: float
    complete: bool
    instance_hours: float
    managed_spot: bool = False


class ReviewedBest(_Stored):
    """The best training job: its objective value and where in the budget it came."""

    name: str
    definition: str | None = None
    metric: str
    objective_type: str | None = Field(default=None, description="Minimize or Maximize")
    objective_value: float
    position: int
    of: int
    hyperparameters: dict[str, str] = Field(default_factory=dict)


class ReviewedFinding(_Stored):
    """One review finding as the record keeps it (rules/review.py: rule id, severity, words and evidence)."""

    rule: str
    severity: str
    message: str
    fix: str = ""
    parameter: str | None = None
    definition: str | None = None
    evidence: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class RangeEdge(_Stored):
    """A range whose best training job(s) sat at an edge (a `review-range-edge` finding)."""

    parameter: str
    edge: str = Field(description="lower or upper")
    definition: str | None = None
    severity: str = Field(description="medium: the best sat there; low: most of the best few did")


class ReviewCounts(_Stored):
    launched: int
    completed: int
    failed: int
    stopped: int
    other: int = 0
    with_objective: int = 0


class ReviewRecord(_Stored):
    """The review of the finished tuning job, as its audit record keeps it: actual spend, best objective, review
    findings, and when and by which trigger it ran. Compact (REVIEW_LIMIT): not every training job, only the
    spend per definition and the findings."""

    reviewed_at: str = Field(description="when the review ran (ISO 8601 UTC)")
    trigger: str = Field(min_length=1, description="what ran it, e.g. 'state-change Stopped' (the SageMaker event)")
    job_status: str = Field(description="the tuning job's terminal status: Completed, Stopped or Failed")
    spend_usd: float = Field(description="the priced actual spend; a lower bound when not spend_complete")
    spend_complete: bool = Field(description="False when a price or a billable time was missing: 'at least'")
    spend_upper_bound: bool = Field(
        default=False, description="True when spot (or InstanceConfigs) training jobs were priced on demand: 'at most'"
    )
    managed_spot: bool = False
    instance_hours: float = 0.0
    worst_case_usd: float | None = Field(default=None, description="the worst case estimated at creation")
    spend_description: str = Field(default="", description="the spend in words, as the review wrote it")
    definitions: list[ReviewedDefinition] = Field(default_factory=list)
    training_jobs: ReviewCounts
    best: ReviewedBest | None = None
    findings: list[ReviewedFinding] = Field(default_factory=list, description="most severe first; see omitted")
    findings_omitted: int = Field(default=0, description="findings left out to keep the record within its size")
    rule_severities: dict[str, str] = Field(
        default_factory=dict, description="each review rule that found something, with its highest severity"
    )
    range_edges: list[RangeEdge] = Field(default_factory=list)
    has_something_to_say: bool = False
    pace: TrainingJobPace | None = Field(
        default=None, description="the completed training jobs' cost and the training-job budget (cost avoided)"
    )

    @classmethod
    def of(
        cls, review: TuningJobReview, *, trigger: str, reviewed_at: str, pace: TrainingJobPace | None = None
    ) -> ReviewRecord:
        """The stored form of a review (rules.review.review_tuning_job), with the job's pace
        (rules.review_pace.pace_of) when known: without it a stopped job's cost avoided stays the estimate."""
        from rules.review import RANGE_EDGE  # with the review: a CloudTrail event needs none of it

        spend, best = review.spend, review.best
        severities: dict[str, str] = {}
        for finding in review.findings:
            held = severities.get(finding.rule)
            if held is None or finding.severity.rank > Severity(held).rank:
                severities[finding.rule] = finding.severity.value
        edges = [
            RangeEdge(
                parameter=f.parameter,
                edge=str(f.evidence.get("edge")),
                definition=f.definition,
                severity=f.severity.value,
            )
            for f in review.findings
            if f.rule == RANGE_EDGE and f.parameter is not None and f.evidence.get("edge") in ("lower", "upper")
        ]
        record = cls(
            reviewed_at=reviewed_at,
            trigger=trigger,
            job_status=review.status.value,
            spend_usd=spend.usd,
            spend_complete=spend.complete,
            spend_upper_bound=spend.upper_bound,
            managed_spot=spend.managed_spot,
            instance_hours=spend.instance_hours,
            worst_case_usd=spend.worst_case_usd,
            spend_description=_cut(spend.describe()),
            definitions=[
                ReviewedDefinition(
                    definition=_cut(line.definition, 200),
                    training_jobs=line.training_jobs,
                    usd=line.usd,
                    complete=line.complete,
                    instance_hours=line.instance_hours,
                    managed_spot=line.managed_spot,
                )
                for line in spend.definitions
            ],
            training_jobs=ReviewCounts.model_validate(review.counts.model_dump()),
            best=None
            if best is None
            else ReviewedBest(
                name=best.name,
                definition=best.definition,
                metric=best.metric,
                objective_type=review.objective.type.value if review.objective is not None else None,
                objective_value=best.objective_value,
                position=best.position,
                of=best.of,
                hyperparameters={k: _cut(v, REVIEW_VALUE_LIMIT) for k, v in sorted(best.hyperparameters.items())},
            ),
            findings=[
                ReviewedFinding(
                    rule=f.rule,
                    severity=f.severity.value,
                    message=_cut(f.message),
                    fix=_cut(f.fix),
                    parameter=f.parameter,
                    definition=f.definition,
                    evidence={
                        k: _cut(v, REVIEW_VALUE_LIMIT) if isinstance(v, str) else v for k, v in f.evidence.items()
                    },
                )
                for f in review.findings
            ],
            rule_severities=severities,
            range_edges=edges[:REVIEW_EDGES_LIMIT],
            has_something_to_say=review.has_something_to_say,
            pace=pace,
        )
        return record.within(REVIEW_LIMIT)

    def size(self) -> int:
        """Bytes of its stored JSON."""
        return len(self.model_dump_json().encode())

    def within(self, limit: int) -> ReviewRecord:
        """This review with its least severe findings left out (and counted) until its JSON fits `limit` bytes."""
        record = self
        while record.findings and record.size() > limit:
            # Findings are most severe first (rules/review.py sorts them): drop from the end.
            keep = max(0, len(record.findings) - max(1, len(record.findings) // 4))
            record = record.model_copy(
                update={
                    "findings": record.findings[:keep],
                    "findings_omitted": record.findings_omitted + len(record.findings) - keep,
                }
            )
        return record

    @property
    def spend_bound(self) -> str | None:
        """'at least' when a price or billable time was missing, 'at most' when spot was priced on demand."""
        if not self.spend_complete:
            return "at least"
        if self.spend_upper_bound:
            return "at most"
        return None


class AuditRecord(DecisionSummary):
    """One evaluation, skip or rejection, as the audit table keeps it: the summary, and who, where and how."""

    event_id: str
    occurred_at: str = Field(description="the API call's time (ISO 8601), or when it was recorded if unknown")
    recorded_at: str
    trigger: str | None = Field(
        default=None,
        description="what made the guardrail judge the job: 'cloudtrail' (its creation event) or 'reconciliation' "
        "(the schedule found it without a record); none on records older than this field",
    )
    account: str | None = None
    region: str | None = None
    job_arn: str | None = None
    principal_arn: str | None = None
    team: str | None = None
    cost_basis: str | None = None
    policy_problem: str | None = Field(
        default=None, description="the configured policy could not be used: why, and which policy stood in"
    )
    price_basis: str | None = Field(
        default=None, description="complete, estimated (a price from another region) or unknown (a price missing)"
    )
    budget_cap_usd: float | None = Field(default=None, description="the effective policy's budget cap")
    notify_min_severity: str | None = Field(
        default=None, description="the effective policy's notify threshold: findings below it were not sent"
    )
    setting_origins: dict[str, str] = Field(
        default_factory=dict,
        description="where each setting came from (mode, budget_cap_usd, unknown_price, notify_min_severity): "
        "a policy scope, the policy defaults, a stack parameter, the environment or the built-in default",
    )
    plan: list[str] = Field(default_factory=list, description="the actions the decision calls for, in order")
    actions: dict[str, ActionRecord] = Field(default_factory=dict)
    raw_event: str | None = None
    role_arn: str | None = Field(default=None, description="the role whose session made the call (role scopes)")
    request: dict[str, Any] | None = Field(
        default=None,
        description="the CloudTrail requestParameters as evaluated (container environment values left out), "
        "so that `hpo-guardrail replay` can evaluate the request again",
    )
    request_omitted: str | None = Field(default=None, description="why the request was not stored")
    price_quotes: list[dict[str, Any]] | None = Field(
        default=None, description="each price the cost used (rules.prices.PriceQuote), so a replay prices alike"
    )
    base_layer: dict[str, Any] | None = Field(
        default=None,
        description="the deployment's mode and budget cap (GUARDRAIL_MODE, BUDGET_CAP_USD) the policy was "
        "resolved over (rules.policy.BaseLayer: the values and where each came from)",
    )
    review: ReviewRecord | None = Field(
        default=None, description="the review after the job finished (attached once: AuditStore.attach_review)"
    )

    @model_validator(mode="before")
    @classmethod
    def _plan_of_older_records(cls, data: Any) -> Any:
        # Records written before the plan was stored: the decision says what was planned (stop and notify,
        # or notify), so an interrupted invocation of that time still resumes.
        if isinstance(data, dict) and "plan" not in data and data.get("decision") in (Action.STOP, Action.NOTIFY):
            return {**data, "plan": [STOP, NOTIFY] if data["decision"] == Action.STOP else [NOTIFY]}
        return data

    def pending(self) -> list[str]:
        """The planned actions without an outcome, or whose last attempt failed, in the order they run."""
        return [name for name in self.plan if name not in self.actions or not self.actions[name].done]

    @property
    def complete(self) -> bool:
        """Every planned action is done (a failed stop or publish is not: the next delivery retries it)."""
        return not self.pending()

    def call_context(self) -> CallContext:
        """The API call this record judged, as far as the record keeps it: what judging its stored request again
        (a replay, a stop asked for from chat) needs."""
        return CallContext(
            event_id=self.event_id,
            event_time=self.occurred_at,
            account=self.account,
            region=self.region,
            principal_arn=self.principal_arn,
            role_arn=self.role_arn,
            job_arn=self.job_arn,
        )

    def with_action(self, name: str, action: ActionRecord) -> AuditRecord:
        return self.model_copy(update={"actions": {**self.actions, name: action}})

    def with_review(self, review: ReviewRecord) -> AuditRecord:
        return self.model_copy(update={"review": review})

    def stop_outcome(self) -> StopOutcome | None:
        """What the stop did, when it ran."""
        stop = self.actions.get(STOP)
        return stop.stop_outcome() if stop is not None else None

    def outcome(self) -> Outcome:
        """What the handler returns: a summary of this record."""
        stop, notify = self.stop_outcome(), self.actions.get(NOTIFY)
        summary = self.model_dump(include=set(DecisionSummary.model_fields))
        actions = {"stop": stop.summary() if stop else None, "notify": notify.message_id if notify else None}
        return Outcome.model_validate({**summary, "actions": actions})

    @classmethod
    def evaluated(
        cls,
        call: TuningJobCall,
        evaluation: Evaluation,
        decision: Decision,
        team: str | None,
        now: str,
        *,
        exports: bool = False,
        event: object = None,
        base: BaseLayer | None = None,
        trigger: str = CLOUDTRAIL,
        request: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """The record of an evaluation, with the plan its decision calls for (`exports`: Security Hub is on).

        With the EventBridge `event` the record keeps the request (see `with_request`; a job found without its
        event gives its `request` as Describe returned it), and with `base` the deployment's layer under the
        policy: what `hpo-guardrail replay` needs to evaluate it again.
        """
        context, policy = call.context, evaluation.policy
        record = cls(
            event_id=context.event_id,
            occurred_at=context.event_time or now,
            recorded_at=now,
            trigger=trigger,
            status=Status.EVALUATED,
            account=context.account,
            region=context.region,
            job_name=call.request.job_name,
            job_arn=context.job_arn,
            principal_arn=context.principal_arn,
            team=team,
            mode=decision.mode.value,
            budget_cap_usd=policy.budget_cap_usd,
            notify_min_severity=policy.notify_min_severity.value,
            setting_origins=policy.setting_origins(),
            policy_version=policy.version,
            policy_scope=policy.scope,
            exemptions=[e.describe() for e in policy.exemptions],
            findings=[FindingSummary.of(f) for f in evaluation.findings],
            suppressed=[FindingSummary.of(s.finding, s.exemption) for s in evaluation.suppressed],
            worst_case_usd=evaluation.cost.worst_case_usd,
            cost_complete=evaluation.cost.complete,
            cost_basis=evaluation.cost.describe(),
            price_basis=evaluation.cost.price_basis,
            prices=evaluation.cost.price_lines(),
            decision=decision.action.value,
            decision_reason=decision.reason,
            plan=plan_for(decision, evaluation, exports=exports),
            role_arn=context.role_arn,
            price_quotes=[quote.model_dump(mode="json") for quote in evaluation.cost.quotes],
            base_layer=base.model_dump(mode="json", exclude_defaults=True) if base is not None else None,
        )
        return record.with_request(request if request is not None else request_parameters_of(event))

    def with_request(self, parameters: Mapping[str, Any] | None) -> AuditRecord:
        """This record keeping the request, unless it is too large (REQUEST_LIMIT, RECORD_BUDGET): then
        `request_omitted` says why, and a replay lists the record as not replayable."""
        if parameters is None:
            return self
        try:
            text = json.dumps(_without_environment_values(parameters), separators=(",", ":"))
        except (RecursionError, TypeError, ValueError) as error:
            return self.model_copy(update={"request_omitted": f"not JSON: {type(error).__name__}"})
        if len(text) > REQUEST_LIMIT:
            reason = f"the request's {len(text):,} bytes exceed the {REQUEST_LIMIT:,}-byte limit of a stored request"
            return self.model_copy(update={"request_omitted": reason})
        size = len(json.dumps(self.model_dump(mode="json", exclude={"actions", "review"}), separators=(",", ":")))
        if size + len(text) > RECORD_BUDGET:
            reason = (
                f"the record with the request ({size + len(text):,} bytes) would exceed the {RECORD_BUDGET:,} "
                "bytes kept for one audit record"
            )
            return self.model_copy(update={"request_omitted": reason})
        return self.model_copy(update={"request": json.loads(text)})

    @classmethod
    def not_evaluated(
        cls, status: Status, event_id: str, reason: str, now: str, *, occurred_at: str | None, raw_event: object
    ) -> AuditRecord:
        """A skipped or rejected event; a rejected one keeps its raw text for replay."""
        raw = None
        if status is Status.REJECTED:
            try:
                raw = json.dumps(raw_event, default=str)[:RAW_EVENT_LIMIT]
            except (RecursionError, ValueError) as error:  # nested past what can be written back: say so
                raw = json.dumps({"not_stored": f"{type(error).__name__}: {error}"[:500]})
        return cls(
            event_id=event_id,
            occurred_at=occurred_at or now,
            recorded_at=now,
            status=status,
            reason=reason,
            raw_event=raw,
        )


def request_parameters_of(event: object) -> Mapping[str, Any] | None:
    """The CloudTrail requestParameters an EventBridge event carries, or None."""
    detail = event.get("detail") if isinstance(event, Mapping) else None
    parameters = detail.get("requestParameters") if isinstance(detail, Mapping) else None
    return parameters if isinstance(parameters, Mapping) else None


def _without_environment_values(value: Any) -> Any:
    """The request with each training container's environment values replaced by NOT_STORED (keys kept)."""
    if isinstance(value, Mapping):
        return {
            key: {name: NOT_STORED for name in item}
            if key in ENVIRONMENT_KEYS and isinstance(item, Mapping)
            else _without_environment_values(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_environment_values(item) for item in value]
    return value


def plan_for(decision: Decision, evaluation: Evaluation, *, exports: bool) -> list[str]:
    """The actions a decision calls for, in the order they run: the alert says whether the stop worked, so the
    stop goes first; findings go to Security Hub when that export is on."""
    plan = []
    if decision.action is Action.STOP:
        plan.append(STOP)
    if decision.notifies:
        plan.append(NOTIFY)
    if exports and evaluation.findings:
        plan.append(EXPORT)
    return plan


def fallback_event_id(event: object) -> str:
    """A stable key for an event without an id: the same bytes give the same record."""
    try:
        text = json.dumps(event, sort_keys=True, default=str)
    except (RecursionError, ValueError):  # nested too deep to write back at all: one record each
        text = f"{type(event).__name__}-{uuid.uuid4()}"
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"sha256-{digest[:32]}"


class JobClaim(BaseModel):
    """Which event's record judged a tuning job, by which trigger, when: one per job, whoever came first.

    A name is the job's only until it is deleted (DeleteHyperParameterTuningJob), then it may be used again: a
    claim covers the job that existed when it was written, never a later one of the same name."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    trigger: str
    at: str  # when the claim was written (ISO 8601)
    created_at: str | None = None  # the claimed job's creation time, as its event or Describe gave it

    def covers(self, created_at: str | datetime | None) -> bool:
        """Whether this claim is about a job created at `created_at`: it is unless that job was created after the
        claim was written (a new job under a name used before). Unknown times count as the same job."""
        created, claimed = _moment(created_at), _moment(self.at)
        return created is None or claimed is None or created <= claimed

    def taken_over_by(self, claim: JobClaim, created_at: str | datetime | None) -> bool:
        """Whether `claim` is about another job than this one: two successful create calls are two jobs whatever
        their times, and a job created after this claim was written is not the job it covers."""
        both_created = self.trigger == CLOUDTRAIL and claim.trigger == CLOUDTRAIL
        return claim.event_id != self.event_id and (both_created or not self.covers(created_at))


def _moment(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 time (a trailing Z too) or datetime as an aware datetime; None when it is neither."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def job_claim_key(account: str, region: str, job_name: str) -> str:
    """The key of a job's claim: tuning job names are unique per account and region, and case-insensitive
    (SageMaker API reference, HyperParameterTuningJobName), so "Job" and "job" are one job."""
    return f"job#{account}#{region}#{job_name.lower()}"


class NoAuditStore:
    """Used when no audit table is configured (the CLI): nothing is kept, nothing is a duplicate."""

    def begin(self, record: AuditRecord, claim: Claim | None = None) -> AuditRecord | None:
        return None

    def claim(self, event_id: str, claim: Claim, now: float) -> AuditRecord | None:
        return None

    def release(self, event_id: str, owner: str) -> None:
        return None

    def first_notice(self, key: str, now: str) -> bool:
        return True

    def record_action(self, event_id: str, name: str, action: ActionRecord) -> None:
        return None

    def attach_review(self, event_id: str, review: ReviewRecord) -> ReviewRecord | None:
        return None
