"""Lambda entry point: EventBridge Scheduler runs this weekly to refresh the shared price cache."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hpo_guardrail.composition import build_price_refresher
from hpo_guardrail.observability import logger, metrics, tracer

# Created once per execution environment (cold start), reused by every invocation.
REFRESHER = build_price_refresher()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Refresh the prices of the regions the event names ({"regions": [...]}), else PRICED_REGIONS."""
    return REFRESHER.handle(event).model_dump(mode="json")
