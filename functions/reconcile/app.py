"""Lambda entry point: EventBridge Scheduler runs this on ReconcileSchedule to judge the tuning jobs whose
CloudTrail event never reached the guardrail (docs/deploy-org.md, "Reconciliation")."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hpo_guardrail.composition import build_reconciler
from hpo_guardrail.observability import logger, metrics, tracer

# Created once per execution environment (cold start), reused by every invocation.
RECONCILER = build_reconciler()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One run over every account and region; returns its summary. A job whose stop or alert failed is recorded as
    pending and the run raises at its end, so Lambda runs it again (what is done is skipped)."""
    return RECONCILER.handle(event)
