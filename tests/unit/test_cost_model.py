"""The worst-case cost model: both bounds, every definition, groups and configs, the default count."""

from __future__ import annotations

import pytest

from rules.cost import estimate_cost, grid_combinations
from rules.parsing import read_request
from rules.prices import PriceTable, bundled_prices
from tests.builders import categorical, continuous, training_definition, tuning_request

P3 = 3.825  # ml.p3.2xlarge, us-east-1
M5 = 0.23  # ml.m5.xlarge


def cost_of(raw: dict, region: str = "us-east-1", default_jobs: int = 750):
    return estimate_cost(read_request(raw), bundled_prices(), region, default_jobs)


def test_job_count_bound():
    cost = cost_of(tuning_request(max_jobs=50, definition=training_definition("ml.p3.2xlarge", 2, 7200)))
    assert cost.jobs_bound_usd == pytest.approx(50 * 2 * P3 * 2)
    assert cost.worst_case_usd == cost.jobs_bound_usd and cost.binding_bound == "job-count"
    assert cost.wall_clock_bound_usd is None and cost.complete


def test_wall_clock_bound_wins_when_lower():
    raw = tuning_request(
        max_jobs=500,
        max_parallel=4,
        max_runtime_seconds=36_000,
        definition=training_definition("ml.p3.2xlarge", 1, 86_400),
    )
    cost = cost_of(raw)
    assert cost.jobs_bound_usd == pytest.approx(500 * P3 * 24)
    assert cost.wall_clock_bound_usd == pytest.approx(4 * P3 * 10)
    assert cost.worst_case_usd == cost.wall_clock_bound_usd and cost.binding_bound == "wall-clock"


def test_absent_max_jobs_uses_the_default_quota():
    cost = cost_of(tuning_request(max_jobs=None, definition=training_definition("ml.m5.xlarge", 1, 3600)))
    assert cost.job_count == 750 and "default" in cost.job_count_basis
    assert cost.worst_case_usd == pytest.approx(750 * M5)


def test_grid_without_max_jobs_uses_the_combination_count():
    raw = tuning_request(
        strategy="Grid",
        max_jobs=None,
        categorical_ranges=[categorical("a", "1", "2", "3"), categorical("b", "x", "y")],
    )
    assert grid_combinations(read_request(raw)) == 6
    assert cost_of(raw).job_count == 6


def test_instance_groups_add_up():
    definition = training_definition(max_runtime_seconds=3600)
    definition["ResourceConfig"] = {
        "InstanceGroups": [
            {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "InstanceGroupName": "a"},
            {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "InstanceGroupName": "b"},
        ]
    }
    cost = cost_of(tuning_request(max_jobs=10, definition=definition))
    assert cost.max_hourly_usd == pytest.approx(2 * 0.204 + 1.408)


def test_instance_configs_take_the_dearest_alternative():
    definition = training_definition(max_runtime_seconds=3600)
    del definition["ResourceConfig"]
    definition["HyperParameterTuningResourceConfig"] = {
        "InstanceConfigs": [
            {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
            {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        ]
    }
    cost = cost_of(tuning_request(max_jobs=10, definition=definition))
    assert cost.worst_case_usd == pytest.approx(10 * P3)


def test_multi_definition_takes_the_dearest_per_job_cost():
    cheap_long = training_definition("ml.m5.xlarge", 1, 36_000, DefinitionName="cheap")  # 2.30 per job
    dear_short = training_definition("ml.p3.2xlarge", 1, 1800, DefinitionName="dear")  # 1.9125 per job
    for d in (cheap_long, dear_short):
        d["HyperParameterRanges"] = {"ContinuousParameterRanges": [continuous("x", "0", "1")]}
    cost = cost_of(
        tuning_request(max_jobs=10, max_parallel=2, max_runtime_seconds=3600, definitions=[cheap_long, dear_short])
    )
    assert cost.jobs_bound_usd == pytest.approx(10 * M5 * 10)
    assert cost.wall_clock_bound_usd == pytest.approx(2 * P3 * 1)
    assert cost.worst_case_usd == pytest.approx(2 * P3)


def test_unknown_price_makes_the_estimate_an_incomplete_lower_bound():
    definition = training_definition("ml.p5.48xlarge", 1, 3600)
    cost = cost_of(tuning_request(max_jobs=10, definition=definition))
    assert not cost.complete and cost.unpriced_instance_types == ("ml.p5.48xlarge",)
    assert cost.worst_case_usd == 0
    assert "lower bound" in cost.describe()


def test_prices_are_per_region():
    cost = cost_of(tuning_request(definition=training_definition("ml.m5.xlarge")), region="ap-southeast-7")
    assert not cost.complete


def test_price_table_ships_with_source_and_date():
    table = bundled_prices()
    assert table.source and table.as_of and table.currency == "USD"
    assert table.hourly("us-east-1", "ml.p3.2xlarge") == P3
    assert table.hourly("us-east-1", "ml.p5.48xlarge") is None


def test_description_names_the_figures():
    text = cost_of(tuning_request(max_jobs=20, definition=training_definition("ml.p3.2xlarge", 1, 3600))).describe()
    assert "20 training jobs" in text and "$3.825/h" in text and "$76.50" in text and "not included" in text


def test_custom_price_table_is_used():
    table = PriceTable(source="test", as_of="2026-01-01", regions={"eu-west-1": {"ml.m5.xlarge": 1.0}})
    cost = estimate_cost(read_request(tuning_request(max_jobs=3)), table, "eu-west-1", 750)
    assert cost.worst_case_usd == 3.0
