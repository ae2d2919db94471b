"""The same event delivered to 8 invocations at once (Lambda runs duplicates side by side): one stop,
one alert, one record that says stopped. Each invocation is its own process, as Lambda's are."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from tests.builders import costly_linear_lr_event

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
INVOCATIONS = 8


def test_the_same_event_in_eight_processes_at_once_stops_once_and_alerts_once(
    embedded_aws, deploy_stack, function_runner, capture_sns, tuning_jobs, tmp_path
):
    from hpo_guardrail.embedded.lambda_runtime import invoke_at_once
    from hpo_guardrail.embedded.moto_extensions import CALLS

    stack = deploy_stack(mode="enforce", budget_cap_usd=1000)
    alerts = capture_sns(stack.topic_arn)
    event = costly_linear_lr_event(f"concurrent-{uuid.uuid4().hex[:8]}")
    job = tuning_jobs.create_for_event(event)
    stops_before = CALLS.get(("sagemaker", "StopHyperParameterTuningJob"), 0)

    results = invoke_at_once(function_runner(stack), event, INVOCATIONS, tmp_path, source_root=ROOT)

    assert len(results) == INVOCATIONS, results
    evaluated = [r for r in results if r.get("status") == "evaluated"]
    assert len(evaluated) == 1, results
    assert evaluated[0]["actions"]["stop"] == "stopped (InProgress -> Stopping)"
    assert all(r.get("status") == "skipped" for r in results if r is not evaluated[0]), results
    assert CALLS.get(("sagemaker", "StopHyperParameterTuningJob"), 0) - stops_before == 1
    assert tuning_jobs.status(job) == "Stopping"
    assert len(alerts.receive()) == 1
    record = DynamoDbAuditStore(embedded_aws.client("dynamodb"), stack.outputs["AuditTableName"]).get(
        event["detail"]["eventID"]
    )
    assert record.actions["stop"].result == "stopped" and record.complete
