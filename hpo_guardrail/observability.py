"""The one place that owns the Powertools Logger, Tracer and Metrics; everything else imports them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE_NAME = os.getenv("POWERTOOLS_SERVICE_NAME", "hpo-guardrail")
METRICS_NAMESPACE = os.getenv("POWERTOOLS_METRICS_NAMESPACE", "HpoGuardrail")

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
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
