"""EventBridge: rule targets that invoke Lambda (with the target's retries and dead-letter queue),
replayed event ids, and the way in for events from other accounts and buses (bus_policy.py,
bus_forwarding.py)."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.events.models import EventPattern, EventsBackend, Rule
from moto.events.responses import EventsHandler
from moto.events.utils import EventTemplateParser
from moto.utilities.arns import parse_arn

from hpo_guardrail.embedded.moto_extensions.bus_forwarding import forward_to_bus, is_bus_target
from hpo_guardrail.embedded.moto_extensions.bus_policy import other_account_bus_arn, put_on_other_account_bus
from hpo_guardrail.embedded.moto_extensions.dead_letters import send_dead_letter
from hpo_guardrail.embedded.moto_extensions.event_arrival import Arrival, arriving, current_arrival, delivered_event
from hpo_guardrail.embedded.moto_extensions.faults import take_fault
from hpo_guardrail.embedded.moto_extensions.principals import Principal
from hpo_guardrail.embedded.moto_extensions.sts import caller_of

# An HTTP header the embedded event bus understands on PutEvents: a JSON list of event ids, one per
# entry. Events that CloudTrail forwards to EventBridge carry the id EventBridge gave them, and
# redeliveries (EventBridge delivers at least once) repeat it; replaying an event with its original id
# is how the emulator shows both. Real PutEvents has no such parameter, so it travels as a header.
REPLAYED_EVENT_IDS_HEADER = "x-embedded-aws-event-ids"
# Another header of the embedded bus's PutEvents: a Lambda error code (e.g. TooManyRequestsException) that
# every attempt to deliver these events to a Lambda target meets, so they end in the target's dead-letter
# queue as an outage would leave them. Tests in the same process can inject_faults("lambda", "Invoke", ...)
# instead; this is for a second process (`hpo-guardrail sandbox deliver --undeliverable`).
UNDELIVERABLE_HEADER = "x-embedded-aws-undeliverable"
# EventBridge's RetryPolicy default (185 retries), and its DLQ error codes for the Lambda errors it meets.
_DEFAULT_RETRY_ATTEMPTS = 185
_DLQ_ERROR_CODES = {
    "TooManyRequestsException": "THROTTLING",
    "ThrottlingException": "THROTTLING",
    "ResourceNotFoundException": "NO_RESOURCE",
    "AccessDeniedException": "NO_PERMISSIONS",
}
# Errors EventBridge does not retry: the target is gone or forbidden until someone acts.
_NOT_RETRIED = frozenset({"NO_RESOURCE", "NO_PERMISSIONS"})


@dataclass(frozen=True)
class AsyncInvocation:
    """An event EventBridge handed to a Lambda function target (an asynchronous invocation)."""

    function_arn: str
    rule_arn: str
    event_id: str
    event: dict[str, Any]


class AsyncInvocationQueue:
    """Lambda's queue of asynchronous invocations, filled by EventBridge rules with Lambda targets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[AsyncInvocation] = []

    def put(self, invocation: AsyncInvocation) -> None:
        """Queue one invocation."""
        with self._lock:
            self._pending.append(invocation)

    def take(self, function_arn: str) -> list[AsyncInvocation]:
        """Remove and return the invocations queued for one function, oldest first."""
        return self._take(lambda invocation: invocation.function_arn == function_arn)

    def take_event(self, event_id: str) -> list[AsyncInvocation]:
        """Remove and return the invocations one event caused (one per matching rule target)."""
        return self._take(lambda invocation: invocation.event_id == event_id)

    def _take(self, wanted: Callable[[AsyncInvocation], bool]) -> list[AsyncInvocation]:
        with self._lock:
            taken = [i for i in self._pending if wanted(i)]
            self._pending = [i for i in self._pending if not wanted(i)]
            return taken


ASYNC_INVOCATIONS = AsyncInvocationQueue()
_replay = threading.local()
_MAX_ENTRIES = 10  # PutEvents' limit, which moto checks


def extend_eventbridge() -> None:
    original_action = EventsHandler.put_events
    original_backend_put = EventsBackend.put_events
    original_send = Rule.send_to_targets

    def put_events_action(self: EventsHandler) -> str:
        header = self.headers.get(REPLAYED_EVENT_IDS_HEADER)
        _replay.event_ids = json.loads(header) if header else None
        _replay.undeliverable = self.headers.get(UNDELIVERABLE_HEADER) or None
        _replay.sender = caller_of(self.current_account, self.get_access_key(), self.headers)
        try:
            return original_action(self)
        finally:
            _replay.event_ids = None
            _replay.undeliverable = None
            _replay.sender = None

    def put_events_keeping_ids(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        event_ids = getattr(_replay, "event_ids", None)
        if event_ids is not None and len(event_ids) != len(events):
            event_ids = None
        sender: Principal | None = getattr(_replay, "sender", None)
        elsewhere = [other_account_bus_arn(self.account_id, event) if sender else None for event in events]
        if len(events) > _MAX_ENTRIES or (not event_ids and not any(elsewhere)):
            return original_backend_put(self, events)
        _replay.event_ids = None
        entries: list[dict[str, Any]] = []
        for index, (event, bus_arn) in enumerate(zip(events, elsewhere, strict=True)):
            event_id = event_ids[index] if event_ids else None
            with arriving(Arrival(envelope={"id": event_id} if event_id else {})):
                if bus_arn is not None and sender is not None:
                    entry = put_on_other_account_bus(sender, bus_arn, event)
                else:
                    entry = original_backend_put(self, [event])[0]
            if event_id and "EventId" in entry:
                entry["EventId"] = event_id
            entries.append(entry)
        return entries

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        arrival = current_arrival()
        if arrival is not None:
            original_event.update(copy.deepcopy(dict(arrival.envelope)))  # each rule gets its own copy
        matches = self.event_pattern.matches_event(original_event)
        lambda_targets = [t for t in self.targets if parse_arn(t["Arn"]).service == "lambda"]
        bus_targets = [t for t in self.targets if is_bus_target(t)]
        if matches:
            for target in lambda_targets:
                _deliver_to_lambda(self, target, _lambda_target_input(target, original_event))
            for target in bus_targets:
                forward_to_bus(self, target, original_event)
        # moto raises NotImplementedError (HTTP 500 on PutEvents) for a matching rule with a Lambda
        # target, and forwards to buses as new events; the other targets (SQS, logs) keep moto's delivery.
        other_targets = [t for t in self.targets if t not in lambda_targets and t not in bus_targets]
        if other_targets:
            original_send(_RuleWithTargets(self, other_targets), original_event, transform_input)  # type: ignore[arg-type]

    # moto's default input (a target without Input or InputTransformer: SQS, logs) leaves out `account`,
    # which EventBridge delivers; across accounts it says where the event came from.
    if '"account"' not in EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE.replace(
            '"version": "0",', '"version": "0", "account": "<account>",'
        )
    EventsHandler.put_events = put_events_action  # type: ignore[method-assign]
    EventsHandler.test_event_pattern = _test_event_pattern  # type: ignore[method-assign,assignment]
    EventsBackend.put_events = put_events_keeping_ids  # type: ignore[method-assign]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


def _test_event_pattern(self: EventsHandler) -> str:
    """TestEventPattern, which moto leaves unimplemented: whether a rule's pattern matches an event."""
    pattern = EventPattern.load(self._get_param("EventPattern"))
    event = json.loads(self._get_param("Event"))
    return json.dumps({"Result": bool(pattern.matches_event(event))})


def _deliver_to_lambda(rule: Rule, target: dict[str, Any], event: dict[str, Any]) -> None:
    """Invoke a Lambda target asynchronously as EventBridge does: each attempt can meet a fault (Lambda
    refusing the Invoke); after the target's RetryPolicy, the event goes to its dead-letter queue, if any,
    with the attributes EventBridge gives it (RULE_ARN, TARGET_ARN, ERROR_CODE, ...), else it is dropped."""
    retry_policy = target.get("RetryPolicy", {})
    retries = int(retry_policy.get("MaximumRetryAttempts", _DEFAULT_RETRY_ATTEMPTS))
    undeliverable = getattr(_replay, "undeliverable", None)
    attempts = 0
    while True:
        attempts += 1
        fault = take_fault(
            "lambda", "Invoke", account_id=rule.account_id, region=rule.region_name, resource=target["Arn"]
        )
        error_type = undeliverable or (fault.error_type if fault is not None else None)
        if error_type is None:
            ASYNC_INVOCATIONS.put(
                AsyncInvocation(
                    function_arn=target["Arn"], rule_arn=rule.arn, event_id=str(event.get("id", "")), event=event
                )
            )
            return
        code = _DLQ_ERROR_CODES.get(error_type, "ERROR_FROM_TARGET")
        if code in _NOT_RETRIED or attempts > retries:
            break
    message = fault.message if fault is not None else f"Lambda refused the invocation ({error_type})"
    dead_letter_arn = target.get("DeadLetterConfig", {}).get("Arn")
    if not dead_letter_arn:
        return  # EventBridge drops it (the FailedInvocations metric is all that remains)
    attributes = {
        "RULE_ARN": rule.arn,
        "TARGET_ARN": target["Arn"],
        "ERROR_CODE": code,
        "ERROR_MESSAGE": message,
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
        "RETRY_ATTEMPTS": str(attempts - 1),
    }
    send_dead_letter(dead_letter_arn, event, attributes)


class _RuleWithTargets:
    """A rule seen with only some of its targets, so moto's own delivery skips the others."""

    def __init__(self, rule: Rule, targets: list[dict[str, Any]]) -> None:
        self._rule = rule
        self.targets = targets

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)


def _lambda_target_input(target: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    if "Input" in target:
        return dict(json.loads(target["Input"]))
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=copy.deepcopy(event),  # type: ignore[arg-type]
        )
    return delivered_event(event)
