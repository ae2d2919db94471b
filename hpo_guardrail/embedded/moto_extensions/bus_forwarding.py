"""EventBridge: a rule whose target is another event bus forwards the event as EventBridge does.

moto re-puts a forwarded event as a new one (new id, the receiving account and region, the time of
forwarding, no resources), forwards it again from any bus it reaches, and ignores the receiving bus's
policy and the target's role. EventBridge keeps the event's id, account, region, time and resources,
routes an event received from another bus no further to a third bus (one hop), and delivers to another
account's bus only if that bus's policy admits the sender (the target's role, else the sending account).
An event it cannot deliver goes to the target's dead-letter queue with the error, else it is dropped;
either way the rule's FailedInvocations metric counts it. `FORWARDING` is that metric here, with the
reason for each outcome.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from moto.events.models import Rule, events_backends
from moto.utilities.arns import parse_arn

from hpo_guardrail.embedded.moto_extensions.bus_policy import admits, find_bus
from hpo_guardrail.embedded.moto_extensions.dead_letters import send_dead_letter
from hpo_guardrail.embedded.moto_extensions.event_arrival import Arrival, arriving, current_arrival, delivered_event
from hpo_guardrail.embedded.moto_extensions.principals import Principal, role_exists

_ENVELOPE_KEPT = ("id", "account", "region", "time", "resources")


@dataclass(frozen=True)
class Forwarding:
    """One attempt of a rule to forward an event to a bus target."""

    rule_arn: str
    target_arn: str
    event_id: str
    outcome: str  # "delivered", "dead-lettered", "dropped" (failed, no DLQ), "not-forwarded" (second hop)
    error_code: str | None = None
    reason: str = ""


class ForwardingLog:
    """What each rule did with the events it forwarded to other buses (EventBridge's rule metrics)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: list[Forwarding] = []

    def record(self, attempt: Forwarding) -> None:
        with self._lock:
            self._attempts.append(attempt)

    def for_rule(self, rule_arn: str) -> list[Forwarding]:
        """Every forwarding attempt of one rule, oldest first."""
        with self._lock:
            return [a for a in self._attempts if a.rule_arn == rule_arn]

    def invocations(self, rule_arn: str) -> int:
        """Events the rule delivered to its bus targets (the Invocations metric)."""
        return sum(1 for a in self.for_rule(rule_arn) if a.outcome == "delivered")

    def failed_invocations(self, rule_arn: str) -> int:
        """Events the rule could not deliver, dead-lettered or dropped (the FailedInvocations metric)."""
        return sum(1 for a in self.for_rule(rule_arn) if a.outcome in ("dead-lettered", "dropped"))


FORWARDING = ForwardingLog()


def is_bus_target(target: dict[str, Any]) -> bool:
    arn = parse_arn(target["Arn"])
    return bool(arn.service == "events" and arn.resource_type == "event-bus")


def forward_to_bus(rule: Rule, target: dict[str, Any], event: dict[str, Any]) -> None:
    """Forward one matched event from `rule` to the bus `target` names, as EventBridge does."""
    event_id = str(event.get("id", ""))
    arrival = current_arrival()
    if arrival is not None and arrival.forwarded_by is not None:
        # EventBridge does not route an event received from another bus on to a third bus.
        FORWARDING.record(
            Forwarding(
                rule.arn,
                target["Arn"],
                event_id,
                "not-forwarded",
                reason=f"the event arrived from another bus (forwarded by {arrival.forwarded_by}); one hop only",
            )
        )
        return
    role_arn = target.get("RoleArn")
    if role_arn and not role_exists(role_arn):
        _fail(rule, target, event, "NO_PERMISSIONS", f"the target's role {role_arn} does not exist")
        return
    bus = find_bus(target["Arn"])
    if bus is None:
        _fail(rule, target, event, "NO_RESOURCE", f"the event bus {target['Arn']} does not exist")
        return
    sender = _sender(rule, role_arn)
    decision = admits(bus, sender, source=event["source"], detail_type=event["detail-type"], rule_arn=rule.arn)
    if not decision.allowed:
        _fail(rule, target, event, "NO_PERMISSIONS", decision.reason)
        return
    envelope = {key: event[key] for key in _ENVELOPE_KEPT if key in event}
    entry = {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
        "Resources": list(event.get("resources", [])),
        "EventBusName": bus.name,
    }
    with arriving(Arrival(envelope=envelope, forwarded_by=rule.arn)):
        events_backends[bus.account_id][bus.region].put_events([entry])
    FORWARDING.record(Forwarding(rule.arn, target["Arn"], event_id, "delivered", reason=decision.reason))


def _sender(rule: Rule, role_arn: str | None) -> Principal:
    """Who puts the event on the receiving bus: the target's role, else the rule's account."""
    if role_arn:
        return Principal(arn=role_arn, account_id=parse_arn(role_arn).account)
    return Principal.account_root(rule.account_id)


def _fail(rule: Rule, target: dict[str, Any], event: dict[str, Any], code: str, reason: str) -> None:
    """Neither error is retried by EventBridge: the event goes to the dead-letter queue or is dropped."""
    dead_letter_arn = target.get("DeadLetterConfig", {}).get("Arn")
    event_id = str(event.get("id", ""))
    if not dead_letter_arn:
        FORWARDING.record(Forwarding(rule.arn, target["Arn"], event_id, "dropped", code, reason))
        return
    attributes = {
        "RULE_ARN": rule.arn,
        "TARGET_ARN": target["Arn"],
        "ERROR_CODE": code,
        "ERROR_MESSAGE": reason,
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
        "RETRY_ATTEMPTS": "0",
    }
    send_dead_letter(dead_letter_arn, delivered_event(event), attributes)
    FORWARDING.record(Forwarding(rule.arn, target["Arn"], event_id, "dead-lettered", code, reason))
