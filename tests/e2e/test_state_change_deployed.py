"""template.yaml deployed into the embedded AWS: SageMaker's state-change events in at the default bus.

A job whose creation event never came is judged on its InProgress event, once; a finished job is reviewed once
however many Completed events SageMaker sends, with one follow-up in the creation alert's thread; the report
reads the review's actual spend from the audit table.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

import pytest

from hpo_guardrail.cli import main
from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS, TrainingJobRun
from hpo_guardrail.enforce.audit import AuditRecord
from hpo_guardrail.reporting.figures import Figures
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def linear_request(name: str, team: str) -> dict[str, Any]:
    """A job the creation rules alert on: learning rate 0.0001 .. 0.1 searched on a linear scale."""
    return tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Linear")],
        max_jobs=20,
        definition=training_definition("ml.m5.xlarge", 1, 3600),
        tags={"team": team},
    )


def edge_runs() -> list[TrainingJobRun]:
    """Eight training jobs; the best (validation:auc, maximized) at the lower edge; 30 billable minutes each."""
    return [
        TrainingJobRun(
            {"learning_rate": "0.0001" if i == 3 else f"{0.02 + 0.01 * i:.4f}"},
            objective_value=0.91 if i == 3 else 0.5 + i / 100,
            billable_seconds=1800,
        )
        for i in range(8)
    ]


@pytest.fixture
def deliver_emitted(function_runner):
    """Run the stack's function for each state-change event the emulator put on the default bus (the deployed
    rule matched it and queued the asynchronous invocation, as EventBridge would)."""

    def deliver(event_ids: list[str], stack: Any) -> list[dict[str, Any]]:
        runner = function_runner(stack)
        results = []
        for event_id in event_ids:
            queued = [q for q in ASYNC_INVOCATIONS.take_event(event_id) if q.function_arn == runner.function_arn]
            assert len(queued) == 1, f"the state-change rule matched event {event_id} {len(queued)} times"
            invocation = runner.invoke_async(queued[0].event)
            sys.stdout.write(invocation.logs)
            assert invocation.succeeded, invocation.error
            results.append(invocation.result)
        return results

    return deliver


def record(embedded_aws: Any, stack: Any, event_id: str) -> AuditRecord:
    from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore

    found = DynamoDbAuditStore(embedded_aws.client("dynamodb"), stack.outputs["AuditTableName"]).get(event_id)
    assert found is not None, f"no audit record {event_id}"
    return found


def alerts_for(capture: Any, job: str) -> list[Any]:
    return [n for n in capture.receive() if job in (n.subject or "")]


def test_in_progress_for_a_job_without_a_record_is_judged_and_recorded_once(
    embedded_aws, monitor_stack, tuning_jobs, capture_sns, deliver_emitted
):
    alerts = capture_sns(monitor_stack.topic_arn)
    job = unique("dropped")
    # The job exists, but its CloudTrail event never reached the bus.
    tuning_jobs.create_for_event(cloudtrail_event(linear_request(job, "nlp")))

    (first,) = deliver_emitted(embedded_aws.emit_tuning_job_state_change(job), monitor_stack)
    (again,) = deliver_emitted(embedded_aws.emit_tuning_job_state_change(job), monitor_stack)

    assert first["status"] == "evaluated" and "log-scale" in {f["rule"] for f in first["findings"]}
    judged = record(embedded_aws, monitor_stack, first["event_id"])
    assert judged.trigger == "state-change" and judged.team == "nlp" and judged.job_name == job
    assert again["status"] == "skipped" and again["event_id"] == first["event_id"], "the same record, not a new one"
    (alert,) = alerts_for(alerts, job)
    assert alert.message_attributes["action"] == "notify"


def test_a_completed_job_is_reviewed_once_under_duplicate_events_with_one_follow_up_in_the_alerts_thread(
    embedded_aws, monitor_stack, tuning_jobs, put_on_bus, capture_sns, deliver_emitted, tmp_path
):
    alerts = capture_sns(monitor_stack.topic_arn)
    team, job = unique("team"), unique("reviewed")
    event = cloudtrail_event(linear_request(job, team))
    event["time"] = event["detail"]["eventTime"] = "2026-11-26T09:30:00Z"
    tuning_jobs.create_for_event(event)
    (created,) = put_on_bus(event, monitor_stack)
    (creation_alert,) = alerts_for(alerts, job)

    results = deliver_emitted(embedded_aws.run_tuning_job(job, edge_runs(), "Completed", copies=3), monitor_stack)

    assert sorted(r["status"] for r in results) == ["evaluated", "skipped", "skipped"]
    reviewed = record(embedded_aws, monitor_stack, created.result["event_id"])
    review = reviewed.review
    assert review is not None and review.trigger == "state-change Completed" and review.job_status == "Completed"
    assert review.spend_usd == pytest.approx(8 * 0.5 * 0.23, abs=0.01), "8 x 30 min of ml.m5.xlarge"
    assert review.worst_case_usd == reviewed.worst_case_usd
    assert [e.parameter for e in review.range_edges] == ["learning_rate"]
    (follow_up,) = alerts_for(alerts, job)
    assert follow_up.message_attributes["action"] == "review"
    thread = creation_alert.message_json()["metadata"]["threadId"]
    assert follow_up.message_json()["metadata"]["threadId"] == thread == reviewed.job_arn

    table = monitor_stack.outputs["AuditTableName"]
    out = tmp_path / "report.json"
    report = ["report", "--since", "2026-11-23", "--until", "2026-11-29", "--team", team, "--table", table]
    assert main([*report, "--format", "json", "--out", str(out)]) == 0
    totals = Figures.model_validate_json(out.read_text()).totals
    assert totals.jobs_reviewed == 1
    assert totals.actual_spend_usd == pytest.approx(review.spend_usd)
    assert totals.worst_case_reviewed_usd == pytest.approx(reviewed.worst_case_usd or 0)
