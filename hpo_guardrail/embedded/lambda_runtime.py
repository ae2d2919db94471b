"""The deployed function run in this process, as the Lambda service runs it.

A `FunctionRunner` is one warm execution environment of the deployed function: it takes the code the
stack deployed (the zip in the emulator's S3), imports the handler once with the function's configured
environment (cold start), and calls `handler(event, context)` for each invocation. Asynchronous
invocations (what EventBridge makes) get Lambda's retries and the OnFailure destination of the
function's EventInvokeConfig. Whatever the function prints goes, as in Lambda, to its CloudWatch log
group in the emulator (and to `echo` if given).

The function's modules live in their own `sys.modules` entries (swapped in for each invocation and out
after), so a runner for a monitor stack and one for an enforce stack never share settings read at import,
and tests that import the same packages keep their own copies.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import io
import json
import logging
import os
import subprocess
import sys
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import boto3
from botocore.exceptions import ClientError

from hpo_guardrail.embedded.deployment import FUNCTION_CODE_DIRS, DeployedStack
from hpo_guardrail.embedded.emulator import EmbeddedAws, patched_environ
from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS

# Lambda's default for asynchronous invocations when no EventInvokeConfig says otherwise.
_DEFAULT_ASYNC_RETRIES = 2
# Lambda hands the environment fresh execution role credentials well before the old ones expire.
_CREDENTIALS_REFRESH_BEFORE_S = 300
# Not shadowed by the function's code even if it ships a package of the same name.
_HOST_ONLY_PREFIX = "hpo_guardrail.embedded"
_LATEST = "$LATEST"
# The Lambda Python runtime's own library of SnapStart's runtime hooks (the open-source snapshot-restore-py, which
# the managed runtimes include): each execution environment gets its own registry.
SNAPSHOT_RESTORE_MODULE = "snapshot_restore_py"


@dataclass(frozen=True)
class LambdaContext:
    """The context object Lambda passes to a Python handler (what Powertools Logger reads)."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float  # time.monotonic() when the function's timeout expires
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class FunctionError:
    """An invocation's error, as Lambda reports it (errorType, errorMessage, stackTrace)."""

    error_type: str
    error_message: str
    stack_trace: tuple[str, ...] = ()

    def as_payload(self) -> dict[str, Any]:
        """The error as Lambda's response payload for a failed invocation."""
        return {
            "errorMessage": self.error_message,
            "errorType": self.error_type,
            "stackTrace": list(self.stack_trace),
        }


class FunctionFailed(RuntimeError):
    """A synchronous invocation failed outside the handler (timeout, result not JSON)."""

    def __init__(self, error: FunctionError) -> None:
        super().__init__(f"{error.error_type}: {error.error_message}")
        self.error = error


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation (for asynchronous ones, of its last attempt)."""

    request_id: str
    event: dict[str, Any]
    result: Any = None
    error: FunctionError | None = None
    attempts: int = 1
    logs: str = ""
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    @property
    def succeeded(self) -> bool:
        """Whether the handler returned a JSON-serialisable result in time."""
        return self.error is None


class _InitFailed(Exception):
    """The handler could not be loaded (an error while importing its module, or no such function)."""

    def __init__(self, cause: BaseException, error: FunctionError) -> None:
        super().__init__(error.error_message)
        self.cause = cause
        self.error = error

    @classmethod
    def importing(cls, module_name: str, cause: BaseException) -> _InitFailed:
        """Lambda's report of a handler module that raised while it was imported."""
        message = f"Unable to import module '{module_name}': {cause}"
        return cls(cause, FunctionError("Runtime.ImportModuleError", message, _stack_of(cause)))


class _FunctionOutput(io.TextIOBase):
    """The function's stdout and stderr: one stream object for the runner's lifetime.

    Loggers bind to sys.stdout when they are created (at import, during the cold start), so the stream
    must outlive the invocation that created them; each invocation points it at a fresh buffer.
    """

    def __init__(self, echo: TextIO | None) -> None:
        super().__init__()
        self._echo = echo
        self._buffer = io.StringIO()

    def start_invocation(self) -> None:
        self._buffer = io.StringIO()

    def captured(self) -> str:
        return self._buffer.getvalue()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer.write(text)
        if self._echo is not None:
            self._echo.write(text)
        return len(text)

    def flush(self) -> None:
        if self._echo is not None:
            self._echo.flush()


class FunctionRunner:
    """One warm execution environment of a deployed function, run in this process.

    `function_name` is what an invoker names: NAME, or NAME:QUALIFIER for an alias or a version. An environment
    runs one version: a NAME alone stands for the function as its stack invokes it, through its alias when it has
    exactly one (template.yaml's AutoPublishAlias), else $LATEST. A version with SnapStart on is initialised as
    Lambda does before it takes the snapshot (AWS_LAMBDA_INITIALIZATION_TYPE snap-start, then the runtime's
    before-snapshot hooks) and resumed (the after-restore hooks) before its first invocation.
    """

    def __init__(self, aws: EmbeddedAws, function_name: str, code_dir: Path, *, echo: TextIO | None = None) -> None:
        self._aws = aws
        self._lambda = aws.client("lambda")
        self._logs = aws.client("logs")
        self.function_name = function_name
        self.name, _, qualifier = function_name.partition(":")
        self.qualifier = qualifier or self._only_alias() or _LATEST
        qualified = {"Qualifier": self.qualifier} if self.qualifier != _LATEST else {}
        self.configuration: dict[str, Any] = self._lambda.get_function_configuration(
            FunctionName=self.name, **qualified
        )
        self.snap_start = self.configuration.get("SnapStart", {}).get("OptimizationStatus") == "On"
        self.code_dir = code_dir
        self._packages = _project_packages(code_dir)
        self._finder = _FunctionCodeFinder(code_dir, self._packages)
        self._modules: dict[str, ModuleType] = {}
        # The environment's own named loggers: a logger the host process configured under the same
        # name (Powertools configures a logger once per name) must not catch this function's output.
        self._loggers: dict[str, Any] = {}
        self._handler: Callable[[dict[str, Any], LambdaContext], Any] | None = None
        self._init_failure: _InitFailed | None = None
        self._output = _FunctionOutput(echo)
        self._log_group = f"/aws/lambda/{self.name}"
        self._log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[{self.version}]{uuid.uuid4().hex}"
        self._log_stream_created = False
        self._credentials: dict[str, Any] | None = None

    @classmethod
    def for_stack(
        cls,
        aws: EmbeddedAws,
        stack: DeployedStack,
        workdir: Path,
        *,
        echo: TextIO | None = None,
        function_name: str | None = None,
    ) -> FunctionRunner:
        """A runner for the stack's guardrail function (or another of its functions, by name), with the
        code fetched from where the stack deployed it."""
        function_name = function_name or stack.function_name
        code = _download(aws, stack.code_s3_uri)
        configuration = aws.client("lambda").get_function_configuration(FunctionName=function_name)
        digest = base64.b64encode(hashlib.sha256(code).digest()).decode()
        if digest != configuration["CodeSha256"]:
            raise RuntimeError(f"{stack.code_s3_uri} is not the code deployed to {function_name}")
        code_dir = workdir / function_name
        code_dir.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            archive.extractall(code_dir)
        return cls(aws, function_name, code_dir, echo=echo)

    def _only_alias(self) -> str | None:
        aliases = self._lambda.list_aliases(FunctionName=self.name).get("Aliases", [])
        return str(aliases[0]["Name"]) if len(aliases) == 1 else None

    @property
    def version(self) -> str:
        """The version this environment runs ($LATEST, or a published version's number)."""
        return str(self.configuration.get("Version", _LATEST))

    @property
    def function_arn(self) -> str:
        """The ARN the function's invokers address: the function's, qualified by the alias or version this
        environment runs (what EventBridge targets and asynchronous invocations name)."""
        arn = str(self.configuration["FunctionArn"]).removesuffix(f":{_LATEST}")
        unqualified = arn if self.version == _LATEST else arn.rsplit(":", 1)[0]
        return unqualified if self.qualifier == _LATEST else f"{unqualified}:{self.qualifier}"

    def run(self, event: dict[str, Any]) -> Invocation:
        """Invoke synchronously once and return the whole outcome (result or error, and the logs)."""
        return self._attempt(event)

    def invoke(self, event: dict[str, Any]) -> Any:
        """Invoke synchronously (RequestResponse): the handler's result, or its exception raised here."""
        invocation = self.run(event)
        if invocation.exception is not None:
            raise invocation.exception
        if invocation.error is not None:
            raise FunctionFailed(invocation.error)
        return invocation.result

    def invoke_async(self, event: dict[str, Any]) -> Invocation:
        """Invoke as an asynchronous event: retry on error, then send the record to OnFailure."""
        retries, on_failure = self._async_settings()
        invocation = self._attempt(event)
        attempts = 1
        while not invocation.succeeded and attempts <= retries:
            invocation = self._attempt(event)
            attempts += 1
        invocation = dataclasses.replace(invocation, attempts=attempts)
        if invocation.error is not None and on_failure:
            self._send_to_on_failure(on_failure, invocation)
        return invocation

    def deliver_queued(self) -> list[Invocation]:
        """Invoke the function for every event EventBridge queued for it, oldest first."""
        return [self.invoke_async(queued.event) for queued in ASYNC_INVOCATIONS.take(self.function_arn)]

    # --- one attempt ---------------------------------------------------------------------------

    def _attempt(self, event: dict[str, Any]) -> Invocation:
        request_id = str(uuid.uuid4())
        timeout_s = float(self.configuration.get("Timeout", 3))
        payload = json.loads(json.dumps(event))  # the handler gets what Lambda deserialised, not our dict
        self._output.start_invocation()
        result: Any = None
        error: FunctionError | None = None
        exception: BaseException | None = None
        with self._environment():
            init_ms = self._cold_start()
            print(f"START RequestId: {request_id} Version: {self.version}")
            started = time.monotonic()
            context = self._context(request_id, started + timeout_s)
            try:
                returned = self._loaded_handler()(payload, context)
            except _InitFailed as init_failure:
                exception, error = init_failure.cause, init_failure.error
                print(json.dumps(error.as_payload()))
            except Exception as handler_error:
                exception, error = handler_error, _error_of(handler_error)
                print(json.dumps(error.as_payload()))
            else:
                result, error = _marshalled(returned)
            elapsed = time.monotonic() - started
            if elapsed > timeout_s and error is None:
                # Lambda would have killed the environment; the handler ran to the end here.
                result, error = None, FunctionError("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds")
            print(f"END RequestId: {request_id}")
            print(self._report_line(request_id, elapsed, init_ms))
        if self._handler is None:
            # A failed init leaves no warm environment: the next invocation starts from scratch.
            self._modules, self._loggers = {}, {}
        logs = self._output.captured()
        self._write_cloudwatch_logs(logs)
        return Invocation(request_id, event, result, error, 1, logs, exception)

    def _context(self, request_id: str, deadline: float) -> LambdaContext:
        return LambdaContext(
            function_name=self.name,
            function_version=self.version,
            invoked_function_arn=self.function_arn,
            memory_limit_in_mb=int(self.configuration.get("MemorySize", 128)),
            aws_request_id=request_id,
            log_group_name=self._log_group,
            log_stream_name=self._log_stream,
            deadline=deadline,
        )

    def _report_line(self, request_id: str, elapsed_s: float, init_ms: float | None) -> str:
        duration_ms = elapsed_s * 1000
        memory = self.configuration.get("MemorySize")
        line = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {memory} MB"
        )
        if init_ms is None:
            return line
        # A SnapStart version was initialised when it was published; a new environment reports its restore.
        return line + (
            f"\tRestore Duration: {init_ms:.2f} ms" if self.snap_start else f"\tInit Duration: {init_ms:.2f} ms"
        )

    # --- the execution environment -----------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The variables the function sees (its configuration and Lambda's own), for running it elsewhere."""
        return {name: value for name, value in self._function_environment().items() if value is not None}

    def _function_environment(self) -> dict[str, str | None]:
        variables = self.configuration.get("Environment", {}).get("Variables", {})
        memory = str(self.configuration.get("MemorySize", 128))
        environment: dict[str, str | None] = {
            **self._aws.environment_variables(),
            # As in Lambda, the function acts as its execution role, not with the emulator's root keys: a
            # resource or trust policy that names the role (a member account's role) sees the role.
            **self._execution_role_variables(),
            # Lambda's reserved variables. LAMBDA_TASK_ROOT stays unset on purpose: Powertools Tracer
            # takes it to mean X-Ray is there, and X-Ray is not emulated.
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": self.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory,
            "AWS_LAMBDA_LOG_GROUP_NAME": self._log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self._log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start" if self.snap_start else "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.configuration.get('Runtime', 'python3.12')}",
            "_HANDLER": str(self.configuration["Handler"]),
        }
        # Lambda's variables are strings; moto keeps a Number parameter's value as a number.
        environment.update({name: str(value) for name, value in variables.items()})
        return environment

    def _execution_role_variables(self) -> dict[str, str]:
        """The execution role's credentials, as Lambda puts them in the environment, assumed as the Lambda
        service (the role's trust policy must admit lambda.amazonaws.com) and renewed before they expire."""
        if self._credentials is None or time.time() > _epoch(self._credentials["Expiration"]) - (
            _CREDENTIALS_REFRESH_BEFORE_S
        ):
            role_arn = str(self.configuration.get("Role") or "")
            try:
                self._credentials = self._aws.assume_role_as_service(
                    role_arn, service="lambda.amazonaws.com", session_name=self.name[:64]
                )
            except ClientError as refused:
                raise RuntimeError(
                    f"Lambda cannot assume the execution role {role_arn!r} of {self.name}: {refused}"
                ) from refused
        return {
            "AWS_ACCESS_KEY_ID": str(self._credentials["AccessKeyId"]),
            "AWS_SECRET_ACCESS_KEY": str(self._credentials["SecretAccessKey"]),
            "AWS_SESSION_TOKEN": str(self._credentials["SessionToken"]),
        }

    @contextmanager
    def _environment(self) -> Iterator[None]:
        saved_modules = {name: sys.modules.pop(name) for name in list(sys.modules) if self._owns(name)}
        sys.modules.update(self._modules)
        sys.meta_path.insert(0, self._finder)
        saved_streams = (sys.stdout, sys.stderr)
        sys.stdout = sys.stderr = self._output
        saved_loggers = logging.Logger.manager.loggerDict
        logging.Logger.manager.loggerDict = self._loggers
        saved_session = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = None
        try:
            with patched_environ(self._function_environment()):
                yield
        finally:
            boto3.DEFAULT_SESSION = saved_session
            logging.Logger.manager.loggerDict = saved_loggers
            sys.stdout, sys.stderr = saved_streams
            sys.meta_path.remove(self._finder)
            self._modules = {name: sys.modules.pop(name) for name in list(sys.modules) if self._owns(name)}
            sys.modules.update(saved_modules)

    def _owns(self, module_name: str) -> bool:
        if module_name == _HOST_ONLY_PREFIX or module_name.startswith(_HOST_ONLY_PREFIX + "."):
            return False
        return module_name.split(".", 1)[0] in self._packages or module_name == SNAPSHOT_RESTORE_MODULE

    def _cold_start(self) -> float | None:
        if self._handler is not None:
            return None
        started = time.monotonic()
        module_name, _, function = str(self.configuration["Handler"]).rpartition(".")
        importlib.invalidate_caches()
        hooks = SnapshotRestoreHooks()
        sys.modules[SNAPSHOT_RESTORE_MODULE] = hooks.module()
        try:
            module = importlib.import_module(module_name)
        except Exception as failure:
            self._init_failure = _InitFailed.importing(module_name, failure)
            return (time.monotonic() - started) * 1000
        if self.snap_start:
            # Lambda runs the before-snapshot hooks once the handler's module is imported, snapshots, and runs the
            # after-restore hooks in each environment it resumes (awslambdaric bootstrap, on_init_complete).
            for run, error_type in (
                (hooks.before_snapshot, _BEFORE_SNAPSHOT_ERROR),
                (hooks.after_restore, _AFTER_RESTORE_ERROR),
            ):
                try:
                    run()
                except Exception as failure:
                    self._init_failure = _InitFailed(
                        failure, FunctionError(error_type, str(failure), _stack_of(failure))
                    )
                    return (time.monotonic() - started) * 1000
        handler = getattr(module, function, None)
        if not callable(handler):
            missing = AttributeError(f"module '{module_name}' has no attribute '{function}'")
            self._init_failure = _InitFailed(
                missing, FunctionError("Runtime.HandlerNotFound", f"Handler '{function}' missing on module")
            )
        else:
            self._handler, self._init_failure = handler, None
        return (time.monotonic() - started) * 1000

    def _loaded_handler(self) -> Callable[[dict[str, Any], LambdaContext], Any]:
        if self._handler is None:
            assert self._init_failure is not None, "cold start neither loaded the handler nor failed"
            raise self._init_failure
        return self._handler

    # --- asynchronous invocation settings and destinations -----------------------------------

    def _async_settings(self) -> tuple[int, str | None]:
        try:
            config = self._lambda.get_function_event_invoke_config(FunctionName=self.name)
        except ClientError as missing:
            if missing.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            return _DEFAULT_ASYNC_RETRIES, None
        retries = int(config.get("MaximumRetryAttempts", _DEFAULT_ASYNC_RETRIES))
        on_failure = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return retries, on_failure

    def _send_to_on_failure(self, destination_arn: str, invocation: Invocation) -> None:
        assert invocation.error is not None
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": invocation.request_id,
                "functionArn": self.function_arn if self.qualifier != _LATEST else f"{self.function_arn}:{_LATEST}",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": invocation.attempts,
            },
            "requestPayload": invocation.event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": self.version,
                "functionError": "Unhandled",
            },
            "responsePayload": invocation.error.as_payload(),
        }
        service, account, name = _arn_service_account_name(destination_arn)
        if service != "sqs":
            raise NotImplementedError(f"OnFailure destinations of type {service} are not emulated")
        sqs = self._aws.client("sqs")
        queue_url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))

    # --- CloudWatch Logs ----------------------------------------------------------------------

    def _write_cloudwatch_logs(self, logs: str) -> None:
        lines = [line for line in logs.splitlines() if line.strip()]
        if not lines:
            return
        if not self._log_stream_created:
            # The template creates the group (with its retention); Lambda creates it when it is missing.
            with contextlib.suppress(self._logs.exceptions.ResourceAlreadyExistsException):
                self._logs.create_log_group(logGroupName=self._log_group)
            self._logs.create_log_stream(logGroupName=self._log_group, logStreamName=self._log_stream)
            self._log_stream_created = True
        now_ms = int(time.time() * 1000)
        self._logs.put_log_events(
            logGroupName=self._log_group,
            logStreamName=self._log_stream,
            logEvents=[{"timestamp": now_ms, "message": line} for line in lines],
        )


# What the runtime reports when a SnapStart hook raises (awslambdaric, FaultException).
_BEFORE_SNAPSHOT_ERROR = "Runtime.BeforeSnapshotError"
_AFTER_RESTORE_ERROR = "Runtime.AfterRestoreError"


class SnapshotRestoreHooks:
    """The runtime's snapshot_restore_py for one environment: register_before_snapshot and register_after_restore
    (as functions or decorators) record (callable, args, kwargs); before-snapshot hooks run in the reverse order of
    their registration, after-restore hooks in that order (Lambda Developer Guide, "Lambda SnapStart runtime hooks
    for Python")."""

    def __init__(self) -> None:
        self._before: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self._after: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    def module(self) -> ModuleType:
        module = ModuleType(
            SNAPSHOT_RESTORE_MODULE, "SnapStart's runtime hooks, as the Lambda Python runtime has them."
        )
        module.register_before_snapshot = self._registrar(self._before)  # type: ignore[attr-defined]
        module.register_after_restore = self._registrar(self._after)  # type: ignore[attr-defined]
        module.get_before_snapshot = lambda: self._before  # type: ignore[attr-defined]
        module.get_after_restore = lambda: self._after  # type: ignore[attr-defined]
        return module

    @staticmethod
    def _registrar(hooks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]) -> Callable[..., Any]:
        def register(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
            hooks.append((func, args, kwargs))
            return func

        return register

    def before_snapshot(self) -> None:
        while self._before:
            func, args, kwargs = self._before.pop()
            func(*args, **kwargs)

    def after_restore(self) -> None:
        for func, args, kwargs in self._after:
            func(*args, **kwargs)


def _error_of(exception: BaseException) -> FunctionError:
    return FunctionError(type(exception).__name__, str(exception), _stack_of(exception))


def _stack_of(exception: BaseException) -> tuple[str, ...]:
    return tuple(traceback.format_tb(exception.__traceback__))


def _marshalled(returned: Any) -> tuple[Any, FunctionError | None]:
    # Lambda sends the result back as JSON: what json cannot encode fails the invocation there.
    try:
        return json.loads(json.dumps(returned)), None
    except (TypeError, ValueError) as marshal_error:
        return None, FunctionError("Runtime.MarshalError", f"Unable to marshal response: {marshal_error}")


class _FunctionCodeFinder(importlib.abc.MetaPathFinder):
    """Finds the function's own top-level packages in its code directory, ahead of the host's copies.

    Third-party libraries (Powertools, pydantic) still come from the host environment, like a layer;
    submodules follow their package's __path__, which already points into the code directory.
    """

    def __init__(self, code_dir: Path, packages: frozenset[str]) -> None:
        self._path = [str(code_dir)]
        self._packages = packages

    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in self._packages:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, self._path)


def _project_packages(code_dir: Path) -> frozenset[str]:
    return frozenset(name for name in FUNCTION_CODE_DIRS if (code_dir / name).is_dir())


def _download(aws: EmbeddedAws, s3_uri: str) -> bytes:
    bucket, _, key = s3_uri.removeprefix("s3://").partition("/")
    body: bytes = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def _epoch(expiration: Any) -> float:
    """AssumeRole's Expiration (a datetime from boto3) in epoch seconds."""
    if isinstance(expiration, datetime):
        return expiration.timestamp()
    return datetime.fromisoformat(str(expiration).replace("Z", "+00:00")).timestamp()


def _arn_service_account_name(arn: str) -> tuple[str, str, str]:
    parts = arn.split(":")
    return parts[2], parts[4], parts[-1]


# Each process imports the handler and evaluates the event once (policy, rule catalogue and prices warm, as in
# a warm Lambda), then waits for the same moment, so the handlers really overlap.
_CONCURRENT_INVOCATION = """
import json, sys, time
from types import SimpleNamespace
import functions.guardrail.app as app
from rules.events import read_event
event, start_at, n = json.loads(open(sys.argv[1]).read()), float(sys.argv[2]), sys.argv[3]
call = read_event(event)
app.SERVICE.evaluator.assess(call.request, call.context)
context = SimpleNamespace(function_name="guardrail", memory_limit_in_mb=256, aws_request_id=f"req-{n}",
                          invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:guardrail")
time.sleep(max(0.0, start_at - time.time()))
try:
    result = app.lambda_handler(event, context)
except Exception as error:
    result = {"error": type(error).__name__, "message": str(error)}
print("RESULT " + json.dumps(result))
"""


def invoke_at_once(
    runner: FunctionRunner, event: dict[str, Any], copies: int, workdir: Path, *, source_root: Path
) -> list[dict[str, Any]]:
    """Run the guardrail handler on one event in `copies` processes that start it at the same moment, as
    Lambda runs duplicate deliveries side by side; returns each process's result (or its error)."""
    path = workdir / f"event-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    environment = {**os.environ, **runner.environment(), "PYTHONPATH": str(source_root)}
    start_at = time.time() + 30  # every process has imported the handler and warmed up by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CONCURRENT_INVOCATION, str(path), str(start_at), str(n)],
            cwd=source_root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for n in range(copies)
    ]
    outputs = [process.communicate(timeout=180)[0] for process in processes]
    lines = [line for output in outputs for line in output.splitlines() if line.startswith("RESULT ")]
    return [json.loads(line.removeprefix("RESULT ")) for line in lines]
