"""A burst of distinct events through the deployed function: every one recorded, none lost.

The bench (bench/reliability.py) sends 10,000; the suite sends fewer to stay within minutes.
"""

from __future__ import annotations

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from tests.builders import clean_event

pytestmark = pytest.mark.emulator
BURST = 300


def test_a_burst_of_distinct_events_is_recorded_in_full(embedded_aws, deployed_stack, function_runner):
    runner = function_runner(deployed_stack)
    events = [clean_event(f"burst-{n}") for n in range(BURST)]
    failed = [event for event in events if not runner.run(event).succeeded]
    store = DynamoDbAuditStore(embedded_aws.client("dynamodb"), deployed_stack.outputs["AuditTableName"])
    missing = [e for e in events if store.get(e["detail"]["eventID"]) is None]
    assert failed == [] and missing == []
