"""The guardrail's steps for one event: parse, skip, evaluate, decide, act, observe.

Plain code over ports; the Lambda handler and the CLI wire it to boto3 adapters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from hpo_guardrail.enforce.alerts import compose_alert
from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord, AuditStore, NoAuditStore, fallback_event_id
from hpo_guardrail.enforce.outcome import Outcome, Status, StopOutcome, StopResult
from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.ports import (
    ExportFailed,
    FindingsExporter,
    JobController,
    JobNotFound,
    JobNotStoppable,
    NotificationFailed,
    Notifier,
)
from hpo_guardrail.enforce.security_hub import asff_findings
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.observability import count, logger, tracer
from rules.assessment import assess
from rules.decision import Action, Decision
from rules.engine import Evaluation
from rules.models import TuningJobCall
from rules.parsing import InvalidRequest, SkippedCall, read_cloudtrail_record
from rules.prices import PriceTable

CLOUDTRAIL_SOURCE = "aws.sagemaker"
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
# Statuses after which a tuning job runs no more training jobs: nothing to stop.
ENDED_STATUSES = frozenset({"Stopping", "Stopped", "Completed", "Failed", "Deleting"})


class CloudTrailEnvelope(EventBridgeModel):
    """EventBridge envelope whose detail is a CloudTrail record (read by rules.parsing)."""

    detail: dict[str, Any]


def _event_id(event: object) -> str | None:
    if isinstance(event, Mapping):
        detail = event.get("detail")
        if isinstance(detail, Mapping) and isinstance(detail.get("eventID"), str):
            return str(detail["eventID"])
        if isinstance(event.get("id"), str):
            return str(event["id"])
    return None


class GuardrailService:
    """Evaluates CloudTrail events for CreateHyperParameterTuningJob and acts on the decision."""

    def __init__(
        self,
        settings: Settings,
        jobs: JobController,
        notifier: Notifier | None,
        policies: PolicySource | None = None,
        audit: AuditStore | None = None,
        exporter: FindingsExporter | None = None,
        prices: PriceTable | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self._jobs = jobs
        self._notifier = notifier
        self._policies = policies or PolicySource(settings.policy, settings.policy_max_age_seconds)
        self._audit = audit or NoAuditStore()
        self._exporter = exporter
        self._prices = prices
        self._clock = clock

    def _now(self) -> str:
        return self._clock().isoformat(timespec="seconds").replace("+00:00", "Z")

    def handle(self, event: object) -> Outcome:
        """Run every step for one EventBridge event. Bad input is rejected and recorded, never raised."""
        count("EventsReceived")
        try:
            call = self._read(event)
        except (InvalidRequest, ValueError, TypeError) as error:
            reason = str(error)
            logger.warning("Rejected malformed event", extra={"reason": reason, "event_id": _event_id(event)})
            count("EventsRejected")
            return self._record_not_evaluated(Status.REJECTED, event, _event_id(event), reason)
        if isinstance(call, SkippedCall):
            logger.info("Skipped event", extra={"kind": call.kind, "reason": call.reason})
            count("EventsSkipped")
            return self._record_not_evaluated(Status.SKIPPED, event, call.event_id or _event_id(event), call.reason)
        return self._evaluate_and_act(call)

    def _record_not_evaluated(self, status: Status, event: object, event_id: str | None, reason: str) -> Outcome:
        key = event_id or fallback_event_id(event)
        occurred = event.get("time") if isinstance(event, Mapping) and isinstance(event.get("time"), str) else None
        record = AuditRecord.not_evaluated(status, key, reason, self._now(), occurred_at=occurred, raw_event=event)
        self._audit.begin(record)  # a duplicate delivery finds its record and stores nothing
        return Outcome(status=status, event_id=key, reason=reason)

    @staticmethod
    def _read(event: object) -> TuningJobCall | SkippedCall:
        if not isinstance(event, Mapping):
            raise InvalidRequest(f"expected a JSON object, got {type(event).__name__}")
        source, detail_type = event.get("source"), event.get("detail-type")
        if source != CLOUDTRAIL_SOURCE or detail_type != CLOUDTRAIL_DETAIL_TYPE:
            return SkippedCall(
                kind="unrelated",
                reason=f"not a SageMaker CloudTrail event (source {source!r}, detail-type {detail_type!r})",
                event_id=_event_id(event),
            )
        envelope = parse(event=dict(event), model=CloudTrailEnvelope)
        return read_cloudtrail_record(envelope.detail)

    @tracer.capture_method
    def _evaluate_and_act(self, call: TuningJobCall) -> Outcome:
        region = call.context.region or "us-east-1"
        # A policy that cannot be read or is invalid raises here: the invocation fails loudly and
        # Lambda's retries and on-failure destination keep the event until the policy is fixed.
        document = self._policies.document()
        evaluation, decision = assess(
            call.request,
            document,
            today=self._clock().date(),
            context=call.context,
            base_mode=self.settings.mode,
            base_budget_cap_usd=self.settings.budget_cap_usd,
            region=region,
            prices=self._prices,
        )
        team = call.request.tags.get(document.team_tag_key)
        record = AuditRecord.evaluated(call, evaluation, decision, team, self._now())
        self._log_evaluation(record, evaluation)
        # The record is stored before any action, so an action that fails loses nothing.
        existing = self._audit.begin(record)
        if existing is not None:
            if existing.complete:
                count("DuplicateEvents")
                logger.info("Duplicate delivery; already handled", extra={"recorded_at": existing.recorded_at})
                reason = f"duplicate delivery of event {record.event_id}, already handled at {existing.recorded_at}"
                return Outcome(status=Status.SKIPPED, event_id=record.event_id, job_name=record.job_name, reason=reason)
            logger.info("Resuming the actions of an interrupted invocation", extra={"done": list(existing.actions)})
            record = record.model_copy(update={"actions": existing.actions})
        count("JobsEvaluated")
        count("Findings", len(evaluation.findings))
        stop = None
        if decision.action is Action.STOP:
            stop = record.actions["stop"].stop_outcome() if "stop" in record.actions else None
            if stop is None:
                stop = self._stop(call.request.job_name)
                action = ActionRecord.of_stop(stop, self._now(), self._cost_avoided(call, evaluation, stop))
                self._audit.record_action(record.event_id, "stop", action)
        message_id = None
        if decision.notifies:
            message_id = self._notify(call, evaluation, decision, stop, region)
        if self._exporter is not None and evaluation.findings and "security-hub" not in record.actions:
            self._export(call, evaluation, decision, region)
        return Outcome.of_evaluation(call.context.event_id, evaluation, decision, stop, message_id)

    def _export(self, call: TuningJobCall, evaluation: Evaluation, decision: Decision, region: str) -> None:
        """Import the findings into Security Hub; a failure is recorded and counted, not raised."""
        assert self._exporter is not None
        findings = asff_findings(call.context, evaluation, decision, region, self._now())
        try:
            imported = self._exporter.export(findings)
            action = ActionRecord(result="exported", at=self._now(), detail=f"{imported} finding(s)")
            count("FindingsExported", imported)
        except ExportFailed as error:
            logger.exception("Exporting findings to Security Hub failed")
            count("ExportsFailed")
            action = ActionRecord(result="failed", at=self._now(), detail=str(error))
        self._audit.record_action(call.context.event_id, "security-hub", action)

    def _log_evaluation(self, record: AuditRecord, evaluation: Evaluation) -> None:
        logger.info(
            "Evaluated tuning job",
            extra={
                "job_name": record.job_name,
                "rules": list(evaluation.rule_ids),
                "suppressed": [f"{s.rule} ({s.exemption})" for s in record.suppressed],
                "worst_case_usd": record.worst_case_usd,
                "decision": record.decision,
                "decision_reason": record.decision_reason,
                "policy_version": record.policy_version,
                "policy_scope": record.policy_scope,
                "exemptions": record.exemptions,
            },
        )

    def _cost_avoided(self, call: TuningJobCall, evaluation: Evaluation, stop: StopOutcome) -> float | None:
        """The unspent part of the worst case when the job was stopped."""
        if stop.result is not StopResult.STOPPED or not call.context.event_time:
            return None
        started = datetime.fromisoformat(call.context.event_time.replace("Z", "+00:00"))
        elapsed = max(0.0, (self._clock() - started).total_seconds())
        return round(evaluation.cost.unspent_after(elapsed), 2)

    def _stop(self, job_name: str) -> StopOutcome:
        """Describe first and stop only an InProgress job; an ended job is reported, not an error."""
        try:
            status = self._jobs.status(job_name)
            if status in ENDED_STATUSES:
                outcome = StopOutcome(result=StopResult.ALREADY_ENDED, status_before=status)
            elif status != "InProgress":
                outcome = StopOutcome(
                    result=StopResult.FAILED, status_before=status, detail=f"unexpected status {status}"
                )
            else:
                self._jobs.stop(job_name)
                outcome = StopOutcome(result=StopResult.STOPPED, status_before=status)
        except JobNotFound:
            outcome = StopOutcome(result=StopResult.NOT_FOUND)
        except JobNotStoppable as error:
            outcome = StopOutcome(result=StopResult.ALREADY_ENDED, status_before="ended", detail=str(error))
        except Exception as error:  # the alert must still go out and say the stop failed
            logger.exception("Stopping the tuning job failed", extra={"job_name": job_name})
            outcome = StopOutcome(result=StopResult.FAILED, detail=f"{type(error).__name__}: {error}")
        count("JobsStopped" if outcome.result is StopResult.STOPPED else "StopsNotNeeded")
        if outcome.result is StopResult.FAILED:
            count("StopsFailed")
        logger.info("Stop outcome", extra={"job_name": job_name, "stop": outcome.summary()})
        return outcome

    def _notify(
        self,
        call: TuningJobCall,
        evaluation: Evaluation,
        decision: Decision,
        stop: StopOutcome | None,
        region: str,
    ) -> str | None:
        event_id = call.context.event_id
        if self._notifier is None:
            logger.warning("No NOTIFY_TOPIC_ARN configured; alert not sent", extra={"job": call.request.job_name})
            self._audit.record_action(event_id, "notify", ActionRecord(result="not-configured", at=self._now()))
            return None
        alert = compose_alert(call.context, evaluation, decision, stop, region)
        try:
            message_id = self._notifier.publish(alert)
        except NotificationFailed as error:
            count("NotificationsFailed")
            logger.exception("Publishing the alert failed; raising so Lambda retries the event")
            self._audit.record_action(
                event_id, "notify", ActionRecord(result="failed", at=self._now(), detail=str(error))
            )
            raise
        count("NotificationsSent")
        self._audit.record_action(
            event_id, "notify", ActionRecord(result="sent", at=self._now(), message_id=message_id)
        )
        return message_id
