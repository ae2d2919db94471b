"""The embedded AWS's Price List API (hpo_guardrail/embedded/moto_extensions/pricing.py), through plain boto3.

The expected figures come from the fixture file itself, read here independently of the emulator's code.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from hpo_guardrail.adapters.pricing import fetch_training_prices, pricing_client, training_filters
from hpo_guardrail.embedded.moto_extensions import PRICE_LIST_CALLS, short_pages

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((ROOT / "hpo_guardrail" / "embedded" / "data" / "price_list.json").read_text(encoding="utf-8"))
RULES_PRICES = json.loads((ROOT / "rules" / "data" / "training_prices.json").read_text(encoding="utf-8"))
SAGEMAKER = "AmazonSageMaker"
ABSENT_TRAINING_TYPE = "ml.p5en.48xlarge"


def fixture_rows(**wanted: str) -> list[dict[str, str]]:
    columns = FIXTURE["products"]["columns"]
    rows = [dict(zip(columns, row, strict=True)) for row in FIXTURE["products"]["rows"]]
    return [row for row in rows if all(row[key] == value for key, value in wanted.items())]


def fixture_usd(region: str, instance_type: str, plato_type: str = "Training") -> Decimal:
    (row,) = fixture_rows(regionCode=region, instanceName=instance_type, platoinstancetype=plato_type)
    return Decimal(row["usd_per_hour"])


def term(field: str, value: str) -> dict[str, str]:
    return {"Type": "TERM_MATCH", "Field": field, "Value": value}


def hourly_usd(item: dict[str, Any]) -> Decimal:
    """The one on-demand hourly USD price of a PriceList item."""
    (offer,) = item["terms"]["OnDemand"].values()
    (dimension,) = offer["priceDimensions"].values()
    assert dimension["unit"] == "Hrs"
    return Decimal(dimension["pricePerUnit"]["USD"])


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@pytest.fixture
def pricing(embedded_aws):
    PRICE_LIST_CALLS.reset()
    return embedded_aws.client("pricing")


def products(pricing, *filters: dict[str, str], **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of one GetProducts query, pages followed, each parsed from its JSON string."""
    request: dict[str, Any] = {"ServiceCode": SAGEMAKER, "Filters": list(filters), "FormatVersion": "aws_v1", **kwargs}
    items = []
    while True:
        page = pricing.get_products(**request)
        assert all(isinstance(raw, str) for raw in page["PriceList"]), "PriceList holds JSON strings"
        items += [json.loads(raw) for raw in page["PriceList"]]
        if "NextToken" not in page:
            return items
        request["NextToken"] = page["NextToken"]


# --- GetProducts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "instance_type", "usage_type"),
    [
        ("us-east-1", "ml.m5.large", "USE1-Train:ml.m5.large"),
        ("us-east-1", "ml.p4d.24xlarge", "USE1-Train:ml.p4d.24xlarge"),
        ("us-west-2", "ml.p4d.24xlarge", "USW2-Train:ml.p4d.24xlarge"),
        ("eu-west-1", "ml.m5.large", "EU-Train:ml.m5.large"),
    ],
)
def test_one_region_and_instance_type_is_one_training_product_with_the_fixture_price(
    pricing, region, instance_type, usage_type
):
    page = pricing.get_products(
        ServiceCode=SAGEMAKER,
        Filters=[
            term("regionCode", region),
            term("instanceName", instance_type),
            term("platoinstancetype", "Training"),
        ],
        FormatVersion="aws_v1",
    )

    (raw,) = page["PriceList"]
    item = json.loads(raw)
    assert page["FormatVersion"] == "aws_v1"
    assert "NextToken" not in page
    assert item["serviceCode"] == SAGEMAKER
    assert item["product"]["productFamily"] == "ML Instance"
    attributes = item["product"]["attributes"]
    assert attributes["usagetype"] == usage_type
    assert (attributes["regionCode"], attributes["instanceName"], attributes["platoinstancetype"]) == (
        region,
        instance_type,
        "Training",
    )
    assert hourly_usd(item) == fixture_usd(region, instance_type)


def test_an_item_has_the_real_price_list_shape(pricing):
    (item,) = products(pricing, term("usagetype", "USE1-Train:ml.g5.xlarge"))

    sku = item["product"]["sku"]
    assert set(item) == {"product", "serviceCode", "terms", "version", "publicationDate"}
    (term_code,) = item["terms"]["OnDemand"]
    offer = item["terms"]["OnDemand"][term_code]
    (rate_code,) = offer["priceDimensions"]
    assert term_code == f"{sku}.{offer['offerTermCode']}"
    assert rate_code.startswith(f"{term_code}.")
    assert offer["sku"] == sku
    assert offer["termAttributes"] == {}
    assert offer["priceDimensions"][rate_code]["pricePerUnit"] == {"USD": "1.4080000000"}
    assert {"vCpu", "memory", "gpu", "location", "operation", "servicecode", "servicename"} <= set(
        item["product"]["attributes"]
    )


def test_us_east_1_training_figures_agree_with_the_rules_data_wherever_it_has_one(pricing):
    rules = RULES_PRICES["regions"]["us-east-1"]
    listed = {
        item["product"]["attributes"]["instanceName"]: hourly_usd(item)
        for item in products(pricing, *training_filters("us-east-1"))
    }
    known = {name: figure for name in listed if (figure := rules.get(name, {}).get("usd_per_hour")) is not None}

    copied = fixture_rows(regionCode="us-east-1", figure_from="rules/data/training_prices.json")
    assert {row["instanceName"] for row in copied} <= set(known), "a copied figure is still in the rules data"
    assert {name: listed[name] for name in known} == {name: Decimal(str(figure)) for name, figure in known.items()}


def test_platoinstancetype_separates_training_from_spot_training_and_hosting(pricing):
    where = (term("regionCode", "us-east-1"), term("instanceName", "ml.m5.large"))

    every_kind = products(pricing, *where)
    by_kind = {
        kind: products(pricing, *where, term("platoinstancetype", kind))
        for kind in ("Training", "SpotTraining", "Hosting")
    }

    assert sorted(item["product"]["attributes"]["platoinstancetype"] for item in every_kind) == [
        "Hosting",
        "SpotTraining",
        "Training",
    ]
    assert len({hourly_usd(item) for item in every_kind}) == 3, "each kind has its own price"
    for kind, items in by_kind.items():
        (item,) = items
        assert item["product"]["attributes"]["platoinstancetype"] == kind
        assert hourly_usd(item) == fixture_usd("us-east-1", "ml.m5.large", kind)
    assert by_kind["Training"][0]["product"]["attributes"]["usagetype"] == "USE1-Train:ml.m5.large"


def test_productfamily_sku_and_service_code_filter_too(pricing):
    (item,) = products(pricing, term("usagetype", "EU-Train:ml.p3.2xlarge"))
    sku = item["product"]["sku"]

    assert [i["product"]["sku"] for i in products(pricing, term("sku", sku))] == [sku]
    assert len(products(pricing, term("productFamily", "ML Instance"))) == len(fixture_rows())
    assert len(products(pricing, term("ServiceCode", SAGEMAKER))) == len(fixture_rows())
    assert products(pricing, term("productFamily", "Storage")) == []


def test_max_results_two_walks_every_item_exactly_once(pricing):
    request = {"ServiceCode": SAGEMAKER, "FormatVersion": "aws_v1", "MaxResults": 2}
    seen: list[str] = []
    pages = 0
    while True:
        page = pricing.get_products(**request)
        pages += 1
        assert 1 <= len(page["PriceList"]) <= 2
        seen += [json.loads(raw)["product"]["sku"] for raw in page["PriceList"]]
        if "NextToken" not in page:
            break
        request["NextToken"] = page["NextToken"]

    assert len(seen) == len(set(seen)) == len(fixture_rows())
    assert pages == -(-len(fixture_rows()) // 2)
    assert PRICE_LIST_CALLS.count == pages


def test_default_page_holds_every_product_of_a_region(pricing):
    page = pricing.get_products(ServiceCode=SAGEMAKER, Filters=[term("regionCode", "eu-west-1")])

    assert len(page["PriceList"]) == len(fixture_rows(regionCode="eu-west-1"))
    assert "NextToken" not in page


def test_an_instance_type_the_price_list_lacks_is_an_empty_price_list(pricing):
    page = pricing.get_products(
        ServiceCode=SAGEMAKER,
        Filters=[term("regionCode", "us-east-1"), term("instanceName", ABSENT_TRAINING_TYPE)],
    )

    assert page["PriceList"] == []
    assert "NextToken" not in page


def test_a_filter_on_an_attribute_no_product_has_matches_nothing(pricing):
    assert products(pricing, term("volumeType", "Provisioned IOPS")) == []


# --- DescribeServices and GetAttributeValues ---------------------------------------------------------


def test_describe_services_names_sagemaker_and_its_attributes(pricing):
    one = pricing.describe_services(ServiceCode=SAGEMAKER, FormatVersion="aws_v1")
    every = pricing.describe_services()

    (service,) = one["Services"]
    assert one["FormatVersion"] == "aws_v1"
    assert service["ServiceCode"] == SAGEMAKER
    assert {"regionCode", "instanceName", "usagetype", "platoinstancetype", "location"} <= set(
        service["AttributeNames"]
    )
    assert every["Services"] == one["Services"]


def test_get_attribute_values_lists_the_fixture_values_a_page_at_a_time(pricing):
    regions = pricing.get_attribute_values(ServiceCode=SAGEMAKER, AttributeName="regionCode")
    kinds: list[str] = []
    request: dict[str, Any] = {"ServiceCode": SAGEMAKER, "AttributeName": "platoinstancetype", "MaxResults": 1}
    while True:
        page = pricing.get_attribute_values(**request)
        kinds += [value["Value"] for value in page["AttributeValues"]]
        if "NextToken" not in page:
            break
        request["NextToken"] = page["NextToken"]

    assert [value["Value"] for value in regions["AttributeValues"]] == sorted(FIXTURE["regions"])
    assert kinds == ["Hosting", "SpotTraining", "Training"]


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        ("get_products", {"ServiceCode": "AmazonNoSuchService"}),
        ("describe_services", {"ServiceCode": "AmazonNoSuchService"}),
        ("get_attribute_values", {"ServiceCode": "AmazonNoSuchService", "AttributeName": "regionCode"}),
    ],
)
def test_an_unknown_service_code_is_not_found(pricing, operation, arguments):
    with pytest.raises(ClientError) as error:
        getattr(pricing, operation)(**arguments)

    assert error_code(error) == "NotFoundException"
    assert error.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"Filters": [{"Type": "FUZZY_MATCH", "Field": "regionCode", "Value": "us-east-1"}]},
        {"MaxResults": 101},
        {"FormatVersion": "aws_v2"},
    ],
)
def test_a_bad_parameter_is_an_invalid_parameter(pricing, arguments):
    with pytest.raises(ClientError) as error:
        pricing.get_products(ServiceCode=SAGEMAKER, **arguments)

    assert error_code(error) == "InvalidParameterException"


def test_a_next_token_of_another_query_is_refused(pricing):
    token = pricing.get_products(ServiceCode=SAGEMAKER, MaxResults=1)["NextToken"]

    with pytest.raises(ClientError) as error:
        pricing.get_products(ServiceCode=SAGEMAKER, Filters=[term("regionCode", "eu-west-1")], NextToken=token)

    assert error_code(error) == "InvalidNextTokenException"


def test_a_region_without_a_price_list_endpoint_fails_loudly(embedded_aws):
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-west-2"
    )
    client = session.client("pricing", endpoint_url=embedded_aws.endpoint_url)

    with pytest.raises(ClientError) as error:
        client.get_products(ServiceCode=SAGEMAKER)

    assert error_code(error) == "EndpointNotFound"


# --- the call counter ------------------------------------------------------------------------------


def test_the_counter_counts_get_products_calls_with_their_filters(pricing):
    filters = [term("regionCode", "us-west-2"), term("instanceName", "ml.m5.large")]

    pricing.get_products(ServiceCode=SAGEMAKER, Filters=filters)
    pricing.get_products(ServiceCode=SAGEMAKER, MaxResults=5)
    pricing.describe_services(ServiceCode=SAGEMAKER)
    with pytest.raises(ClientError):
        pricing.get_products(ServiceCode="AmazonNoSuchService")

    first, second, third = PRICE_LIST_CALLS.calls()
    assert PRICE_LIST_CALLS.count == 3, "GetProducts calls only, failed ones included"
    assert list(first.filters) == filters
    assert (first.service_code, first.region, first.max_results) == (SAGEMAKER, "us-east-1", None)
    assert (second.filters, second.max_results) == ((), 5)
    assert third.service_code == "AmazonNoSuchService"

    PRICE_LIST_CALLS.reset()
    assert PRICE_LIST_CALLS.count == 0


# --- the guardrail's own reader ----------------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2", "eu-west-1"])
def test_the_adapter_reads_a_regions_on_demand_training_prices(pricing, region):
    expected = {
        row["instanceName"]: float(row["usd_per_hour"])
        for row in fixture_rows(regionCode=region, platoinstancetype="Training")
    }

    prices = fetch_training_prices(pricing, region)

    assert prices == expected
    assert ABSENT_TRAINING_TYPE not in prices
    (call,) = PRICE_LIST_CALLS.calls()
    assert list(call.filters) == training_filters(region)


def test_the_adapter_follows_next_token_through_short_pages(pricing):
    expected = {
        row["instanceName"]: float(row["usd_per_hour"])
        for row in fixture_rows(regionCode="us-east-1", platoinstancetype="Training")
    }

    with short_pages(3):
        prices = fetch_training_prices(pricing, "us-east-1")

    calls = PRICE_LIST_CALLS.calls()
    assert prices == expected
    assert len(calls) == -(-len(expected) // 3)
    assert calls[0].next_token is None
    assert all(call.next_token for call in calls[1:])


def test_product_code_reaches_the_emulator_through_the_environment(embedded_aws):
    PRICE_LIST_CALLS.reset()

    prices = fetch_training_prices(pricing_client(), "us-east-1")

    assert prices["ml.m5.large"] == float(fixture_usd("us-east-1", "ml.m5.large"))
    assert PRICE_LIST_CALLS.count == 1
