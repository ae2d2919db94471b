"""The service's steps over fake ports: skip, reject, evaluate, stop describe-first, notify."""

from __future__ import annotations

import pytest

from hpo_guardrail.enforce.ports import NotificationFailed, StopFailed
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from rules.policy import Mode
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.fakes import FakeJobs, FakeNotifier

NAME = "costly-linear"


def costly_misconfigured() -> dict:
    return cloudtrail_event(
        tuning_request(
            NAME,
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        ),
        event_id="evt-costly",
    )


def service(mode: Mode = Mode.ENFORCE, jobs: FakeJobs | None = None, notifier: FakeNotifier | None = None):
    jobs = jobs if jobs is not None else FakeJobs({NAME: "InProgress"})
    notifier = notifier if notifier is not None else FakeNotifier()
    return GuardrailService(Settings(mode=mode, budget_cap_usd=1000), jobs, notifier), jobs, notifier


def test_costly_misconfigured_job_is_stopped_and_announced():
    svc, jobs, notifier = service()
    outcome = svc.handle(costly_misconfigured())
    assert outcome.status == "evaluated" and outcome.decision == "stop"
    assert jobs.stopped == [NAME]
    assert outcome.actions == {"stop": "stopped (InProgress -> Stopping)", "notify": "msg-1"}
    (alert,) = notifier.sent
    assert alert.attributes["action"] == "stop"
    assert "stopped (InProgress -> Stopping)" in alert.email


@pytest.mark.parametrize("status", ["Completed", "Failed", "Stopped", "Stopping"])
def test_a_job_that_already_ended_is_reported_not_stopped(status):
    svc, jobs, notifier = service(jobs=FakeJobs({NAME: status}))
    outcome = svc.handle(costly_misconfigured())
    assert jobs.stopped == []
    assert outcome.actions["stop"] == f"not stopped: job already {status}"
    assert notifier.sent, "the alert still goes out"


def test_job_leaving_in_progress_between_describe_and_stop_is_not_an_error():
    svc, _, _ = service(jobs=FakeJobs({NAME: "InProgress"}, refuse_stop=True))
    assert svc.handle(costly_misconfigured()).actions["stop"] == "not stopped: job already ended"


def test_missing_job_is_reported():
    svc, _, _ = service(jobs=FakeJobs({}))
    assert svc.handle(costly_misconfigured()).actions["stop"] == "not stopped: job not found"


def test_a_failing_stop_raises_for_lambdas_retry_and_its_last_attempt_is_reported_in_the_alert():
    svc, _, notifier = service(jobs=FakeJobs(broken=RuntimeError("AccessDenied")))
    with pytest.raises(StopFailed):
        svc.handle(costly_misconfigured())
    assert notifier.sent == []
    last = GuardrailService(
        Settings(mode=Mode.ENFORCE, stop_attempts=1), FakeJobs(broken=RuntimeError("AccessDenied")), notifier
    )
    outcome = last.handle(costly_misconfigured())
    assert outcome.actions["stop"].startswith("stop failed: RuntimeError: AccessDenied")
    assert "stop failed" in notifier.sent[0].email


def test_monitor_mode_never_stops():
    svc, jobs, notifier = service(mode=Mode.MONITOR)
    outcome = svc.handle(costly_misconfigured())
    assert outcome.decision == "notify" and jobs.stopped == [] and len(notifier.sent) == 1


def test_well_configured_cheap_job_sends_nothing():
    svc, jobs, notifier = service()
    event = cloudtrail_event(tuning_request(continuous_ranges=[continuous("lr", "1e-5", "0.1", "Logarithmic")]))
    outcome = svc.handle(event)
    assert outcome.decision == "none" and outcome.findings == [] and notifier.sent == [] and jobs.stopped == []


def test_failed_call_is_skipped():
    svc, _, notifier = service()
    outcome = svc.handle(cloudtrail_event(error_code="ValidationException", event_id="evt-failed"))
    assert outcome.status == "skipped" and outcome.event_id == "evt-failed"
    assert "ValidationException" in outcome.reason and notifier.sent == []


@pytest.mark.parametrize(
    "event",
    [
        {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}},
        {"source": "aws.sagemaker", "detail-type": "SageMaker HyperParameter Tuning Job State Change", "detail": {}},
        cloudtrail_event(event_name="CreateTrainingJob"),
    ],
)
def test_unrelated_events_are_skipped(event):
    svc, _, notifier = service()
    assert svc.handle(event).status == "skipped" and notifier.sent == []


def _without_detail():
    event = cloudtrail_event()
    del event["detail"]
    return event


def _with_bad_number():
    return cloudtrail_event(tuning_request(continuous_ranges=[continuous("lr", "one", "1")]))


def _with_bad_time():
    event = cloudtrail_event()
    event["time"] = "yesterday"
    return event


@pytest.mark.parametrize(
    "event, reason",
    [
        (None, "expected a JSON object"),
        ([1, 2], "expected a JSON object"),
        ("text", "expected a JSON object"),
        (_without_detail(), "detail"),
        (_with_bad_number(), "'one' is not a number"),
        (_with_bad_time(), "time"),
    ],
)
def test_malformed_events_are_rejected_with_a_reason_and_never_raise(event, reason):
    svc, jobs, notifier = service()
    outcome = svc.handle(event)
    assert outcome.status == "rejected"
    assert reason in outcome.reason
    assert notifier.sent == [] and jobs.stopped == []


def test_publish_failure_raises_so_lambda_retries():
    svc, _, _ = service(notifier=FakeNotifier(fail=True))
    with pytest.raises(NotificationFailed):
        svc.handle(costly_misconfigured())


def test_without_topic_the_evaluation_still_happens():
    svc = GuardrailService(Settings(mode=Mode.MONITOR), FakeJobs(), notifier=None)
    outcome = svc.handle(costly_misconfigured())
    assert outcome.decision == "notify" and outcome.actions["notify"] is None
