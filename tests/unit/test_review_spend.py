"""review-spend: billable seconds x instance count x price, per definition and in total, next to the worst case."""

from __future__ import annotations

import pytest

from rules.findings import Severity
from rules.prices import BundledPrices, PriceTable
from rules.review import SPEND, actual_spend, review_tuning_job
from tests.builders import continuous, training_definition, tuning_request
from tests.unit.review_builders import PRICES, description, finished_job, of_rule, review, summary

LR = {"learning_rate": "0.01"}


def two_definitions(spot: bool = False) -> dict:
    ranges = {"ContinuousParameterRanges": [continuous("learning_rate", "0.0001", "0.1")]}
    return description(
        tuning_request(
            definitions=[
                training_definition("ml.m5.xlarge", 2, DefinitionName="cpu", HyperParameterRanges=ranges),
                training_definition(
                    "ml.g5.xlarge", 1, DefinitionName="gpu", HyperParameterRanges=ranges, EnableManagedSpotTraining=spot
                ),
            ]
        )
    )


def test_spend_is_billable_time_times_instances_times_price_per_definition_and_in_total():
    summaries = [summary(1, LR, 0.3, definition="cpu"), summary(2, LR, 0.2, definition="gpu")]
    job = finished_job(
        summaries, describe=two_definitions(), seconds={"job-001": 1800, "job-002": 7200}, worst_case_usd=100
    )
    spend, per_run = actual_spend(job, PRICES)
    cpu, gpu = spend.definitions
    # cpu: 0.5 h x 2 instances x $0.23 = $0.23; gpu: 2 h x 1 x $1.408 = $2.816.
    assert (cpu.definition, cpu.usd, cpu.instance_hours) == ("cpu", 0.23, 1.0)
    assert (gpu.definition, gpu.usd, gpu.instance_hours) == ("gpu", 2.82, 2.0)
    assert spend.usd == pytest.approx(3.05) and spend.complete and not spend.upper_bound
    assert spend.share_of_worst_case == pytest.approx(0.0305)
    assert per_run == pytest.approx({"job-001": 0.23, "job-002": 2.816})
    (finding,) = of_rule(review_tuning_job(job, PRICES), SPEND)
    assert finding.severity is Severity.INFO
    assert "Per definition: cpu $0.23; gpu $2.82." in finding.message
    assert "against a worst case of $100 estimated at creation (3.05%)" in finding.message
    assert any("ml.g5.xlarge $1.408/h, bundled price table" in line for line in spend.prices)


def test_the_training_jobs_own_instances_win_over_the_definitions():
    job = finished_job(
        [summary(1, LR, 0.3)],
        billing={
            "job-001": {
                "BillableTimeInSeconds": 3600,
                "ResourceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 3},
            }
        },
    )
    spend, _ = actual_spend(job, PRICES)
    assert spend.usd == pytest.approx(4.22) and spend.instance_hours == 3.0


def test_an_unknown_price_is_never_zero_dollars():
    request = tuning_request(
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1")], definition=training_definition("ml.x9.huge")
    )
    result = review([summary(1, LR, 0.3), summary(2, LR, 0.2)], describe=description(request))
    (finding,) = of_rule(result, SPEND)
    assert not result.spend.complete and result.spend.unpriced_instance_types == ("ml.x9.huge",)
    assert finding.severity is Severity.LOW and "no price is known for ml.x9.huge (2 instance-hours not counted)" in (
        finding.message
    )
    assert "at least $0.00" in finding.message and "lower bound" in finding.fix
    assert finding.platform_note and "ml.x9.huge" in finding.platform_note
    assert result.spend.describe().startswith("at least $0.00")


def test_an_estimate_from_another_region_is_used_and_labelled():
    job = finished_job([summary(1, LR, 0.3)])
    job = job.model_copy(update={"region": "eu-west-1"})
    spend, _ = actual_spend(job, PRICES)
    assert spend.complete and spend.usd == pytest.approx(0.23)
    assert "estimate: the us-east-1 price" in spend.prices[0]


def test_a_training_job_without_billing_is_counted_as_missing_not_free():
    job = finished_job([summary(1, LR, 0.3), summary(2, LR, 0.2)], billing={"job-001": {"BillableTimeInSeconds": 3600}})
    result = review_tuning_job(job, PRICES)
    (finding,) = of_rule(result, SPEND)
    assert result.spend.training_jobs_without_billing == 1 and not result.spend.complete
    assert "1 training job(s) had no billable time to read" in finding.message


def test_a_training_job_that_never_ran_costs_nothing_and_is_complete():
    result = review([summary(1, LR, 0.3), summary(2, LR, None, status="Failed")], seconds={"job-002": None})
    assert result.spend.complete and result.spend.usd == pytest.approx(0.23)


def test_managed_spot_makes_the_figure_an_upper_bound():
    summaries = [summary(1, LR, 0.3, definition="cpu"), summary(2, LR, 0.2, definition="gpu")]
    result = review(summaries, describe=two_definitions(spot=True))
    (finding,) = of_rule(result, SPEND)
    assert result.spend.upper_bound and result.spend.definitions[1].managed_spot
    assert "priced at the on-demand rate of their billed seconds" in finding.message
    assert "AWS counts the spot savings in BillableTimeInSeconds itself" in finding.message
    assert "an upper bound only as long as a billed spot second costs no more than an on-demand one" in finding.message
    assert "spot capacity bills less per hour" not in finding.message
    assert finding.evidence["upper_bound"] is True and finding.evidence["spot_definitions"] == 1
    assert "spot_savings_share" not in finding.evidence, "no TrainingTimeInSeconds given: no savings to report"
    assert "an upper bound: managed spot training jobs' billed seconds at the on-demand rate" in result.spend.describe()


def test_the_spot_savings_are_reported_from_the_training_time():
    # Two spot training jobs: 1,200 s billed of 3,000 s trained, and 600 s of 1,000 s: 1 - 1,800 / 4,000 = 55%.
    billing = {
        "job-001": {"BillableTimeInSeconds": 1200, "TrainingTimeInSeconds": 3000, "EnableManagedSpotTraining": True},
        "job-002": {"BillableTimeInSeconds": 600, "TrainingTimeInSeconds": 1000, "EnableManagedSpotTraining": True},
    }
    job = finished_job([summary(1, LR, 0.3), summary(2, LR, 0.2)], billing=billing)
    spend = actual_spend(job, PRICES)[0]
    assert spend.spot_savings_share == pytest.approx(0.55)
    assert spend.usd == pytest.approx(1800 / 3600 * 0.23, abs=0.01), "the billed seconds at the on-demand rate"
    (finding,) = of_rule(review_tuning_job(job, PRICES), SPEND)
    assert "here 55% saved on 1.11 training hours" in finding.message
    assert finding.evidence["spot_savings_share"] == pytest.approx(0.55)
    assert (finding.evidence["spot_training_seconds"], finding.evidence["spot_billable_seconds"]) == (4000, 1800)


def test_the_training_jobs_own_spot_flag_counts():
    job = finished_job(
        [summary(1, LR, 0.3)], billing={"job-001": {"BillableTimeInSeconds": 600, "EnableManagedSpotTraining": True}}
    )
    assert actual_spend(job, PRICES)[0].upper_bound


def test_instance_configs_without_the_chosen_one_are_priced_at_the_dearest():
    definition = training_definition()
    del definition["ResourceConfig"]
    definition["HyperParameterTuningResourceConfig"] = {
        "AllocationStrategy": "Prioritized",
        "InstanceConfigs": [
            {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
            {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        ],
    }
    request = tuning_request(continuous_ranges=[continuous("learning_rate", "0.0001", "0.1")], definition=definition)
    result = review([summary(1, LR, 0.3)], describe=description(request))
    (finding,) = of_rule(result, SPEND)
    assert result.spend.usd == pytest.approx(1.41) and result.spend.upper_bound
    assert "dearest of their definition's InstanceConfigs" in finding.message
    assert "spot" not in finding.message and not result.spend.managed_spot


def test_spend_above_the_worst_case_is_medium():
    result = review([summary(1, LR, 0.3)], seconds=36_000, worst_case_usd=1.0)
    (finding,) = of_rule(result, SPEND)
    assert finding.severity is Severity.MEDIUM and "exceeds the worst case" in finding.message


def test_each_price_is_asked_once_per_review():
    class Counting(BundledPrices):
        calls = 0

        def quote(self, region, instance_type):
            Counting.calls += 1
            return super().quote(region, instance_type)

    table = PriceTable.model_validate(
        {"source": "t", "as_of": "2026-11-01", "regions": {"us-east-1": {"ml.m5.xlarge": 1}}}
    )
    summaries = [summary(i, LR, 0.3) for i in range(1, 40)] + [summary(40, LR, 0.4, status="Stopped")]
    job = finished_job(summaries, describe=description(early_stopping="Auto"))
    review_tuning_job(job, Counting(table))
    assert Counting.calls == 1
