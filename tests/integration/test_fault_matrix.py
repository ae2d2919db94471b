"""Faults at each step, through the deployed function as Lambda runs it (async, two retries, on-failure queue).

For every fault: no event is lost (it is recorded, or it sits in the on-failure queue to be sent again),
a job the decision stops is stopped unless the fault outlasts every retry of the stop itself, and the
owner gets at most one alert.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator


@dataclass(frozen=True)
class Fault:
    service: str
    action: str
    code: str
    times: int  # the function's clients try 4 times: 3 is absorbed, 100 outlasts every retry
    stopped: bool  # whether the job ends stopped
    alerts: int
    dead_lettered: bool


FAULTS = {
    "sns-throttled-briefly": Fault("sns", "Publish", "Throttling", 3, True, 1, False),
    "sns-down": Fault("sns", "Publish", "Throttling", 100, True, 0, True),
    "audit-write-throttled-across-invocations": Fault(
        "dynamodb", "PutItem", "ProvisionedThroughputExceededException", 5, True, 1, False
    ),
    "audit-table-down": Fault("dynamodb", "PutItem", "ProvisionedThroughputExceededException", 100, False, 0, True),
    "describe-throttled-across-invocations": Fault(
        "sagemaker", "DescribeHyperParameterTuningJob", "ThrottlingException", 5, True, 1, False
    ),
    "stop-denied": Fault("sagemaker", "StopHyperParameterTuningJob", "AccessDeniedException", 100, False, 1, False),
    "price-list-down": Fault("pricing", "GetProducts", "ServiceUnavailableException", 100, True, 1, False),
}


@pytest.fixture(scope="module")
def enforce_stack(deploy_stack):
    return deploy_stack(mode="enforce", budget_cap_usd=1000)


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_no_event_is_lost_and_each_job_is_alerted_at_most_once(
    case, embedded_aws, enforce_stack, function_runner, capture_sns, tuning_jobs
):
    from hpo_guardrail.embedded.moto_extensions import clear_faults, inject_faults

    fault = FAULTS[case]
    alerts = capture_sns(enforce_stack.topic_arn)
    event = cloudtrail_event(
        tuning_request(
            f"fault-{uuid.uuid4().hex[:8]}",
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        )
    )
    job = tuning_jobs.create_for_event(event)
    pricing_region = "us-east-1"  # the Price List API's endpoint region
    inject_faults(fault.service, fault.action, fault.code, fault.times, region=pricing_region)
    try:
        invocation = function_runner(enforce_stack).invoke_async(event)
    finally:
        clear_faults()

    event_id = event["detail"]["eventID"]
    record = DynamoDbAuditStore(embedded_aws.client("dynamodb"), enforce_stack.outputs["AuditTableName"]).get(event_id)
    dead_lettered = _in_on_failure_queue(embedded_aws, enforce_stack, event_id)
    assert record is not None or dead_lettered, "the event is lost"
    assert dead_lettered is fault.dead_lettered and invocation.succeeded is not fault.dead_lettered
    assert (tuning_jobs.status(job) == "Stopping") is fault.stopped
    job_alerts = [n for n in alerts.receive() if job in (n.subject or "")]
    assert len(job_alerts) == fault.alerts


def _in_on_failure_queue(aws, stack, event_id: str) -> bool:
    sqs = aws.client("sqs")
    url = stack.outputs["FailedInvocationQueueUrl"]
    found = False
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            if event_id in message["Body"]:
                found = True
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
