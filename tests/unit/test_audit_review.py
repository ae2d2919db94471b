"""The review on the audit record: its stored form reads back, stays within its size, and is attached once."""

from __future__ import annotations

import json

import pytest

from hpo_guardrail.adapters.dynamodb import _item, _record
from hpo_guardrail.enforce.audit import REVIEW_LIMIT, AuditRecord, NoAuditStore, ReviewRecord
from hpo_guardrail.enforce.ports import AuditRecordNotFound
from rules.findings import Finding, Severity
from rules.review import RANGE_EDGE, TuningJobReview
from rules.review_inputs import read_finished_tuning_job
from rules.review_pace import pace_of, training_job_budget
from tests.audit_builders import evaluated
from tests.builders import continuous, tuning_request
from tests.unit.fakes import FakeAuditStore
from tests.unit.review_builders import PRICES, description, finished_job, review, summary

REVIEWED_AT = "2026-11-20T12:00:00Z"


def edge_review() -> TuningJobReview:
    """A linear learning rate whose best sits at the lower edge; one failed and one stopped training job."""
    request = tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")])
    summaries = [summary(i, {"learning_rate": str(0.1 + 0.09 * i)}, 0.5 + i / 100) for i in range(1, 9)]
    summaries += [
        summary(9, {"learning_rate": "0.00011"}, 0.1),
        summary(10, {"learning_rate": "0.5"}, None, status="Failed", failure_reason="AlgorithmError: boom"),
        summary(11, {"learning_rate": "0.7"}, 0.9, status="Stopped"),
    ]
    return review(summaries, describe=description(request, status="Stopped"), worst_case_usd=40)


def stored(result: TuningJobReview | None = None, trigger: str = "state-change Stopped") -> ReviewRecord:
    return ReviewRecord.of(result or edge_review(), trigger=trigger, reviewed_at=REVIEWED_AT)


# --- the stored form ---------------------------------------------------------------------------------


def test_the_stored_review_keeps_spend_best_objective_findings_and_who_reviewed_when():
    result = edge_review()
    kept = stored(result)

    assert (kept.reviewed_at, kept.trigger, kept.job_status) == (REVIEWED_AT, "state-change Stopped", "Stopped")
    assert (kept.spend_usd, kept.spend_complete, kept.worst_case_usd) == (result.spend.usd, True, 40)
    assert kept.best is not None and (kept.best.name, kept.best.objective_value) == ("job-009", 0.1)
    assert (kept.best.metric, kept.best.objective_type, kept.best.position, kept.best.of) == (
        "validation:loss",
        "Minimize",
        9,
        11,
    )
    assert [f.rule for f in kept.findings] == [f.rule for f in result.findings]
    assert kept.rule_severities[RANGE_EDGE] == "medium" and kept.rule_severities["review-spend"] == "info"
    assert [(e.parameter, e.edge, e.severity) for e in kept.range_edges] == [("learning_rate", "lower", "medium")]
    assert kept.has_something_to_say and kept.findings_omitted == 0
    assert (kept.training_jobs.launched, kept.training_jobs.failed, kept.training_jobs.stopped) == (11, 1, 1)


def test_the_stored_review_reads_back_equal_from_json():
    kept = stored()
    assert ReviewRecord.model_validate_json(kept.model_dump_json()) == kept


def test_the_bound_of_the_spend_reads_at_least_or_at_most():
    exact = stored()
    assert exact.spend_bound is None
    assert exact.model_copy(update={"spend_complete": False}).spend_bound == "at least"
    assert exact.model_copy(update={"spend_upper_bound": True}).spend_bound == "at most"


def test_a_review_too_large_for_the_item_drops_its_least_severe_findings_and_counts_them():
    base = edge_review()
    many = tuple(
        Finding(rule=RANGE_EDGE, severity=Severity.LOW, message="m" * 2000, fix="f" * 2000, parameter=f"p{i}")
        for i in range(200)
    )
    big = base.model_copy(update={"findings": (*base.findings, *many)})

    kept = stored(big)

    assert kept.size() <= REVIEW_LIMIT
    assert kept.findings_omitted > 0 and len(kept.findings) + kept.findings_omitted == len(big.findings)
    assert [f.rule for f in kept.findings[: len(base.findings)]] == [f.rule for f in base.findings], "most severe kept"
    assert all(len(f.message) <= 600 for f in kept.findings), "each text is cut"


def test_a_record_without_a_review_reads_as_before():
    record = evaluated("old", "2026-11-02T10:00:00Z")
    old_json = record.model_dump(mode="json", exclude={"review"})

    assert AuditRecord.model_validate(old_json).review is None
    assert _record(_item(record)).review is None and "review" not in _item(record)


def test_the_dynamodb_item_keeps_the_review_as_its_own_attribute_and_reads_it_back():
    record = evaluated("r1", "2026-11-02T10:00:00Z").with_review(stored())
    item = _item(record)

    assert "review" not in json.loads(item["record"]["S"]), "the review is not in the record's body"
    assert _record(item) == record


# --- attach once ------------------------------------------------------------------------------------


def test_the_fake_store_attaches_a_review_once_and_says_so_the_second_time():
    audit = FakeAuditStore()
    audit.begin(evaluated("e1", "2026-11-02T10:00:00Z"))
    first, second = stored(trigger="state-change Stopped"), stored(trigger="state-change Stopped (repeated)")

    assert audit.attach_review("e1", first) is None
    earlier = audit.attach_review("e1", second)

    assert earlier == first, "the second attach returns the review already stored"
    assert audit.records["e1"].review == first


def test_attaching_a_review_to_no_record_is_an_error():
    with pytest.raises(AuditRecordNotFound, match="e-missing"):
        FakeAuditStore().attach_review("e-missing", stored())


def test_without_an_audit_table_attaching_a_review_keeps_nothing():
    assert NoAuditStore().attach_review("e1", stored()) is None


# --- the pace ---------------------------------------------------------------------------------------


def test_the_pace_is_the_cost_of_the_completed_training_jobs_and_the_budget_of_the_worst_case():
    request = tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "0.1")], max_jobs=40)
    summaries = [
        summary(1, {"learning_rate": "0.01"}, 0.3),
        summary(2, {"learning_rate": "0.02"}, 0.2),
        summary(3, {"learning_rate": "0.03"}, None, status="Stopped"),
    ]
    job = finished_job(summaries, describe=description(request, status="Stopped"), seconds=3600)

    pace = pace_of(job, PRICES)

    # The builders' definition runs 1 x ml.m5.xlarge ($0.23/h in the test table); the stopped one is left out.
    assert (pace.training_job_budget, pace.budget_basis, pace.completed_training_jobs) == (
        40,
        "MaxNumberOfTrainingJobs",
        2,
    )
    assert pace.completed_usd == pytest.approx(2 * 0.23) and pace.usd_per_training_job == pytest.approx(0.23)


def test_without_a_completed_training_job_there_is_no_pace():
    summaries = [summary(1, {"learning_rate": "0.01"}, None, status="Stopped")]
    pace = pace_of(finished_job(summaries, describe=description(status="Stopped")), PRICES)
    assert pace.completed_training_jobs == 0 and pace.usd_per_training_job is None


def test_the_budget_without_max_number_of_training_jobs_is_the_grid_or_the_default():
    grid = tuning_request(
        categorical_ranges=[{"Name": "optimizer", "Values": ["sgd", "adam", "rmsprop"]}],
        strategy="Grid",
        max_jobs=None,
    )
    unbounded = tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "0.1")], max_jobs=None)

    def budget(request: dict, default: int = 750) -> tuple[int, str]:
        job = read_finished_tuning_job(description(request), [{"TrainingJobSummaries": []}], {}, region="us-east-1")
        return training_job_budget(job.request, default)

    assert budget(grid) == (3, "Grid combinations")
    assert budget(unbounded, 500) == (500, "default quota")
