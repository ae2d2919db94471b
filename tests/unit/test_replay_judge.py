"""A recorded evaluation judged again: the audit record keeps what a replay needs, and the replay uses it.

Records are made by the guardrail's own service over fake ports, so these tests also hold the service to
passing the request and the deployment's layer to the audit record.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hpo_guardrail.enforce.audit import NOT_STORED, REQUEST_LIMIT, AuditRecord
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.replay.compare import NotReplayable, NotReplayableKind, ReplayedJob, compare
from hpo_guardrail.replay.judge import RecordedPrices, Replayer
from rules.policy import BaseLayer, Mode, PolicyDocument
from rules.policy_file import default_policy, parse_policy
from rules.prices import BundledPrices, PriceQuote, PriceSource
from tests.builders import ROLE, cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.fakes import FakeAuditStore, FakeJobs, FakeNotifier

EVALUATED_ON = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def costly_linear(name: str = "costly-linear", **extra) -> dict:
    """100 jobs x 10 h on ml.p3.2xlarge with a linear learning rate: costly and misconfigured."""
    return cloudtrail_event(
        tuning_request(
            name,
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000, **extra),
            tags={"team": "nlp"},
        ),
        event_id=f"evt-{name}",
    )


def record_of(
    event: dict,
    *,
    mode: Mode = Mode.MONITOR,
    policy: str | None = None,
    prices=None,
    when: datetime = EVALUATED_ON,
) -> AuditRecord:
    """What the guardrail records for `event`, evaluated at `when`."""
    store = FakeAuditStore()
    settings = Settings(mode=mode, budget_cap_usd=1000, policy=policy)
    jobs = FakeJobs({event["detail"]["requestParameters"]["hyperParameterTuningJobName"]: "InProgress"})
    service = GuardrailService(settings, jobs, FakeNotifier(), audit=store, prices=prices, clock=lambda: when)
    service.handle(event)
    (record,) = store.records.values()
    return record


def candidate(text: str) -> PolicyDocument:
    return parse_policy(text, "candidate.yaml")


def replayer(document: PolicyDocument, **options) -> Replayer:
    return Replayer(document, bundled_as_of=BundledPrices().as_of, fallback_base=BaseLayer(), **options)


def replayed(record: AuditRecord, document: PolicyDocument, **options) -> ReplayedJob:
    result = replayer(document, **options).replay(record)
    assert isinstance(result, ReplayedJob), result
    return result


# --- what the audit record keeps ---------------------------------------------------------------------


def test_an_evaluated_record_keeps_the_request_context_prices_and_deployment_layer():
    event = costly_linear()
    record = record_of(event, mode=Mode.ENFORCE)
    assert record.request == event["detail"]["requestParameters"]
    assert record.role_arn == ROLE
    assert record.base_layer is not None
    assert record.base_layer["overrides"] == {"mode": "enforce", "budget_cap_usd": 1000.0}
    assert set(record.base_layer["origins"]) == {"mode", "budget_cap_usd"}
    (quote,) = [PriceQuote.model_validate(q) for q in record.price_quotes or []]
    assert (quote.instance_type, quote.source) == ("ml.p3.2xlarge", PriceSource.BUNDLED)
    assert record.request_omitted is None


def test_the_stored_request_leaves_out_container_environment_values():
    event = costly_linear(Environment={"WANDB_API_KEY": "secret-value", "MODE": "train"})
    record = record_of(event)
    assert record.request is not None
    environment = record.request["trainingJobDefinition"]["environment"]
    assert environment == {"WANDB_API_KEY": NOT_STORED, "MODE": NOT_STORED}
    assert "secret-value" not in json.dumps(record.model_dump(mode="json"))
    assert record.request["trainingJobDefinition"]["staticHyperParameters"] == {"epochs": "10"}, "only env values"


def test_a_request_too_large_to_store_is_left_out_and_the_record_says_why():
    # Static hyperparameters up to SageMaker's 100, each value long: over the limit of a stored request.
    static = {f"param_{i}": "x" * 1_100 for i in range(95)}
    record = record_of(costly_linear(StaticHyperParameters=static))
    assert record.request is None
    assert record.request_omitted is not None and f"{REQUEST_LIMIT:,}-byte limit" in record.request_omitted
    result = replayer(default_policy()).replay(record)
    assert isinstance(result, NotReplayable) and result.kind is NotReplayableKind.REQUEST_OMITTED


def test_records_without_the_new_fields_still_read():
    """An item written before records kept the request reads back, with nothing to replay."""
    record = record_of(costly_linear())
    older = {
        k: v
        for k, v in record.model_dump(mode="json").items()
        if k not in {"request", "request_omitted", "role_arn", "price_quotes", "base_layer"}
    }
    restored = AuditRecord.model_validate(older)
    result = replayer(default_policy()).replay(restored)
    assert isinstance(result, NotReplayable)
    assert result.kind is NotReplayableKind.NO_REQUEST
    assert result.reason.startswith("no stored request")


def test_skipped_and_rejected_events_are_not_replayed():
    failed = cloudtrail_event(tuning_request("failed"), error_code="ValidationException", event_id="evt-failed")
    result = replayer(default_policy()).replay(record_of(failed))
    assert isinstance(result, NotReplayable) and result.kind is NotReplayableKind.NOT_EVALUATED
    assert result.reason.startswith("skipped: the call failed")


# --- the replay reproduces what was recorded ---------------------------------------------------------


def test_replaying_under_the_policy_in_force_changes_nothing():
    for event in (costly_linear(), cloudtrail_event(tuning_request("plain"), event_id="evt-plain")):
        job = replayed(record_of(event), default_policy())
        assert not compare(job).changed, job


def test_the_deployment_layer_comes_from_the_record_not_from_the_replaying_shell():
    # Recorded in an enforce deployment: stopped. The shell replaying it has no GUARDRAIL_MODE (monitor).
    record = record_of(costly_linear(), mode=Mode.ENFORCE)
    assert record.decision == "stop"
    job = replayed(record, default_policy())
    assert job.replayed.decision == "stop" and job.replayed.mode == "enforce"
    assert not compare(job).changed


def test_the_deployment_layer_of_the_shell_fills_in_for_a_record_without_one():
    record = record_of(costly_linear(), mode=Mode.ENFORCE).model_copy(update={"base_layer": None})
    job = replayed(record, default_policy())  # fallback_base: built-in defaults, monitor
    assert compare(job).stop_gone


def test_replay_prices_as_recorded_unless_asked_for_todays_prices():
    class DearPrices:
        """A Price List answer far above the bundled table (a price that changed since)."""

        as_of = "2026-11-26"

        def quote(self, region: str, instance_type: str) -> PriceQuote:
            return PriceQuote(
                instance_type=instance_type,
                region=region,
                usd_per_hour=50.0,
                source=PriceSource.LIVE,
                as_of="2026-11-26T09:30:00Z",
                origin="AWS Price List API",
            )

    plain = cloudtrail_event(
        tuning_request("plain", max_jobs=10, definition=training_definition("ml.m5.xlarge", 1, 3600)),
        event_id="evt-dear",
    )
    record = record_of(plain, prices=DearPrices())
    assert record.worst_case_usd == 500.0
    as_recorded = replayed(record, default_policy())
    assert as_recorded.replayed.worst_case_usd == 500.0 and not compare(as_recorded).changed
    today = replayed(record, default_policy(), prices=BundledPrices())
    assert today.replayed.worst_case_usd != 500.0


def test_a_type_without_a_recorded_price_stays_unpriced():
    book = RecordedPrices([], as_of="2026-11-26")
    assert book.quote("us-east-1", "ml.m5.xlarge") is None, "recorded unknown, not priced from the table now"


def test_exemptions_expire_by_the_day_the_record_was_evaluated_not_today():
    policy = """
version: 1
exemptions:
  - name: nlp-research
    match: {teams: [nlp]}
    rules: [log-scale]
    reason: a study of linear search
    owner: ml-platform
    expires: 2020-01-31
"""
    document = candidate(policy)
    # Written with the same policy in January 2020, when the exemption still held.
    record = record_of(costly_linear(), policy=None, when=datetime(2020, 1, 15, tzinfo=UTC))
    job = replayed(record, document)
    assert "log-scale" not in {f.rule for f in job.replayed.findings}, "the exemption held on 2020-01-15"
    assert {f.rule for f in job.replayed.suppressed} == {"log-scale"}


# --- the candidate's changes -------------------------------------------------------------------------


def test_a_scope_turned_to_enforce_stops_its_costly_misconfigured_jobs():
    record = record_of(costly_linear())
    assert record.decision == "notify"
    document = candidate("version: 1\nscopes:\n  - name: nlp\n    match: {teams: [nlp]}\n    mode: enforce\n")
    job = replayed(record, document)
    change = compare(job)
    assert (job.replayed.scope, job.replayed.decision, job.team) == ("nlp", "stop", "nlp")
    assert change.new_stop and not change.new_alert


def test_a_scope_matching_the_callers_role_applies_to_the_replay():
    # The principal is the assumed-role session ARN; only the stored role ARN matches this pattern.
    document = candidate(
        "version: 1\nscopes:\n  - name: data-science\n    match: {principals: ['arn:aws:iam::*:role/DataScientist']}\n"
        "    mode: enforce\n"
    )
    job = replayed(record_of(costly_linear()), document)
    assert (job.replayed.scope, job.replayed.decision) == ("data-science", "stop")


def test_mode_enforce_decides_every_job_as_enforce_would():
    job = replayed(record_of(costly_linear()), default_policy(), mode=Mode.ENFORCE)
    assert job.replayed.mode == "enforce" and compare(job).new_stop


def test_a_lower_cap_and_a_disabled_rule_show_as_findings_new_gone_and_re_rated():
    record = record_of(costly_linear())  # $3,825 against the $1,000 cap: budget-cap high
    assert {(f.rule, f.severity) for f in record.findings} >= {("budget-cap", "high"), ("early-stopping", "low")}
    document = candidate(
        "version: 1\ndefaults:\n  budget_cap_usd: 300\n  rules:\n    early-stopping: {enabled: false}\n"
    )
    change = compare(replayed(record, document))
    assert [f.rule for f in change.findings_gone] == ["early-stopping"]
    assert [(s.rule, s.recorded, s.replayed) for s in change.severity_changed] == [("budget-cap", "high", "critical")]
    assert change.findings_new == ()
    assert not (change.new_alert or change.alert_gone or change.new_stop or change.stop_gone)


def test_a_lower_cap_alerts_on_a_job_that_was_clean():
    plain = cloudtrail_event(
        tuning_request("plain", max_jobs=10, definition=training_definition("ml.m5.xlarge", 1, 3600)),
        event_id="evt-plain-cheap",
    )
    record = record_of(plain)  # $2.30, no findings
    assert (record.decision, record.findings) == ("none", [])
    change = compare(replayed(record, candidate("version: 1\ndefaults:\n  budget_cap_usd: 2\n")))
    assert change.new_alert
    # early-stopping and spot measure "a large budget" against the cap too
    assert [f.rule for f in change.findings_new] == ["budget-cap", "early-stopping", "spot"]


@pytest.mark.parametrize("bad", [{"hyperParameterTuningJobName": "x"}, {"nothing": 1}])
def test_a_stored_request_that_no_longer_reads_is_reported_not_raised(bad):
    record = record_of(costly_linear()).model_copy(update={"request": bad})
    result = replayer(default_policy()).replay(record)
    assert isinstance(result, NotReplayable) and result.kind is NotReplayableKind.UNREADABLE
    assert result.reason.startswith("the stored record no longer reads:")


def test_a_rejected_event_record_is_counted_as_not_evaluated():
    record = AuditRecord.not_evaluated(
        Status.REJECTED, "evt-bad", "missing detail", "2026-11-26T09:30:00Z", occurred_at=None, raw_event={}
    )
    result = replayer(default_policy()).replay(record)
    assert isinstance(result, NotReplayable) and result.kind is NotReplayableKind.NOT_EVALUATED
