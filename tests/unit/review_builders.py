"""Small builders for review inputs, in the API's shapes: a Describe response, training job summaries, billing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rules.prices import BundledPrices, PriceTable
from rules.review import TuningJobReview, review_tuning_job
from rules.review_inputs import FinishedTuningJob, read_finished_tuning_job
from tests.builders import continuous, tuning_request

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PRICES = BundledPrices(
    PriceTable.model_validate(
        {
            "source": "test table",
            "as_of": "2026-11-01",
            "regions": {"us-east-1": {"ml.m5.xlarge": 0.23, "ml.g5.xlarge": 1.408}},
        }
    )
)


def summary(
    index: int,
    hyperparameters: dict[str, str],
    value: float | None = None,
    *,
    status: str = "Completed",
    definition: str | None = None,
    objective_status: str | None = None,
    failure_reason: str | None = None,
    metric: str = "validation:loss",
) -> dict[str, Any]:
    """The index-th training job (created index minutes after the start), as ListTrainingJobsFor... lists it."""
    created = START + timedelta(minutes=index)
    item: dict[str, Any] = {
        "TrainingJobName": f"job-{index:03d}",
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:111122223333:training-job/job-{index:03d}",
        "CreationTime": created,
        "TrainingJobStatus": status,
        "TunedHyperParameters": hyperparameters,
    }
    if definition is not None:
        item["TrainingJobDefinitionName"] = definition
    if value is not None:
        item["FinalHyperParameterTuningJobObjectiveMetric"] = {"MetricName": metric, "Value": value}
        item["ObjectiveStatus"] = objective_status or "Succeeded"
    elif objective_status is not None:
        item["ObjectiveStatus"] = objective_status
    if failure_reason is not None:
        item["FailureReason"] = failure_reason
    return item


def description(
    request: dict[str, Any] | None = None,
    *,
    status: str = "Completed",
    objective: tuple[str, str] | None = ("validation:loss", "Minimize"),
    early_stopping: str | None = None,
) -> dict[str, Any]:
    """A DescribeHyperParameterTuningJob response for a request (default: one linear learning rate range)."""
    request = request or tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "0.1")])
    described = {**request, "HyperParameterTuningJobStatus": status}
    config = dict(described["HyperParameterTuningJobConfig"])
    config.pop("HyperParameterTuningJobObjective", None)
    if objective is not None:
        config["HyperParameterTuningJobObjective"] = {"MetricName": objective[0], "Type": objective[1]}
    if early_stopping is not None:
        config["TrainingJobEarlyStoppingType"] = early_stopping
    described["HyperParameterTuningJobConfig"] = config
    return described


def finished_job(
    summaries: list[dict[str, Any]],
    *,
    describe: dict[str, Any] | None = None,
    seconds: int | dict[str, int | None] | None = 3600,
    worst_case_usd: float | None = None,
    billing: dict[str, Any] | None = None,
) -> FinishedTuningJob:
    """The review's input: every training job billed `seconds` (or by name) unless `billing` says otherwise."""
    if billing is None:
        billing = {}
        for item in summaries:
            name = item["TrainingJobName"]
            billed = seconds.get(name, 3600) if isinstance(seconds, dict) else seconds
            billing[name] = {"BillableTimeInSeconds": billed} if billed is not None else {}
    return read_finished_tuning_job(
        describe or description(),
        [{"TrainingJobSummaries": summaries}],
        billing,
        region="us-east-1",
        worst_case_usd=worst_case_usd,
    )


def review(summaries: list[dict[str, Any]], **kwargs: Any) -> TuningJobReview:
    return review_tuning_job(finished_job(summaries, **kwargs), PRICES)


def of_rule(result: TuningJobReview, rule_id: str) -> list[Any]:
    return [f for f in result.findings if f.rule == rule_id]
