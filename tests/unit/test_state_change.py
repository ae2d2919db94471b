"""SageMaker's tuning job state-change events: read strictly, and what the guardrail does with each.

InProgress judges a job no event judged (once); Completed, Stopped and Failed review the job once, on the record
that judged it, and post one follow-up in the creation alert's thread when there is something to say.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hpo_guardrail.adapters.clients import AwsCallFailed
from hpo_guardrail.enforce.audit import CLOUDTRAIL, AuditRecord, job_claim_key
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.enforce.ports import AccountAccessFailed, JobNotFound, NotificationFailed
from hpo_guardrail.enforce.service import GuardrailService, described_event_id
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.enforce.state_change import REVIEW_FOLLOW_UP, STATE_CHANGE, ReviewNotMade, StateChangeTrigger
from rules.events import (
    STATE_CHANGE_DETAIL_TYPE,
    AccountMismatch,
    TuningJobStateChange,
    read_event,
    read_state_change,
)
from rules.parsing import InvalidRequest, SkippedCall
from rules.policy import Mode
from tests.builders import ACCOUNT, REGION, cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.fakes import ClaimingAuditStore, FakeJobs, FakeNotifier
from tests.unit.review_builders import PRICES, summary

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OTHER = "210987654321"


def arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:hyper-parameter-tuning-job/{name.lower()}"


def state_change(
    name: str, status: str, *, account: str = ACCOUNT, region: str = REGION, event_id: str | None = None, **envelope
) -> dict[str, Any]:
    """A state-change event as SageMaker puts it on the default bus (AWS's example's fields)."""
    event = {
        "version": "0",
        "id": event_id or f"sc-{name}-{status}",
        "detail-type": STATE_CHANGE_DETAIL_TYPE,
        "source": "aws.sagemaker",
        "account": account,
        "time": "2026-11-30T11:59:00Z",
        "region": region,
        "resources": [arn(name, account, region)],
        "detail": {
            "HyperParameterTuningJobName": name,
            "HyperParameterTuningJobArn": arn(name, account, region),
            "HyperParameterTuningJobStatus": status,
            "CreationTime": 1764500000000,
            "LastModifiedTime": 1764503940000,
            "TrainingJobStatusCounters": {"Completed": 4, "InProgress": 0},
            "Tags": {"team": "nlp"},
        },
    }
    event.update(envelope)
    return event


def linear_request(name: str) -> dict[str, Any]:
    """A job the creation rules alert on: a wide learning-rate range searched on a linear scale."""
    return tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Linear")],
        max_jobs=20,
        definition=training_definition("ml.m5.xlarge", 1, 3600),
        tags={"team": "nlp"},
    )


def quiet_request(name: str) -> dict[str, Any]:
    """A job the creation rules let pass without an alert."""
    return tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Logarithmic")],
        max_jobs=4,
        definition=training_definition("ml.m5.xlarge", 1, 3600),
        tags={"team": "nlp"},
    )


@dataclass
class FakeReader:
    """One account's tuning jobs as Describe gives them, and their training jobs."""

    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    training: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    broken: Exception | None = None
    reads: list[tuple[str, str, str]] = field(default_factory=list)

    def __call__(self, account: str, region: str, event_id: str) -> FakeReader:
        if self.broken is not None:
            raise self.broken
        self.reads.append((account, region, event_id))
        return self

    def describe(self, job_name: str) -> dict[str, Any]:
        if job_name not in self.requests:
            raise JobNotFound(job_name)
        request = self.requests[job_name]
        description = {k: copy.deepcopy(v) for k, v in request.items() if k != "Tags"}
        description |= {
            "HyperParameterTuningJobArn": arn(job_name),
            "HyperParameterTuningJobStatus": self.statuses.get(job_name, "InProgress"),
            "CreationTime": NOW - timedelta(hours=2),
        }
        return description

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        return [dict(s) for s in self.training.get(tuning_job_name, [])]


def edge_training_jobs(count: int = 6) -> list[dict[str, Any]]:
    """Training jobs whose best (validation:auc, maximized) sits at the lower edge of 0.0001 .. 0.1, each billed
    30 minutes on one m5.xlarge."""
    jobs = [
        summary(
            i,
            {"learning_rate": str(0.0001 if i == 2 else 0.02 + 0.012 * i)},
            0.9 if i == 2 else 0.5 + i / 100,
            metric="validation:auc",
        )
        for i in range(count)
    ]
    for job in jobs:
        job |= {
            "BillableTimeInSeconds": 1800,
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        }
    return jobs


def guardrail(reader: FakeReader | None = None, *, notifier: FakeNotifier | None = None, **settings: Any):
    audit = ClaimingAuditStore()
    notifier = notifier or FakeNotifier()
    service = GuardrailService(
        Settings(mode=Mode.MONITOR, budget_cap_usd=1000, **settings),
        FakeJobs(statuses={}),
        notifier,
        audit=audit,
        prices=PRICES,
        clock=lambda: NOW,
    )
    reader = reader or FakeReader()
    trigger = StateChangeTrigger(service, readers=reader, audit=audit, notifier=notifier, prices=PRICES)
    service.take_state_changes(trigger.handle)
    return service, audit, notifier, reader


# --- reading ---------------------------------------------------------------------------------------------------


def test_a_state_change_is_read_into_job_account_region_status_and_tags():
    change = read_state_change(state_change("Lr-Linear", "Completed"))

    assert change == TuningJobStateChange(
        event_id="sc-Lr-Linear-Completed",
        time="2026-11-30T11:59:00Z",
        account=ACCOUNT,
        region=REGION,
        job_name="Lr-Linear",
        job_arn=arn("Lr-Linear"),
        status="Completed",
        tags={"team": "nlp"},
    )
    assert change.finished and change.tag_list() == [{"Key": "team", "Value": "nlp"}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e.pop("id"), "id"),
        (lambda e: e.pop("account"), "account"),
        (lambda e: e.update(account="12345"), "account"),
        (lambda e: e.update(region="Mars"), "region"),
        (lambda e: e.update(time="yesterday"), "time"),
        (lambda e: e.update(detail="{}"), "detail"),
        (lambda e: e["detail"].pop("HyperParameterTuningJobName"), "detail.HyperParameterTuningJobName"),
        (lambda e: e["detail"].update(HyperParameterTuningJobName="no_underscores"), "HyperParameterTuningJobName"),
        (lambda e: e["detail"].update(HyperParameterTuningJobArn="arn:aws:s3:::bucket"), "HyperParameterTuningJobArn"),
        (lambda e: e["detail"].update(HyperParameterTuningJobArn=arn("other-job")), "HyperParameterTuningJobArn"),
        (lambda e: e["detail"].pop("HyperParameterTuningJobStatus"), "HyperParameterTuningJobStatus"),
        (lambda e: e["detail"].update(HyperParameterTuningJobStatus="Done"), "HyperParameterTuningJobStatus"),
        (lambda e: e["detail"].update(Tags=[{"Key": "team", "Value": "nlp"}]), "detail.Tags"),
    ],
)
def test_a_malformed_state_change_is_refused_naming_the_field(change, field):
    event = state_change("lr-linear", "Completed")
    change(event)

    with pytest.raises(InvalidRequest) as refused:
        read_state_change(event)

    assert field in str(refused.value)


def test_a_state_change_whose_envelope_names_another_account_than_the_jobs_arn_is_refused():
    event = state_change("lr-linear", "InProgress", account=OTHER)
    event["detail"]["HyperParameterTuningJobArn"] = arn("lr-linear", ACCOUNT)

    with pytest.raises(AccountMismatch, match=f"envelope's account {OTHER} is not the job ARN's account {ACCOUNT}"):
        read_state_change(event)


def test_lint_and_the_emulator_helpers_still_find_no_request_in_a_state_change():
    assert isinstance(read_event(state_change("lr-linear", "InProgress")), SkippedCall)


def test_without_the_trigger_wired_a_state_change_is_skipped_as_before():
    audit = ClaimingAuditStore()
    service = GuardrailService(Settings(mode=Mode.MONITOR), FakeJobs(), FakeNotifier(), audit=audit)

    outcome = service.handle(state_change("lr-linear", "InProgress"))

    assert outcome.status is Status.SKIPPED and "no request" in (outcome.reason or "")


def test_a_forged_state_change_is_rejected_and_recorded_and_nothing_is_read():
    service, audit, notifier, reader = guardrail(FakeReader({"lr-linear": linear_request("lr-linear")}))
    event = state_change("lr-linear", "InProgress", account=OTHER)
    event["detail"]["HyperParameterTuningJobArn"] = arn("lr-linear", ACCOUNT)

    outcome = service.handle(event)

    assert outcome.status is Status.REJECTED
    assert audit.records[event["id"]].raw_event is not None
    assert reader.reads == [] and notifier.sent == []


def test_a_state_change_of_an_account_a_single_account_guardrail_does_not_watch_is_rejected():
    service, _, _, reader = guardrail(FakeReader({"lr-linear": linear_request("lr-linear")}), account_id=OTHER)

    outcome = service.handle(state_change("lr-linear", "InProgress"))

    assert outcome.status is Status.REJECTED and "watches only its own account" in (outcome.reason or "")
    assert reader.reads == []


# --- InProgress: the job whose creation event never came ------------------------------------------------------


def test_in_progress_for_a_job_no_event_judged_is_described_and_judged_once_as_the_state_change_trigger():
    service, audit, notifier, reader = guardrail(FakeReader({"lr-linear": linear_request("lr-linear")}))

    first = service.handle(state_change("lr-linear", "InProgress", event_id="sc-1"))
    again = service.handle(state_change("lr-linear", "InProgress", event_id="sc-2"))

    own = described_event_id(STATE_CHANGE, ACCOUNT, REGION, "lr-linear")
    assert first.status is Status.EVALUATED and first.event_id == own
    record = audit.records[own]
    assert record.trigger == STATE_CHANGE and record.team == "nlp", "tags come from the event"
    assert [f.rule for f in record.findings] and len(notifier.sent) == 1
    assert again.status is Status.SKIPPED and len(notifier.sent) == 1, "the second InProgress does nothing more"
    assert set(audit.records) == {own}
    assert reader.reads[0] == (ACCOUNT, REGION, "sc-1")


def test_in_progress_for_a_job_its_cloudtrail_event_judged_is_recorded_as_skipped_without_an_alert():
    service, audit, notifier, reader = guardrail(FakeReader({"lr-linear": linear_request("lr-linear")}))
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))

    outcome = service.handle(state_change("lr-linear", "InProgress", event_id="sc-1"))

    assert outcome.status is Status.SKIPPED
    assert "already judged through cloudtrail (event ct-1" in (outcome.reason or "")
    assert audit.records["sc-1"].status is Status.SKIPPED
    assert len(notifier.sent) == 1 and reader.reads == []


def test_a_job_that_cannot_be_described_is_recorded_and_the_event_is_done():
    reader = FakeReader(broken=AccountAccessFailed(f"account {OTHER}: the member role could not be assumed"))
    service, audit, notifier, _ = guardrail(reader)

    outcome = service.handle(state_change("lr-linear", "InProgress", event_id="sc-1"))

    assert outcome.status is Status.SKIPPED and "could not describe tuning job lr-linear" in (outcome.reason or "")
    assert "member role could not be assumed" in (audit.records["sc-1"].reason or "")
    assert notifier.sent == []


def test_a_job_gone_before_it_was_described_is_recorded_as_skipped():
    service, audit, _, _ = guardrail(FakeReader())

    outcome = service.handle(state_change("lr-linear", "InProgress", event_id="sc-1"))

    assert outcome.status is Status.SKIPPED and "no longer exists" in (outcome.reason or "")
    assert audit.records["sc-1"].status is Status.SKIPPED


# --- Completed, Stopped, Failed: the review ---------------------------------------------------------------------


def finished_reader(name: str, request: dict[str, Any], status: str = "Completed") -> FakeReader:
    return FakeReader({name: request}, {name: status}, {name: edge_training_jobs()})


def test_a_finished_job_is_reviewed_once_on_its_record_with_one_follow_up_in_the_alerts_thread():
    service, audit, notifier, _ = guardrail(finished_reader("lr-linear", linear_request("lr-linear")))
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))
    (creation_alert,) = notifier.sent

    outcomes = [service.handle(state_change("lr-linear", "Completed", event_id=f"sc-{i}")) for i in range(3)]

    assert [o.status for o in outcomes] == [Status.EVALUATED, Status.SKIPPED, Status.SKIPPED]
    review = audit.records["ct-1"].review
    assert review is not None and review.trigger == "state-change Completed"
    assert review.spend_usd == pytest.approx(6 * 0.5 * 0.23)
    assert review.worst_case_usd == audit.records["ct-1"].worst_case_usd, "the worst case recorded at creation"
    assert review.pace is not None and review.pace.completed_training_jobs == 6
    assert [e.parameter for e in review.range_edges] == ["learning_rate"]
    (_, follow_up) = notifier.sent
    assert (
        follow_up.chatbot["metadata"]["threadId"] == creation_alert.chatbot["metadata"]["threadId"] == arn("lr-linear")
    )
    assert follow_up.attributes["action"] == "review" and follow_up.attributes["team"] == "nlp"
    assert "review-range-edge" in follow_up.email and "Actual spend:" in follow_up.email
    assert audit.records["ct-1"].actions[REVIEW_FOLLOW_UP].result == "sent"


def test_a_job_with_nothing_to_say_and_no_creation_alert_is_reviewed_without_a_message():
    training = [summary(i, {"learning_rate": "0.003"}, 0.5, metric="validation:auc") for i in range(3)]
    for job in training:
        job |= {"BillableTimeInSeconds": 600}
    reader = FakeReader({"quiet": quiet_request("quiet")}, {"quiet": "Completed"}, {"quiet": training})
    service, audit, notifier, _ = guardrail(reader)
    service.handle(cloudtrail_event(quiet_request("quiet"), event_id="ct-1"))
    assert notifier.sent == [], "the creation rules let this job pass"

    outcome = service.handle(state_change("quiet", "Completed"))

    review = audit.records["ct-1"].review
    assert outcome.status is Status.EVALUATED and review is not None and not review.has_something_to_say
    assert notifier.sent == [] and REVIEW_FOLLOW_UP not in audit.records["ct-1"].actions


def test_a_finished_job_no_event_judged_is_judged_first_then_reviewed():
    service, audit, notifier, _ = guardrail(finished_reader("lr-linear", linear_request("lr-linear"), "Stopped"))

    outcome = service.handle(state_change("lr-linear", "Stopped", event_id="sc-1"))

    own = described_event_id(STATE_CHANGE, ACCOUNT, REGION, "lr-linear")
    assert outcome.status is Status.EVALUATED and outcome.event_id == own
    record = audit.records[own]
    assert record.trigger == STATE_CHANGE and record.review is not None and record.review.job_status == "Stopped"
    assert [a.attributes["action"] for a in notifier.sent] == ["notify", "review"]


def test_a_follow_up_that_could_not_be_published_raises_and_the_retry_sends_it_once():
    notifier = FakeNotifier()
    service, audit, _, _ = guardrail(finished_reader("lr-linear", linear_request("lr-linear")), notifier=notifier)
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))
    notifier.fail = True

    with pytest.raises(NotificationFailed):
        service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))
    assert audit.records["ct-1"].actions[REVIEW_FOLLOW_UP].result == "failed"
    assert audit.records["ct-1"].review is not None, "the review is kept: the retry does not review again"

    notifier.fail = False
    service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))
    service.handle(state_change("lr-linear", "Completed", event_id="sc-2"))

    assert [a.attributes["action"] for a in notifier.sent] == ["notify", "review"]
    assert audit.records["ct-1"].actions[REVIEW_FOLLOW_UP].result == "sent"


def test_a_concurrent_delivery_holding_the_record_sends_no_second_follow_up():
    service, audit, notifier, _ = guardrail(finished_reader("lr-linear", linear_request("lr-linear")))
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))
    from hpo_guardrail.enforce.audit import Claim

    audit.claims["ct-1"] = Claim(owner="another-delivery", until=NOW.timestamp() + 30)

    outcome = service.handle(state_change("lr-linear", "Completed"))

    assert outcome.actions[REVIEW_FOLLOW_UP] == "another delivery is sending it"
    assert [a.attributes["action"] for a in notifier.sent] == ["notify"]


def test_a_job_still_in_progress_on_describe_is_recorded_and_raised_so_lambda_retries_and_the_retry_reviews_once():
    reader = finished_reader("lr-linear", linear_request("lr-linear"), status="InProgress")
    service, audit, notifier, _ = guardrail(reader)
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))

    with pytest.raises(ReviewNotMade, match="could not review tuning job lr-linear"):
        service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))
    assert "InProgress" in (audit.records["sc-1"].reason or "") and "retries" in (audit.records["sc-1"].reason or "")
    assert audit.records["ct-1"].review is None and len(notifier.sent) == 1

    reader.statuses["lr-linear"] = "Completed"  # Lambda's retry, a minute later
    outcome = service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))
    again = service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))

    assert outcome.status is Status.EVALUATED and audit.records["ct-1"].review is not None
    assert again.status is Status.SKIPPED and "already reviewed" in (again.reason or "")
    assert [a.attributes["action"] for a in notifier.sent] == ["notify", "review"]


class ThrottledTrainingJobs(FakeReader):
    """DescribeTrainingJob throttled past the client's retries, as the adapter raises it."""

    throttled: bool = True

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        if self.throttled:
            raise AwsCallFailed("SageMaker DescribeTrainingJob: ThrottlingException: Rate exceeded")
        return super().training_jobs(tuning_job_name)


def test_a_review_throttled_past_the_retries_is_raised_and_the_retry_attaches_it_once():
    reader = ThrottledTrainingJobs({"lr-linear": linear_request("lr-linear")}, {"lr-linear": "Completed"})
    reader.training["lr-linear"] = edge_training_jobs()
    service, audit, notifier, _ = guardrail(reader)
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))

    with pytest.raises(ReviewNotMade, match="AwsCallFailed: SageMaker DescribeTrainingJob: ThrottlingException"):
        service.handle(state_change("lr-linear", "Stopped", event_id="sc-1"))
    assert audit.records["ct-1"].review is None and "sc-1" in audit.records

    reader.throttled = False
    service.handle(state_change("lr-linear", "Stopped", event_id="sc-1"))

    assert audit.records["ct-1"].review is not None
    assert [a.attributes["action"] for a in notifier.sent] == ["notify", "review"]


class ThrottledDescribe(FakeReader):
    """DescribeHyperParameterTuningJob throttled past the client's retries once."""

    throttled: int = 1

    def describe(self, job_name: str) -> dict[str, Any]:
        if self.throttled:
            self.throttled -= 1
            raise AwsCallFailed("SageMaker DescribeHyperParameterTuningJob: ThrottlingException: Rate exceeded")
        return super().describe(job_name)


def test_a_finished_job_no_event_judged_whose_describe_is_throttled_is_raised_then_judged_and_reviewed():
    reader = ThrottledDescribe({"lr-linear": linear_request("lr-linear")}, {"lr-linear": "Completed"})
    reader.training["lr-linear"] = edge_training_jobs()
    service, audit, _, _ = guardrail(reader)

    with pytest.raises(ReviewNotMade, match="could not describe tuning job lr-linear"):
        service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))
    service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))

    own = described_event_id(STATE_CHANGE, ACCOUNT, REGION, "lr-linear")
    assert audit.records[own].review is not None


def test_a_review_of_data_that_cannot_be_read_is_recorded_and_the_event_is_done():
    reader = finished_reader("lr-linear", linear_request("lr-linear"))
    reader.training["lr-linear"][0]["TrainingJobStatus"] = "Exploded"
    service, audit, notifier, _ = guardrail(reader)
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))

    outcome = service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))

    assert outcome.status is Status.SKIPPED and "could not review tuning job lr-linear" in (outcome.reason or "")
    assert "TrainingJobStatus" in (audit.records["sc-1"].reason or "")
    assert audit.records["ct-1"].review is None and len(notifier.sent) == 1


def test_a_member_role_that_cannot_be_assumed_for_the_review_is_recorded_and_the_event_is_done():
    reader = finished_reader("lr-linear", linear_request("lr-linear"))
    service, audit, _, _ = guardrail(reader)
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))
    reader.broken = AccountAccessFailed(f"account {ACCOUNT}: the member role could not be assumed")

    outcome = service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))

    assert outcome.status is Status.SKIPPED and "member role could not be assumed" in (outcome.reason or "")
    assert audit.records["ct-1"].review is None


@dataclass
class PeekingNotifier(FakeNotifier):
    """Notes the follow-up's recorded result at the moment it is published."""

    audit: Any = None
    seen: list[str] = field(default_factory=list)

    def publish(self, alert):
        if alert.attributes["action"] == "review":
            self.seen.append(self.audit.records["ct-1"].actions[REVIEW_FOLLOW_UP].result)
        return super().publish(alert)


def test_a_follow_up_is_recorded_as_pending_before_it_is_published():
    notifier = PeekingNotifier()
    service, audit, _, _ = guardrail(finished_reader("lr-linear", linear_request("lr-linear")), notifier=notifier)
    notifier.audit = audit
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))

    service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))

    assert notifier.seen == ["pending"] and audit.records["ct-1"].actions[REVIEW_FOLLOW_UP].result == "sent"


@pytest.mark.parametrize("left", ["pending", None], ids=["died-while-publishing", "died-before-recording-it"])
def test_a_retry_after_the_function_died_past_the_attach_publishes_the_follow_up_once(left):
    from hpo_guardrail.enforce.audit import ActionRecord

    reader = finished_reader("lr-linear", linear_request("lr-linear"))
    service, audit, notifier, _ = guardrail(reader)
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))
    service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))
    # The state the first delivery left when it died: the review attached, the follow-up pending or not recorded.
    record = audit.records["ct-1"]
    actions = {k: v for k, v in record.actions.items() if k != REVIEW_FOLLOW_UP}
    if left is not None:
        actions[REVIEW_FOLLOW_UP] = ActionRecord(result=left, at="2026-11-30T12:00:00Z")
    audit.records["ct-1"] = record.model_copy(update={"actions": actions})
    notifier.sent.clear()

    outcome = service.handle(state_change("lr-linear", "Completed", event_id="sc-1"))
    service.handle(state_change("lr-linear", "Completed", event_id="sc-2"))

    assert outcome.actions[REVIEW_FOLLOW_UP] == "sent"
    assert [a.attributes["action"] for a in notifier.sent] == ["review"]
    assert audit.records["ct-1"].actions[REVIEW_FOLLOW_UP].result == "sent"


def test_a_retry_of_a_review_not_worth_a_message_sends_none():
    training = [summary(i, {"learning_rate": "0.003"}, 0.5, metric="validation:auc") for i in range(3)]
    for job in training:
        job |= {"BillableTimeInSeconds": 600}
    reader = FakeReader({"quiet": quiet_request("quiet")}, {"quiet": "Completed"}, {"quiet": training})
    service, audit, notifier, _ = guardrail(reader)
    service.handle(cloudtrail_event(quiet_request("quiet"), event_id="ct-1"))
    first = service.handle(state_change("quiet", "Completed", event_id="sc-1"))

    again = service.handle(state_change("quiet", "Completed", event_id="sc-1"))

    assert first.actions[REVIEW_FOLLOW_UP] == "not needed" == again.actions[REVIEW_FOLLOW_UP]
    assert notifier.sent == [] and REVIEW_FOLLOW_UP not in audit.records["ct-1"].actions


def test_a_state_change_the_rule_does_not_ask_for_is_recorded_as_skipped():
    service, audit, _, reader = guardrail(FakeReader({"lr-linear": linear_request("lr-linear")}))

    outcome = service.handle(state_change("lr-linear", "Stopping", event_id="sc-1"))

    assert outcome.status is Status.SKIPPED and reader.reads == []
    assert audit.records["sc-1"].reason == outcome.reason


def test_the_claim_of_a_job_judged_by_its_cloudtrail_event_is_the_one_the_review_follows():
    service, audit, _, _ = guardrail(finished_reader("lr-linear", linear_request("lr-linear")))
    service.handle(cloudtrail_event(linear_request("lr-linear"), event_id="ct-1"))

    assert audit.jobs[job_claim_key(ACCOUNT, REGION, "lr-linear")].trigger == CLOUDTRAIL
    service.handle(state_change("lr-linear", "Failed"))

    assert audit.records["ct-1"].review is not None


def test_the_follow_up_of_a_review_with_nothing_above_info_says_so_and_threads_on_the_name_without_an_arn():
    from hpo_guardrail.enforce.alerts import review_follow_up_alert
    from hpo_guardrail.enforce.audit import ReviewCounts, ReviewRecord

    record = AuditRecord(
        event_id="ct-1",
        occurred_at="2026-11-30T10:00:00Z",
        recorded_at="2026-11-30T10:00:01Z",
        status=Status.EVALUATED,
        job_name="spot-job",
        account=ACCOUNT,
        region=REGION,
        team="nlp",
    )
    review = ReviewRecord(
        reviewed_at="2026-11-30T12:00:00Z",
        trigger="state-change Completed",
        job_status="Completed",
        spend_usd=12.5,
        spend_complete=True,
        spend_upper_bound=True,
        managed_spot=True,
        worst_case_usd=40.0,
        training_jobs=ReviewCounts(launched=3, completed=3, failed=0, stopped=0),
    )

    alert = review_follow_up_alert(record, review)

    assert alert.chatbot["metadata"]["threadId"] == "spot-job"
    assert "at most $12.50 of a worst case of $40.00" in alert.email and "an upper bound" in alert.email
    assert "The review found nothing above info." in alert.email
    assert alert.attributes["severity"] == "none" and alert.attributes["rules"] == []
    assert alert.subject == "[HPO Guardrail] spot-job completed: review"
