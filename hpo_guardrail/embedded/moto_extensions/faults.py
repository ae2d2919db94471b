"""Faults: AWS throttles, refuses and times out; tests make the emulator do the same, call by call.

`inject_faults(service, action, error_code, times)` makes the next `times` calls of one action fail with
`error_code`, in the protocol's own error shape (JSON, or XML for query services such as SNS). botocore
retries throttling codes, so a fault that must outlast a client's retries needs `times` at least its
max_attempts. The emulator also counts every call of a fault point
(`CALLS[(service, action)]`), so a test can tell how often a job was stopped or an alert published.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError, _RESTError
from moto.core.models import DEFAULT_ACCOUNT_ID

DEFAULT_REGION = "us-east-1"
# Services that answer in XML (the query protocol); the rest of the guardrail's speak JSON.
_XML_SERVICES = frozenset({"sns"})


class _XmlFault(_RESTError):
    """An error in the query protocol's XML shape (moto's own for SNS, SQS and the like)."""


# (service, account, region, action, resource): resource None is any call of the action; else only calls
# about that resource (an ARN or name), as a test with several stacks in one emulator needs.
_FAULTS: dict[tuple[str, str, str, str, str | None], list[_RESTError]] = {}
_LOCK = threading.Lock()
CALLS: dict[tuple[str, str], int] = {}


def inject_faults(
    service: str,
    action: str,
    error_code: str,
    times: int,
    *,
    message: str = "Rate exceeded",
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    resource: str | None = None,
) -> None:
    """Make the next `times` calls of `service`'s `action` fail with `error_code` (0 clears them); with
    `resource`, only the calls about it (where the fault point names one: a Lambda target's ARN)."""
    with _LOCK:
        error = _XmlFault if service in _XML_SERVICES else JsonRESTError
        _FAULTS[(service, account_id, region, action, resource)] = [error(error_code, message) for _ in range(times)]


def clear_faults() -> None:
    """Every injected fault goes."""
    with _LOCK:
        _FAULTS.clear()


def with_faults(service: str, action: str, method: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A response method that first counts the call and answers with an injected fault, if one is due."""

    def answer(self: Any) -> Any:
        fault = take_fault(service, action, account_id=self.current_account, region=self.region)
        if fault is not None:
            raise fault  # moto's dispatcher turns it into the service's own error response
        return method(self)

    return answer


def take_fault(
    service: str, action: str, *, account_id: str, region: str, resource: str | None = None
) -> _RESTError | None:
    """Count one call of `service`'s `action` and return the injected fault it meets, if one is due.

    For calls AWS makes on a caller's behalf (EventBridge invoking a Lambda target), which reach no
    response method of the emulator's own.
    """
    with _LOCK:
        CALLS[(service, action)] = CALLS.get((service, action), 0) + 1
        for scope in (resource,) if resource is None else (resource, None):
            pending = _FAULTS.get((service, account_id, region, action, scope))
            if pending:
                return pending.pop(0)
        return None


def extend_faults() -> None:
    """Fault points of the calls the guardrail makes besides SageMaker's (sagemaker.py adds its own)."""
    from moto.dynamodb.responses import DynamoHandler
    from moto.sns.responses import SNSResponse

    from hpo_guardrail.embedded.moto_extensions.pricing import PricingResponse

    points: list[tuple[type, str, str, str]] = [
        (SNSResponse, "publish", "sns", "Publish"),
        (DynamoHandler, "put_item", "dynamodb", "PutItem"),
        (DynamoHandler, "update_item", "dynamodb", "UpdateItem"),
        (DynamoHandler, "get_item", "dynamodb", "GetItem"),
        (PricingResponse, "get_products", "pricing", "GetProducts"),
    ]
    for response_class, method_name, service, action in points:
        setattr(response_class, method_name, with_faults(service, action, getattr(response_class, method_name)))
