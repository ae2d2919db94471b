"""The review attached to a job's record in the deployed audit table: once, whatever the repeated events."""

from __future__ import annotations

import uuid

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditQuery, DynamoDbAuditStore
from hpo_guardrail.enforce.audit import ReviewRecord
from hpo_guardrail.enforce.ports import AuditRecordNotFound
from hpo_guardrail.reporting.figures import ReportPeriod, compute_figures
from tests.audit_builders import evaluated
from tests.builders import continuous, tuning_request
from tests.unit.review_builders import description, review, summary

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def table(deployed_stack) -> str:
    return deployed_stack.outputs["AuditTableName"]


@pytest.fixture(scope="module")
def store(embedded_aws, table):
    return DynamoDbAuditStore(embedded_aws.client("dynamodb"), table)


def reviewed(trigger: str) -> ReviewRecord:
    request = tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")])
    summaries = [summary(i, {"learning_rate": str(0.1 + 0.09 * i)}, 0.5 + i / 100) for i in range(1, 9)]
    summaries.append(summary(9, {"learning_rate": "0.00011"}, 0.1))
    result = review(summaries, describe=description(request, status="Completed"), worst_case_usd=40)
    return ReviewRecord.of(result, trigger=trigger, reviewed_at="2026-11-20T12:00:00Z")


def test_a_review_is_attached_once_and_a_repeated_attach_returns_the_first(store):
    event_id = f"review-once-{uuid.uuid4().hex[:8]}"
    store.begin(evaluated(event_id, "2026-11-20T10:00:00Z"))
    first, repeated = reviewed("state-change Completed"), reviewed("state-change Completed (again)")

    assert store.attach_review(event_id, first) is None
    assert store.attach_review(event_id, repeated) == first

    record = store.get(event_id)
    assert record.review == first and record.status.value == "evaluated"


def test_attaching_to_an_event_without_a_record_stores_nothing(store):
    event_id = f"review-none-{uuid.uuid4().hex[:8]}"
    with pytest.raises(AuditRecordNotFound):
        store.attach_review(event_id, reviewed("state-change Completed"))
    assert store.get(event_id) is None, "no item is created by a failed attach"


def test_the_report_reads_the_actual_spend_from_the_table(embedded_aws, store, table):
    event_id = f"review-report-{uuid.uuid4().hex[:8]}"
    store.begin(evaluated(event_id, "2026-11-20T10:00:00Z", account="999988887777", team=f"t-{event_id}"))
    kept = reviewed("state-change Completed")
    store.attach_review(event_id, kept)

    records = list(
        DynamoDbAuditQuery(embedded_aws.client("dynamodb"), table).query(
            "2026-11-20T00:00:00Z", "2026-11-20T23:59:59Z", team=f"t-{event_id}"
        )
    )
    period = ReportPeriod(since="2026-11-20T00:00:00Z", until="2026-11-20T23:59:59Z")
    figures = compute_figures(records, period, "2026-11-21T00:00:00Z")

    assert figures.totals.jobs_reviewed == 1 and figures.totals.actual_spend_usd == kept.spend_usd
    assert figures.by_team[0].reviewed == 1 and figures.by_team[0].actual_spend_usd == kept.spend_usd
