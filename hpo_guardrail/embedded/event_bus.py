"""EventBridge events put on the emulator's default bus and delivered through the deployed rule.

In AWS, CloudTrail hands each API call to EventBridge, the rule of the stack matches it and EventBridge
invokes the function asynchronously. Here `put_event` plays CloudTrail (the event keeps its id and
time), the emulator's EventBridge matches the deployed rule, and its Lambda target queues an
asynchronous invocation that `deliver` hands to the function's runner.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation
from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS, REPLAYED_EVENT_IDS_HEADER


class EventRejected(RuntimeError):
    """PutEvents did not accept the event."""


def put_event(aws: EmbeddedAws, event: dict[str, Any], *, event_bus_name: str = "default") -> str:
    """Put one event (an envelope as a rule target receives it) on the bus; returns its event id.

    The envelope's `id` and `time` are kept, as they are when CloudTrail forwards an API call (and when
    EventBridge delivers the same event twice); `account` and `region` become the emulator's.
    """
    entry: dict[str, Any] = {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
        "Resources": list(event.get("resources", [])),
        "EventBusName": event_bus_name,
    }
    if event.get("time"):
        entry["Time"] = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    event_id = str(event.get("id") or uuid.uuid4())
    events = aws.client("events")
    with _replaying_event_ids(events, [event_id]):
        response = events.put_events(Entries=[entry])
    result = response["Entries"][0]
    if response.get("FailedEntryCount") or "ErrorCode" in result:
        raise EventRejected(f"{result.get('ErrorCode')}: {result.get('ErrorMessage')}")
    return str(result["EventId"])


def deliver(aws: EmbeddedAws, runner: FunctionRunner, event: dict[str, Any]) -> list[Invocation]:
    """Put `event` on the bus; run the invocations it caused for the runner's function (none: no match).

    Other stacks in the emulator may have rules that match too; their functions are not running here,
    so the invocations this event made for them are dropped rather than left for a later delivery.
    """
    event_id = put_event(aws, event)
    queued = ASYNC_INVOCATIONS.take_event(event_id)
    return [runner.invoke_async(q.event) for q in queued if q.function_arn == runner.function_arn]


@contextmanager
def _replaying_event_ids(events_client: Any, event_ids: list[str]) -> Iterator[None]:
    def add_header(request: Any, **_: Any) -> None:
        request.headers[REPLAYED_EVENT_IDS_HEADER] = json.dumps(event_ids)

    handler_id = f"replayed-event-ids-{uuid.uuid4().hex}"
    events_client.meta.events.register("before-sign.events.PutEvents", add_header, unique_id=handler_id)
    try:
        yield
    finally:
        events_client.meta.events.unregister("before-sign.events.PutEvents", unique_id=handler_id)
