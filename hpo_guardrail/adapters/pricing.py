"""The AWS Price List API: SageMaker's on-demand training prices of one region, by instance type.

GetProducts (service code AmazonSageMaker, product family "ML Instance") lists on-demand training as
the products whose usage type is `<region prefix>-Train:<instance type>`. Each PriceList entry is a
JSON string; only entries that are consistently on-demand training of the asked region, with one
positive hourly USD price, count. The deployed guardrail asks for one (region, instance type) at a time
(`PriceListApi`), within a time budget; `prices refresh` and the scheduled refresh read a whole region.

`pricing:GetProducts` has no resource-level scoping: IAM grants it on every resource or not at all.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, ClassVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hpo_guardrail.adapters.billing_codes import REGION_PREFIXES
from hpo_guardrail.adapters.clients import aws_call, cli_client, session
from hpo_guardrail.pricing.lookup import PriceListUnavailable

PERMISSIONS = ("pricing:GetProducts",)
# A lookup inside an evaluation: one attempt with short timeouts, so the time budget holds (about 2 s); a
# failure falls back to the bundled table and the API is asked again after a back-off.
LOOKUP_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1, read_timeout=2)
# A usage type's region prefix when the region is not in the documented list: a billing code such as USE1 or EU.
_ANY_PREFIX = re.compile(r"[A-Z]{2,4}\d*-Train")
# The Price List Query API has endpoints in us-east-1, eu-central-1 and ap-south-1 only; the prices of
# every region come from any of them.
PRICING_API_REGION = "us-east-1"
SERVICE_CODE = "AmazonSageMaker"
PRODUCT_FAMILY = "ML Instance"
TRAINING = "Training"  # platoinstancetype of on-demand training; managed spot is "SpotTraining"
HOURS = "Hrs"
PAGE_SIZE = 100  # the largest MaxResults GetProducts accepts


def pricing_client(profile: str | None = None) -> Any:
    """A CLI client of the Price List API, as the named profile; raises AwsCallFailed."""
    return cli_client("pricing", aws_session=session(profile), region=PRICING_API_REGION)


def lookup_client(profile: str | None = None) -> Any:
    """A Price List client for lookups while `lint` or `scan` evaluates (LOOKUP_CLIENT_CONFIG: one quick
    retry, short timeouts), as the named profile; raises AwsCallFailed."""
    aws = session(profile)
    with aws_call():
        return aws.client("pricing", region_name=PRICING_API_REGION, config=LOOKUP_CLIENT_CONFIG)


def profile_region(profile: str | None = None) -> str | None:
    """The region the named profile (or the environment) configures, if any; raises AwsCallFailed."""
    region = session(profile).region_name
    return str(region) if region else None


def sagemaker_regions() -> tuple[str, ...]:
    """The commercial regions (partition `aws`) that have SageMaker, from botocore's endpoint data.

    A documented source rather than a hand list: a region AWS opens appears with a botocore release.
    """
    import botocore.session

    return tuple(botocore.session.get_session().get_available_regions("sagemaker", partition_name="aws"))


# Lenient models of one PriceList item: only the fields used; anything malformed fails validation and the
# item is skipped rather than half-read. Built when the first item is read (defer_build): the guardrail function
# imports this module, and most of its invocations find their prices without asking the API.
_ON_FIRST_USE = ConfigDict(defer_build=True)


class _Dimension(BaseModel):
    model_config = _ON_FIRST_USE

    unit: str = ""
    price_per_unit: dict[str, str] = Field(default_factory=dict, alias="pricePerUnit")


class _Term(BaseModel):
    model_config = _ON_FIRST_USE

    price_dimensions: dict[str, _Dimension] = Field(default_factory=dict, alias="priceDimensions")


class _Product(BaseModel):
    model_config = _ON_FIRST_USE

    product_family: str | None = Field(default=None, alias="productFamily")
    attributes: dict[str, str] = Field(default_factory=dict)


class _PriceListItem(BaseModel):
    model_config = _ON_FIRST_USE

    product: _Product
    terms: dict[str, dict[str, _Term]] = Field(default_factory=dict)


# Built on first use; SnapStart's warm-up builds them before the snapshot (enforce/warm_up.py).
PRICE_LIST_MODELS: tuple[type[BaseModel], ...] = (_Dimension, _Term, _Product, _PriceListItem)


def training_filters(region: str) -> list[dict[str, str]]:
    """GetProducts filters for the on-demand training instances of one region."""
    return [
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": PRODUCT_FAMILY},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "TERM_MATCH", "Field": "platoinstancetype", "Value": TRAINING},
    ]


def _price_list(pricing_client: Any, region: str) -> Iterator[str]:
    request: dict[str, Any] = {
        "ServiceCode": SERVICE_CODE,
        "Filters": training_filters(region),
        "FormatVersion": "aws_v1",
        "MaxResults": PAGE_SIZE,
    }
    seen_tokens: set[str] = set()
    while True:
        with aws_call():
            page = pricing_client.get_products(**request)
        yield from page.get("PriceList", [])
        token = page.get("NextToken")
        if not token:
            return
        if token in seen_tokens:  # a service bug must not turn into an endless loop
            raise RuntimeError(f"GetProducts returned the NextToken {token!r} twice")
        seen_tokens.add(token)
        request["NextToken"] = token


def _train_usage_instance_type(usage_type: str, prefix: str | None) -> str | None:
    usage, separator, instance_type = usage_type.partition(":")
    if not separator or not instance_type.startswith("ml."):
        return None
    if prefix is None:  # a region without a documented prefix: the product's regionCode is checked instead
        return instance_type if _ANY_PREFIX.fullmatch(usage) else None
    # Exactly "<prefix>-Train": "-TrainingPlanUpfrontFee", "-Host" and the like are other charges.
    # us-east-1 usage types may also come without a prefix ("USE1 (or no prefix)" in the billing codes).
    accepted = {f"{prefix}-Train", "Train"} if prefix == "USE1" else {f"{prefix}-Train"}
    return instance_type if usage in accepted else None


def _usd(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _hourly_usd(item: _PriceListItem) -> float | None:
    prices = {
        usd
        for term in item.terms.get("OnDemand", {}).values()
        for dimension in term.price_dimensions.values()
        if dimension.unit == HOURS and (usd := _usd(dimension.price_per_unit.get("USD"))) is not None
    }
    # Two different hourly prices on one product: nobody can say which applies, so neither does.
    return prices.pop() if len(prices) == 1 else None


def _same_instance(instance_name: str | None, instance_type: str) -> bool:
    # The usage type names the instance; instanceName, when it names an ML instance too, must agree. Other
    # values ("NA" and suffixed names occur in the Price List's instance attributes) prove nothing either way.
    return instance_name is None or not instance_name.startswith("ml.") or instance_name == instance_type


def _training_price(raw: str, region: str, prefix: str | None) -> tuple[str, float] | None:
    try:
        item = _PriceListItem.model_validate_json(raw)
    except ValidationError:
        return None
    attributes = item.product.attributes
    instance_type = _train_usage_instance_type(attributes.get("usagetype", ""), prefix)
    if (
        instance_type is None
        or item.product.product_family not in (None, PRODUCT_FAMILY)
        or attributes.get("regionCode", region) != region
        # Managed spot has its own platoinstancetype; never take its price for on-demand.
        or attributes.get("platoinstancetype", TRAINING) != TRAINING
        or not _same_instance(attributes.get("instanceName"), instance_type)
    ):
        return None
    price = _hourly_usd(item)
    return None if price is None else (instance_type, price)


def fetch_training_prices(pricing_client: Any, region: str) -> dict[str, float]:
    """On-demand training prices (USD per hour) the Price List API lists for a region, by instance type.

    `pricing_client` is a boto3 "pricing" client (see `pricing_client()`). Pages through NextToken. Items
    that are not on-demand training of that region (spot, hosting, fees, other regions), prices that are
    not a positive number of USD per hour, and instance types with conflicting prices are left out.
    Raises AwsCallFailed when AWS cannot be asked.
    """
    prefix = REGION_PREFIXES.get(region)
    found: defaultdict[str, set[float]] = defaultdict(set)
    for raw in _price_list(pricing_client, region):
        priced = _training_price(raw, region, prefix) if isinstance(raw, str) else None
        if priced is not None:
            found[priced[0]].add(priced[1])
    return {instance_type: prices.pop() for instance_type, prices in found.items() if len(prices) == 1}


class PriceListApi:
    """The Price List API over an injected boto3 "pricing" client: one (region, instance type) per call."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = PERMISSIONS

    def __init__(self, client: Any) -> None:
        self._client = client

    def training_price(self, region: str, instance_type: str) -> float | None:
        """The on-demand training price per hour, or None when the API lists none; raises PriceListUnavailable."""
        prefix = REGION_PREFIXES.get(region)
        # The usage type names exactly one product; instanceName is the fallback for a region whose billing
        # prefix is not documented (the parser below checks the usage type either way).
        wanted = (
            {"Type": "TERM_MATCH", "Field": "usagetype", "Value": f"{prefix}-Train:{instance_type}"}
            if prefix
            else {"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_type}
        )
        filters = [*training_filters(region), wanted]
        try:
            page = self._client.get_products(
                ServiceCode=SERVICE_CODE, Filters=filters, FormatVersion="aws_v1", MaxResults=PAGE_SIZE
            )
        except (BotoCoreError, ClientError) as error:
            raise PriceListUnavailable(str(error)) from error
        found = {
            priced[1]
            for raw in page.get("PriceList", [])
            if isinstance(raw, str) and (priced := _training_price(raw, region, prefix)) and priced[0] == instance_type
        }
        # Two different prices for one instance type: nobody can say which applies.
        return found.pop() if len(found) == 1 else None
