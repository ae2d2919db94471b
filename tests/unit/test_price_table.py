"""The shipped price table: every training instance type, vouched prices only, the rest explained."""

from __future__ import annotations

import botocore.session
import pytest
from pydantic import ValidationError

from hpo_guardrail.tools.prices import DEFAULT_TABLE_PATH, render_table
from rules.prices import PriceEntry, PriceTable, bundled_prices

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
VOUCHED_SOURCE = "public AWS SageMaker pricing page figures, as collected in the project's domain notes"
# The us-east-1 training prices of the project's domain notes ("Cost"), the only ones anybody vouched for.
VOUCHED_US_EAST_1 = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.4xlarge": 0.922,
    "ml.c5.xlarge": 0.204,
    "ml.c5.4xlarge": 0.816,
    "ml.g4dn.xlarge": 0.736,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
    "ml.g5.12xlarge": 7.09,
    "ml.p3.2xlarge": 3.825,
    "ml.p3.16xlarge": 28.152,
}


def training_instance_types() -> set[str]:
    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("TrainingInstanceType")
    return set(shape.enum)


@pytest.mark.parametrize("region", REGIONS)
def test_every_training_instance_type_of_botocore_is_listed(region):
    listed = set(bundled_prices().regions[region])
    assert training_instance_types() - listed == set(), "run `hpo-guardrail prices refresh` (or --offline)"


def test_only_the_vouched_prices_are_in_the_table():
    table = bundled_prices()
    assert table.priced("us-east-1") == VOUCHED_US_EAST_1
    assert table.priced("us-west-2") == {} and table.priced("eu-west-1") == {}


@pytest.mark.parametrize("instance_type", sorted(VOUCHED_US_EAST_1))
def test_a_vouched_price_names_its_source_and_date(instance_type):
    entry = bundled_prices().entry("us-east-1", instance_type)
    assert entry is not None
    assert (entry.usd_per_hour, entry.source, entry.as_of) == (
        VOUCHED_US_EAST_1[instance_type],
        VOUCHED_SOURCE,
        "2026-11-26",
    )


def test_every_entry_without_a_price_says_why():
    table = bundled_prices()
    unexplained = [
        (region, instance_type)
        for region, entries in table.regions.items()
        for instance_type, entry in entries.items()
        if entry.usd_per_hour is None and not (entry.note and entry.source and entry.as_of)
    ]
    assert unexplained == []


def test_prices_public_sources_disagree_on_stay_missing():
    table = bundled_prices()
    for instance_type in ("ml.p4d.24xlarge", "ml.p5.48xlarge", "ml.trn1.32xlarge"):
        entry = table.entry("us-east-1", instance_type)
        assert entry is not None and entry.usd_per_hour is None and "disagree" in (entry.note or "")


def test_hourly_is_none_for_an_entry_without_a_price_and_for_an_unlisted_type():
    table = bundled_prices()
    assert table.entry("us-west-2", "ml.m5.large") is not None
    assert table.hourly("us-west-2", "ml.m5.large") is None
    assert table.hourly("us-east-1", "ml.m5.large") == 0.115
    assert table.hourly("us-east-1", "ml.nonexistent.xlarge") is None
    assert table.hourly("ap-southeast-7", "ml.m5.large") is None


def test_unpriced_lists_the_instance_types_without_a_price():
    table = bundled_prices()
    unpriced = table.unpriced("us-east-1")
    assert "ml.p5.48xlarge" in unpriced and "ml.m5.large" not in unpriced
    assert len(unpriced) + len(VOUCHED_US_EAST_1) == len(table.regions["us-east-1"])
    assert table.unpriced("ap-southeast-7") == ()


def test_the_shipped_file_is_in_the_canonical_format_the_refresh_writes():
    # A hand edit that the refresh would reformat shows up here, not as a surprise diff later.
    assert render_table(bundled_prices()) == DEFAULT_TABLE_PATH.read_text(encoding="utf-8")


def test_a_bare_number_is_a_price_vouched_for_by_the_table_itself():
    table = PriceTable(source="what-if", as_of="2026-01-01", regions={"eu-west-1": {"ml.m5.xlarge": 1.0}})
    entry = table.entry("eu-west-1", "ml.m5.xlarge")
    assert entry == PriceEntry(usd_per_hour=1.0, source="what-if", as_of="2026-01-01")


@pytest.mark.parametrize(
    "entry",
    [
        {"usd_per_hour": None, "source": "s", "as_of": "2026-01-01"},
        {"usd_per_hour": None, "source": "s", "as_of": "2026-01-01", "note": "  "},
        {"usd_per_hour": 0, "source": "s", "as_of": "2026-01-01"},
        {"usd_per_hour": -0.5, "source": "s", "as_of": "2026-01-01"},
        {"usd_per_hour": float("nan"), "source": "s", "as_of": "2026-01-01"},
        {"usd_per_hour": 1.0, "source": "", "as_of": "2026-01-01"},
        {"usd_per_hour": 1.0, "source": "s", "as_of": "26 November"},
        {"source": "s", "as_of": "2026-01-01", "note": "price left out by mistake"},
    ],
    ids=["no-note", "blank-note", "zero", "negative", "nan", "no-source", "bad-date", "no-price-field"],
)
def test_an_entry_nobody_can_vouch_for_is_refused(entry):
    with pytest.raises(ValidationError):
        PriceEntry.model_validate(entry)
