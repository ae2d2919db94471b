"""EventBridge: rule targets that invoke Lambda, and replayed event ids."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
from moto.events.models import EventsBackend, Rule
from moto.events.responses import EventsHandler
from moto.events.utils import EventTemplateParser
from moto.utilities.arns import parse_arn

# An HTTP header the embedded event bus understands on PutEvents: a JSON list of event ids, one per
# entry. Events that CloudTrail forwards to EventBridge carry the id EventBridge gave them, and
# redeliveries (EventBridge delivers at least once) repeat it; replaying an event with its original id
# is how the emulator shows both. Real PutEvents has no such parameter, so it travels as a header.
REPLAYED_EVENT_IDS_HEADER = "x-embedded-aws-event-ids"


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


def extend_eventbridge() -> None:
    original_action = EventsHandler.put_events
    original_backend_put = EventsBackend.put_events
    original_send = Rule.send_to_targets

    def put_events_action(self: EventsHandler) -> str:
        header = self.headers.get(REPLAYED_EVENT_IDS_HEADER)
        _replay.event_ids = json.loads(header) if header else None
        try:
            return original_action(self)
        finally:
            _replay.event_ids = None

    def put_events_keeping_ids(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        event_ids = getattr(_replay, "event_ids", None)
        if not event_ids or len(event_ids) != len(events):
            return original_backend_put(self, events)
        _replay.event_ids = None
        entries: list[dict[str, Any]] = []
        for event, event_id in zip(events, event_ids, strict=True):
            _replay.current_event_id = event_id
            try:
                entry = original_backend_put(self, [event])[0]
            finally:
                _replay.current_event_id = None
            if "EventId" in entry:
                entry["EventId"] = event_id
            entries.append(entry)
        return entries

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        event_id = getattr(_replay, "current_event_id", None)
        if event_id:
            original_event["id"] = event_id  # put_events hands each rule its own copy
        lambda_targets = [t for t in self.targets if parse_arn(t["Arn"]).service == "lambda"]
        if lambda_targets and self.event_pattern.matches_event(original_event):
            for target in lambda_targets:
                ASYNC_INVOCATIONS.put(
                    AsyncInvocation(
                        function_arn=target["Arn"],
                        rule_arn=self.arn,
                        event_id=str(original_event["id"]),
                        event=_lambda_target_input(target, original_event),
                    )
                )
        # moto raises NotImplementedError (HTTP 500 on PutEvents) for a matching rule with a Lambda
        # target; the other targets (SQS, logs, buses) keep moto's own delivery.
        other_targets = [t for t in self.targets if t not in lambda_targets]
        if other_targets:
            original_send(_RuleWithTargets(self, other_targets), original_event, transform_input)  # type: ignore[arg-type]

    EventsHandler.put_events = put_events_action  # type: ignore[method-assign]
    EventsBackend.put_events = put_events_keeping_ids  # type: ignore[method-assign]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


class _RuleWithTargets:
    """A rule seen with only some of its targets, so moto's own delivery skips the others."""

    def __init__(self, rule: Rule, targets: list[dict[str, Any]]) -> None:
        self._rule = rule
        self.targets = targets

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)


_ENVELOPE_KEYS = (
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
)


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
    # The envelope EventBridge gives a Lambda target: moto keeps `time` as epoch seconds and adds an
    # `ingestion-time` that real events do not have.
    envelope = {key: copy.deepcopy(event[key]) for key in _ENVELOPE_KEYS if key in event}
    if isinstance(envelope.get("time"), int | float):
        envelope["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(envelope["time"]))
    return envelope
