"""The audit table deployed by the template, written by the deployed function."""

from __future__ import annotations

import json
import uuid

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditQuery, DynamoDbAuditStore
from hpo_guardrail.enforce.audit import CLOUDTRAIL, RECONCILIATION, AuditRecord, JobClaim, job_claim_key
from hpo_guardrail.enforce.outcome import Status
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def linear_lr_event(name: str, team: str = "vision", costly: bool = False) -> dict:
    return cloudtrail_event(
        tuning_request(
            name,
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100 if costly else 10,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000 if costly else 600),
            tags={"team": team},
        )
    )


@pytest.fixture(scope="module")
def store(embedded_aws, deployed_stack):
    return DynamoDbAuditStore(embedded_aws.client("dynamodb"), deployed_stack.outputs["AuditTableName"])


def test_duplicate_delivery_through_the_bus_keeps_one_record_and_sends_one_alert(
    deliver, tuning_jobs, sns_capture, store
):
    event = linear_lr_event(unique("audit-dup"))
    tuning_jobs.create_for_event(event)

    first = deliver(event)
    second = deliver(event)  # EventBridge delivers at least once

    assert [i.result["status"] for i in first + second] == ["evaluated", "skipped"]
    assert len(sns_capture.receive()) == 1
    record = store.get(event["detail"]["eventID"])
    assert record.status is Status.EVALUATED and record.actions["notify"].result == "sent"


def test_record_exists_with_the_stop_when_the_publish_fails(embedded_aws, deploy_stack, function_runner, tuning_jobs):
    stack = deploy_stack(mode="enforce", budget_cap_usd=1000)
    embedded_aws.client("sns").delete_topic(TopicArn=stack.topic_arn)
    event = linear_lr_event(unique("audit-nopub"), costly=True)
    job = tuning_jobs.create_for_event(event)

    invocation = function_runner(stack).invoke_async(event)

    assert not invocation.succeeded and invocation.attempts == 3
    store = DynamoDbAuditStore(embedded_aws.client("dynamodb"), stack.outputs["AuditTableName"])
    record = store.get(event["detail"]["eventID"])
    assert record.actions["stop"].result == "stopped" and record.actions["notify"].result == "failed"
    assert tuning_jobs.status(job) == "Stopping", "stopped once, by the first attempt"


def test_a_stop_that_failed_is_retried_by_the_next_delivery_without_a_second_alert(
    embedded_aws, deploy_stack, function_runner, capture_sns, tuning_jobs
):
    stack = deploy_stack(mode="enforce", budget_cap_usd=1000)
    alerts = capture_sns(stack.topic_arn)
    event = linear_lr_event(unique("audit-stop-retry"), costly=True)
    job = tuning_jobs.create_for_event(event)
    # Throttled beyond every retry the function's client makes: the stop fails this time.
    tuning_jobs.fail_next("StopHyperParameterTuningJob", "ThrottlingException", times=10)
    runner = function_runner(stack)

    first = runner.run(event)
    assert first.error is not None and first.error.error_type == "StopFailed", first.error
    assert "stop attempt 1 of 3" in first.error.error_message
    assert tuning_jobs.status(job) == "InProgress"
    assert alerts.receive() == [], "no alert while the stop may still succeed"
    tuning_jobs.fail_next("StopHyperParameterTuningJob", "ThrottlingException", times=0)  # the throttling ends

    second = runner.run(event)  # Lambda's retry of the same event

    assert second.result["status"] == "evaluated"
    assert second.result["actions"]["stop"] == "stopped (InProgress -> Stopping)"
    assert tuning_jobs.status(job) == "Stopping"
    store = DynamoDbAuditStore(embedded_aws.client("dynamodb"), stack.outputs["AuditTableName"])
    record = store.get(event["detail"]["eventID"])
    assert record.actions["stop"].result == "stopped" and record.actions["stop"].attempts == 2 and record.complete
    (alert,) = alerts.receive()
    assert "*Action:* stopped (InProgress" in alert.message_json()["content"]["description"]


def test_a_stop_that_keeps_failing_is_retried_by_lambda_then_reported_once(
    embedded_aws, deploy_stack, function_runner, capture_sns, tuning_jobs
):
    stack = deploy_stack(mode="enforce", budget_cap_usd=1000)
    alerts = capture_sns(stack.topic_arn)
    event = linear_lr_event(unique("audit-stop-fails"), costly=True)
    job = tuning_jobs.create_for_event(event)
    tuning_jobs.fail_next("StopHyperParameterTuningJob", "AccessDeniedException", times=100)

    invocation = function_runner(stack).invoke_async(event)  # as EventBridge invokes it: Lambda retries twice

    tuning_jobs.fail_next("StopHyperParameterTuningJob", "AccessDeniedException", times=0)
    assert invocation.succeeded and invocation.attempts == 3
    assert tuning_jobs.status(job) == "InProgress"
    (alert,) = alerts.receive()
    assert "(after 3 attempts)" in alert.message_json()["content"]["description"]


def test_malformed_event_is_recorded_with_its_raw_text(invoke, store):
    event = linear_lr_event(unique("audit-bad"))
    event["detail"]["requestParameters"]["hyperParameterTuningJobConfig"]["resourceLimits"] = "lots"

    result = invoke(event)

    record = store.get(result["event_id"])
    assert record.status is Status.REJECTED and "resourceLimits" in record.reason
    assert json.loads(record.raw_event)["detail"]["eventID"] == event["detail"]["eventID"]


def test_records_are_queried_by_time_account_and_team(invoke, tuning_jobs, embedded_aws, deployed_stack):
    store = DynamoDbAuditQuery(embedded_aws.client("dynamodb"), deployed_stack.outputs["AuditTableName"])
    team = unique("team")
    events = [linear_lr_event(unique("audit-q"), team=team) for _ in range(3)]
    for event in events:
        tuning_jobs.create_for_event(event)
        invoke(event)
    ids = {e["detail"]["eventID"] for e in events}

    by_team = list(store.query("2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z", team=team))
    by_account = list(store.query("2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z", account="123456789012"))
    by_time = list(store.query("2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z"))
    too_early = list(store.query("2026-11-25T00:00:00Z", "2026-11-26T09:00:00Z", team=team))

    assert {r.event_id for r in by_team} == ids
    assert ids <= {r.event_id for r in by_account} and ids <= {r.event_id for r in by_time}
    assert too_early == []
    assert all(isinstance(r, AuditRecord) for r in by_time)


def test_findings_reach_security_hub_when_the_export_is_enabled(embedded_aws, deploy_stack, function_runner):
    stack = deploy_stack(mode="monitor", budget_cap_usd=1000, security_hub_export=True)
    event = linear_lr_event(unique("audit-asff"))

    result = function_runner(stack).invoke(event)

    findings = embedded_aws.client("securityhub").get_findings()["Findings"]
    ours = [f for f in findings if f["ProductFields"].get("hpo-guardrail/event-id") == event["detail"]["eventID"]]
    assert {f["GeneratorId"] for f in ours} == {f"hpo-guardrail/{x['rule']}" for x in result["findings"]}
    store = DynamoDbAuditStore(embedded_aws.client("dynamodb"), stack.outputs["AuditTableName"])
    assert store.get(event["detail"]["eventID"]).actions["security-hub"].result == "exported"


def test_a_job_claim_is_written_once_read_back_and_replaced_only_from_the_claim_that_holds(store):
    """The audit table's per-job claims (job_claim_key): the first claim stays; a new job under the same name
    replaces the claim it found, and a replacement from a claim that no longer holds changes nothing."""
    key = job_claim_key("123456789012", "us-east-1", unique("reused"))
    first = JobClaim(event_id="evt-1", trigger=CLOUDTRAIL, at="2026-11-30T10:00:00Z", created_at="2026-11-30T09:59:00Z")
    found = JobClaim(event_id="reconciliation-x", trigger=RECONCILIATION, at="2026-11-30T10:05:00Z")

    assert store.claim_job(key, first) == first
    assert store.claim_job(key, found) == first  # the first claim holds
    assert store.job_claim(key) == first

    newer = JobClaim(event_id="evt-2", trigger=CLOUDTRAIL, at="2026-12-02T08:00:00Z", created_at="2026-12-02T07:59:00Z")
    assert store.replace_job_claim(key, newer, first) == newer
    assert store.replace_job_claim(key, found, first) == newer  # `first` no longer holds: nothing replaced
    assert store.job_claim(key) == newer
