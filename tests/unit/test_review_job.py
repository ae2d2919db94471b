"""review_finished_job: one orchestration (describe response + training jobs + evaluator + price book -> review) for
the CLI and the function, over fakes: no AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hpo_guardrail.enforce.evaluator import Evaluator
from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.review_job import (
    FINISHED_STATUSES,
    JobNotFinished,
    arn_account_region,
    review_finished_job,
)
from hpo_guardrail.enforce.settings import Settings
from rules.models import CallContext
from rules.parsing import InvalidRequest, read_request
from rules.prices import BundledPrices
from rules.review_inputs import TuningJobStatus
from tests.builders import ACCOUNT, continuous, training_definition, tuning_request

REGION = "eu-west-1"
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/churn"
START = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


class FakeTrainingJobs:
    """A TrainingJobSource answering from a list, counting the calls."""

    def __init__(self, summaries: list[dict[str, Any]]) -> None:
        self.summaries = summaries
        self.calls: list[str] = []

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        self.calls.append(tuning_job_name)
        return self.summaries


def describe(status: str = "Completed", **request: Any) -> dict[str, Any]:
    request.setdefault("continuous_ranges", [continuous("learning_rate", "0.0001", "1.0", "Linear")])
    created = tuning_request("churn", **request)
    created.pop("Tags", None)  # Describe returns no tags
    return created | {
        "HyperParameterTuningJobArn": ARN,
        "HyperParameterTuningJobStatus": status,
        "CreationTime": START,
        "HyperParameterTuningEndTime": START + timedelta(hours=2),
        "TrainingJobStatusCounters": {},
        "ObjectiveStatusCounters": {},
    }


def summary(index: int, learning_rate: str, auc: float, seconds: int, **described: Any) -> dict[str, Any]:
    """A HyperParameterTrainingJobSummary with the DescribeTrainingJob fields the reader merges in."""
    return {
        "TrainingJobName": f"churn-{index:03d}",
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/churn-{index:03d}",
        "CreationTime": START + timedelta(minutes=index),
        "TrainingJobStatus": "Completed",
        "TunedHyperParameters": {"learning_rate": learning_rate},
        "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:auc", "Value": auc},
        "ObjectiveStatus": "Succeeded",
        "BillableTimeInSeconds": seconds,
        **described,
    }


def evaluator(policy: str | None = None) -> Evaluator:
    return Evaluator.from_settings(Settings(), policies=PolicySource(policy), prices=BundledPrices())


def test_the_finished_statuses_are_those_the_review_core_calls_finished():
    assert set(FINISHED_STATUSES) == {s.value for s in TuningJobStatus if s.finished}


@pytest.mark.parametrize("status", ["InProgress", "Stopping", "Deleting", "DeleteFailed"])
def test_a_job_that_has_not_finished_is_refused_before_its_training_jobs_are_read(status):
    source = FakeTrainingJobs([summary(1, "0.5", 0.7, 60)])

    with pytest.raises(JobNotFinished, match=rf"^job churn is {status}: the review runs on a finished job"):
        review_finished_job(describe(status), source, evaluator(), BundledPrices())

    assert source.calls == []


def test_account_and_region_come_from_the_job_arn_and_the_worst_case_from_the_same_evaluation_as_scan():
    description = describe()
    guardrail = evaluator()
    source = FakeTrainingJobs([summary(1, "0.00011", 0.9, 3600), summary(2, "0.5", 0.7, 1800)])

    reviewed = review_finished_job(description, source, guardrail, BundledPrices())

    assert source.calls == ["churn"]
    assert (reviewed.account, reviewed.region, reviewed.job_arn) == (ACCOUNT, REGION, ARN)
    assert reviewed.created == START and reviewed.ended == START + timedelta(hours=2)
    context = CallContext(event_id="scan", account=ACCOUNT, region=REGION, job_arn=ARN)
    expected = guardrail.assess(read_request(description), context).evaluation.cost
    assert reviewed.worst_case.worst_case_usd == expected.worst_case_usd > 0
    assert reviewed.review.spend.worst_case_usd == expected.worst_case_usd
    assert reviewed.worst_case_source.startswith("estimated")
    hourly = BundledPrices().quote(REGION, "ml.m5.xlarge").usd_per_hour
    assert reviewed.review.spend.usd == pytest.approx(1.5 * hourly, abs=0.01)
    assert reviewed.review.best is not None and reviewed.review.best.name == "churn-001"


def test_a_recorded_worst_case_is_the_one_the_spend_is_compared_with():
    reviewed = review_finished_job(
        describe(),
        FakeTrainingJobs([summary(1, "0.5", 0.7, 3600)]),
        evaluator(),
        BundledPrices(),
        recorded_worst_case=(1234.5, False),
    )

    assert reviewed.review.spend.worst_case_usd == 1234.5
    assert reviewed.review.spend.worst_case_complete is False
    assert reviewed.worst_case_source == "recorded at creation"


def test_each_training_job_is_billed_on_the_instances_describe_training_job_reported():
    # DescribeTrainingJob says 4 instances where the definition asks for 1 (HyperParameterTuningResourceConfig).
    four = {"ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 4, "VolumeSizeInGB": 50}}
    reviewed = review_finished_job(
        describe(definition=training_definition("ml.m5.xlarge", 1)),
        FakeTrainingJobs([summary(1, "0.5", 0.7, 3600, **four), summary(2, "0.05", 0.8, 3600)]),
        evaluator(),
        BundledPrices(),
    )

    assert reviewed.review.spend.instance_hours == pytest.approx(5.0)


def test_the_policy_scope_the_tags_select_is_the_one_the_review_runs_under(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "scopes:\n  - name: research\n    match: {teams: [research]}\n"
        "    rules: {log-scale: {min_ratio: 1.0e+9, hinted_min_ratio: 1.0e+9}}\n",
        encoding="utf-8",
    )
    # Ten training jobs, nine of them in the top decade of a wide linear range: wasted under the default policy.
    summaries = [summary(i, f"{0.1 + 0.1 * i:.2f}", 0.6, 60) for i in range(9)] + [summary(9, "0.001", 0.9, 60)]

    def rules(tags: list[dict[str, str]]) -> set[str]:
        reviewed = review_finished_job(
            describe(), FakeTrainingJobs(summaries), evaluator(str(policy)), BundledPrices(), tags=tags
        )
        return {f.rule for f in reviewed.review.findings}

    assert "review-wasted-trials" in rules([])
    assert "review-wasted-trials" not in rules([{"Key": "team", "Value": "research"}])


def test_a_region_given_wins_over_the_arn_and_without_either_the_job_cannot_be_priced():
    description = describe()
    source = FakeTrainingJobs([summary(1, "0.5", 0.7, 60)])

    assert review_finished_job(description, source, evaluator(), BundledPrices(), region="us-east-1").region == (
        "us-east-1"
    )
    with pytest.raises(InvalidRequest, match="no region"):
        review_finished_job(
            description | {"HyperParameterTuningJobArn": "not-an-arn"}, source, evaluator(), BundledPrices()
        )


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (ARN, (ACCOUNT, REGION)),
        ("arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/a:b", ("123456789012", "us-east-1")),
        ("arn:aws:sagemaker", (None, None)),
        (None, (None, None)),
    ],
)
def test_arn_account_region(arn, expected):
    assert arn_account_region(arn) == expected
