"""The one place that owns the Powertools Logger, Tracer and Metrics; everything else imports them."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE_NAME = os.getenv("POWERTOOLS_SERVICE_NAME", "hpo-guardrail")
METRICS_NAMESPACE = os.getenv("POWERTOOLS_METRICS_NAMESPACE", "HpoGuardrail")

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)


def count(name: str, value: int = 1) -> None:
    """Add a count metric (EMF) to the current invocation."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
