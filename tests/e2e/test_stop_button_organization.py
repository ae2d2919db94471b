"""The "Stop tuning job" button across an organization, on the embedded AWS (which has no AWS Chatbot).

The organization of test_organization_end_to_end (central stack in the tooling account, enforce mode, workload-c
scoped to monitor; member roles and forwarders deployed by StackSets). A costly job in workload-c is only alerted
about; pressing the alert's button invokes the central Stop button function with exactly the payload the custom
action sends (its command text from the deployed template, its variables from the alert the topic published),
and the job is stopped through workload-c's member role.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.embedded.chat_button import button_press, deployed_template, press_stop_button
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner
from hpo_guardrail.embedded.moto_extensions import ASSUME_ROLE_CALLS
from hpo_guardrail.enforce.chat_stop import CHAT_CHANNEL, FOLLOW_UP
from tests.e2e import test_organization_end_to_end as organization_end_to_end
from tests.e2e.test_organization_end_to_end import HOME, Organization, call_in, costly_misconfigured

pytestmark = pytest.mark.emulator

# The same organization, deployed for this module (pytest registers the fixture under this attribute's name).
organization = organization_end_to_end.organization


@pytest.fixture(scope="module")
def central(organization: Organization) -> Any:
    """The central stack's account and region (the tooling account, the home region)."""
    return organization.view("tooling", HOME)


@pytest.fixture(scope="module")
def button(organization: Organization, central: Any, tmp_path_factory: pytest.TempPathFactory) -> FunctionRunner:
    """The central Stop button function, running as its execution role (the guardrail function's)."""
    return FunctionRunner.for_stack(
        central,
        organization.central,
        Path(tmp_path_factory.mktemp("org-stop-button-code")),
        function_name=organization.central.outputs["StopButtonFunctionName"],
    )


def _audit(organization: Organization, central: Any) -> DynamoDbAuditStore:
    return DynamoDbAuditStore(central.client("dynamodb"), organization.central.outputs["AuditTableName"])


def _alert_only_job(organization: Organization, prefix: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A costly job in workload-c (monitor scope): the event, the job and the one alert the topic published."""
    organization.alerts.receive()
    event = call_in(organization.account("workload-c"), HOME, costly_misconfigured(prefix))
    job = organization.created_in("workload-c", HOME, event)
    (invocation,) = organization.put_in("workload-c", HOME, event)
    assert invocation.result["decision"] == "notify", invocation.result
    (alert,) = [n for n in organization.alerts.receive() if job in n.message]
    return event, job, alert.message_json()


def test_the_button_stops_an_alert_only_job_through_the_member_role_and_follows_up_in_the_thread(
    organization: Organization, central: Any, button: FunctionRunner
) -> None:
    event, job, alert = _alert_only_job(organization, "c-button")
    role = organization.member_role_arn("workload-c")
    assumed_before = len(ASSUME_ROLE_CALLS.of_role(role))

    reply = press_stop_button(central, organization.central, alert, runner=button)

    assert reply["status"] == "stopped", reply
    assert (reply["account"], reply["region"]) == (organization.account("workload-c"), HOME)
    assert organization.job_status("workload-c", HOME, job) == "Stopping"
    calls = ASSUME_ROLE_CALLS.of_role(role)[assumed_before:]
    assert calls and all(c.admitted for c in calls)
    assert calls[0].caller_arn == organization.central.outputs["GuardrailFunctionRoleArn"]
    assert calls[0].session_name == "hpo-guardrail-" + event["detail"]["eventID"]
    record = _audit(organization, central).get(event["detail"]["eventID"])
    assert record is not None and record.decision == "notify"
    assert (record.actions["stop"].result, record.actions["stop"].requested_by) == ("stopped", CHAT_CHANNEL)
    (follow_up,) = [n for n in organization.alerts.receive() if job in n.message]
    assert follow_up.message_json()["metadata"]["threadId"] == alert["metadata"]["threadId"]
    assert record.actions[FOLLOW_UP].message_id == follow_up.message_id

    again = press_stop_button(central, organization.central, alert, runner=button)

    assert again["status"] == "already-stopped"
    assert organization.alerts.receive() == [], "one follow-up only"
    assert len(ASSUME_ROLE_CALLS.of_role(role)) == assumed_before + len(calls), "nothing more is asked of workload-c"


def test_a_forged_event_sent_to_the_button_function_assumes_no_role(
    organization: Organization, button: FunctionRunner
) -> None:
    b = organization.account("workload-b")
    event = call_in(b, HOME, costly_misconfigured(f"forged-{uuid.uuid4().hex[:4]}"))
    job = organization.created_in("workload-b", HOME, event)
    assumed_before = len(ASSUME_ROLE_CALLS.into_account(b))

    reply = button.invoke(event)

    assert reply["status"] == "refused" and reply["message"].startswith("not a stop request")
    assert organization.job_status("workload-b", HOME, job) == "InProgress"
    assert len(ASSUME_ROLE_CALLS.into_account(b)) == assumed_before


def test_the_central_guardrail_function_rejects_the_buttons_payload_and_records_it(
    organization: Organization, central: Any
) -> None:
    _, job, alert = _alert_only_job(organization, "c-to-guardrail")
    press = button_press(deployed_template(central, organization.central.stack_name), alert)
    assumed_before = len(ASSUME_ROLE_CALLS.into_account(organization.account("workload-c")))

    outcome = organization.runner.invoke(press.payload)

    assert outcome["status"] == "rejected" and "not an EventBridge event" in outcome["reason"]
    rejected = _audit(organization, central).get(outcome["event_id"])
    assert rejected is not None and rejected.status == "rejected"
    assert organization.job_status("workload-c", HOME, job) == "InProgress"
    assert len(ASSUME_ROLE_CALLS.into_account(organization.account("workload-c"))) == assumed_before
