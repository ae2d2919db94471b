"""The alert's "Stop tuning job" button on the embedded AWS, which has no Chatbot: the deployed function is
invoked with exactly the payload the button's command sends, its variables taken from the alert as published."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.enforce.chat_stop import BUTTON_COMMAND, CHAT_CHANNEL, FOLLOW_UP
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator

# A chat button's variables (hpo_guardrail/enforce/chat_stop.py) -> where they are in the alert.
VARIABLES = {
    "id": ("metadata", "additionalContext", "eventId"),
    "fn": ("metadata", "additionalContext", "guardrailFunction"),
    "rg": ("metadata", "additionalContext", "guardrailRegion"),
    "action": ("metadata", "additionalContext", "action"),
}


def button_command(alert: dict) -> tuple[str, dict]:
    """The command Chatbot runs for this alert, and the payload it sends."""
    values = {}
    for name, path in VARIABLES.items():
        node = alert
        for part in path:
            node = node[part]
        values[name] = node
    assert values["action"] == "notify", "the button is shown only on alerts that only notified"
    command = re.sub(r"\$(\w+)", lambda match: values[match.group(1)], BUTTON_COMMAND)
    return command, json.loads(command.split("--payload ", 1)[1])


def test_the_buttons_payload_stops_the_job_records_the_chat_channel_and_follows_up_in_the_thread(
    invoke, tuning_jobs, sns_capture, embedded_aws, deployed_stack
):
    event = cloudtrail_event(
        tuning_request(
            f"it-chat-{uuid.uuid4().hex[:8]}",
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        )
    )
    job = tuning_jobs.create_for_event(event)
    assert invoke(event)["decision"] == "notify"  # the session's stack is in monitor mode
    (notification,) = sns_capture.receive()
    alert = notification.message_json()
    command, payload = button_command(alert)
    assert f"--function-name {deployed_stack.function_name} --region " in command

    reply = invoke(payload)

    assert reply["status"] == "stopped", reply
    assert reply["message"] == "stopped (InProgress -> Stopping)"
    assert tuning_jobs.status(job) == "Stopping"
    store = DynamoDbAuditStore(embedded_aws.client("dynamodb"), deployed_stack.outputs["AuditTableName"])
    record = store.get(payload["eventId"])
    assert record is not None and record.decision == "notify"
    stop = record.actions["stop"]
    assert (stop.result, stop.requested_by) == ("stopped", CHAT_CHANNEL)
    assert stop.cost_avoided_usd is not None and reply["cost_avoided_usd"] == stop.cost_avoided_usd
    (follow_up,) = sns_capture.receive()
    assert follow_up.message_json()["metadata"]["threadId"] == alert["metadata"]["threadId"]
    assert follow_up.message_attributes["action"] == "stop"
    assert record.actions[FOLLOW_UP].message_id == follow_up.message_id

    again = invoke(payload)

    assert again["status"] == "already-stopped" and CHAT_CHANNEL in again["message"]
    assert sns_capture.receive() == []


def test_a_press_for_an_event_the_guardrail_never_recorded_is_refused(invoke, sns_capture):
    reply = invoke({"hpoGuardrail": "stop", "eventId": str(uuid.uuid4())})
    assert reply["status"] == "refused" and "no audit record" in reply["message"]
    assert sns_capture.receive() == []
