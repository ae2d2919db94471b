"""Lambda entry point: EventBridge delivers CloudTrail's CreateHyperParameterTuningJob records here, and the
operator may ask it to stop a job it flagged with {"hpoGuardrail": "stop", "eventId": ...} (docs/alerts.md)."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hpo_guardrail.composition import build_service
from hpo_guardrail.observability import logger, metrics, tracer

# Created once per execution environment (cold start), reused by every invocation.
SERVICE = build_service()
# The alerts name this function (Lambda sets the variable), so a stop request can be sent to it (docs/alerts.md).
SERVICE.offer_stop_button(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


@logger.inject_lambda_context(correlation_id_path="detail.eventID || id || eventId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Evaluate one event, or stop a job from the chat channel; returns a summary (Chatbot shows the button's).
    Malformed input is logged, counted and recorded, not raised."""
    return SERVICE.respond(event)
