"""EventBridge: an event bus's resource policy decides who in another account may put events on it.

moto stores a bus's policy (PutPermission) but never reads it: any account can put events on any bus,
and PutEvents with another account's bus ARN lands on the caller's own bus of that name. In AWS the
receiving bus's policy must allow `events:PutEvents` to the sender (an account, a role, or `*` narrowed
by `aws:PrincipalOrgID`), with the conditions it sets on the sending rule (`aws:SourceArn`), the
source and the detail type. Within one account the sender's own IAM permissions decide, which the
emulator does not model, so only cross-account puts are checked.

Two ways in: a rule forwarding to another account's bus (bus_forwarding.py asks `admits`), and
PutEvents naming another account's bus by ARN (`put_on_other_account_bus`), which is refused as a whole
with AccessDeniedException when the policy does not allow it. A template's bus policy
(AWS::Events::EventBusPolicy, or the bus's `Policy` property) reaches the bus too.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.events.models import EventBus, EventBusPolicyStatement, events_backends
from moto.utilities.arns import parse_arn

from hpo_guardrail.embedded.moto_extensions.cfn_resource import ExtensionResource
from hpo_guardrail.embedded.moto_extensions.event_arrival import Arrival, arriving
from hpo_guardrail.embedded.moto_extensions.principals import ConditionContext, PolicyDecision, Principal, evaluate

_ACTION = "events:PutEvents"


class AccessDeniedException(JsonRESTError):
    """EventBridge's refusal of a request the resource policy does not allow."""

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


def find_bus(bus_arn: str) -> EventBus | None:
    """The bus an ARN names, in its own account and region, or None when there is none."""
    arn = parse_arn(bus_arn)
    return events_backends[arn.account][arn.region].event_buses.get(arn.resource_id)


def admits(
    bus: EventBus,
    sender: Principal,
    *,
    source: str,
    detail_type: str,
    rule_arn: str | None = None,
) -> PolicyDecision:
    """Whether `bus` accepts an event from `sender` (a principal of another account)."""
    if sender.account_id == bus.account_id:
        return PolicyDecision(True, "same account")
    policy = bus.policy
    if policy is None:
        return PolicyDecision(False, f"the event bus {bus.arn} has no resource policy")
    extra = {"events:source": source, "events:detail-type": detail_type, "aws:SourceAccount": sender.account_id}
    if rule_arn is not None:
        extra["aws:SourceArn"] = rule_arn
    return evaluate(json.loads(policy), _ACTION, bus.arn, ConditionContext(sender, extra))


def other_account_bus_arn(receiving_account: str, entry: dict[str, Any]) -> str | None:
    """The bus ARN a PutEvents entry names when it is another account's bus, else None."""
    name = entry.get("EventBusName") or ""
    if not name.startswith("arn:"):
        return None
    arn = parse_arn(name)
    return name if arn.account != receiving_account else None


def put_on_other_account_bus(sender: Principal, bus_arn: str, entry: dict[str, Any]) -> dict[str, Any]:
    """PutEvents of one entry onto another account's bus: the bus's policy decides, and the event names
    the sending account, as in AWS."""
    bus = find_bus(bus_arn)
    if bus is None:
        raise JsonRESTError("ResourceNotFoundException", f"Event bus {bus_arn} does not exist.")
    decision = admits(bus, sender, source=str(entry.get("Source", "")), detail_type=str(entry.get("DetailType", "")))
    if not decision.allowed:
        raise AccessDeniedException(
            f"User: {sender.arn} is not authorized to perform: {_ACTION} on resource: {bus.arn} ({decision.reason})"
        )
    arn = parse_arn(bus_arn)
    with arriving(Arrival(envelope={"account": sender.account_id})):
        result: dict[str, Any] = events_backends[arn.account][arn.region].put_events(
            [{**entry, "EventBusName": bus.name}]
        )[0]
    return result


class EventBusPolicyResource(ExtensionResource):
    """AWS::Events::EventBusPolicy, which moto skips: one statement of a bus's resource policy, given as
    `Statement` (with `StatementId`), or in the older form `Action`, `Principal` and `Condition`."""

    def __init__(self, physical_resource_id: str, bus_name: str) -> None:
        super().__init__(physical_resource_id)
        self.bus_name = bus_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Events::EventBusPolicy"

    @classmethod
    def create(
        cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str
    ) -> EventBusPolicyResource:
        bus_name = _bus_name(properties.get("EventBusName") or "default")
        bus = events_backends[account_id][region_name].describe_event_bus(bus_name)
        sid = properties["StatementId"]
        if "Statement" in properties:
            statement = dict(properties["Statement"])
        else:
            statement = {
                "Effect": "Allow",
                "Action": properties["Action"],
                "Principal": {"AWS": _account_principal(properties["Principal"])},
            }
            if "Condition" in properties:
                condition = properties["Condition"]
                statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
        statement = {"Sid": sid, "Resource": bus.arn, **statement}
        bus._statements[sid] = EventBusPolicyStatement.from_dict(statement)
        return cls(sid, bus_name)

    def delete(self, account_id: str, region_name: str) -> None:
        bus = events_backends[account_id][region_name].event_buses.get(self.bus_name)
        if bus is not None:
            bus.remove_statement(self.physical_resource_id)


def apply_bus_policy_property(bus: EventBus, properties: dict[str, Any]) -> None:
    """AWS::Events::EventBus's `Policy` property, which moto ignores: the bus's whole resource policy."""
    policy = properties.get("Policy")
    if not policy:
        return
    document = json.loads(policy) if isinstance(policy, str) else policy
    statements = document.get("Statement", [])
    for index, statement in enumerate([statements] if isinstance(statements, dict) else statements):
        sid = statement.get("Sid") or f"statement-{index}"
        bus._statements[sid] = EventBusPolicyStatement.from_dict({"Sid": sid, "Resource": bus.arn, **statement})


def _bus_name(reference: Any) -> str:
    """A bus's name from a name, an ARN, or moto's EventBus (what moto resolves `!Ref Bus` to)."""
    if isinstance(reference, EventBus):
        return str(reference.name)
    text = str(reference)
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text


def _account_principal(principal: str) -> str:
    return principal if principal == "*" or principal.startswith("arn:") else f"arn:aws:iam::{principal}:root"


def extend_bus_policy() -> None:
    original_create = EventBus.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: type[EventBus],
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> EventBus:
        bus: EventBus = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        apply_bus_policy_property(bus, cloudformation_json.get("Properties", {}))
        return bus

    # `!Ref` of an AWS::Events::EventBus is its name in CloudFormation; moto has no physical id for a bus
    # and resolves the Ref to its Python object, which breaks a rule or policy naming the bus.
    if not hasattr(EventBus, "physical_resource_id"):
        EventBus.physical_resource_id = property(lambda bus: bus.name)  # type: ignore[attr-defined]
    EventBus.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign,assignment,arg-type]
