"""The one place that owns the Powertools Logger, Tracer and Metrics; everything else imports them."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.tracing.base import BaseProvider

from hpo_guardrail.adapters.xray import XRayDaemonProvider

SERVICE_NAME = os.getenv("POWERTOOLS_SERVICE_NAME", "hpo-guardrail")
METRICS_NAMESPACE = os.getenv("POWERTOOLS_METRICS_NAMESPACE", "HpoGuardrail")


class _Untraced:
    """A segment that records nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class LocalProvider(BaseProvider):
    """The tracing provider outside Lambda (the CLI, tests, the demo): traces nothing and makes no AWS client.

    Powertools' default provider is the X-Ray SDK's recorder, which builds a botocore client as it is
    imported: with AWS_PROFILE naming a profile that does not exist, that fails, and every command would end
    in a traceback before reading its options. Outside Lambda Powertools disables tracing anyway.
    """

    @contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Iterator[Any]:
        yield _Untraced()

    @asynccontextmanager
    async def in_subsegment_async(self, name: Any = None, **kwargs: Any) -> AsyncIterator[Any]:
        yield _Untraced()

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def patch(self, modules: Sequence[str]) -> None:
        return None

    def patch_all(self) -> None:
        return None


# LAMBDA_TASK_ROOT is set in the Lambda runtime only: there the functions trace through X-Ray.
_IN_LAMBDA = bool(os.getenv("LAMBDA_TASK_ROOT"))
# The libraries whose calls the functions' traces show: boto3's clients, through botocore.
TRACED_MODULES = ("botocore",)

logger = Logger(service=SERVICE_NAME)
# In Lambda (unless POWERTOOLS_TRACE_DISABLED) the handler, the traced methods and every AWS call go to X-Ray through
# hpo_guardrail/adapters/xray.py, which speaks the X-Ray daemon's protocol itself: the X-Ray SDK cost about 50 ms of
# every cold start (docs/benchmarks.md, "Tracing"). `disabled=False` is Powertools' own switch, which would import
# the SDK to turn it off; the provider decides instead (LocalProvider traces nothing).
_TRACE_DISABLED = os.getenv("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in ("1", "true", "yes", "on")
_TRACING = _IN_LAMBDA and not _TRACE_DISABLED
tracer = Tracer(
    service=SERVICE_NAME,
    provider=XRayDaemonProvider() if _TRACING else LocalProvider(),
    patch_modules=TRACED_MODULES,
    disabled=False,
)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)


_counting = True


def count(name: str, value: int = 1) -> None:
    """Add a count metric (EMF) to the current invocation."""
    if _counting:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


@contextmanager
def silenced() -> Iterator[None]:
    """No JSON log lines and no EMF metrics while inside: for the CLI, which runs the same engine.

    Powertools writes both to stdout: right in CloudWatch, noise in a terminal and corruption in a JSON
    or SARIF report. The CLI says what matters in words on stderr instead.
    """
    global _counting
    standard_logger = logging.getLogger(logger.name)  # the standard logger Powertools writes through
    level, counting = standard_logger.level, _counting
    standard_logger.setLevel(logging.CRITICAL + 1)
    _counting = False
    try:
        yield
    finally:
        _counting = counting
        standard_logger.setLevel(level)
