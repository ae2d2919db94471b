"""DynamoDB: conditional writes that are atomic, as DynamoDB guarantees for one item.

moto checks a write's condition and then applies it in plain Python, and its server answers requests on
several threads: two concurrent `PutItem ... attribute_not_exists(event_id)` calls can both pass. Real
DynamoDB serialises writes to an item, and the guardrail's one-invocation-at-a-time claim rests on that,
so the emulator does the same: every write of the backend runs under one lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

_WRITE_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def extend_dynamodb() -> None:
    for name in _WRITES:
        original = getattr(DynamoDBBackend, name, None)
        if original is not None:
            setattr(DynamoDBBackend, name, _serialised(original))


def _serialised(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def serialised(*args: Any, **kwargs: Any) -> Any:
        with _WRITE_LOCK:
            return write(*args, **kwargs)

    return serialised
