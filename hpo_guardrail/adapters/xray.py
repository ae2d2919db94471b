"""X-Ray traces of the functions and their AWS calls, sent to the X-Ray daemon without the X-Ray SDK.

Powertools' Tracer keeps its decorators (`capture_lambda_handler`, `capture_method`) and takes this provider in
place of the X-Ray SDK's recorder. Why: importing the SDK (its recorder, asyncio, wrapt, its botocore patch) cost
about 50 ms of every cold start, a sixth of the floor (docs/benchmarks.md, "Tracing"); this module costs about 1 ms.
What a trace holds is what the SDK recorded for this code: the handler's and the traced methods' subsegments (the
ColdStart and Service annotations, the response or error as metadata) and one subsegment per AWS call (service,
operation, region, request id, retries, HTTP status; error, throttle or fault), under the function's own segment,
which Lambda records itself with active tracing (template.yaml, Tracing: Active). Unlike the SDK it adds no trace
header of its own to the AWS calls: botocore forwards Lambda's (`_X_AMZN_TRACE_ID`), so services downstream link to
the function's segment rather than to the call's subsegment.

The protocol (X-Ray developer guide, "Sending trace data to AWS X-Ray" and "AWS X-Ray segment documents"):
- Lambda gives each invocation its trace header in `_X_AMZN_TRACE_ID` (`Root=1-...;Parent=<segment id>;Sampled=1`)
  and the daemon's address in `AWS_XRAY_DAEMON_ADDRESS` (`host:port`, or `udp:host:port tcp:host:port`).
- A subsegment is sent on its own as soon as it ends: one UDP datagram, the header `{"format": "json",
  "version": 1}`, a newline, then the document with `type` "subsegment", its `trace_id` and `parent_id`.
- A document is at most 64 KB; an unsampled invocation (`Sampled=0`) sends nothing.
Tracing never fails the function: a document that cannot be sent is dropped.
"""

from __future__ import annotations

import contextvars
import json
import os
import socket
import threading
import time
import traceback
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

TRACE_HEADER_VARIABLE = "_X_AMZN_TRACE_ID"
DAEMON_ADDRESS_VARIABLE = "AWS_XRAY_DAEMON_ADDRESS"
DEFAULT_DAEMON_ADDRESS = ("127.0.0.1", 2000)  # the daemon's default UDP port
PROTOCOL_HEADER = b'{"format": "json", "version": 1}\n'
# X-Ray takes documents of up to 64 KB; one UDP datagram over IPv4 carries at most 65,507 bytes, header included.
MAX_DOCUMENT_BYTES = 65_507
SUPPORTED_MODULES = ("botocore",)
_ANNOTATION_KEY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
# Error codes AWS services answer with HTTP 400 when they throttle (429 is a throttle whatever the code).
_THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
     "ProvisionedThroughputExceededException", "RequestLimitExceeded", "RequestThrottled", "SlowDown"}
)  # fmt: skip


@dataclass(frozen=True)
class TraceContext:
    """An invocation's place in its trace, from the trace header."""

    root: str
    parent: str | None
    sampled: bool

    @classmethod
    def from_header(cls, header: str | None) -> TraceContext | None:
        """`Root=...;Parent=...;Sampled=1` (any order, other keys ignored); None without a root."""
        if not header:
            return None
        fields = {
            key.strip(): value.strip() for key, _, value in (part.partition("=") for part in header.split(";")) if value
        }
        root = fields.get("Root", "")
        if not root:
            return None
        return cls(root, fields.get("Parent") or None, fields.get("Sampled", "0") == "1")


def daemon_address(value: str | None) -> tuple[str, int]:
    """Where the daemon listens for UDP: `host:port`, or the UDP part of `udp:host:port tcp:host:port`."""
    if not value:
        return DEFAULT_DAEMON_ADDRESS
    for part in value.split():
        kind, _, address = part.partition(":") if part.startswith(("udp:", "tcp:")) else ("udp", "", part)
        if kind == "udp":
            host, _, port = address.rpartition(":")
            if host and port.isdigit():
                return host, int(port)
    raise ValueError(f"{DAEMON_ADDRESS_VARIABLE} is not host:port or udp:host:port tcp:host:port: {value!r}")


def _new_id() -> str:
    return os.urandom(8).hex()


class Subsegment(BaseSegment):
    """One timed piece of work under the invocation's segment; becomes one segment document when it ends."""

    def __init__(self, name: str, trace_id: str, parent_id: str | None, *, namespace: str | None = None) -> None:
        self.name = name[:200]
        self.id = _new_id()
        self.trace_id = trace_id
        self.parent_id = parent_id
        self.namespace = namespace
        self.start_time = time.time()
        self.end_time: float | None = None
        self.annotations: dict[str, str | int | float | bool] = {}
        self.metadata: dict[str, dict[str, Any]] = {}
        self.aws: dict[str, Any] = {}
        self.http: dict[str, Any] = {}
        self.flags: dict[str, bool] = {}
        self.exceptions: list[dict[str, Any]] = []
        self._exceptions_seen: list[BaseException] = []

    def close(self, end_time: int | float | None = None) -> None:
        if self.end_time is None:
            self.end_time = float(end_time) if end_time is not None else time.time()

    def add_subsegment(self, subsegment: Any) -> None:
        """Nothing to do: every subsegment is sent on its own, naming its parent."""

    def remove_subsegment(self, subsegment: Any) -> None:
        """Nothing to do (see add_subsegment)."""

    def put_annotation(self, key: str, value: Any) -> None:
        # X-Ray indexes annotations of strings, numbers and booleans, keys of letters, digits and underscores.
        if isinstance(value, str | int | float | bool) and key and all(c in _ANNOTATION_KEY_CHARACTERS for c in key):
            self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata.setdefault(namespace, {})[key] = value

    def add_exception(self, exception: BaseException, stack: Any = None, remote: bool = False) -> None:
        if any(seen is exception for seen in self._exceptions_seen):
            return  # recorded where it was raised (an AWS call's error, remote), not again on its way out
        self._exceptions_seen.append(exception)
        if not remote:
            self.flags["fault"] = True
        frames = traceback.extract_tb(exception.__traceback__)[-20:]
        self.exceptions.append(
            {
                "id": _new_id(),
                "type": type(exception).__name__,
                "message": str(exception)[:1000],
                "remote": remote,
                "stack": [{"path": f.filename, "line": f.lineno, "label": f.name} for f in frames],
            }
        )

    def document(self) -> dict[str, Any]:
        """The segment document (type subsegment) X-Ray stores."""
        document: dict[str, Any] = {
            "name": self.name,
            "id": self.id,
            "trace_id": self.trace_id,
            "type": "subsegment",
            "start_time": self.start_time,
            "end_time": self.end_time if self.end_time is not None else time.time(),
        }
        if self.parent_id:
            document["parent_id"] = self.parent_id
        for key, value in (
            ("namespace", self.namespace),
            ("annotations", self.annotations),
            ("metadata", self.metadata),
            ("aws", self.aws),
            ("http", self.http),
        ):
            if value:
                document[key] = value
        document.update(self.flags)
        if self.exceptions:
            document["cause"] = {"working_directory": os.getcwd(), "exceptions": self.exceptions}
        return document


class _Untraced(Subsegment):
    """What code outside a sampled invocation annotates: kept in memory, never sent."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "", None)


class XRayDaemonProvider(BaseProvider):
    """Powertools' tracing provider over the X-Ray daemon's UDP protocol (see the module's docstring)."""

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        self._environ = environ
        # The open subsegments, innermost last, of each thread and each asyncio task (a context variable: a task
        # started inside a subsegment sees it as its parent, and tasks running side by side do not mix).
        self._open: contextvars.ContextVar[tuple[Subsegment, ...]] = contextvars.ContextVar(
            f"xray_open_subsegments_{id(self)}", default=()
        )
        self._socket: socket.socket | None = None
        self._address: tuple[str, int] | None = None
        self._socket_lock = threading.Lock()

    def current(self) -> Subsegment | None:
        """The innermost open subsegment of this thread or task, if any."""
        open_now = self._open.get()
        return open_now[-1] if open_now else None

    @contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Iterator[Subsegment]:
        context = TraceContext.from_header(self._environ.get(TRACE_HEADER_VARIABLE))
        name = str(name or "subsegment")
        if context is None or not context.sampled:
            yield _Untraced(name)
            return
        parent = self.current()
        subsegment = Subsegment(
            name, context.root, parent.id if parent else context.parent, namespace=kwargs.get("namespace")
        )
        token = self._open.set((*self._open.get(), subsegment))
        try:
            yield subsegment
        except BaseException as error:
            subsegment.add_exception(error, remote=False)
            raise
        finally:
            self._open.reset(token)
            subsegment.close()
            self.send(subsegment)

    @asynccontextmanager
    async def in_subsegment_async(self, name: Any = None, **kwargs: Any) -> AsyncIterator[Subsegment]:
        with self.in_subsegment(name, **kwargs) as subsegment:
            yield subsegment

    def put_annotation(self, key: str, value: Any) -> None:
        subsegment = self.current()
        if subsegment is not None:
            subsegment.put_annotation(key, value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        subsegment = self.current()
        if subsegment is not None:
            subsegment.put_metadata(key, value, namespace)

    def patch(self, modules: Sequence[str]) -> None:
        unsupported = sorted(set(modules) - set(SUPPORTED_MODULES))
        if unsupported:
            raise ValueError(f"cannot trace {', '.join(unsupported)}: this provider traces {SUPPORTED_MODULES}")
        if "botocore" in modules:
            trace_botocore(self)

    def patch_all(self) -> None:
        self.patch(SUPPORTED_MODULES)

    def send(self, subsegment: Subsegment) -> bool:
        """Send one document to the daemon; False when it could not be (never raises)."""
        try:
            body = self._encode(subsegment.document())
            if body is None:
                return False
            with self._socket_lock:
                if self._socket is None:
                    self._address = daemon_address(self._environ.get(DAEMON_ADDRESS_VARIABLE))
                    self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                assert self._address is not None
                self._socket.sendto(body, self._address)
        except (OSError, ValueError, TypeError):
            return False
        return True

    @staticmethod
    def _encode(document: dict[str, Any]) -> bytes | None:
        """The datagram of one document; over the limit, the metadata goes (a large response), then the stacks and
        messages of its errors, keeping the timing, the annotations and the error's type. None if still too large."""
        for shrink in (None, _drop_metadata, _drop_stacks):
            if shrink is not None:
                shrink(document)
            datagram = PROTOCOL_HEADER + json.dumps(document, default=str, separators=(",", ":")).encode()
            if len(datagram) <= MAX_DOCUMENT_BYTES:
                return datagram
        return None


_botocore_provider: XRayDaemonProvider


def trace_botocore(provider: XRayDaemonProvider) -> None:
    """Record every botocore API call as a subsegment (namespace aws) while a sampled invocation runs. Patches
    `BaseClient._make_api_call` once, for clients made before and after."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    global _botocore_provider
    _botocore_provider = provider  # the latest provider records; botocore is patched once
    original = BaseClient._make_api_call  # type: ignore[attr-defined]
    if getattr(original, "_hpo_guardrail_traced", False):
        return

    def traced_api_call(client: Any, operation_name: str, api_params: Any) -> Any:
        model = client.meta.service_model
        with _botocore_provider.in_subsegment(model.service_id or model.service_name, namespace="aws") as subsegment:
            subsegment.aws.update(operation=operation_name, region=client.meta.region_name)
            if isinstance(api_params, dict) and isinstance(api_params.get("TableName"), str):
                subsegment.aws["table_name"] = api_params["TableName"]
            try:
                result = original(client, operation_name, api_params)
            except ClientError as error:
                _record_response(subsegment, error.response)
                subsegment.add_exception(error, remote=True)
                raise
            except (BotoConnectionError, HTTPClientError) as error:  # no answer (connection, timeout): remote
                subsegment.flags["fault"] = True
                subsegment.add_exception(error, remote=True)
                raise
            except Exception as error:  # refused before it was sent (parameters, credentials): this code's fault
                subsegment.add_exception(error, remote=False)
                raise
            _record_response(subsegment, result)
            return result

    traced_api_call._hpo_guardrail_traced = True  # type: ignore[attr-defined]
    BaseClient._make_api_call = traced_api_call  # type: ignore[attr-defined]


def _drop_metadata(document: dict[str, Any]) -> None:
    if "metadata" in document:
        document["metadata"] = {"default": {"truncated": "over X-Ray's 64 KB: metadata left out"}}


def _drop_stacks(document: dict[str, Any]) -> None:
    for exception in document.get("cause", {}).get("exceptions", []):
        exception["stack"] = []
        exception["message"] = str(exception.get("message", ""))[:200]
    document.get("cause", {})["exceptions"] = document.get("cause", {}).get("exceptions", [])[:10]


def _record_response(subsegment: Subsegment, response: Any) -> None:
    metadata = response.get("ResponseMetadata", {}) if isinstance(response, Mapping) else {}
    if metadata.get("RequestId"):
        subsegment.aws["request_id"] = metadata["RequestId"]
    if "RetryAttempts" in metadata:
        subsegment.aws["retries"] = metadata["RetryAttempts"]
    status = metadata.get("HTTPStatusCode")
    if isinstance(status, int):
        subsegment.http = {"response": {"status": status}}
        code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, Mapping) else ""
        if status == 429 or code in _THROTTLING_CODES:
            subsegment.flags.update(throttle=True, error=True)
        elif 400 <= status < 500:
            subsegment.flags["error"] = True
        elif status >= 500:
            subsegment.flags["fault"] = True
