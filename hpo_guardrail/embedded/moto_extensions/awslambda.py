"""Lambda: asynchronous invocations (Invoke with InvocationType Event) join Lambda's event queue.

In AWS, `Invoke(InvocationType="Event")` answers 202 at once and Lambda runs the function later, with
its retries and on-failure destination; EventBridge invokes a Lambda target the same way. moto would run
the function in Docker. Here the event joins `ASYNC_INVOCATIONS`, the queue EventBridge's Lambda targets
fill, and the function's runner (embedded/lambda_runtime.py) takes it from there, as it does every
event a rule delivers. Synchronous invocations keep moto's behaviour.

Invoke is a fault point (`inject_faults("lambda", "Invoke", ...)`): an injected fault refuses the call,
whether a client makes it or EventBridge makes it for a rule's target (see eventbridge.py).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.awslambda.responses import LambdaResponse
from moto.core.exceptions import JsonRESTError

from hpo_guardrail.embedded.moto_extensions.eventbridge import ASYNC_INVOCATIONS, AsyncInvocation
from hpo_guardrail.embedded.moto_extensions.faults import take_fault
from hpo_guardrail.embedded.moto_extensions.lambda_versions import invoked_arn

# Lambda's limit on an asynchronous invocation's payload (256 KB, the size of an EventBridge event).
ASYNC_PAYLOAD_LIMIT_BYTES = 256 * 1024


class _InvalidRequestContent(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestContentException", message)


class _RequestTooLarge(JsonRESTError):
    code = 413

    def __init__(self, size: int) -> None:
        super().__init__(
            "RequestTooLargeException",
            f"{size} byte payload is too large for the Event invocation type (limit {ASYNC_PAYLOAD_LIMIT_BYTES} bytes)",
        )


def extend_lambda() -> None:
    original_invoke = LambdaResponse.invoke

    def invoke(self: LambdaResponse) -> Any:
        if self.headers.get("X-Amz-Invocation-Type") != "Event":
            return original_invoke(self)
        fault = take_fault("lambda", "Invoke", account_id=self.current_account, region=self.region)
        if fault is not None:
            raise fault
        function_name = unquote(self.path.rsplit("/", 2)[-2])
        qualifier = self._get_param("qualifier")
        function = self.backend.get_function(function_name, qualifier)  # 404 if absent
        body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
        if len(body) > ASYNC_PAYLOAD_LIMIT_BYTES:
            raise _RequestTooLarge(len(body))
        try:
            event = json.loads(body or b"{}")
        except ValueError as error:
            raise _InvalidRequestContent(f"Could not parse request body into json: {error}") from error
        ASYNC_INVOCATIONS.put(
            AsyncInvocation(
                # The alias or version the caller named, as Lambda runs that one (lambda_versions.py).
                function_arn=invoked_arn(function, function_name, qualifier),
                rule_arn="",
                event_id=str(event.get("id", "")) if isinstance(event, dict) else "",
                event=event,
            )
        )
        return 202, {"status": "202", "content-type": "application/json"}, b""

    LambdaResponse.invoke = invoke  # type: ignore[method-assign]
