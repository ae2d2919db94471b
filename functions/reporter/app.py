"""Lambda entry point: EventBridge Scheduler runs this every Monday to write last week's report."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hpo_guardrail.composition import build_weekly_reporter
from hpo_guardrail.observability import logger, metrics, tracer

# Created once per execution environment (cold start), reused by every invocation.
REPORTER = build_weekly_reporter()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Write one ISO week's report (the event's "week", else last week) and publish its summary."""
    return REPORTER.handle(event).model_dump(mode="json")
