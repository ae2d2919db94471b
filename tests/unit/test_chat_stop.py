"""The alert's "Stop tuning job" button, function side: the payload, the refusals, the stop and its follow-up; and
the guardrail function's refusal of stop requests (the button's function is the one entry point for stops)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from hpo_guardrail.enforce.audit import AuditRecord, Claim
from hpo_guardrail.enforce.chat_stop import CHAT_CHANNEL, FOLLOW_UP, ChatStopRequest
from hpo_guardrail.enforce.ports import JobController
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from rules.policy import Mode
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.fakes import FakeAuditStore, FakeJobs, FakeNotifier

NAME = "costly-linear"
EVENT_ID = "evt-chat-1"
FUNCTION = "hpo-guardrail-StopButtonFunction-AbC123"
# One hour after the builders' eventTime: part of the worst case is spent, the rest is avoided.
CLOCK = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)


@dataclass
class ReadableAuditStore(FakeAuditStore):
    """The fake store with the DynamoDB store's get (the button re-reads the record)."""

    def get(self, event_id: str) -> AuditRecord | None:
        return self.records.get(event_id)


@dataclass
class AccountControllers:
    """JobControllers that remember where each controller was asked for (the member-role path)."""

    jobs: FakeJobs
    asked: list[tuple[str | None, str | None, str]] = field(default_factory=list)

    def controller(self, account: str | None, region: str | None, *, event_id: str) -> JobController:
        self.asked.append((account, region, event_id))
        return self.jobs


def costly_misconfigured(event_id: str = EVENT_ID) -> dict:
    return cloudtrail_event(
        tuning_request(
            NAME,
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        ),
        event_id=event_id,
    )


def without_request_parameters(event: dict) -> dict:
    del event["detail"]["requestParameters"]
    return event


def press(event_id: str = EVENT_ID) -> dict:
    """Exactly what the stop request's command sends (hpo_guardrail/enforce/chat_stop.py)."""
    return {"hpoGuardrail": "stop", "eventId": event_id}


def button(service: GuardrailService, payload: object) -> dict:
    """What the Stop button's function answers (functions/stop_button/app.py)."""
    return service.stop_from_chat(payload).model_dump(mode="json")


@pytest.fixture
def monitored():
    """A monitor-mode guardrail that has notified about one costly misconfigured, still running job."""
    jobs = FakeJobs({NAME: "InProgress"})
    controllers = AccountControllers(jobs)
    notifier, audit = FakeNotifier(), ReadableAuditStore()
    service = GuardrailService(
        Settings(mode=Mode.MONITOR, budget_cap_usd=1000, AWS_REGION="eu-west-1"),
        controllers,
        notifier,
        audit=audit,
        clock=lambda: CLOCK,
    )
    service.offer_stop_button(FUNCTION)
    outcome = service.handle(costly_misconfigured())
    assert outcome.decision == "notify" and jobs.stopped == []
    return service, jobs, controllers, notifier, audit


# --- the payload ------------------------------------------------------------------------------------------


def test_the_buttons_payload_reads():
    request = ChatStopRequest.read(press("3f1c2a9e-0b4d-4c1e-9a57-2b8e1f0c6d11"))
    assert (request.action, request.event_id) == ("stop", "3f1c2a9e-0b4d-4c1e-9a57-2b8e1f0c6d11")


@pytest.mark.parametrize(
    "payload, problem",
    [
        ({"hpoGuardrail": "stop"}, "eventId: Field required"),
        ({"hpoGuardrail": "delete", "eventId": EVENT_ID}, "hpoGuardrail: Input should be 'stop'"),
        ({"hpoGuardrail": "stop", "eventId": EVENT_ID, "account": "1"}, "account: Extra inputs are not permitted"),
        ({"hpoGuardrail": "stop", "eventId": "a b; rm -rf"}, "eventId: String should match pattern"),
        ({"hpoGuardrail": "stop", "eventId": ""}, "eventId: String should match pattern"),
        ({"hpoGuardrail": "stop", "eventId": 42}, "eventId: Input should be a valid string"),
        (["stop"], "Input should be a valid dictionary"),
    ],
)
def test_a_malformed_payload_is_refused_naming_the_field(payload, problem):
    with pytest.raises(ValueError, match="not a stop request") as error:
        ChatStopRequest.read(payload)
    assert problem in str(error.value)


# --- the alert carries what the button's variables read --------------------------------------------------


def test_a_notify_alert_names_the_event_the_stop_buttons_function_and_its_region(monitored):
    *_, notifier, _ = monitored
    (alert,) = notifier.sent
    context = alert.chatbot["metadata"]["additionalContext"]
    assert context["eventId"] == EVENT_ID
    assert (context["stopFunction"], context["stopRegion"]) == (FUNCTION, "eu-west-1")
    assert context["action"] == "notify"
    assert "guardrailFunction" not in context, "the button never names the guardrail function"


def test_without_a_function_name_the_alert_offers_no_button():
    notifier = FakeNotifier()
    service = GuardrailService(Settings(mode=Mode.MONITOR), FakeJobs({NAME: "InProgress"}), notifier)
    service.handle(costly_misconfigured())
    context = notifier.sent[0].chatbot["metadata"]["additionalContext"]
    assert "stopFunction" not in context and context["eventId"] == EVENT_ID


# --- the stop ---------------------------------------------------------------------------------------------


def test_the_button_stops_the_job_through_its_accounts_controller_and_records_the_chat_channel(monitored):
    service, jobs, controllers, _, audit = monitored

    reply = button(service, press())

    assert reply["status"] == "stopped" and reply["message"] == "stopped (InProgress -> Stopping)"
    assert jobs.stopped == [NAME]
    record = audit.records[EVENT_ID]
    assert controllers.asked[-1] == (record.account, record.region, EVENT_ID)
    stop = record.actions["stop"]
    assert (stop.result, stop.requested_by, stop.at) == ("stopped", CHAT_CHANNEL, "2026-11-26T10:30:00Z")
    assert stop.cost_avoided_usd is not None and 0 < stop.cost_avoided_usd < record.worst_case_usd
    assert reply["cost_avoided_usd"] == stop.cost_avoided_usd
    assert record.decision == "notify" and record.complete, "the notify plan is untouched"


def test_one_follow_up_goes_to_the_alerts_thread(monitored):
    service, _, _, notifier, audit = monitored
    (alert,) = notifier.sent

    button(service, press())

    assert len(notifier.sent) == 2
    follow_up = notifier.sent[1]
    assert follow_up.chatbot["metadata"]["threadId"] == alert.chatbot["metadata"]["threadId"]
    assert follow_up.chatbot["metadata"]["additionalContext"]["action"] == "stop", "no button on the follow-up"
    assert follow_up.attributes["team"] == alert.attributes["team"]
    assert follow_up.attributes["action"] == "stop"
    assert "stopped from the chat channel" in follow_up.subject
    assert audit.records[EVENT_ID].actions[FOLLOW_UP].message_id == "msg-2"


def test_a_second_press_finds_the_stop_recorded_and_does_nothing_more(monitored):
    service, jobs, _, notifier, _ = monitored
    button(service, press())

    reply = button(service, press())

    assert reply["status"] == "already-stopped"
    assert "already stopped at 2026-11-26T10:30:00Z, asked for by chat channel" in reply["message"]
    assert jobs.stopped == [NAME] and len(notifier.sent) == 2


def test_a_follow_up_that_failed_is_posted_by_the_next_press(monitored):
    service, jobs, _, notifier, audit = monitored
    notifier.fail = True
    first = button(service, press())
    assert first["status"] == "stopped" and "could not be posted" in first["message"]
    assert audit.records[EVENT_ID].actions[FOLLOW_UP].result == "failed"
    notifier.fail = False

    assert button(service, press())["status"] == "already-stopped"
    assert len(notifier.sent) == 2 and jobs.stopped == [NAME]


# --- refusals -----------------------------------------------------------------------------------------------


def test_an_unknown_event_id_is_refused(monitored):
    service, jobs, *_ = monitored
    reply = button(service, press("evt-unknown"))
    assert reply["status"] == "refused" and "no audit record for event evt-unknown" in reply["message"]
    assert jobs.stopped == []


@pytest.mark.parametrize("status", ["Completed", "Stopped", "Failed"])
def test_a_job_that_already_ended_is_not_stopped(monitored, status):
    service, jobs, _, notifier, _ = monitored
    jobs.statuses[NAME] = status

    reply = button(service, press())

    assert reply["status"] == "refused"
    assert reply["message"] == f"not stopped: job already {status}: nothing to stop"
    assert jobs.stopped == [] and len(notifier.sent) == 1
    assert button(service, press())["message"].startswith(f"not stopped: job already {status} (recorded at")


def test_a_job_stopped_by_the_policy_is_not_stopped_again():
    jobs, notifier, audit = FakeJobs({NAME: "InProgress"}), FakeNotifier(), ReadableAuditStore()
    service = GuardrailService(Settings(mode=Mode.ENFORCE), jobs, notifier, audit=audit)
    service.handle(costly_misconfigured())
    assert jobs.stopped == [NAME]

    reply = button(service, press())

    assert reply["status"] == "already-stopped" and "the guardrail's policy (enforce mode)" in reply["message"]
    assert jobs.stopped == [NAME]


@pytest.mark.parametrize(
    "event, said",
    [
        (cloudtrail_event(error_code="ValidationException", event_id=EVENT_ID), "was skipped"),
        (without_request_parameters(cloudtrail_event(event_id=EVENT_ID)), "was rejected"),
    ],
    ids=["skipped", "rejected"],
)
def test_a_record_that_was_not_an_evaluation_is_refused(event, said):
    jobs, audit = FakeJobs({NAME: "InProgress"}), ReadableAuditStore()
    service = GuardrailService(Settings(mode=Mode.MONITOR), jobs, FakeNotifier(), audit=audit)
    service.handle(event)
    assert audit.records[EVENT_ID].status != "evaluated"

    reply = button(service, press())

    assert reply["status"] == "refused"
    assert said in reply["message"] and "there is no job to stop" in reply["message"]
    assert jobs.stopped == []


def test_a_press_while_another_invocation_holds_the_record_is_refused(monitored):
    service, jobs, _, _, audit = monitored
    audit.claims[EVENT_ID] = Claim(owner="someone-else", until=CLOCK.timestamp() + 30)

    reply = button(service, press())

    assert reply["status"] == "refused" and "press again in a minute" in reply["message"]
    assert jobs.stopped == []


def test_a_malformed_payload_is_refused_and_recorded_never_raised(monitored):
    service, jobs, _, _, audit = monitored
    before = set(audit.records)

    reply = button(service, {"hpoGuardrail": "stop", "eventId": "$id"})

    assert reply["status"] == "refused" and "eventId" in reply["message"]
    (new,) = set(audit.records) - before
    assert audit.records[new].status == "rejected" and "not a stop request" in audit.records[new].reason
    assert jobs.stopped == []


def test_a_failed_stop_is_recorded_and_a_second_press_tries_again(monitored):
    service, jobs, _, _, audit = monitored
    jobs.broken = RuntimeError("throttled")

    reply = button(service, press())

    assert reply["status"] == "failed" and "press again" in reply["message"]
    assert audit.records[EVENT_ID].actions["stop"].result == "failed"
    jobs.broken = None
    assert button(service, press())["status"] == "stopped" and jobs.stopped == [NAME]


def test_without_an_audit_table_the_button_is_refused():
    service = GuardrailService(Settings(mode=Mode.MONITOR), FakeJobs({NAME: "InProgress"}), FakeNotifier())
    reply = button(service, press())
    assert reply["status"] == "refused" and "no audit table" in reply["message"]


def test_a_job_the_guardrail_did_not_flag_is_refused(monitored):
    service, jobs, *_ = monitored
    quiet = cloudtrail_event(
        tuning_request(
            "quiet-job",
            continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Logarithmic")],
            max_jobs=4,
            definition=training_definition("ml.m5.large", 1, 600),
        ),
        event_id="evt-quiet",
    )
    jobs.statuses["quiet-job"] = "InProgress"
    assert service.handle(quiet).decision == "none"

    reply = button(service, press("evt-quiet"))

    assert reply["status"] == "refused" and "did not flag event evt-quiet (decision none)" in reply["message"]
    assert jobs.stopped == []


# --- one entry point for stops ------------------------------------------------------------------------------


def test_a_forged_event_sent_to_the_button_is_refused_recorded_and_never_evaluated(monitored):
    """The chat channel's role may invoke the button's function: an EventBridge event through it stops nothing."""
    service, jobs, controllers, notifier, audit = monitored
    before, asked = set(audit.records), len(controllers.asked)
    forged = costly_misconfigured("evt-forged")

    reply = button(service, forged)

    assert reply["status"] == "refused" and reply["message"].startswith("not a stop request")
    assert "Extra inputs are not permitted" in reply["message"] and "hpoGuardrail: Field required" in reply["message"]
    (new,) = set(audit.records) - before
    assert new != "evt-forged", "recorded under its own digest, never under the id the payload names"
    assert audit.records[new].status == "rejected" and audit.records[new].decision is None
    assert jobs.stopped == [] and len(controllers.asked) == asked and len(notifier.sent) == 1


def test_the_guardrail_function_rejects_a_stop_request_as_a_malformed_event(monitored):
    service, jobs, controllers, notifier, audit = monitored
    before, asked = set(audit.records), len(controllers.asked)
    alert_record = audit.records[EVENT_ID]

    outcome = service.respond(press())

    assert outcome["status"] == "rejected"
    assert "not an EventBridge event" in outcome["reason"] and "StopButtonFunctionName" in outcome["reason"]
    (new,) = set(audit.records) - before
    assert new != EVENT_ID and audit.records[new].status == "rejected"
    assert audit.records[EVENT_ID] == alert_record, "the alert's record is untouched"
    assert jobs.stopped == [] and len(controllers.asked) == asked and len(notifier.sent) == 1


def test_the_guardrail_rejects_any_payload_with_the_stop_key_whatever_else_it_carries(monitored):
    service, jobs, *_ = monitored
    event = costly_misconfigured("evt-with-key") | {"hpoGuardrail": "stop"}

    outcome = service.handle(event)

    assert outcome.status == "rejected" and jobs.stopped == []
