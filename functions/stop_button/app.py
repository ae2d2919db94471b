"""Lambda entry point of the alerts' "Stop tuning job" button (an AWS Chatbot custom action, template.yaml
StopTuningJobAction): AWS Chatbot invokes it with {"hpoGuardrail": "stop", "eventId": ...}.

The one entry point for stops, and the only function the chat channel's role may invoke. It accepts nothing but
that payload: anything else (an EventBridge event included) is refused with a reply saying why, logged, counted
and recorded, never raised. The stop itself is the guardrail's (hpo_guardrail/enforce/service.py
stop_from_chat): the audit record is read again, the job is stopped through its account's member role, the
record says the chat channel asked for it, and one follow-up goes to the alert's thread.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hpo_guardrail.composition import build_lambda_service
from hpo_guardrail.observability import logger, metrics, tracer

# Created once per execution environment (cold start), reused by every invocation. With SnapStart (template.yaml,
# SnapStart=Enabled) Lambda snapshots the environment after this import, and the service's warm-up runs first. The
# same settings as the guardrail function: the recorded request is priced again, as the guardrail prices it, for the
# cost avoided.
SERVICE = build_lambda_service()


@logger.inject_lambda_context(correlation_id_path="eventId", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """Stop the job of the alert the payload names; returns a ChatStopReply as JSON (Chatbot shows it)."""
    return SERVICE.stop_from_chat(event).model_dump(mode="json")
