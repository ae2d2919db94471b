"""The guardrail's steps for one event: read, skip, evaluate, decide, record, act, observe.

Plain code over ports; the Lambda handler and the CLI wire it to boto3 adapters. The audit record
carries the action plan: one loop runs the actions still pending, so a delivery of an event that was
handled half-way does exactly what is left.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from hpo_guardrail.enforce.alerts import AlertOptions, compose_alert
from hpo_guardrail.enforce.audit import (
    CLOUDTRAIL,
    EXPORT,
    FAILED,
    NOTIFY,
    STOP,
    STOPPING,
    ActionRecord,
    AuditRecord,
    Claim,
    JobClaim,
    NoAuditStore,
    fallback_event_id,
    job_claim_key,
)
from hpo_guardrail.enforce.chat_stop import (
    CHAT_CHANNEL,
    FOLLOW_UP,
    NOT_AN_EVENT,
    ChatStopReply,
    ChatStopRequest,
    ChatStopStatus,
    follow_up_alert,
    is_chat_request,
)
from hpo_guardrail.enforce.described import DescribedJob
from hpo_guardrail.enforce.evaluator import Assessment, Evaluator
from hpo_guardrail.enforce.outcome import Outcome, Status, StopOutcome, StopResult
from hpo_guardrail.enforce.platform_alerts import policy_problem_alert, policy_problem_key
from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.ports import (
    AccountAccessFailed,
    AuditReader,
    AuditStore,
    ExportFailed,
    FindingsExporter,
    JobClaims,
    JobController,
    JobControllers,
    JobNotFound,
    JobNotStoppable,
    NotificationFailed,
    Notifier,
    OneJobController,
    StopFailed,
)
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.observability import count, logger, tracer
from rules.cost import CostEstimate
from rules.decision import Action
from rules.events import AccountMismatch, event_id_of, is_state_change, read_event
from rules.models import CallContext, TuningJobCall
from rules.parsing import InvalidRequest, SkippedCall, read_request
from rules.prices import PriceBook

# Statuses after which a tuning job runs no more training jobs: nothing to stop.
ENDED_STATUSES = frozenset({"Stopping", "Stopped", "Completed", "Failed", "Deleting"})
# How long an invocation holds an event's claim: longer than the function's 30 s timeout, shorter than the
# minute Lambda waits before its first retry, so a holder that died does not block the retry.
CLAIM_LEASE_SECONDS = 45


class GuardrailService:
    """Evaluates CloudTrail events for CreateHyperParameterTuningJob and acts on the decision."""

    def __init__(
        self,
        settings: Settings,
        jobs: JobController | JobControllers,
        notifier: Notifier | None,
        policies: PolicySource | None = None,
        audit: AuditStore | None = None,
        exporter: FindingsExporter | None = None,
        prices: PriceBook | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.evaluator = Evaluator.from_settings(settings, policies=policies, prices=prices, clock=clock)
        # One controller (a single account, tests) or one per account and region (an organization).
        self._jobs: JobControllers = jobs if isinstance(jobs, JobControllers) else OneJobController(jobs)
        self._stop_attempts = settings.stop_attempts
        self._notifier = notifier
        self._audit = audit or NoAuditStore()
        self._exporter = exporter
        # The policy as the job's owner can lint with it (an SSM parameter; a file inside the function is not).
        self._alert_options = AlertOptions(policy_spec=settings.policy)
        # SageMaker's tuning job state changes (enforce/state_change.py), when the deployment wires them.
        self._state_changes: Callable[[object], Outcome] | None = None
        self._actions: dict[str, Callable[[TuningJobCall, Assessment, AuditRecord], ActionRecord]] = {
            STOP: self._stop,
            NOTIFY: self._notify,
            EXPORT: self._export,
        }

    @property
    def alert_options(self) -> AlertOptions:
        """What every alert of this service carries besides its findings (the policy to lint with, the button)."""
        return self._alert_options

    def _now(self) -> str:
        return self.evaluator.now().isoformat(timespec="seconds").replace("+00:00", "Z")

    def now_iso(self) -> str:
        """The evaluator's clock, as the audit records write it (ISO 8601 UTC, seconds)."""
        return self._now()

    def epoch(self) -> float:
        """The evaluator's clock in seconds since the epoch (claim leases)."""
        return self._epoch()

    def take_state_changes(self, handler: Callable[[object], Outcome]) -> None:
        """Hand SageMaker's tuning job state-change events to `handler` (enforce/state_change.py); without one they
        are skipped and recorded like any event that carries no request."""
        self._state_changes = handler

    def offer_stop_button(self, stop_function_name: str | None) -> None:
        """Put the Stop button's function (its name, in this stack's region) in every alert, so the chat channel's
        "Stop tuning job" button (template.yaml, StopTuningJobAction) can invoke it; without a name the alerts
        carry no button."""
        if stop_function_name:
            self._alert_options = dataclasses.replace(
                self._alert_options, stop_function_name=stop_function_name, stop_function_region=self.settings.region
            )

    def respond(self, event: object) -> dict[str, Any]:
        """The guardrail function's answer to one invocation: the Outcome of an EventBridge event, as JSON.

        It takes no stop request: the Stop button's function (`stop_from_chat`) is the one entry point for stops,
        so whoever may invoke this function cannot stop a job through it; `handle` rejects one as malformed."""
        return self.handle(event).model_dump(mode="json")

    def handle(self, event: object) -> Outcome:
        """Run every step for one EventBridge event. Bad input is rejected and recorded, never raised."""
        count("EventsReceived")
        if is_chat_request(event):
            # Recorded under its own digest, never under the event id it names (that is the alert's record).
            logger.warning("Rejected malformed event", extra={"reason": NOT_AN_EVENT, "event_id": None})
            count("EventsRejected")
            return self._record_not_evaluated(Status.REJECTED, event, None, NOT_AN_EVENT)
        if self._state_changes is not None and is_state_change(event):
            return self._state_changes(event)
        try:
            call = read_event(event)
        except (ValueError, TypeError) as error:  # InvalidRequest names the field
            reason = str(error)
            logger.warning("Rejected malformed event", extra={"reason": reason, "event_id": event_id_of(event)})
            count("EventsRejected")
            if isinstance(error, AccountMismatch):
                count("ForeignEventsRejected")
            return self._record_not_evaluated(Status.REJECTED, event, event_id_of(event), reason)
        if isinstance(call, SkippedCall):
            logger.info("Skipped event", extra={"kind": call.kind, "reason": call.reason})
            count("EventsSkipped")
            return self._record_not_evaluated(Status.SKIPPED, event, call.event_id or event_id_of(event), call.reason)
        refusal = self._unchecked_envelope(event) or self._outside_scope(call.context)
        if refusal is not None:
            logger.warning("Rejected an event of an account the guardrail does not watch", extra={"reason": refusal})
            count("EventsRejected")
            count("ForeignEventsRejected")
            return self._record_not_evaluated(Status.REJECTED, event, call.context.event_id, refusal)
        return self._evaluate_and_act(call, event)

    def evaluate_described_job(self, job: DescribedJob, *, trigger: str) -> Outcome:
        """Judge a tuning job that reached the guardrail without its creation event, exactly as if that event had
        come: the same evaluator, decision, audit record (saying which `trigger` found it), stop path and alert.

        The record's event id is `described_event_id(...)`, the same every time the trigger finds the
        job, so a trigger that runs again resumes or skips its own record; and the job's claim (see `audit`)
        makes a job its CloudTrail event already judged, or judges later, one alert in all. Like `handle`, a
        stop that failed raises StopFailed and an alert that could not be sent NotificationFailed, both recorded
        as pending: running the trigger again does what is left.
        """
        count("DescribedJobsReceived")
        event_id = described_event_id(trigger, job.account, job.region, job.name)
        try:
            call = job.call(event_id)
        except (ValueError, TypeError) as error:  # InvalidRequest names the field
            reason = f"the description of tuning job {job.name or '?'} could not be read: {error}"
            logger.warning("Rejected a described tuning job", extra={"reason": reason, "trigger": trigger})
            count("EventsRejected")
            return self._record_not_evaluated(Status.REJECTED, dict(job.description), event_id, reason)
        refusal = self._outside_scope(call.context)
        if refusal is not None:
            logger.warning("Rejected a job of an account the guardrail does not watch", extra={"reason": refusal})
            count("EventsRejected")
            return self._record_not_evaluated(Status.REJECTED, None, event_id, refusal)
        return self._evaluate_and_act(call, None, trigger=trigger, request=job.request_parameters())

    def job_judged_by(self, account: str, region: str, job_name: str) -> JobClaim | None:
        """Which event's record judged this tuning job (its CloudTrail event, or a trigger that found it
        without one), or None when none did, or the audit store cannot say (no table)."""
        if not isinstance(self._audit, JobClaims):
            return None
        return self._audit.job_claim(job_claim_key(account, region, job_name))

    def stop_from_chat(self, payload: object) -> ChatStopReply:
        """The alert's "Stop tuning job" button: stop the job of a recorded evaluation that only notified.

        Re-reads the audit record by event id and refuses (saying why) unless it is an evaluation whose job
        was not stopped; then stops the job through the same path as an enforced stop (its account's member
        role, describe first), records that the chat channel asked for it and the cost avoided, and posts one
        follow-up in the alert's thread. Pressing again finds the stop recorded. A malformed payload is
        rejected and recorded like a malformed event; nothing here raises.
        """
        count("ChatStopRequests")
        try:
            request = ChatStopRequest.read(payload)
        except ValueError as error:
            reason = str(error)
            logger.warning("Rejected a malformed stop request", extra={"reason": reason})
            count("EventsRejected")
            self._record_not_evaluated(Status.REJECTED, payload, None, reason)
            return ChatStopReply(status=ChatStopStatus.REFUSED, message=reason)
        if not isinstance(self._audit, AuditReader):
            return self._refused("no audit table is configured: the guardrail cannot look the alert up")
        record = self._audit.get(request.event_id)
        refusal = _chat_refusal(request.event_id, record)
        if refusal is not None or record is None:
            return self._refused(refusal or "no record", record)
        claim = Claim(owner=uuid.uuid4().hex, until=self._epoch() + CLAIM_LEASE_SECONDS)
        current = self._audit.claim(record.event_id, claim, self._epoch())
        if current is None:
            count("ConcurrentDeliveries")
            return self._refused(
                f"another invocation is acting on event {record.event_id} right now: press again in a minute", record
            )
        try:
            return self._stop_for_chat(current)
        finally:
            self._audit.release(record.event_id, claim.owner)

    def _stop_for_chat(self, record: AuditRecord) -> ChatStopReply:
        refusal = _chat_refusal(record.event_id, record)  # again, under the claim: it may have changed
        if refusal is not None:
            return self._refused(refusal, record)
        earlier = record.actions.get(STOP)
        if earlier is not None and earlier.result == StopResult.STOPPED:
            who = earlier.requested_by or "the guardrail's policy (enforce mode)"
            message = f"already stopped at {earlier.at}, asked for by {who}: nothing more to do"
            self._follow_up(record, earlier)  # only if an earlier press could not post it
            return ChatStopReply.about(ChatStopStatus.ALREADY_STOPPED, message, record)
        assert record.job_name is not None  # _chat_refusal said so
        action = self._stop_job(
            record,
            record.job_name,
            account=record.account,
            region=record.region,
            started=record.occurred_at,
            cost=self._recorded_cost(record),
            requested_by=CHAT_CHANNEL,
        )
        self._audit.record_action(record.event_id, STOP, action)
        record = record.with_action(STOP, action)
        summary = action.stop_outcome().summary()
        if action.result == StopResult.STOPPED:
            count("ChatStops")
            posted = self._follow_up(record, action)
            thread = "" if posted else " (the follow-up message could not be posted: see the function's logs)"
            return ChatStopReply.about(ChatStopStatus.STOPPED, f"{summary}{thread}", record)
        if action.result == StopResult.FAILED:
            return ChatStopReply.about(ChatStopStatus.FAILED, f"{summary}: press again to retry", record)
        return ChatStopReply.about(ChatStopStatus.REFUSED, f"{summary}: nothing to stop", record)

    def _refused(self, reason: str, record: AuditRecord | None = None) -> ChatStopReply:
        count("ChatStopsRefused")
        logger.info("Refused a stop from the chat channel", extra={"reason": reason})
        return ChatStopReply.about(ChatStopStatus.REFUSED, reason, record)

    def _recorded_cost(self, record: AuditRecord) -> CostEstimate | None:
        """The job's worst case, from the request the record keeps, priced as the guardrail prices it now."""
        if record.request is None:
            return None
        context = record.call_context()
        try:
            return self.evaluator.assess(read_request(record.request), context).evaluation.cost
        except (InvalidRequest, ValidationError, ValueError):
            logger.exception("The recorded request no longer evaluates; the cost avoided stays unknown")
            return None

    def _follow_up(self, record: AuditRecord, stop: ActionRecord) -> bool:
        """Post the one follow-up in the alert's thread, unless it was posted already; True when it is."""
        sent = record.actions.get(FOLLOW_UP)
        if sent is not None and sent.result == "sent":
            return True
        if self._notifier is None:
            return False
        try:
            message_id = self._notifier.publish(follow_up_alert(record, stop))
        except NotificationFailed as error:
            logger.exception("Publishing the follow-up message failed")
            count("NotificationsFailed")
            self._audit.record_action(
                record.event_id, FOLLOW_UP, ActionRecord(result=FAILED, at=self._now(), detail=str(error))
            )
            return False
        count("NotificationsSent")
        posted = ActionRecord(result="sent", at=self._now(), message_id=message_id, requested_by=CHAT_CHANNEL)
        self._audit.record_action(record.event_id, FOLLOW_UP, posted)
        return True

    def _unchecked_envelope(self, event: object) -> str | None:
        """Why an event cannot be trusted to name its account, or None. A deployed guardrail knows its account:
        then the envelope must name one, so read_event could hold it against recipientAccountId (EventBridge
        always writes it; an event without it did not come through a bus). A described job needs no envelope:
        the guardrail read it itself, in the account it names."""
        settings = self.settings
        knows_its_account = settings.watches_organization or settings.account_id is not None
        if knows_its_account and not (isinstance(event, Mapping) and isinstance(event.get("account"), str)):
            return (
                "the event's envelope names no account (EventBridge always writes one), so it cannot be checked "
                "against the CloudTrail record's recipientAccountId: not acted on"
            )
        return None

    def _outside_scope(self, context: CallContext) -> str | None:
        """Why the guardrail must not act on a call in this account, or None when it watches it.

        With an organization, the central bus admits only the organization's forwarders, and a member role
        exists only in its accounts; the account must at least be named. Without one, only the guardrail's own
        account is watched (when the deployment says which it is).
        """
        if self.settings.watches_organization and context.account is None:
            return "the CloudTrail record names no recipientAccountId: no account to act in"
        return self.account_refusal(context.account)

    def account_refusal(self, account: str | None) -> str | None:
        """Why the guardrail must not act in `account`, or None when it watches it (any account of the organization
        with one; else its own account, when the deployment says which it is)."""
        settings = self.settings
        if settings.watches_organization:
            return None
        if settings.account_id is not None and account is not None and account != settings.account_id:
            return (
                f"the call was made in account {account}, but this guardrail watches only its own account "
                f"{settings.account_id} (no ORGANIZATION_ID is set): not acted on"
            )
        return None

    def record_not_evaluated(self, status: Status, event: object, event_id: str | None, reason: str) -> Outcome:
        """Record an event that judged no job (skipped or rejected, with why) once per event id; its outcome."""
        return self._record_not_evaluated(status, event, event_id, reason)

    def _record_not_evaluated(self, status: Status, event: object, event_id: str | None, reason: str) -> Outcome:
        key = event_id or fallback_event_id(event)
        occurred = event.get("time") if isinstance(event, Mapping) and isinstance(event.get("time"), str) else None
        record = AuditRecord.not_evaluated(status, key, reason, self._now(), occurred_at=occurred, raw_event=event)
        self._audit.begin(record)  # a duplicate delivery finds its record and stores nothing
        return record.outcome()

    def _judged_already(self, call: TuningJobCall, trigger: str, event: object) -> Outcome | None:
        """Claim the call's job for its event; when another event's record judged the job already (its CloudTrail
        event and a trigger that found it without one), record this one as skipped and return that outcome.

        A claim covers only the job it was written for: a job created after it (a name deleted and used again)
        or a second successful create call takes the claim over and is judged."""
        context = call.context
        account = context.account or self.settings.account_id
        if not isinstance(self._audit, JobClaims) or account is None:
            return None  # no table (the CLI), or no account to key the job by: each event stands alone
        region = context.region or self.settings.region
        key = job_claim_key(account, region, call.request.job_name)
        claim = JobClaim(event_id=context.event_id, trigger=trigger, at=self._now(), created_at=context.event_time)
        held = self._audit.claim_job(key, claim)
        if held.event_id != claim.event_id and held.taken_over_by(claim, context.event_time):
            count("JobNamesReused")
            held = self._audit.replace_job_claim(key, claim, held)
        if held.event_id == claim.event_id:
            return None
        count("JobsJudgedAlready")
        reason = (
            f"tuning job {call.request.job_name} was already judged through {held.trigger} "
            f"(event {held.event_id}, at {held.at}): not judged again"
        )
        logger.info("Job already judged through another trigger", extra={"reason": reason})
        return self._record_not_evaluated(Status.SKIPPED, event, context.event_id, reason)

    @tracer.capture_method
    def _evaluate_and_act(
        self,
        call: TuningJobCall,
        event: object = None,
        *,
        trigger: str = CLOUDTRAIL,
        request: Mapping[str, Any] | None = None,
    ) -> Outcome:
        judged = self._judged_already(call, trigger, event)
        if judged is not None:
            return judged
        # A policy that cannot be read or is invalid does not stop the guardrail: the evaluator uses the last
        # good one (or the packaged default) and says so; the record keeps it and the platform team is told.
        assessment = self.evaluator.assess(call.request, call.context)
        evaluation, decision = assessment.evaluation, assessment.decision
        record = AuditRecord.evaluated(
            call,
            evaluation,
            decision,
            assessment.team,
            self._now(),
            exports=self._exporter is not None,
            event=event,  # the record keeps the request, and the base layer, for `hpo-guardrail replay`
            base=self.evaluator.base,
            trigger=trigger,
            request=request,
        )
        if assessment.policy_problem:
            record = record.model_copy(
                update={"policy_problem": f"{assessment.policy_problem}; evaluated with {assessment.policy_fallback}"}
            )
            self._report_policy_problem(assessment)
        self._log_evaluation(record)
        # The record is stored before any action, so an action that fails loses nothing. Whoever stores it
        # holds its claim: concurrent deliveries of the same event (Lambda runs them side by side) step back.
        claim = Claim(owner=uuid.uuid4().hex, until=self._epoch() + CLAIM_LEASE_SECONDS)
        existing = self._audit.begin(record, claim)
        if existing is not None:
            if existing.complete:
                return self._duplicate(existing)
            current = self._audit.claim(record.event_id, claim, self._epoch())
            if current is None:
                count("ConcurrentDeliveries")
                logger.info("Another delivery of this event is acting on it; stepping back")
                reason = f"another delivery of event {record.event_id} is being handled now"
                return Outcome(status=Status.SKIPPED, event_id=record.event_id, job_name=record.job_name, reason=reason)
            if current.complete:  # it finished between our read and our claim
                self._audit.release(record.event_id, claim.owner)
                return self._duplicate(current)
            # The stored plan is what the guardrail decided and announced; a re-evaluation (a price now known,
            # a policy edited since) must not change what this event does half-way through.
            if current.decision != record.decision:
                count("ResumedWithAnotherDecision")
                logger.warning(
                    "Re-evaluation differs from the recorded decision; resuming the recorded plan",
                    extra={"recorded": current.decision, "now": record.decision},
                )
            logger.info("Resuming the pending actions of an earlier delivery", extra={"pending": current.pending()})
            record = current
        count("JobsEvaluated")
        count("Findings", len(evaluation.findings))
        try:
            for name in record.pending():
                try:
                    action = self._actions[name](call, assessment, record)
                except NotificationFailed as error:
                    failed = ActionRecord(result=FAILED, at=self._now(), detail=str(error))
                    self._audit.record_action(record.event_id, name, failed)
                    raise
                self._audit.record_action(record.event_id, name, action)
                record = record.with_action(name, action)
                if name == STOP and not action.done:
                    # Recorded; Lambda retries the event, which runs the stop again before anything else.
                    raise StopFailed(f"stop attempt {action.attempts} of {self._stop_attempts}: {action.detail}")
        finally:
            self._audit.release(record.event_id, claim.owner)
        return record.outcome()

    def _report_policy_problem(self, assessment: Assessment) -> None:
        """Count it on every event; tell the platform team once per broken policy version."""
        count("PolicyErrors")
        problem, fallback = str(assessment.policy_problem), str(assessment.policy_fallback)
        spec = self.evaluator.policies.spec
        if self._notifier is None or not self._audit.first_notice(policy_problem_key(spec, problem), self._now()):
            return
        try:
            self._notifier.publish(policy_problem_alert(spec, problem, fallback, assessment.region))
        except NotificationFailed:  # the job's own alert still goes out; the next event tells no one: logged
            logger.exception("Publishing the policy error alert failed")

    def _duplicate(self, existing: AuditRecord) -> Outcome:
        count("DuplicateEvents")
        logger.info("Duplicate delivery; already handled", extra={"recorded_at": existing.recorded_at})
        reason = f"duplicate delivery of event {existing.event_id}, already handled at {existing.recorded_at}"
        return Outcome(status=Status.SKIPPED, event_id=existing.event_id, job_name=existing.job_name, reason=reason)

    def _epoch(self) -> float:
        return self.evaluator.now().timestamp()

    def _log_evaluation(self, record: AuditRecord) -> None:
        logger.info(
            "Evaluated tuning job",
            extra={
                "job_name": record.job_name,
                "rules": [f.rule for f in record.findings],
                "suppressed": [f"{s.rule} ({s.exemption})" for s in record.suppressed],
                "worst_case_usd": record.worst_case_usd,
                "decision": record.decision,
                "decision_reason": record.decision_reason,
                "plan": record.plan,
                "policy_version": record.policy_version,
                "policy_scope": record.policy_scope,
                "exemptions": record.exemptions,
            },
        )

    # --- the actions: each returns its outcome for the record ------------------------------------

    def _stop(self, call: TuningJobCall, assessment: Assessment, record: AuditRecord) -> ActionRecord:
        """The decision's stop: describe first and stop only an InProgress job (see `_stop_job`)."""
        context = call.context
        return self._stop_job(
            record,
            call.request.job_name,
            account=context.account,
            region=context.region,
            started=context.event_time,
            cost=assessment.evaluation.cost,
        )

    def _stop_job(
        self,
        record: AuditRecord,
        job_name: str,
        *,
        account: str | None,
        region: str | None,
        started: str | None,
        cost: CostEstimate | None,
        requested_by: str | None = None,
    ) -> ActionRecord:
        """Describe first and stop only an InProgress job; an ended job is reported, not an error.

        The intent is recorded before the call: if the call succeeds but recording its result fails, the
        retry finds the intent and the job Stopping, and knows the guardrail stopped it. A stop the policy
        decided is retried by Lambda up to `stop_attempts`; one asked for from the chat channel is final (the
        person presses again).
        """
        earlier = record.actions.get(STOP)
        attempts = (earlier.attempts if earlier is not None else 0) + 1
        try:
            jobs = self._jobs.controller(account, region, event_id=record.event_id)
            status = jobs.status(job_name)
            if status in ENDED_STATUSES and earlier is not None and earlier.result == STOPPING:
                stop = StopOutcome(
                    result=StopResult.STOPPED,
                    status_before="InProgress",
                    detail="stopped by an earlier attempt whose result was not recorded",
                )
            elif status in ENDED_STATUSES:
                stop = StopOutcome(result=StopResult.ALREADY_ENDED, status_before=status)
            elif status != "InProgress":
                stop = StopOutcome(result=StopResult.FAILED, status_before=status, detail=f"unexpected status {status}")
            else:
                intent = ActionRecord(
                    result=STOPPING, at=self._now(), attempts=attempts, status_before=status, requested_by=requested_by
                )
                self._audit.record_action(record.event_id, STOP, intent)
                jobs.stop(job_name)
                stop = StopOutcome(result=StopResult.STOPPED, status_before=status)
        except JobNotFound:
            stop = StopOutcome(result=StopResult.NOT_FOUND)
        except JobNotStoppable as error:
            stop = StopOutcome(result=StopResult.ALREADY_ENDED, status_before="ended", detail=str(error))
        except AccountAccessFailed as error:  # recorded and retried like any failed stop; the alert says why
            logger.warning("Could not act in the job's account", extra={"job_name": job_name, "reason": str(error)})
            stop = StopOutcome(result=StopResult.FAILED, detail=str(error))
        except Exception as error:  # recorded, then retried by Lambda; the last attempt's alert says it failed
            logger.exception("Stopping the tuning job failed", extra={"job_name": job_name, "attempt": attempts})
            stop = StopOutcome(result=StopResult.FAILED, detail=f"{type(error).__name__}: {error}")
        count("JobsStopped" if stop.result is StopResult.STOPPED else "StopsNotNeeded")
        if stop.result is StopResult.FAILED:
            count("StopsFailed")
        logger.info(
            "Stop outcome",
            extra={"job_name": job_name, "stop": stop.summary(), "attempt": attempts, "requested_by": requested_by},
        )
        final = requested_by is not None or stop.result is not StopResult.FAILED or attempts >= self._stop_attempts
        action = ActionRecord.of_stop(
            stop, self._now(), self._cost_avoided(started, cost, stop), attempts=attempts, final=final
        )
        return action.model_copy(update={"requested_by": requested_by}) if requested_by else action

    def _cost_avoided(self, started: str | None, cost: CostEstimate | None, stop: StopOutcome) -> float | None:
        """The unspent part of the worst case when the job was stopped."""
        if stop.result is not StopResult.STOPPED or not started or cost is None:
            return None
        began = datetime.fromisoformat(started.replace("Z", "+00:00"))
        elapsed = max(0.0, (self.evaluator.now() - began).total_seconds())
        return round(cost.unspent_after(elapsed), 2)

    def _notify(self, call: TuningJobCall, assessment: Assessment, record: AuditRecord) -> ActionRecord:
        """Publish the alert; a failed publish raises (after the loop records it) so Lambda retries the event."""
        if self._notifier is None:
            logger.warning("No NOTIFY_TOPIC_ARN configured; alert not sent", extra={"job": call.request.job_name})
            return ActionRecord(result="not-configured", at=self._now())
        alert = compose_alert(
            call.context,
            assessment.evaluation,
            assessment.decision,
            record.stop_outcome(),
            assessment.region,
            team=assessment.team,
            options=self._alert_options,
        )
        try:
            message_id = self._notifier.publish(alert)
        except NotificationFailed:
            count("NotificationsFailed")
            logger.exception("Publishing the alert failed; raising so Lambda retries the event")
            raise
        count("NotificationsSent")
        return ActionRecord(result="sent", at=self._now(), message_id=message_id)

    def _export(self, call: TuningJobCall, assessment: Assessment, record: AuditRecord) -> ActionRecord:
        """Import the findings into Security Hub; a failure is recorded and counted, not raised."""
        assert self._exporter is not None
        # Imported here: Security Hub export is opt-in (SecurityHubExport), so most deployments never load it.
        from hpo_guardrail.enforce.security_hub import asff_findings

        findings = asff_findings(
            call.context, assessment.evaluation, assessment.decision, assessment.region, self._now()
        )
        try:
            imported = self._exporter.export(findings)
        except ExportFailed as error:
            logger.exception("Exporting findings to Security Hub failed")
            count("ExportsFailed")
            return ActionRecord(result=FAILED, at=self._now(), detail=str(error))
        count("FindingsExported", imported)
        return ActionRecord(result="exported", at=self._now(), detail=f"{imported} finding(s)")


def described_event_id(trigger: str, account: str, region: str, job_name: str) -> str:
    """The audit key of a job a trigger found without its CloudTrail event: the same job and trigger give the same
    key (names are unique per account and region, and case-insensitive)."""
    return f"{trigger}-{account}-{region}-{job_name.lower()}"


def _chat_refusal(event_id: str, record: AuditRecord | None) -> str | None:
    """Why the Stop button must not act on this record, or None when it may (the job was not stopped)."""
    if record is None:
        return f"no audit record for event {event_id}: the button acts only on the guardrail's own alerts"
    if record.status is not Status.EVALUATED:
        because = f" ({record.reason})" if record.reason else ""
        return f"event {event_id} was {record.status.value}{because}, not evaluated: there is no job to stop"
    if not record.job_name:
        return f"the record of event {event_id} names no tuning job"
    if record.decision not in (Action.NOTIFY, Action.STOP):
        # Only a job the guardrail alerted on: a request to stop a job the policy let run is refused.
        return f"the guardrail did not flag event {event_id} (decision {record.decision}): it stops only flagged jobs"
    stop = record.actions.get(STOP)
    if stop is not None and stop.result in (StopResult.ALREADY_ENDED, StopResult.NOT_FOUND):
        return f"{stop.stop_outcome().summary()} (recorded at {stop.at}): nothing to stop"
    return None
