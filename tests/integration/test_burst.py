"""A burst of distinct events through the deployed function: every one recorded, none lost.

The bench (bench/reliability.py) sends 10,000; the suite sends fewer to stay within minutes.
"""

from __future__ import annotations

import uuid

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from tests.builders import cloudtrail_event, continuous, tuning_request

pytestmark = pytest.mark.emulator
BURST = 300


def test_a_burst_of_distinct_events_is_recorded_in_full(embedded_aws, deployed_stack, function_runner):
    runner = function_runner(deployed_stack)
    events = [
        cloudtrail_event(
            tuning_request(
                f"burst-{n}",
                continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Logarithmic")],
                max_jobs=10,
                max_runtime_seconds=36_000,
            ),
            event_id=str(uuid.uuid4()),
        )
        for n in range(BURST)
    ]
    failed = [event for event in events if not runner.run(event).succeeded]
    store = DynamoDbAuditStore(embedded_aws.client("dynamodb"), deployed_stack.outputs["AuditTableName"])
    missing = [e for e in events if store.get(e["detail"]["eventID"]) is None]
    assert failed == [] and missing == []
