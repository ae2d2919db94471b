"""The alert's "Stop tuning job" button on the embedded AWS, which has no Chatbot: the Stop button's deployed
function is invoked with exactly the payload the button's command sends, derived from the custom action of the
deployed template and the alert as the topic published it (hpo_guardrail/embedded/chat_button.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.embedded.chat_button import (
    ButtonNotShown,
    InvokeDenied,
    button_press,
    deployed_template,
    press_stop_button,
)
from hpo_guardrail.embedded.deployment import DeployedStack
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner
from hpo_guardrail.enforce.chat_stop import BUTTON_COMMAND, CHAT_CHANNEL, FOLLOW_UP
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def button(
    embedded_aws: EmbeddedAws, deployed_stack: DeployedStack, tmp_path_factory: pytest.TempPathFactory
) -> FunctionRunner:
    """The warm execution environment of the stack's Stop button function."""
    return FunctionRunner.for_stack(
        embedded_aws,
        deployed_stack,
        Path(tmp_path_factory.mktemp("stop-button-code")),
        function_name=deployed_stack.outputs["StopButtonFunctionName"],
    )


def costly_misconfigured_event() -> dict[str, Any]:
    return cloudtrail_event(
        tuning_request(
            f"it-chat-{uuid.uuid4().hex[:8]}",
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        )
    )


@pytest.fixture
def alerted(invoke: Callable[..., Any], tuning_jobs: Any, sns_capture: Any) -> tuple[str, dict[str, Any]]:
    """A costly misconfigured job the session's monitor-mode stack only alerted about: the job and the alert."""
    event = costly_misconfigured_event()
    job = tuning_jobs.create_for_event(event)
    assert invoke(event)["decision"] == "notify"
    (notification,) = [n for n in sns_capture.receive() if job in n.message]
    return job, notification.message_json()


def audit_store(embedded_aws: EmbeddedAws, stack: DeployedStack) -> DynamoDbAuditStore:
    return DynamoDbAuditStore(embedded_aws.client("dynamodb"), stack.outputs["AuditTableName"])


def test_the_deployed_template_holds_the_buttons_command_and_the_alert_names_the_button_function(
    embedded_aws, deployed_stack, alerted
):
    _, alert = alerted
    press = button_press(deployed_template(embedded_aws, deployed_stack.stack_name), alert)
    assert press.command == BUTTON_COMMAND.replace("$fn", press.function_name).replace(
        "$rg", embedded_aws.region
    ).replace("$id", alert["metadata"]["additionalContext"]["eventId"])
    assert press.function_name == deployed_stack.outputs["StopButtonFunctionName"] != deployed_stack.function_name


def test_the_buttons_payload_stops_the_job_records_the_chat_channel_and_follows_up_in_the_thread(
    embedded_aws, deployed_stack, tuning_jobs, sns_capture, button, alerted
):
    job, alert = alerted
    event_id = alert["metadata"]["additionalContext"]["eventId"]

    reply = press_stop_button(embedded_aws, deployed_stack, alert, runner=button)

    assert reply["status"] == "stopped", reply
    assert reply["message"] == "stopped (InProgress -> Stopping)" and reply["job_name"] == job
    assert tuning_jobs.status(job) == "Stopping"
    record = audit_store(embedded_aws, deployed_stack).get(event_id)
    assert record is not None and record.decision == "notify"
    stop = record.actions["stop"]
    assert (stop.result, stop.requested_by) == ("stopped", CHAT_CHANNEL)
    assert stop.cost_avoided_usd is not None and reply["cost_avoided_usd"] == stop.cost_avoided_usd
    (follow_up,) = sns_capture.receive()
    assert follow_up.message_json()["metadata"]["threadId"] == alert["metadata"]["threadId"]
    assert follow_up.message_attributes["action"] == "stop"
    assert record.actions[FOLLOW_UP].message_id == follow_up.message_id

    again = press_stop_button(embedded_aws, deployed_stack, alert, runner=button)

    assert again["status"] == "already-stopped" and CHAT_CHANNEL in again["message"]
    assert sns_capture.receive() == []


def test_the_guardrail_function_rejects_the_buttons_payload_as_a_malformed_event_and_records_it(
    embedded_aws, deployed_stack, invoke, tuning_jobs, sns_capture, alerted
):
    job, alert = alerted
    press = button_press(deployed_template(embedded_aws, deployed_stack.stack_name), alert)
    store = audit_store(embedded_aws, deployed_stack)
    before = store.get(press.payload["eventId"])

    outcome = invoke(press.payload)  # the guardrail function, as if the channel could invoke it

    assert outcome["status"] == "rejected" and "not an EventBridge event" in outcome["reason"]
    assert outcome["event_id"] != press.payload["eventId"]
    rejected = store.get(outcome["event_id"])
    assert rejected is not None and rejected.status == "rejected"
    assert store.get(press.payload["eventId"]) == before, "the alert's record is untouched"
    assert tuning_jobs.status(job) == "InProgress"
    assert sns_capture.receive() == []


def test_a_forged_event_sent_to_the_button_function_is_refused_and_recorded(
    embedded_aws, deployed_stack, tuning_jobs, button, sns_capture
):
    """What the channel's role could send instead of the button's payload: a CloudTrail event of a costly job."""
    event = costly_misconfigured_event()
    job = tuning_jobs.create_for_event(event)

    reply = button.invoke(event)

    assert reply["status"] == "refused" and reply["message"].startswith("not a stop request")
    assert audit_store(embedded_aws, deployed_stack).get(event["detail"]["eventID"]) is None, "never evaluated"
    assert tuning_jobs.status(job) == "InProgress"
    assert sns_capture.receive() == []


def test_a_press_for_an_event_the_guardrail_never_recorded_is_refused(button, sns_capture):
    reply = button.invoke({"hpoGuardrail": "stop", "eventId": str(uuid.uuid4())})
    assert reply["status"] == "refused" and "no audit record" in reply["message"]
    assert sns_capture.receive() == []


def test_the_press_helper_invokes_only_the_stacks_button_function_and_only_where_the_button_shows(
    embedded_aws, deployed_stack, alerted
):
    _, alert = alerted
    forged = {**alert, "metadata": {**alert["metadata"]}}
    forged["metadata"]["additionalContext"] = {
        **alert["metadata"]["additionalContext"],
        "stopFunction": deployed_stack.function_name,
    }
    with pytest.raises(InvokeDenied, match="may invoke"):
        press_stop_button(embedded_aws, deployed_stack, forged)
    stopped = {**alert, "metadata": {**alert["metadata"]}}
    stopped["metadata"]["additionalContext"] = {**alert["metadata"]["additionalContext"], "action": "stop"}
    with pytest.raises(ButtonNotShown):
        press_stop_button(embedded_aws, deployed_stack, stopped)


def test_the_deployed_button_function_runs_as_the_guardrails_role_and_is_never_retried(embedded_aws, deployed_stack):
    functions = embedded_aws.client("lambda")
    button = deployed_stack.outputs["StopButtonFunctionName"]
    configuration = functions.get_function_configuration(FunctionName=button)
    guardrail = functions.get_function_configuration(FunctionName=deployed_stack.function_name)
    assert configuration["Role"] == guardrail["Role"] == deployed_stack.outputs["GuardrailFunctionRoleArn"]
    assert configuration["Handler"] == "functions.stop_button.app.lambda_handler"
    assert guardrail["Environment"]["Variables"]["STOP_BUTTON_FUNCTION_NAME"] == button
    invoke_config = functions.get_function_event_invoke_config(FunctionName=button)
    assert invoke_config["MaximumRetryAttempts"] == 0
    failed = deployed_stack.failed_invocation_queue_url.rstrip("/").rsplit("/", 1)[-1]
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"].endswith(f":{failed}")
