"""Which account an event is about, and whether the guardrail may act there.

Account and region come from the CloudTrail record (recipientAccountId, awsRegion). An event whose envelope
names another account is rejected and recorded, never acted on; a single-account guardrail rejects another
account's events; an organization-wide one acts in a member account through its role, and a role it cannot
assume is a failed stop that the alert reports.
"""

from __future__ import annotations

import json

import pytest

from hpo_guardrail.adapters.member import MemberSessions
from hpo_guardrail.adapters.sagemaker import SageMakerJobControllers
from hpo_guardrail.enforce import service as service_module
from hpo_guardrail.enforce.ports import StopFailed
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings, SettingsError
from rules.events import AccountMismatch, read_event
from rules.parsing import InvalidRequest
from rules.policy import Mode
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.fakes import FakeAuditStore, FakeJobs, FakeNotifier
from tests.unit.org_fakes import (
    HOME,
    HOME_REGION,
    MEMBER_B,
    ORGANIZATION,
    Accounts,
    FakeStsClient,
    SessionFactory,
)

JOB = "costly-linear"


def costly_event(account: str, region: str = HOME_REGION, *, envelope_account: str | None = None, event_id="evt"):
    """A costly, misconfigured job's event as CloudTrail records it in `account` and `region`."""
    event = cloudtrail_event(
        tuning_request(
            JOB,
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        ),
        event_id=event_id,
    )
    event["account"], event["region"] = envelope_account or account, region
    event["detail"]["recipientAccountId"], event["detail"]["awsRegion"] = account, region
    return event


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    names: list[str] = []
    monkeypatch.setattr(service_module, "count", lambda name, value=1: names.append(name))
    return names


# --- the envelope and the record must name the same account --------------------------------------------------


def test_the_record_names_the_account_and_region():
    call = read_event(costly_event(MEMBER_B, "eu-west-1"))
    assert (call.context.account, call.context.region) == (MEMBER_B, "eu-west-1")


def test_an_envelope_naming_another_account_than_the_record_is_refused():
    with pytest.raises(AccountMismatch, match=f"envelope's account {HOME} is not .* recipientAccountId {MEMBER_B}"):
        read_event(costly_event(MEMBER_B, envelope_account=HOME))


def test_a_failed_call_with_mismatched_accounts_is_refused_too():
    event = cloudtrail_event(error_code="ValidationException")
    event["account"] = MEMBER_B
    with pytest.raises(AccountMismatch):
        read_event(event)


def test_a_record_without_a_recipient_is_read_as_before():
    event = costly_event(HOME)
    del event["detail"]["recipientAccountId"]
    assert read_event(event).context.account is None


def test_the_mismatch_is_an_invalid_request_naming_the_envelope_field():
    with pytest.raises(InvalidRequest) as refused:
        read_event(costly_event(MEMBER_B, envelope_account=HOME))
    assert refused.value.path == "account"


def test_a_forged_event_is_rejected_recorded_counted_and_acts_nowhere(counted):
    audit, jobs, notifier = FakeAuditStore(), FakeJobs({JOB: "InProgress"}), FakeNotifier()
    settings = Settings(mode=Mode.ENFORCE, organization_id=ORGANIZATION, account_id=HOME)
    service = GuardrailService(settings, jobs, notifier, audit=audit)
    forged = costly_event(MEMBER_B, envelope_account=HOME, event_id="evt-forged")

    outcome = service.handle(forged)  # returns: Lambda does not retry it

    assert outcome.status == "rejected" and "forged or mis-aggregated" in outcome.reason
    assert jobs.stopped == [] and notifier.sent == []
    record = audit.records["evt-forged"]
    assert record.status == "rejected" and record.reason == outcome.reason
    assert json.loads(record.raw_event)["detail"]["recipientAccountId"] == MEMBER_B
    assert {"EventsRejected", "ForeignEventsRejected"} <= set(counted)


# --- which accounts the guardrail watches ------------------------------------------------------------------


def test_a_single_account_guardrail_rejects_another_accounts_event(counted):
    audit, jobs, notifier = FakeAuditStore(), FakeJobs({JOB: "InProgress"}), FakeNotifier()
    service = GuardrailService(Settings(mode=Mode.ENFORCE, account_id=HOME), jobs, notifier, audit=audit)
    outcome = service.handle(costly_event(MEMBER_B, event_id="evt-other"))
    assert outcome.status == "rejected"
    assert f"made in account {MEMBER_B}" in outcome.reason and "no ORGANIZATION_ID" in outcome.reason
    assert jobs.stopped == [] and notifier.sent == []
    assert audit.records["evt-other"].raw_event is not None
    assert "ForeignEventsRejected" in counted


def test_a_single_account_guardrail_acts_on_its_own_accounts_event():
    jobs = FakeJobs({JOB: "InProgress"})
    service = GuardrailService(Settings(mode=Mode.ENFORCE, account_id=HOME), jobs, FakeNotifier())
    assert service.handle(costly_event(HOME)).decision == "stop" and jobs.stopped == [JOB]


def test_an_organization_guardrail_needs_the_record_to_name_the_account():
    jobs = FakeJobs({JOB: "InProgress"})
    settings = Settings(mode=Mode.ENFORCE, organization_id=ORGANIZATION, account_id=HOME)
    event = costly_event(MEMBER_B)
    del event["detail"]["recipientAccountId"]
    outcome = GuardrailService(settings, jobs, FakeNotifier()).handle(event)
    assert outcome.status == "rejected" and "no recipientAccountId" in outcome.reason and jobs.stopped == []


@pytest.mark.parametrize("organization", [ORGANIZATION, None], ids=["organization", "single-account"])
def test_a_deployed_guardrail_needs_the_envelope_to_name_the_account(organization, counted):
    """EventBridge always writes the envelope's account; without it the record's recipientAccountId could not
    be checked, so an event invoked straight into the function with only the inner account acts nowhere."""
    audit, jobs, notifier = FakeAuditStore(), FakeJobs({JOB: "InProgress"}), FakeNotifier()
    settings = Settings(mode=Mode.ENFORCE, organization_id=organization, account_id=HOME)
    event = costly_event(HOME, event_id="evt-no-envelope-account")
    del event["account"]
    outcome = GuardrailService(settings, jobs, notifier, audit=audit).handle(event)
    assert outcome.status == "rejected" and "envelope names no account" in outcome.reason
    assert jobs.stopped == [] and notifier.sent == []
    assert audit.records["evt-no-envelope-account"].status == "rejected"
    assert "ForeignEventsRejected" in counted


def test_a_guardrail_that_does_not_know_its_account_reads_an_envelope_without_one():
    """The CLI's evaluation and a guardrail without GUARDRAIL_ACCOUNT_ID have no account to hold it against."""
    jobs = FakeJobs({JOB: "InProgress"})
    event = costly_event(HOME)
    del event["account"]
    assert GuardrailService(Settings(mode=Mode.ENFORCE), jobs, FakeNotifier()).handle(event).decision == "stop"


def test_an_organization_needs_the_guardrails_own_account():
    with pytest.raises(SettingsError, match=r"GUARDRAIL_ACCOUNT_ID: .*required with ORGANIZATION_ID"):
        Settings.from_environ({"ORGANIZATION_ID": ORGANIZATION})


@pytest.mark.parametrize(
    ("variable", "value"), [("ORGANIZATION_ID", "o-short"), ("MEMBER_ROLE_NAME", "a/b"), ("GUARDRAIL_ACCOUNT_ID", "12")]
)
def test_organization_settings_refuse_malformed_values_naming_the_variable(variable, value):
    environ = {"ORGANIZATION_ID": ORGANIZATION, "GUARDRAIL_ACCOUNT_ID": HOME, variable: value}
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environ(environ)


def test_organization_settings_default_to_a_single_account_and_the_standard_role():
    settings = Settings.from_environ({"ORGANIZATION_ID": "", "GUARDRAIL_ACCOUNT_ID": HOME})
    assert settings.organization_id is None and not settings.watches_organization
    assert settings.member_role_name == "HpoGuardrailMember"


# --- acting in a member account ----------------------------------------------------------------------------


def organization_service(accounts: Accounts, sts: FakeStsClient, *, stop_attempts: int = 3, mode=Mode.ENFORCE):
    sessions = MemberSessions(sts, "HpoGuardrailMember", session_factory=SessionFactory(accounts), clock=accounts.clock)
    controllers = SageMakerJobControllers(
        lambda region: accounts.sagemaker(HOME, region), home_account=HOME, home_region=HOME_REGION, members=sessions
    )
    settings = Settings(mode=mode, organization_id=ORGANIZATION, account_id=HOME, stop_attempts=stop_attempts)
    notifier = FakeNotifier()
    return GuardrailService(settings, controllers, notifier), notifier


def test_a_member_accounts_job_is_stopped_through_its_role_in_its_region():
    accounts = Accounts()
    accounts.sagemaker(MEMBER_B, "eu-west-1").statuses[JOB] = "InProgress"
    accounts.sagemaker(HOME, "eu-west-1").statuses[JOB] = "InProgress"  # same name at home: not touched
    sts = FakeStsClient(accounts)
    service, notifier = organization_service(accounts, sts)

    outcome = service.handle(costly_event(MEMBER_B, "eu-west-1", event_id="evt-b"))

    assert outcome.actions["stop"] == "stopped (InProgress -> Stopping)"
    assert accounts.sagemaker(MEMBER_B, "eu-west-1").stopped == [JOB]
    assert accounts.sagemaker(HOME, "eu-west-1").stopped == []
    assert [c["RoleSessionName"] for c in sts.calls] == ["hpo-guardrail-evt-b"]
    assert len(notifier.sent) == 1


def test_monitor_in_a_member_account_assumes_no_role():
    accounts = Accounts()
    sts = FakeStsClient(accounts)
    service, notifier = organization_service(accounts, sts, mode=Mode.MONITOR)
    outcome = service.handle(costly_event(MEMBER_B))
    assert outcome.decision == "notify" and sts.calls == [] and len(notifier.sent) == 1


def test_a_refused_member_role_is_a_failed_stop_retried_then_alerted():
    accounts = Accounts()
    accounts.sagemaker(MEMBER_B, HOME_REGION).statuses[JOB] = "InProgress"
    sts = FakeStsClient(accounts, refusing={MEMBER_B})

    retried, notifier = organization_service(accounts, sts)
    with pytest.raises(StopFailed, match=f"cannot act in account {MEMBER_B}"):
        retried.handle(costly_event(MEMBER_B))
    assert notifier.sent == [], "the alert waits for the last attempt"

    last, notifier = organization_service(accounts, sts, stop_attempts=1)
    outcome = last.handle(costly_event(MEMBER_B))
    assert outcome.actions["stop"].startswith(f"stop failed: cannot act in account {MEMBER_B}")
    (alert,) = notifier.sent
    assert "stop failed" in alert.email and "AccessDenied" in alert.email
    assert accounts.sagemaker(MEMBER_B, HOME_REGION).stopped == []


def test_an_opted_out_member_role_that_may_not_stop_is_a_failed_stop():
    accounts = Accounts()
    member = accounts.sagemaker(MEMBER_B, HOME_REGION)
    member.statuses[JOB], member.refuse_stop = "InProgress", "AccessDeniedException"
    service, notifier = organization_service(accounts, FakeStsClient(accounts), stop_attempts=1)
    outcome = service.handle(costly_event(MEMBER_B))
    assert outcome.actions["stop"].startswith("stop failed") and "AccessDeniedException" in outcome.actions["stop"]
    assert "stop failed" in notifier.sent[0].email
