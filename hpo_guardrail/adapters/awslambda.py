"""Lambda: hand an event to a function asynchronously, as EventBridge hands it a rule's event."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from hpo_guardrail.adapters.clients import AwsCallFailed, aws_call

_ACCEPTED = 202  # Lambda queued the event; the function runs it with its own retries and destinations


class AsyncInvoker:
    """Asynchronous invocations (InvocationType Event) over an injected boto3 Lambda client."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("lambda:InvokeFunction",)

    def __init__(self, client: Any) -> None:
        self._client = client

    def invoke(self, function: str, event: dict[str, Any]) -> None:
        """Queue `event` for `function` (a name or ARN); returns once Lambda accepted it, else AwsCallFailed."""
        with aws_call():
            response = self._client.invoke(
                FunctionName=function, InvocationType="Event", Payload=json.dumps(event).encode("utf-8")
            )
        status = response.get("StatusCode")
        if status != _ACCEPTED:
            raise AwsCallFailed(f"Lambda answered the asynchronous invocation of {function} with status {status}")
