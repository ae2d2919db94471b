"""From an evaluation and the mode to what the guardrail does: nothing, notify, or stop."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from rules.checks import all_rules
from rules.checks.unknown_price import RULE as UNKNOWN_PRICE_RULE
from rules.checks.unknown_price import TREATED_AS_COSTLY
from rules.engine import Evaluation
from rules.policy import Mode
from rules.rule import Category

# Findings that make a job misconfigured (as opposed to merely costly): each rule declares its category.
MISCONFIGURATION_RULES = frozenset(rule.id for rule in all_rules() if rule.category is Category.MISCONFIGURATION)


UNKNOWN_PRICE = UNKNOWN_PRICE_RULE.id


class Action(StrEnum):
    NONE = "none"
    NOTIFY = "notify"
    STOP = "stop"


class Decision(BaseModel):
    """The action to take, and why. A stop is always announced, so STOP implies a notification."""

    model_config = ConfigDict(frozen=True)

    action: Action
    mode: Mode
    costly: bool
    misconfigured: bool
    reason: str

    @property
    def notifies(self) -> bool:
        return self.action is not Action.NONE


def decide(evaluation: Evaluation, mode: Mode | None = None) -> Decision:
    """Notify on any finding; stop only in enforce mode when the job is costly AND misconfigured.

    The mode is the effective policy's unless given.
    """
    mode = mode or evaluation.policy.mode
    cost, cap = evaluation.cost.worst_case_usd, evaluation.budget_cap_usd
    # Never a silent $0: a type nobody has a price for counts as costly when the policy says so. Read from
    # the unknown-price findings, so a policy that turns that rule off, or an exemption from it, is obeyed.
    assumed = tuple(
        str(f.evidence["instance_type"])
        for f in evaluation.findings
        if f.rule == UNKNOWN_PRICE and f.evidence.get("treated_as") == TREATED_AS_COSTLY
    )
    costly = cost >= cap or bool(assumed)
    misconfigured_by = sorted(MISCONFIGURATION_RULES.intersection(evaluation.rule_ids))
    misconfigured = bool(misconfigured_by)
    at_least = "" if evaluation.cost.complete else "at least "
    cost_words = f"worst case {at_least}${cost:,.2f} {'>=' if cost >= cap else '<'} cap ${cap:,.2f}"
    if assumed:
        cost_words += f" (price unknown for {', '.join(assumed)}; treated as costly)"
    config_words = f"misconfigured ({', '.join(misconfigured_by)})" if misconfigured else "no scaling misconfiguration"
    if not evaluation.findings:
        action, why = Action.NONE, "no findings"
    elif costly and misconfigured and mode is Mode.ENFORCE:
        action, why = Action.STOP, f"enforce mode, {cost_words} and {config_words}"
    elif costly and misconfigured:
        action, why = Action.NOTIFY, f"{cost_words} and {config_words}; would stop in enforce mode"
    else:
        action, why = Action.NOTIFY, f"{cost_words}, {config_words}"
    return Decision(action=action, mode=mode, costly=costly, misconfigured=misconfigured, reason=why)
