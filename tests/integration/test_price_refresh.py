"""`prices refresh` against GetProducts responses shaped like the real ones (botocore Stubber, no network).

Each PriceList item is a JSON string, as the API returns it: product (productFamily, attributes such as
usagetype, instanceName, platoinstancetype, regionCode) and terms.OnDemand.<sku.offer>.priceDimensions.
<sku.offer.rate>.pricePerUnit.USD. `price_item` builds them, so each test shows only what it varies.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from hpo_guardrail.adapters.pricing import fetch_training_prices
from hpo_guardrail.adapters.request_shapes import InstanceTypeList
from hpo_guardrail.cli import build_parser, main
from hpo_guardrail.cli import prices as prices_command
from hpo_guardrail.pricing.local import FilePriceCache
from hpo_guardrail.tools.prices import (
    API_SOURCE,
    DEFAULT_TABLE_PATH,
    NOT_IN_API,
    NOT_REFRESHED,
    complete_table,
    load_table,
    refresh_table,
    write_table,
)
from rules.prices import PriceEntry, PriceTable

TODAY = "2026-12-01"
VOUCHED = PriceEntry(usd_per_hour=0.23, source="domain notes", as_of="2026-11-26")
# ap-southeast-7 (Thailand) has no billing code in adapters/billing_codes.py: its items are read by regionCode.
PREFIXES = {"us-east-1": "USE1", "us-west-2": "USW2", "eu-west-1": "EU", "ap-southeast-7": "APS7"}
LOCATIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
}
ON_DEMAND_OFFER = "JRTCKXETXF"  # the offer term code of on-demand terms in the Price List
HOURLY_RATE = "6YS6EN2CT7"


def price_item(
    instance_type: str,
    usd: str,
    *,
    region: str = "us-east-1",
    usage: str = "Train",
    component: str | None = "Training",
    unit: str = "Hrs",
) -> str:
    """One PriceList entry as GetProducts returns it: a JSON string. `component` is platoinstancetype."""
    usage_type = f"{PREFIXES[region]}-{usage}:{instance_type}"
    sku = hashlib.sha1(f"{region}{usage_type}{component}".encode()).hexdigest()[:16].upper()
    term = f"{sku}.{ON_DEMAND_OFFER}"
    document = {
        "product": {
            "productFamily": "ML Instance",
            "attributes": {
                "servicecode": "AmazonSageMaker",
                "servicename": "Amazon SageMaker",
                "location": LOCATIONS[region],
                "locationType": "AWS Region",
                "regionCode": region,
                "usagetype": usage_type,
                "operation": "RunInstance",
                "instanceName": instance_type,
                "vCpu": "4",
                "memory": "16 GiB",
            },
            "sku": sku,
        },
        "serviceCode": "AmazonSageMaker",
        "terms": {
            "OnDemand": {
                term: {
                    "priceDimensions": {
                        f"{term}.{HOURLY_RATE}": {
                            "unit": unit,
                            "endRange": "Inf",
                            "description": f"${usd} per {usage} {instance_type} {unit}",
                            "appliesTo": [],
                            "rateCode": f"{term}.{HOURLY_RATE}",
                            "beginRange": "0",
                            "pricePerUnit": {"USD": usd},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": "2026-11-01T00:00:00Z",
                    "offerTermCode": ON_DEMAND_OFFER,
                    "termAttributes": {},
                }
            }
        },
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    }
    if component is not None:
        document["product"]["attributes"]["platoinstancetype"] = component
    return json.dumps(document)


def expect_page(
    stubber: Stubber, region: str, items: list[str], *, token: str | None = None, next_token: str | None = None
):
    """Queue one GetProducts page, checking the request the adapter sends for it."""
    request: dict[str, Any] = {
        "ServiceCode": "AmazonSageMaker",
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "ML Instance"},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            {"Type": "TERM_MATCH", "Field": "platoinstancetype", "Value": "Training"},
        ],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    if token is not None:
        request["NextToken"] = token
    response: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": items}
    if next_token is not None:
        response["NextToken"] = next_token
    stubber.add_response("get_products", response, request)


@pytest.fixture
def pricing() -> Iterator[tuple[Any, Stubber]]:
    client = botocore.session.get_session().create_client(
        "pricing", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
    stubber.assert_no_pending_responses()


def listed(*types: str) -> InstanceTypeList:
    return InstanceTypeList(types=types, source="test instance type list")


# --- reading GetProducts ----------------------------------------------------------------------------------


def test_on_demand_training_prices_are_read_across_pages_and_everything_else_is_ignored(pricing):
    client, stubber = pricing
    expect_page(
        stubber,
        "us-east-1",
        [
            price_item("ml.m5.large", "0.1150000000"),
            # Managed spot: never an on-demand price, even under a Train usage type.
            price_item("ml.m5.xlarge", "0.0690000000", component="SpotTraining"),
            price_item("ml.m5.xlarge", "0.2300000000", usage="Host", component="Hosting"),
            # A one-off fee: no platoinstancetype, not hourly, and a usage type that only starts like Train.
            price_item(
                "ml.p4d.24xlarge", "13.5000000000", usage="TrainingPlanUpfrontFee", component=None, unit="Quantity"
            ),
            # Hourly and without platoinstancetype: the usage type alone must turn it away.
            price_item("ml.t3.medium", "0.0500000000", usage="Notebk", component=None),
            # A Train usage type priced per something other than an hour is not an hourly rate.
            price_item("ml.c5.2xlarge", "0.4080000000", unit="Quantity"),
            price_item("ml.m5.2xlarge", "0.4610000000", region="us-west-2"),
            "this is not JSON",
        ],
        next_token="page-2",
    )
    expect_page(
        stubber,
        "us-east-1",
        [
            price_item("ml.g5.xlarge", "1.4080000000"),
            price_item("ml.c5.xlarge", "N/A"),
            price_item("ml.c5.4xlarge", "0.0000000000"),
            price_item("ml.m5.4xlarge", "-0.9220000000"),
            price_item("ml.p3.2xlarge", "NaN"),
            price_item("ml.p3.8xlarge", "Infinity"),
        ],
        token="page-2",
    )

    assert fetch_training_prices(client, "us-east-1") == {"ml.m5.large": 0.115, "ml.g5.xlarge": 1.408}


def test_an_instance_type_with_conflicting_prices_is_left_out(pricing):
    client, stubber = pricing
    two_rates = json.loads(price_item("ml.g5.xlarge", "1.5700000000", region="eu-west-1"))
    (term,) = two_rates["terms"]["OnDemand"].values()
    (dimension,) = term["priceDimensions"].values()
    term["priceDimensions"]["second-rate"] = {**dimension, "pricePerUnit": {"USD": "1.6000000000"}}
    expect_page(
        stubber,
        "eu-west-1",
        [
            price_item("ml.m5.large", "0.1280000000", region="eu-west-1"),
            price_item("ml.m5.large", "0.1290000000", region="eu-west-1"),
            price_item("ml.c5.xlarge", "0.2300000000", region="eu-west-1"),
            price_item("ml.c5.xlarge", "0.2300000000", region="eu-west-1"),  # the same price twice is fine
            json.dumps(two_rates),  # two hourly rates on one product
        ],
    )

    assert fetch_training_prices(client, "eu-west-1") == {"ml.c5.xlarge": 0.23}


def test_an_item_must_be_consistently_of_the_region_and_instance_type(pricing):
    client, stubber = pricing
    # Ireland's prefix is the bare "EU"; a USE1 usage type in an eu-west-1 answer is not Ireland's price.
    misfiled = json.loads(price_item("ml.m5.xlarge", "0.2300000000", region="us-east-1"))
    misfiled["product"]["attributes"]["regionCode"] = "eu-west-1"
    other_region = json.loads(price_item("ml.c5.xlarge", "0.2300000000", region="eu-west-1"))
    other_region["product"]["attributes"]["regionCode"] = "eu-west-2"
    two_names = json.loads(price_item("ml.c5.4xlarge", "0.9180000000", region="eu-west-1"))
    two_names["product"]["attributes"]["instanceName"] = "ml.c5.9xlarge"
    expect_page(
        stubber,
        "eu-west-1",
        [
            price_item("ml.m5.large", "0.1280000000", region="eu-west-1"),
            json.dumps(misfiled),
            json.dumps(other_region),
            json.dumps(two_names),
        ],
    )

    assert fetch_training_prices(client, "eu-west-1") == {"ml.m5.large": 0.128}


def unprefixed(item: str) -> str:
    document = json.loads(item)
    attributes = document["product"]["attributes"]
    attributes["usagetype"] = attributes["usagetype"].split("-", 1)[1]
    return json.dumps(document)


def test_only_us_east_1_usage_types_may_come_without_a_prefix(pricing):
    # AWS Region billing codes: "USE1 (or no prefix)"; every other region always carries its prefix.
    client, stubber = pricing
    expect_page(stubber, "us-east-1", [unprefixed(price_item("ml.m5.large", "0.1150000000"))])
    expect_page(stubber, "us-west-2", [unprefixed(price_item("ml.m5.large", "0.1150000000", region="us-west-2"))])

    assert fetch_training_prices(client, "us-east-1") == {"ml.m5.large": 0.115}
    assert fetch_training_prices(client, "us-west-2") == {}


def test_a_region_without_a_documented_prefix_is_read_by_its_region_code(pricing):
    client, stubber = pricing
    # An item filed under another region (a billing-code-shaped prefix, but eu-west-1's regionCode) and a
    # usage type that is no billing code are left out; the region's own Train items are read.
    elsewhere = json.loads(price_item("ml.c5.xlarge", "0.2300000000", region="ap-southeast-7"))
    elsewhere["product"]["attributes"]["regionCode"] = "eu-west-1"
    not_a_code = json.loads(price_item("ml.c5.2xlarge", "0.4600000000", region="ap-southeast-7"))
    not_a_code["product"]["attributes"]["usagetype"] = "thailand-Train:ml.c5.2xlarge"
    expect_page(
        stubber,
        "ap-southeast-7",
        [
            price_item("ml.m5.large", "0.1440000000", region="ap-southeast-7"),
            price_item("ml.m5.xlarge", "0.0860000000", region="ap-southeast-7", component="SpotTraining"),
            json.dumps(elsewhere),
            json.dumps(not_a_code),
        ],
    )

    assert fetch_training_prices(client, "ap-southeast-7") == {"ml.m5.large": 0.144}


# --- updating the table -----------------------------------------------------------------------------------


def small_table() -> PriceTable:
    return PriceTable(
        source="test table",
        as_of="2026-11-26",
        regions={
            "us-east-1": {
                "ml.m5.large": PriceEntry(usd_per_hour=0.115, source="domain notes", as_of="2026-11-26"),
                "ml.m5.xlarge": VOUCHED,
                "ml.p5.48xlarge": PriceEntry(usd_per_hour=None, source="x", as_of="2026-11-26", note=NOT_REFRESHED),
            },
            "ap-northeast-1": {"ml.m5.large": PriceEntry(usd_per_hour=0.14, source="elsewhere", as_of="2026-10-01")},
        },
    )


def test_refresh_fills_in_what_the_api_lists_and_keeps_a_vouched_price_it_does_not(pricing):
    client, stubber = pricing
    expect_page(
        stubber, "us-east-1", [price_item("ml.m5.large", "0.1200000000"), price_item("ml.g5.xlarge", "1.4080000000")]
    )

    table, (summary,) = refresh_table(
        small_table(),
        client,
        ["us-east-1"],
        TODAY,
        listed("ml.m5.large", "ml.m5.xlarge", "ml.p5.48xlarge", "ml.g6.xlarge"),
    )

    entries = table.regions["us-east-1"]
    assert entries["ml.m5.large"] == PriceEntry(usd_per_hour=0.12, source=API_SOURCE, as_of=TODAY)
    assert entries["ml.g5.xlarge"] == PriceEntry(usd_per_hour=1.408, source=API_SOURCE, as_of=TODAY)
    # Nothing from the API for ml.m5.xlarge: the vouched price stays, with its own source and date.
    assert entries["ml.m5.xlarge"] == VOUCHED
    # Still unknown, now saying the API was asked.
    assert entries["ml.p5.48xlarge"].usd_per_hour is None
    assert entries["ml.p5.48xlarge"].note == NOT_IN_API and entries["ml.p5.48xlarge"].as_of == TODAY
    # New in the instance type list: listed, without a price.
    assert entries["ml.g6.xlarge"].usd_per_hour is None and entries["ml.g6.xlarge"].note
    assert summary.updated == ("ml.g5.xlarge", "ml.m5.large")
    assert summary.changed == ("ml.g5.xlarge", "ml.m5.large")
    assert summary.kept == ("ml.m5.xlarge",)
    assert summary.missing == ("ml.g6.xlarge", "ml.p5.48xlarge")
    assert "2 prices updated (2 changed), 1 kept as they were, 2 still missing" in summary.describe()


def test_refresh_leaves_regions_it_was_not_asked_about_alone_and_dates_the_table(pricing):
    client, stubber = pricing
    expect_page(stubber, "us-east-1", [])
    before = small_table()

    table, _ = refresh_table(before, client, ["us-east-1"], TODAY, listed("ml.m5.large"))

    assert table.regions["ap-northeast-1"] == before.regions["ap-northeast-1"]
    assert table.hourly("us-east-1", "ml.m5.large") == 0.115  # the API had nothing: kept, not dropped
    assert table.as_of == TODAY and table.source == before.source


def test_complete_table_adds_new_instance_types_without_asking_the_api():
    table, (summary,) = complete_table(small_table(), ["us-west-2"], TODAY, listed("ml.m5.large", "ml.g6.xlarge"))

    assert table.unpriced("us-west-2") == ("ml.g6.xlarge", "ml.m5.large")
    assert all(e.note == NOT_REFRESHED for e in table.regions["us-west-2"].values())
    assert table.as_of == "2026-11-26"  # no price was checked
    assert summary.added == ("ml.m5.large", "ml.g6.xlarge") and summary.updated == ()


def test_written_table_reads_back_the_same_with_one_line_per_entry(tmp_path):
    path = tmp_path / "prices.json"
    table = small_table()

    write_table(path, table)

    assert load_table(path) == table
    lines = path.read_text(encoding="utf-8").splitlines()
    assert sum('"usd_per_hour"' in line for line in lines) == 4
    assert not list(tmp_path.glob(".*.tmp"))


# --- the command ------------------------------------------------------------------------------------------


NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def prices_refresh(
    *arguments: str, pricing_client: Any, today: str | None = None, environ: dict[str, str] | None = None
) -> int:
    """`hpo-guardrail prices refresh ARGUMENTS`, parsed by the real parser, with a stubbed Price List client."""
    args = build_parser().parse_args(["prices", "refresh", *arguments])
    return prices_command.run(args, pricing_client=pricing_client, today=today, now=NOW, environ=environ or os.environ)


@pytest.fixture
def no_aws_configuration(monkeypatch, tmp_path):
    """No profile, region or shared files: the default region is then us-east-1; the cache is the test's."""
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("HPO_GUARDRAIL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "prices.json"


@pytest.fixture
def table_file(tmp_path):
    path = tmp_path / "training_prices.json"
    shutil.copyfile(DEFAULT_TABLE_PATH, path)
    return path


def test_command_refreshes_the_asked_region_and_prints_a_summary(pricing, table_file, capsys):
    client, stubber = pricing
    expect_page(stubber, "us-west-2", [price_item("ml.m5.large", "0.1150000000", region="us-west-2")], next_token="t")
    expect_page(stubber, "us-west-2", [price_item("ml.g5.xlarge", "1.4080000000", region="us-west-2")], token="t")
    before = load_table(table_file)

    status = prices_refresh("--region", "us-west-2", "--output", str(table_file), pricing_client=client, today=TODAY)

    assert status == 0
    after = load_table(table_file)
    assert after.entry("us-west-2", "ml.m5.large") == PriceEntry(usd_per_hour=0.115, source=API_SOURCE, as_of=TODAY)
    assert after.hourly("us-west-2", "ml.g5.xlarge") == 1.408
    assert after.regions["us-east-1"] == before.regions["us-east-1"]
    missing = len(before.regions["us-west-2"]) - 2
    out = capsys.readouterr().out
    assert f"us-west-2: 2 prices updated (2 changed), 0 kept as they were, {missing} still missing" in out
    assert f"wrote {table_file}" in out


def test_command_reports_an_api_failure_and_writes_nothing(pricing, table_file, capsys):
    client, stubber = pricing
    stubber.add_client_error("get_products", "AccessDeniedException", "not authorized to perform pricing:GetProducts")
    before = table_file.read_bytes()

    status = prices_refresh("--region", "eu-west-1", "--output", str(table_file), pricing_client=client)

    assert status == 1
    assert "AccessDeniedException" in capsys.readouterr().err
    assert table_file.read_bytes() == before


def test_command_refuses_a_region_sagemaker_has_not_in_the_commercial_partition(pricing, table_file, capsys):
    client, _ = pricing  # nothing queued: the region is refused before any call
    before = table_file.read_bytes()
    for region in ("cn-north-1", "us-gov-west-1", "mars-north-1"):
        with pytest.raises(SystemExit) as exit_info:
            prices_refresh("--region", region, "--output", str(table_file), pricing_client=client)
        assert exit_info.value.code == 2
        assert f"{region}: not a commercial region with SageMaker" in capsys.readouterr().err
    assert table_file.read_bytes() == before


def test_command_reads_a_region_without_a_documented_prefix(pricing, table_file, capsys):
    client, stubber = pricing
    expect_page(stubber, "ap-southeast-7", [price_item("ml.m5.large", "0.1440000000", region="ap-southeast-7")])

    status = prices_refresh(
        "--region", "ap-southeast-7", "--output", str(table_file), pricing_client=client, today=TODAY
    )

    assert status == 0
    assert load_table(table_file).entry("ap-southeast-7", "ml.m5.large") == PriceEntry(
        usd_per_hour=0.144, source=API_SOURCE, as_of=TODAY
    )
    assert "ap-southeast-7: 1 prices updated" in capsys.readouterr().out


def test_command_fills_the_local_cache_by_default_and_leaves_the_bundled_table_alone(
    pricing, no_aws_configuration, capsys
):
    client, stubber = pricing
    expect_page(
        stubber,
        "us-east-1",
        [price_item("ml.m5.large", "0.1150000000"), price_item("ml.g5.xlarge", "1.4080000000")],
    )
    bundled_before = DEFAULT_TABLE_PATH.read_bytes()

    status = prices_refresh(pricing_client=client)  # no --region: the profile has none, so us-east-1

    assert status == 0
    assert DEFAULT_TABLE_PATH.read_bytes() == bundled_before, "the installed package is never written"
    cache = FilePriceCache(no_aws_configuration)
    large = cache.get("us-east-1", "ml.m5.large")
    assert large is not None and large.usd_per_hour == 0.115 and large.fetched_at == NOW
    assert cache.get("us-east-1", "ml.g5.xlarge").usd_per_hour == 1.408
    # Every other instance type botocore knows is stored as "the API lists none", so it is not asked again.
    unlisted = cache.get("us-east-1", "ml.p5.48xlarge")
    assert unlisted is not None and unlisted.usd_per_hour is None
    assert {p.region for p in cache.entries()} == {"us-east-1"}
    out = capsys.readouterr().out
    assert "us-east-1: 2 prices cached" in out
    assert f"wrote 2 prices to {no_aws_configuration} (fresh until 2026-12-08T09:30:00Z)" in out


def test_command_reports_a_region_it_could_not_read_and_keeps_the_others(pricing, no_aws_configuration, capsys):
    client, stubber = pricing
    stubber.add_client_error("get_products", "ThrottlingException", "Rate exceeded")
    expect_page(stubber, "eu-west-1", [price_item("ml.m5.large", "0.1280000000", region="eu-west-1")])

    status = prices_refresh("--region", "us-west-2", "--region", "eu-west-1", pricing_client=client)

    assert status == 1
    captured = capsys.readouterr()
    assert "us-west-2: could not read the AWS Price List API" in captured.err and "ThrottlingException" in captured.err
    assert "eu-west-1: 1 prices cached" in captured.out
    cache = FilePriceCache(no_aws_configuration)
    assert cache.get("eu-west-1", "ml.m5.large").usd_per_hour == 0.128
    assert cache.get("us-west-2", "ml.m5.large") is None


def test_offline_needs_a_table_file(pricing, no_aws_configuration):
    client, _ = pricing
    with pytest.raises(SystemExit) as exit_info:
        prices_refresh("--offline", pricing_client=client)
    assert exit_info.value.code == 2
    assert not no_aws_configuration.exists()


def test_command_offline_makes_no_call(pricing, tmp_path, capsys):
    client, _ = pricing  # the stubber has no responses queued: any call would fail the command
    path = tmp_path / "prices.json"
    write_table(path, small_table())

    status = prices_refresh("--offline", "--region", "us-east-1", "--output", str(path), pricing_client=client)

    assert status == 0
    table = load_table(path)
    assert table.entry("us-east-1", "ml.m5.xlarge") == VOUCHED
    assert set(InstanceTypeList.from_botocore().types) <= set(table.regions["us-east-1"])
    assert "us-east-1: 0 prices updated" in capsys.readouterr().out


def test_prices_refresh_is_a_subcommand_of_the_console_script(tmp_path, capsys, no_aws_configuration):
    with pytest.raises(SystemExit) as help_exit:
        main(["prices", "refresh", "--help"])
    assert help_exit.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith("usage: hpo-guardrail prices refresh")
    assert "--offline" in shown and "--region REGION" in shown and "eu-west-1" in shown

    path = tmp_path / "prices.json"
    write_table(path, small_table())
    assert main(["prices", "refresh", "--offline", "--output", str(path)]) == 0
    out = capsys.readouterr().out
    # The default region: the profile's, and without one us-east-1 (the only region refreshed).
    assert "us-east-1: 0 prices updated" in out and "eu-west-1" not in out
    assert f"wrote {path}" in out
    assert set(InstanceTypeList.from_botocore().types) <= set(load_table(path).regions["us-east-1"])

    assert main(["prices", "refresh", "--offline", "--region", "eu-west-1", "--output", str(path)]) == 0
    assert "eu-west-1: 0 prices updated" in capsys.readouterr().out
    assert set(InstanceTypeList.from_botocore().types) <= set(load_table(path).regions["eu-west-1"])


def test_prices_without_an_action_shows_the_actions_and_exits_2(capsys):
    assert main(["prices"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: hpo-guardrail prices") and "refresh" in err and "show" in err
