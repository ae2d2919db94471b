"""From an evaluation and the mode to what the guardrail does: nothing, notify, or stop."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from rules.checks import all_rules
from rules.checks.unknown_price import RULE as UNKNOWN_PRICE_RULE
from rules.checks.unknown_price import TREATED_AS_COSTLY
from rules.cost import over_cap
from rules.engine import Evaluation
from rules.findings import Finding
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
    mode_origin: str | None = None  # where the mode came from (Policy.origin), when the policy gave it

    @property
    def notifies(self) -> bool:
        return self.action is not Action.NONE

    @property
    def mode_words(self) -> str:
        """The mode and where it came from: "mode enforce, from the policy scope `nlp`"."""
        return f"mode {self.mode.value}" + (f", from the {self.mode_origin}" if self.mode_origin else "")


def notified_findings(evaluation: Evaluation, decision: Decision | None = None) -> tuple[Finding, ...]:
    """The findings an alert carries: those at or above the policy's notify threshold (`notify_min_severity`),
    most severe first. The others stay in the evaluation: recorded, reported and linted, not sent.

    Given a decision to stop the job (or, in monitor mode, one that would stop it), every finding: an alert
    about a stop hides nothing.
    """
    if decision is not None and decision.costly and decision.misconfigured:
        return evaluation.findings
    threshold = evaluation.policy.notify_min_severity
    return tuple(f for f in evaluation.findings if f.severity.rank >= threshold.rank)


def _cost_words(cost: float, cap: float, complete: bool) -> str:
    # The same comparison as over_cap, which the budget-cap rule also asks: at the cap is not costly.
    at_least = "" if complete else "at least "
    words = f"worst case {at_least}${cost:,.2f} {{}} cap ${cap:,.2f}"
    if over_cap(cost, cap):
        return words.format(">")
    if cost == cap:
        return words.format("=") + " (costly only above it)"
    return words.format("<")


def _findings(count: int) -> str:
    return f"{count} finding{'s' if count != 1 else ''}"


def decide(evaluation: Evaluation, mode: Mode | None = None) -> Decision:
    """Stop only in enforce mode when the job is costly AND misconfigured; otherwise notify when a finding
    reaches the policy's notify threshold; otherwise do nothing. A stop (or, in monitor mode, a job that
    would be stopped) always notifies, whatever the threshold.

    The mode is the effective policy's unless given.
    """
    policy = evaluation.policy
    mode_origin = policy.origin("mode") if mode is None or mode is policy.mode else None
    mode = mode or policy.mode
    cost, cap = evaluation.cost.worst_case_usd, evaluation.budget_cap_usd
    # Never a silent $0: a type nobody has a price for counts as costly when the policy says so. Read from
    # the unknown-price findings, so a policy that turns that rule off, or an exemption from it, is obeyed.
    assumed = tuple(
        str(f.evidence["instance_type"])
        for f in evaluation.findings
        if f.rule == UNKNOWN_PRICE and f.evidence.get("treated_as") == TREATED_AS_COSTLY
    )
    costly = over_cap(cost, cap) or bool(assumed)
    misconfigured_by = sorted(MISCONFIGURATION_RULES.intersection(evaluation.rule_ids))
    misconfigured = bool(misconfigured_by)
    cost_words = _cost_words(cost, cap, evaluation.cost.complete)
    if assumed:
        cost_words += f" (price unknown for {', '.join(assumed)}; treated as costly)"
    config_words = f"misconfigured ({', '.join(misconfigured_by)})" if misconfigured else "no scaling misconfiguration"
    below = len(evaluation.findings) - len(notified_findings(evaluation))
    threshold = f"the notify threshold {policy.notify_min_severity.value} ({policy.origin('notify_min_severity')})"
    if not evaluation.findings:
        action, why = Action.NONE, "no findings"
    elif costly and misconfigured and mode is Mode.ENFORCE:
        action, why = Action.STOP, f"enforce mode, {cost_words} and {config_words}"
    elif costly and misconfigured:
        action, why = Action.NOTIFY, f"{cost_words} and {config_words}; would stop in enforce mode"
    elif below == len(evaluation.findings):
        action, why = Action.NONE, f"{_findings(below)} below {threshold}"
    else:
        action, why = Action.NOTIFY, f"{cost_words}, {config_words}"
        if below:
            why += f"; {_findings(below)} below {threshold} not sent"
    return Decision(
        action=action, mode=mode, costly=costly, misconfigured=misconfigured, reason=why, mode_origin=mode_origin
    )
