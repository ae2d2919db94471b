"""Lambda entry point: EventBridge delivers CloudTrail's CreateHyperParameterTuningJob records here.

It takes events only. A stop request ({"hpoGuardrail": "stop", ...}) is rejected and recorded as a malformed
event: the Stop button's function (functions/stop_button/app.py) is the one entry point for stops."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hpo_guardrail.composition import build_lambda_service
from hpo_guardrail.observability import logger, metrics, tracer

# Created once per execution environment (cold start), reused by every invocation. With SnapStart (template.yaml,
# SnapStart=Enabled) Lambda snapshots the environment after this import, and the service's warm-up runs first.
# Its alerts name the Stop button's function (template.yaml sets STOP_BUTTON_FUNCTION_NAME), so the chat
# channel's button can invoke it; without the variable the alerts carry no button.
SERVICE = build_lambda_service()


@logger.inject_lambda_context(correlation_id_path="detail.eventID || id", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Evaluate one event and act on the decision; returns its outcome. Malformed input (a stop request
    included) is logged, counted and recorded, not raised."""
    return SERVICE.respond(event)
