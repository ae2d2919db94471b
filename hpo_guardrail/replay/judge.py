"""A recorded evaluation judged again: the stored request under a candidate policy.

The replay reproduces what the guardrail would have decided had the candidate been in force when the
event arrived: the same request, the same call context (account, principal, role), the same day for
exemptions (the day the record was written, as the guardrail's clock read it), the same deployment layer
under the policy (the stack's Mode and BudgetCapUsd, kept in the record) and, by default, the same
prices. What is left to differ is the policy, which is the point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from hpo_guardrail.enforce import AuditRecord, Status
from hpo_guardrail.replay.compare import (
    FindingRef,
    Judgement,
    NotReplayable,
    NotReplayableKind,
    ReplayedJob,
)
from rules.assessment import assess
from rules.decision import Decision, decide
from rules.engine import Evaluation
from rules.parsing import InvalidRequest, read_request
from rules.policy import BaseLayer, Mode, PolicyDocument
from rules.prices import PriceBook, PriceQuote


class RecordedPrices:
    """The prices one evaluation used, as a price book: each recorded quote, and no price for any other
    type (the same request asks for the same types, so a type without a quote had no price then)."""

    def __init__(self, quotes: Iterable[PriceQuote], as_of: str) -> None:
        self._quotes = {(q.region, q.instance_type): q for q in quotes}
        self._as_of = as_of

    @property
    def as_of(self) -> str:
        return self._as_of

    def quote(self, region: str, instance_type: str) -> PriceQuote | None:
        return self._quotes.get((region, instance_type))


def recorded_judgement(record: AuditRecord) -> Judgement:
    """What the guardrail decided and recorded for this event."""
    return Judgement(
        decision=record.decision or "none",
        reason=record.decision_reason or "",
        mode=record.mode,
        scope=record.policy_scope or "defaults",
        worst_case_usd=record.worst_case_usd,
        cost_complete=record.cost_complete,
        findings=tuple(
            FindingRef(
                rule=f.rule, severity=f.severity, parameter=f.parameter, definition=f.definition, message=f.message
            )
            for f in record.findings
        ),
        suppressed=tuple(
            FindingRef(
                rule=f.rule,
                severity=f.severity,
                parameter=f.parameter,
                definition=f.definition,
                message=f.message,
                exemption=f.exemption,
            )
            for f in record.suppressed
        ),
    )


def judgement_of(evaluation: Evaluation, decision: Decision) -> Judgement:
    """A new evaluation's conclusion, in the terms of a recorded one."""
    return Judgement(
        decision=decision.action.value,
        reason=decision.reason,
        mode=decision.mode.value,
        scope=evaluation.policy.scope,
        worst_case_usd=evaluation.cost.worst_case_usd,
        cost_complete=evaluation.cost.complete,
        findings=tuple(
            FindingRef(
                rule=f.rule,
                severity=f.severity.value,
                parameter=f.parameter,
                definition=f.definition,
                message=f.message,
            )
            for f in evaluation.findings
        ),
        suppressed=tuple(
            FindingRef(
                rule=s.finding.rule,
                severity=s.finding.severity.value,
                parameter=s.finding.parameter,
                definition=s.finding.definition,
                message=s.finding.message,
                exemption=s.exemption,
            )
            for s in evaluation.suppressed
        ),
    )


@dataclass(frozen=True)
class Replayer:
    """Judges recorded evaluations again under `document`.

    `prices`: None replays with each record's own prices; a price book (the CLI's --prices) prices every
    job with today's figures instead. `fallback_base`: the deployment layer for a record that does not
    carry its own. `mode`: decide every job as if in this mode, whatever the policy and deployment say.
    """

    document: PolicyDocument
    bundled_as_of: str
    prices: PriceBook | None = None
    fallback_base: BaseLayer | None = None
    mode: Mode | None = None

    def replay(self, record: AuditRecord) -> ReplayedJob | NotReplayable:
        """The record judged again, or why it cannot be."""
        missing = self._not_replayable(record)
        if missing is not None:
            return missing
        assert record.request is not None  # _not_replayable said so
        try:
            request = read_request(record.request)
            prices = self.prices or RecordedPrices(_quotes(record.price_quotes or []), self.bundled_as_of)
            base = BaseLayer.model_validate(record.base_layer) if record.base_layer is not None else self.fallback_base
        except (InvalidRequest, ValidationError) as error:
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            return self._skipped(
                record, NotReplayableKind.UNREADABLE, f"the stored record no longer reads: {first_line}"
            )
        context = record.call_context()
        evaluation, decision = assess(
            request, self.document, today=_day_of(record), context=context, base=base, prices=prices
        )
        if self.mode is not None:
            decision = decide(evaluation, self.mode)
        stop = record.stop_outcome()
        return ReplayedJob(
            event_id=record.event_id,
            job_name=record.job_name,
            occurred_at=record.occurred_at,
            account=record.account,
            team=request.tags.get(self.document.team_tag_key),
            principal_arn=record.principal_arn,
            recorded=recorded_judgement(record),
            replayed=judgement_of(evaluation, decision),
            stop_outcome=stop.summary() if stop is not None else None,
        )

    def replay_all(self, records: Iterable[AuditRecord]) -> tuple[list[ReplayedJob], list[NotReplayable]]:
        """Every record judged again, and those that could not be."""
        jobs: list[ReplayedJob] = []
        skipped: list[NotReplayable] = []
        for record in records:
            result = self.replay(record)
            if isinstance(result, ReplayedJob):
                jobs.append(result)
            else:
                skipped.append(result)
        return jobs, skipped

    def _not_replayable(self, record: AuditRecord) -> NotReplayable | None:
        if record.status is not Status.EVALUATED:
            reason = f"{record.status.value}: {record.reason or 'nothing was evaluated'}"
            return self._skipped(record, NotReplayableKind.NOT_EVALUATED, reason)
        if record.request is None and record.request_omitted:
            return self._skipped(record, NotReplayableKind.REQUEST_OMITTED, record.request_omitted)
        if record.request is None:
            return self._skipped(
                record, NotReplayableKind.NO_REQUEST, "no stored request (recorded before records kept the request)"
            )
        if record.price_quotes is None and self.prices is None:
            return self._skipped(record, NotReplayableKind.UNREADABLE, "no stored prices; replay it with --prices")
        return None

    @staticmethod
    def _skipped(record: AuditRecord, kind: NotReplayableKind, reason: str) -> NotReplayable:
        return NotReplayable(
            event_id=record.event_id, job_name=record.job_name, occurred_at=record.occurred_at, kind=kind, reason=reason
        )


def _quotes(stored: Sequence[dict[str, object]]) -> list[PriceQuote]:
    return [PriceQuote.model_validate(quote) for quote in stored]


def _day_of(record: AuditRecord) -> date:
    """The day the guardrail's clock read when it evaluated (what decided whether an exemption had expired)."""
    moment = record.recorded_at or record.occurred_at
    return date.fromisoformat(moment[:10])
