"""The reconciliation and the service step it shares with every trigger that only knows a job exists.

Given a job as SageMaker describes it, `evaluate_described_job` judges it as its CloudTrail event would have been
judged; the job's claim makes the event and the reconciliation one judgement (and one alert) in whichever order
they come; the reconciler goes through every place, skips jobs judged already and never stops for one place.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hpo_guardrail.enforce.audit import CLOUDTRAIL, RECONCILIATION, job_claim_key
from hpo_guardrail.enforce.described import DescribedJob
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.enforce.ports import AccountAccessFailed, JobClaims, JobNotFound
from hpo_guardrail.enforce.reconcile import (
    OVERLAP,
    SETTLE,
    Reconciler,
    ReconcileSettings,
    ReconciliationIncomplete,
    rate_interval,
)
from hpo_guardrail.enforce.service import GuardrailService, described_event_id
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.environment import SettingsError
from rules.policy import Mode
from tests.builders import ACCOUNT, REGION, cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.fakes import ClaimingAuditStore, FakeAuditStore, FakeJobs, FakeNotifier

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OTHER = "210987654321"


def costly_request(name: str) -> dict[str, Any]:
    return tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        tags={"team": "nlp"},
    )


def described(request: dict[str, Any], *, account: str = ACCOUNT, region: str = REGION) -> DescribedJob:
    """The job as DescribeHyperParameterTuningJob and ListTags give it back."""
    description = {k: copy.deepcopy(v) for k, v in request.items() if k != "Tags"}
    name = request["HyperParameterTuningJobName"]
    description |= {
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:{region}:{account}:hyper-parameter-tuning-job/{name}",
        "HyperParameterTuningJobStatus": "InProgress",
        "CreationTime": NOW - timedelta(minutes=20),
        "TrainingJobStatusCounters": {"Completed": 0, "InProgress": 2},
    }
    return DescribedJob(account, region, description, request.get("Tags", []))


def service(store: FakeAuditStore | None = None, mode: Mode = Mode.ENFORCE):
    jobs, notifier = FakeJobs(), FakeNotifier()
    audit = store if store is not None else ClaimingAuditStore()
    svc = GuardrailService(Settings(mode=mode, budget_cap_usd=1000), jobs, notifier, audit=audit, clock=lambda: NOW)
    return svc, jobs, notifier, audit


# --- the described job ----------------------------------------------------------------------------------------


def test_a_described_job_is_the_create_call_it_was_made_with_tags_from_list_tags_and_no_run_state():
    job = described(costly_request("lr-linear"))

    call = job.call("reconciliation-x")

    assert call.request.job_name == "lr-linear"
    assert call.context.account == ACCOUNT and call.context.region == REGION
    assert call.context.event_time == "2026-11-30T11:40:00Z"
    assert call.context.job_arn == job.arn and call.context.principal_arn is None
    parameters = job.request_parameters()
    assert parameters["Tags"] == [{"Key": "team", "Value": "nlp"}]
    assert "HyperParameterTuningJobStatus" not in parameters and "CreationTime" not in parameters


def test_a_described_job_is_judged_as_its_event_would_be_and_the_record_names_the_trigger():
    by_event, event_jobs, event_notifier, event_audit = service()
    by_description, jobs, notifier, audit = service()
    request = costly_request("lr-linear")
    event_jobs.statuses["lr-linear"] = jobs.statuses["lr-linear"] = "InProgress"

    from_event = by_event.handle(cloudtrail_event(request))
    found = by_description.evaluate_described_job(described(request), trigger=RECONCILIATION)

    assert found.status is Status.EVALUATED
    same = ("decision", "mode", "findings", "worst_case_usd", "policy_scope", "actions")
    assert {k: getattr(found, k) for k in same} == {k: getattr(from_event, k) for k in same}
    assert jobs.stopped == ["lr-linear"] and len(notifier.sent) == 1
    # Describe does not say who created the job: the alert's principal is unknown, the rest is the same.
    unknown = {"principal": "unknown", "role": "none"}
    assert notifier.sent[0].attributes == event_notifier.sent[0].attributes | unknown
    record = audit.records[described_event_id(RECONCILIATION, ACCOUNT, REGION, "lr-linear")]
    assert record.trigger == RECONCILIATION and record.request is not None
    (event_record,) = event_audit.records.values()
    assert event_record.trigger == CLOUDTRAIL


def test_the_reconciliation_after_the_event_and_the_event_after_the_reconciliation_alert_once():
    svc, _, notifier, audit = service(mode=Mode.MONITOR)
    first, second = costly_request("first-event"), costly_request("first-found")

    svc.handle(cloudtrail_event(first))
    after_event = svc.evaluate_described_job(described(first), trigger=RECONCILIATION)
    svc.evaluate_described_job(described(second), trigger=RECONCILIATION)
    late_event = cloudtrail_event(second)
    after_reconciliation = svc.handle(late_event)

    assert len(notifier.sent) == 2
    assert after_event.status is Status.SKIPPED and "through cloudtrail" in (after_event.reason or "")
    assert after_reconciliation.status is Status.SKIPPED
    assert f"through reconciliation (event reconciliation-{ACCOUNT}-{REGION}-first-found" in (
        after_reconciliation.reason or ""
    )
    assert audit.records[late_event["detail"]["eventID"]].status is Status.SKIPPED


def test_a_trigger_finding_its_own_job_again_resumes_its_record_instead_of_alerting_twice():
    svc, _, notifier, _ = service(mode=Mode.MONITOR)
    job = described(costly_request("again"))

    first = svc.evaluate_described_job(job, trigger=RECONCILIATION)
    again = svc.evaluate_described_job(job, trigger=RECONCILIATION)

    assert (first.status, again.status) == (Status.EVALUATED, Status.SKIPPED)
    assert "duplicate" in (again.reason or "") and len(notifier.sent) == 1


def _at(moment: datetime, store: ClaimingAuditStore, mode: Mode = Mode.MONITOR):
    """A service over `store` whose clock reads `moment`."""
    jobs, notifier = FakeJobs(), FakeNotifier()
    svc = GuardrailService(Settings(mode=mode, budget_cap_usd=1000), jobs, notifier, audit=store, clock=lambda: moment)
    return svc, notifier


def _created_at(event: dict[str, Any], moment: datetime) -> dict[str, Any]:
    event["time"] = event["detail"]["eventTime"] = moment.isoformat().replace("+00:00", "Z")
    return event


def test_a_second_create_call_under_a_name_used_before_is_judged_not_skipped():
    """DeleteHyperParameterTuningJob frees a name: two successful create calls are two jobs."""
    store = ClaimingAuditStore()
    first_svc, _ = _at(NOW, store)
    first_svc.handle(_created_at(cloudtrail_event(tuning_request("nightly")), NOW - timedelta(minutes=1)))
    later = NOW + timedelta(days=1)
    second_svc, second_alerts = _at(later, store)

    outcome = second_svc.handle(_created_at(cloudtrail_event(costly_request("nightly")), later - timedelta(minutes=1)))

    assert outcome.status is Status.EVALUATED and outcome.decision == "notify"
    assert len(second_alerts.sent) == 1
    key = job_claim_key(ACCOUNT, REGION, "nightly")
    assert store.jobs[key].event_id == outcome.event_id and store.jobs[key].trigger == CLOUDTRAIL


def test_a_job_created_after_the_reconciliation_claimed_its_name_is_judged_by_its_event():
    store = ClaimingAuditStore()
    reconciling, _ = _at(NOW, store)
    reconciling.evaluate_described_job(described(tuning_request("reused")), trigger=RECONCILIATION)
    later = NOW + timedelta(hours=3)
    svc, alerts = _at(later, store)

    outcome = svc.handle(_created_at(cloudtrail_event(costly_request("reused")), later - timedelta(minutes=2)))

    assert outcome.status is Status.EVALUATED and len(alerts.sent) == 1


def test_the_event_of_the_job_the_reconciliation_judged_is_still_skipped():
    store = ClaimingAuditStore()
    reconciling, _ = _at(NOW, store)
    job = described(costly_request("same-job"))  # created 20 minutes before the claim
    reconciling.evaluate_described_job(job, trigger=RECONCILIATION)
    svc, alerts = _at(NOW + timedelta(minutes=5), store)

    late = svc.handle(_created_at(cloudtrail_event(costly_request("same-job")), NOW - timedelta(minutes=20)))

    assert late.status is Status.SKIPPED and alerts.sent == []


def test_a_run_judges_a_job_created_after_the_claim_its_name_carries():
    svc, _, notifier, store = service(mode=Mode.MONITOR)
    two_days_ago = NOW - timedelta(days=2)
    earlier, _ = _at(two_days_ago, store)  # the first job of that name was judged by its event then
    earlier.handle(_created_at(cloudtrail_event(costly_request("recreated")), two_days_ago - timedelta(minutes=1)))
    recreated = FakeLister({"recreated": (NOW - timedelta(minutes=20), costly_request("recreated"))})

    report = reconciler(svc, {(ACCOUNT, REGION): recreated}).run()

    (place,) = report.places
    assert place.judged_already == 0 and [o["job_name"] for o in place.evaluated] == ["recreated"]
    assert len(notifier.sent) == 1


def test_without_job_claims_each_trigger_stands_alone():
    svc, _, notifier, _ = service(store=FakeAuditStore(), mode=Mode.MONITOR)
    assert not isinstance(FakeAuditStore(), JobClaims)
    request = costly_request("unclaimed")

    svc.handle(cloudtrail_event(request))
    svc.evaluate_described_job(described(request), trigger=RECONCILIATION)

    assert len(notifier.sent) == 2, "nothing to compare with, so both judge (the CLI has no table)"


def test_a_described_job_of_an_account_the_guardrail_does_not_watch_is_rejected():
    svc = GuardrailService(
        Settings(mode=Mode.ENFORCE, account_id=ACCOUNT), FakeJobs(), FakeNotifier(), audit=ClaimingAuditStore()
    )

    outcome = svc.evaluate_described_job(described(costly_request("elsewhere"), account=OTHER), trigger=RECONCILIATION)

    assert outcome.status is Status.REJECTED and "watches only its own account" in (outcome.reason or "")


def test_a_description_that_cannot_be_read_is_rejected_and_recorded_not_raised():
    svc, _, notifier, audit = service()
    job = described(costly_request("broken"))
    broken = DescribedJob(job.account, job.region, {**job.description, "HyperParameterTuningJobConfig": "nonsense"})

    outcome = svc.evaluate_described_job(broken, trigger=RECONCILIATION)

    assert outcome.status is Status.REJECTED and "HyperParameterTuningJobConfig" in (outcome.reason or "")
    assert notifier.sent == [] and audit.records[outcome.event_id or ""].raw_event


def test_the_job_claim_key_treats_names_case_insensitively():
    assert job_claim_key(ACCOUNT, REGION, "My-Job") == job_claim_key(ACCOUNT, REGION, "my-job")
    assert job_claim_key(ACCOUNT, REGION, "job") != job_claim_key(ACCOUNT, "eu-west-1", "job")


# --- the schedule ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "interval"),
    [("rate(1 hour)", timedelta(hours=1)), ("rate(30 minutes)", timedelta(minutes=30)), ("rate(2 days)", timedelta(2))],
)
def test_a_rate_expression_gives_the_interval(expression, interval):
    assert rate_interval(expression) == interval


@pytest.mark.parametrize("expression", ["rate(1 hours)", "rate(5 hour)", "cron(0 * * * ? *)", "rate(0 minutes)", ""])
def test_anything_but_a_valid_rate_expression_is_refused(expression):
    with pytest.raises(ValueError, match="rate expression"):
        rate_interval(expression)


def test_the_settings_name_the_variable_of_a_bad_schedule_and_default_to_the_own_region():
    with pytest.raises(SettingsError, match="RECONCILE_SCHEDULE"):
        ReconcileSettings.from_environ({"RECONCILE_SCHEDULE": "cron(0 * * * ? *)"})
    settings = ReconcileSettings.from_environ({"RECONCILE_SCHEDULE": "rate(15 minutes)", "RECONCILE_REGIONS": ""})
    assert settings.interval == timedelta(minutes=15) and settings.regions("eu-west-1") == ["eu-west-1"]
    named = ReconcileSettings.from_environ({"RECONCILE_REGIONS": "us-east-1, eu-west-1,"})
    assert named.regions("eu-west-1") == ["us-east-1", "eu-west-1"]


# --- the reconciler -------------------------------------------------------------------------------------------


@dataclass
class FakeLister:
    """One place's jobs: (name, creation time) -> request; a listing failure stands for a whole place."""

    jobs: dict[str, tuple[datetime, dict[str, Any]]] = field(default_factory=dict)
    account: str = ACCOUNT
    region: str = REGION
    gone: set[str] = field(default_factory=set)
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)

    def created_between(self, after: datetime, before: datetime) -> Iterator[tuple[str, str, datetime | None]]:
        self.windows.append((after, before))
        for name, (created, _) in self.jobs.items():
            if after < created < before:
                arn = f"arn:aws:sagemaker:{self.region}:{self.account}:hyper-parameter-tuning-job/{name}"
                yield name, arn, created

    def describe(self, job_name: str) -> dict[str, Any]:
        if job_name in self.gone:
            raise JobNotFound(job_name)
        return dict(described(self.jobs[job_name][1], account=self.account, region=self.region).description)

    def tags(self, arn: str) -> list[dict[str, str]]:
        return self.jobs[arn.rsplit("/", 1)[1]][1].get("Tags", [])


def reconciler(svc: GuardrailService, places: dict[tuple[str, str], FakeLister | Exception], accounts=None):
    def lister(account: str, region: str) -> FakeLister:
        place = places[(account, region)]
        if isinstance(place, Exception):
            raise place
        return place

    regions = sorted({region for _, region in places})
    listed = accounts or (lambda: sorted({account for account, _ in places}))
    return Reconciler(
        svc,
        accounts=listed,
        lister=lister,
        regions=regions,
        interval=timedelta(hours=1),
        home_account=ACCOUNT,
        clock=lambda: NOW,
    )


def test_the_window_is_the_interval_plus_the_overlap_and_ends_before_the_settle_time():
    svc, *_ = service(mode=Mode.MONITOR)
    place = FakeLister()

    reconciler(svc, {(ACCOUNT, REGION): place}).run()

    assert place.windows == [(NOW - timedelta(hours=1) - OVERLAP, NOW - SETTLE)]
    assert OVERLAP > SETTLE, "consecutive runs overlap"


def test_a_run_judges_unrecorded_jobs_skips_judged_ones_and_goes_on_past_a_place_it_cannot_read():
    svc, _, notifier, _ = service(mode=Mode.MONITOR)
    recent = NOW - timedelta(minutes=20)
    judged, missed, gone = costly_request("judged"), costly_request("missed"), costly_request("gone")
    home = FakeLister({"judged": (recent, judged), "missed": (recent, missed), "gone": (recent, gone)}, gone={"gone"})
    svc.handle(cloudtrail_event(judged))
    notifier.sent.clear()
    refused = AccountAccessFailed(f"cannot act in account {OTHER}: assuming ... failed: AccessDenied")

    report = reconciler(svc, {(ACCOUNT, REGION): home, (OTHER, REGION): refused}).run()

    (at_home, elsewhere) = report.places
    assert [o["job_name"] for o in at_home.evaluated] == ["missed"]
    assert (at_home.listed, at_home.judged_already, at_home.gone) == (3, 1, 1)
    assert len(notifier.sent) == 1
    assert elsewhere.account == OTHER and elsewhere.failed and "AccessDenied" in elsewhere.failed
    assert report.incomplete and not report.pending


def test_when_the_accounts_cannot_be_listed_the_home_account_is_reconciled_and_the_run_says_so():
    svc, _, notifier, _ = service(mode=Mode.MONITOR)
    home = FakeLister({"missed": (NOW - timedelta(minutes=20), costly_request("missed"))})

    def refused() -> list[str]:
        raise RuntimeError("AWS refused ListAccounts: AccessDeniedException")

    report = reconciler(svc, {(ACCOUNT, REGION): home}, accounts=refused).run()

    assert report.accounts_failed and "ListAccounts" in report.accounts_failed
    assert [p.account for p in report.places] == [ACCOUNT] and len(notifier.sent) == 1
    # The scheduled run then fails at its end (the Errors alarm; Lambda retries), having judged the home account.
    with pytest.raises(ReconciliationIncomplete, match="only the home account was reconciled"):
        reconciler(svc, {(ACCOUNT, REGION): home}, accounts=refused).handle()
    assert len(notifier.sent) == 1  # the retry judged nothing twice


def test_a_stop_that_fails_is_pending_and_the_run_raises_at_its_end_so_lambda_runs_it_again():
    svc, jobs, notifier, _ = service(mode=Mode.ENFORCE)
    jobs.broken = RuntimeError("SageMaker throttled")
    home = FakeLister(
        {
            "stuck": (NOW - timedelta(minutes=20), costly_request("stuck")),
            "later": (NOW - timedelta(minutes=16), costly_request("later")),
        }
    )
    run = reconciler(svc, {(ACCOUNT, REGION): home})

    with pytest.raises(ReconciliationIncomplete, match="2 job"):
        run.handle({})

    jobs.broken = None
    jobs.statuses.update({"stuck": "InProgress", "later": "InProgress"})
    summary = run.handle({})

    assert sorted(jobs.stopped) == ["later", "stuck"] and summary["pending"] == []
    assert {o["job_name"]: o["actions"]["stop"] for o in summary["places"][0]["evaluated"]} == {
        "stuck": "stopped (InProgress -> Stopping)",
        "later": "stopped (InProgress -> Stopping)",
    }
    assert len(notifier.sent) == 2, "each job's alert once, after its stop"
