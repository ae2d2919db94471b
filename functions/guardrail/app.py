"""Lambda entry point: EventBridge delivers CloudTrail's CreateHyperParameterTuningJob records here."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hpo_guardrail.composition import build_service
from hpo_guardrail.observability import logger, metrics, tracer

# Created once per execution environment (cold start), reused by every invocation.
SERVICE = build_service()


@logger.inject_lambda_context(correlation_id_path="detail.eventID || id", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Evaluate one event; returns a summary. Malformed events are logged and counted, not raised."""
    return SERVICE.handle(event).model_dump(mode="json")
