"""The envelope an event keeps when it arrives on a bus from elsewhere.

moto's PutEvents writes a new envelope for every event (a fresh id, the receiving bus's account and
region, the time of the call). EventBridge keeps the envelope when an event is redelivered (same id) or
forwarded from another bus (same id, account, region and time), and when another account puts an event
on a bus the event names the sending account. The code that brings such an event in says so with
`arriving(...)`; the rule delivery in eventbridge.py applies it to the event each rule sees.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp


@dataclass(frozen=True)
class Arrival:
    """Envelope fields the arriving event keeps, and the rule that forwarded it (None: not forwarded)."""

    envelope: Mapping[str, Any] = field(default_factory=dict)
    forwarded_by: str | None = None


_local = threading.local()


@contextmanager
def arriving(arrival: Arrival) -> Iterator[None]:
    """Events put on a bus while inside keep `arrival`'s envelope fields."""
    stack: list[Arrival] = getattr(_local, "stack", None) or []
    _local.stack = [*stack, arrival]
    try:
        yield
    finally:
        _local.stack = stack


def current_arrival() -> Arrival | None:
    """The arrival of the event being delivered now, if it came from elsewhere.

    Arrivals nest (a redelivered event put on another account's bus keeps its id and names its
    sender): the innermost field wins.
    """
    stack: list[Arrival] = getattr(_local, "stack", None) or []
    if not stack:
        return None
    envelope: dict[str, Any] = {}
    forwarded_by = None
    for arrival in stack:
        envelope.update(arrival.envelope)
        forwarded_by = arrival.forwarded_by or forwarded_by
    return Arrival(envelope=envelope, forwarded_by=forwarded_by)


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


def delivered_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as EventBridge delivers it: moto keeps `time` as epoch seconds and adds an
    `ingestion-time` that real events do not have."""
    envelope = {key: copy.deepcopy(event[key]) for key in _ENVELOPE_KEYS if key in event}
    if isinstance(envelope.get("time"), int | float):
        envelope["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(envelope["time"]))
    return envelope
