"""The one evaluator: the policy source, the deployment's base layer, the prices and the clock.

The Lambda, `lint`, `--fix` and `scan` all evaluate through an `Evaluator`, so a request is judged the
same way wherever it is judged: the same policy document, resolved over the same base layer (the
environment's mode and budget cap: the stack's parameters in the function, the caller's environment in
the CLI), on the same day, at the same prices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.ports import PriceProvider
from hpo_guardrail.enforce.settings import Settings
from rules.assessment import assess, region_of
from rules.decision import Decision
from rules.engine import Evaluation
from rules.models import CallContext, TuningRequest
from rules.policy import BaseLayer, PolicyDocument
from rules.prices import PriceBook


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Assessment:
    """One request judged: what the rules found, what the guardrail decides, for which team, in which call."""

    evaluation: Evaluation
    decision: Decision
    team: str | None
    context: CallContext  # the call's context with its region resolved (the record's, else the default)
    policy_problem: str | None = None  # the configured policy could not be used: why
    policy_fallback: str | None = None  # and which policy evaluated instead

    @property
    def region(self) -> str:
        return region_of(self.context)


class Evaluator:
    """Evaluates requests as the deployed guardrail does."""

    def __init__(
        self,
        policies: PolicySource,
        base: BaseLayer,
        prices: PriceBook | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.policies = policies
        self.base = base
        self._prices = prices
        self._clock = clock

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        policies: PolicySource | None = None,
        prices: PriceBook | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> Evaluator:
        """The evaluator a deployed function's settings describe (a policy file or the default unless `policies`);
        its base layer says the stack's parameters set the mode and the cap."""
        source = policies or PolicySource(settings.policy, settings.policy_max_age_seconds)
        return cls(source, settings.base_layer(deployed=True), prices, clock)

    def now(self) -> datetime:
        return self._clock()

    def today(self) -> date:
        return self._clock().date()

    def document(self) -> PolicyDocument:
        """The current policy document; raises PolicyError when it cannot be read or is invalid."""
        return self.policies.document()

    def assess(self, request: TuningRequest, context: CallContext) -> Assessment:
        """The evaluation and decision the guardrail reaches for this request, made in `context`."""
        reading = self.policies.current()
        document = reading.document
        context = context.model_copy(update={"region": region_of(context)})
        prices = self._prices.for_evaluation() if isinstance(self._prices, PriceProvider) else self._prices
        evaluation, decision = assess(
            request, document, today=self.today(), context=context, base=self.base, prices=prices
        )
        return Assessment(
            evaluation,
            decision,
            team=request.tags.get(document.team_tag_key),
            context=context,
            policy_problem=reading.problem,
            policy_fallback=reading.fallback,
        )
