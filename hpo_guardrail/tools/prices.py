"""The AWS Price List adapter: SageMaker training prices in, the bundled price table out.

`hpo-guardrail prices refresh` asks the Price List API (GetProducts, service code AmazonSageMaker, product
family "ML Instance") for the on-demand training prices of each region, that is the products whose usage
type is `<region prefix>-Train:<instance type>`, and rewrites rules/data/training_prices.json. What the
API returns replaces the table's entry, with the API as source and today as the as-of date; everything
else stays as it was, so a price someone vouched for is never replaced by a guess, and an instance type
without a price stays without one. The caller's credentials need `pricing:GetProducts`; the Lambda never
calls this.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.model import StringShape
from pydantic import BaseModel, Field, ValidationError

import rules
from rules.prices import PriceEntry, PriceTable, bundled_prices, parse_price_table

# Usage-type region prefixes, as AWS documents them in "AWS Region billing codes" (Global Infrastructure
# guide) and in the region list of "Understanding your AWS billing and usage reports for Amazon S3".
# Ireland is the odd one out: plain "EU". A region missing here is refused rather than guessed.
REGION_PREFIXES: Mapping[str, str] = {
    "us-east-1": "USE1",
    "us-east-2": "USE2",
    "us-west-1": "USW1",
    "us-west-2": "USW2",
    "eu-west-1": "EU",
    "eu-west-2": "EUW2",
    "eu-central-1": "EUC1",
    "ap-northeast-1": "APN1",
    "ap-southeast-1": "APS1",
    "ap-southeast-2": "APS2",
    "ap-south-1": "APS3",
}
DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
# The Price List Query API has endpoints in us-east-1, eu-central-1 and ap-south-1 only; the prices of
# every region come from any of them.
PRICING_API_REGION = "us-east-1"
SERVICE_CODE = "AmazonSageMaker"
PRODUCT_FAMILY = "ML Instance"
TRAINING = "Training"  # platoinstancetype of on-demand training; managed spot is "SpotTraining"
HOURS = "Hrs"
PAGE_SIZE = 100  # the largest MaxResults GetProducts accepts

API_SOURCE = "AWS Price List API GetProducts"
NOT_REFRESHED = "not yet refreshed from the AWS Price List API"
NOT_IN_API = "the AWS Price List API listed no on-demand training price"
DEFAULT_TABLE_PATH = Path(rules.__file__).resolve().parent / "data" / "training_prices.json"
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


class UnknownRegion(ValueError):
    """A region whose usage-type prefix is not in REGION_PREFIXES."""


def region_prefix(region: str) -> str:
    """The usage-type prefix of a region (us-east-1 -> USE1, eu-west-1 -> EU)."""
    try:
        return REGION_PREFIXES[region]
    except KeyError:
        known = ", ".join(sorted(REGION_PREFIXES))
        raise UnknownRegion(f"no usage-type prefix is known for {region} (known: {known})") from None


@dataclass(frozen=True)
class InstanceTypeList:
    """The training instance types every region of the table lists, and where the list came from."""

    types: tuple[str, ...]
    source: str

    @classmethod
    def from_botocore(cls) -> InstanceTypeList:
        """The `TrainingInstanceType` enum of the installed botocore's SageMaker service model."""
        shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("TrainingInstanceType")
        if not isinstance(shape, StringShape) or not shape.enum:
            raise RuntimeError("botocore's SageMaker model has no TrainingInstanceType enum")
        return cls(
            types=tuple(shape.enum),
            source=f"botocore {botocore.__version__} sagemaker TrainingInstanceType enum",
        )


# --- reading GetProducts ------------------------------------------------------------------------------
# Lenient models of one PriceList item: only the fields used; anything malformed fails validation and the
# item is skipped rather than half-read.


class _Dimension(BaseModel):
    unit: str = ""
    price_per_unit: dict[str, str] = Field(default_factory=dict, alias="pricePerUnit")


class _Term(BaseModel):
    price_dimensions: dict[str, _Dimension] = Field(default_factory=dict, alias="priceDimensions")


class _Product(BaseModel):
    product_family: str | None = Field(default=None, alias="productFamily")
    attributes: dict[str, str] = Field(default_factory=dict)


class _PriceListItem(BaseModel):
    product: _Product
    terms: dict[str, dict[str, _Term]] = Field(default_factory=dict)


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
        page = pricing_client.get_products(**request)
        yield from page.get("PriceList", [])
        token = page.get("NextToken")
        if not token:
            return
        if token in seen_tokens:  # a service bug must not turn into an endless loop
            raise RuntimeError(f"GetProducts returned the NextToken {token!r} twice")
        seen_tokens.add(token)
        request["NextToken"] = token


def _train_usage_instance_type(usage_type: str, prefix: str) -> str | None:
    usage, separator, instance_type = usage_type.partition(":")
    if not separator or not instance_type.startswith("ml."):
        return None
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


def _training_price(raw: str, region: str, prefix: str) -> tuple[str, float] | None:
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

    `pricing_client` is a boto3 "pricing" client (create it in us-east-1). Pages through NextToken. Items
    that are not on-demand training of that region (spot, hosting, fees, other regions), prices that are
    not a positive number of USD per hour, and instance types with conflicting prices are left out.
    """
    prefix = region_prefix(region)
    found: defaultdict[str, set[float]] = defaultdict(set)
    for raw in _price_list(pricing_client, region):
        priced = _training_price(raw, region, prefix) if isinstance(raw, str) else None
        if priced is not None:
            found[priced[0]].add(priced[1])
    return {instance_type: prices.pop() for instance_type, prices in found.items() if len(prices) == 1}


# --- updating the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionRefresh:
    """What a refresh did to one region of the table."""

    region: str
    updated: tuple[str, ...] = ()  # priced from the API this time
    changed: tuple[str, ...] = ()  # of those, the ones whose price is not what the table had
    kept: tuple[str, ...] = ()  # priced before, nothing from the API: left as they were
    missing: tuple[str, ...] = ()  # still without a price
    added: tuple[str, ...] = ()  # listed for the first time

    def describe(self) -> str:
        """One line for the command's summary."""
        line = (
            f"{self.region}: {len(self.updated)} prices updated ({len(self.changed)} changed), "
            f"{len(self.kept)} kept as they were, {len(self.missing)} still missing"
        )
        return line + (f", {len(self.added)} instance types added" if self.added else "")


def _missing(source: str, as_of: str, note: str) -> PriceEntry:
    return PriceEntry(usd_per_hour=None, source=source, as_of=as_of, note=note)


def _update_region(
    region: str,
    old: Mapping[str, PriceEntry],
    fetched: Mapping[str, float] | None,
    listed: InstanceTypeList,
    today: str,
) -> tuple[dict[str, PriceEntry], RegionRefresh]:
    """New entries of one region; `fetched` None means the API was not asked (offline completion)."""
    prices = dict(fetched or {})
    entries = dict(old)
    added = tuple(t for t in dict.fromkeys((*listed.types, *prices)) if t not in entries)
    for instance_type in added:
        entries[instance_type] = _missing(listed.source, today, NOT_REFRESHED)
    for instance_type, price in prices.items():
        entries[instance_type] = PriceEntry(usd_per_hour=price, source=API_SOURCE, as_of=today)
    if fetched is not None:
        # The API was asked and had nothing: say so, with the date, instead of "not yet refreshed".
        for instance_type, entry in entries.items():
            if entry.usd_per_hour is None and instance_type not in prices:
                entries[instance_type] = _missing(API_SOURCE, today, NOT_IN_API)
    summary = RegionRefresh(
        region=region,
        updated=tuple(sorted(prices)),
        changed=tuple(sorted(t for t, p in prices.items() if t not in old or old[t].usd_per_hour != p)),
        kept=tuple(sorted(t for t, e in entries.items() if t not in prices and e.usd_per_hour is not None)),
        missing=tuple(sorted(t for t, e in entries.items() if e.usd_per_hour is None)),
        added=added,
    )
    return entries, summary


def _rebuild(
    table: PriceTable, regions: Mapping[str, dict[str, PriceEntry]], as_of: str, listed_from: str
) -> PriceTable:
    return PriceTable(
        source=table.source,
        as_of=as_of,
        currency=table.currency,
        instance_types_from=listed_from,
        regions={**table.regions, **regions},
    )


def refresh_table(
    table: PriceTable,
    pricing_client: Any,
    regions: Sequence[str],
    today: str,
    instance_types: InstanceTypeList | None = None,
) -> tuple[PriceTable, tuple[RegionRefresh, ...]]:
    """The table with what the Price List API lists for `regions` filled in, and what changed per region.

    API prices replace the entry (source "AWS Price List API GetProducts", as-of `today`); every other
    price stays as it was. Instance types of `instance_types` (default: botocore's enum) missing from a
    region are added without a price. The table's own as-of date becomes `today`.
    """
    listed = instance_types or InstanceTypeList.from_botocore()
    updated: dict[str, dict[str, PriceEntry]] = {}
    summaries = []
    for region in regions:
        fetched = fetch_training_prices(pricing_client, region)
        updated[region], summary = _update_region(region, table.regions.get(region, {}), fetched, listed, today)
        summaries.append(summary)
    return _rebuild(table, updated, today, listed.source), tuple(summaries)


def complete_table(
    table: PriceTable,
    regions: Sequence[str],
    today: str,
    instance_types: InstanceTypeList | None = None,
) -> tuple[PriceTable, tuple[RegionRefresh, ...]]:
    """The table with every listed instance type present in `regions`, without asking the API.

    New instance types get an entry without a price; prices and the table's as-of date are unchanged.
    """
    listed = instance_types or InstanceTypeList.from_botocore()
    updated: dict[str, dict[str, PriceEntry]] = {}
    summaries = []
    for region in regions:
        region_prefix(region)  # the same regions a refresh accepts
        updated[region], summary = _update_region(region, table.regions.get(region, {}), None, listed, today)
        summaries.append(summary)
    return _rebuild(table, updated, table.as_of, listed.source), tuple(summaries)


# --- the file -----------------------------------------------------------------------------------------

_SIZES = {"nano": 0.0625, "micro": 0.125, "small": 0.25, "medium": 0.5, "large": 1.0, "xlarge": 2.0}


def _instance_order(instance_type: str) -> tuple[str, float, str]:
    # Family, then size (large < xlarge < 2xlarge < 12xlarge), so the file reads like the pricing page.
    parts = instance_type.split(".")
    if len(parts) != 3:
        return instance_type, math.inf, instance_type
    size = parts[2]
    if size in _SIZES:
        return parts[1], _SIZES[size], instance_type
    multiple, _, rest = size.partition("xlarge")
    if multiple.isdigit() and not rest:
        return parts[1], 2.0 * int(multiple), instance_type
    return parts[1], math.inf, instance_type


def _entry_json(entry: PriceEntry) -> str:
    fields: dict[str, Any] = {"usd_per_hour": entry.usd_per_hour, "source": entry.source, "as_of": entry.as_of}
    if entry.note is not None:
        fields["note"] = entry.note
    return _dumps(fields)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_table(table: PriceTable) -> str:
    """The table as JSON text: one line per entry, regions and instance types in a stable order."""
    lines = ["{"]
    for key in ("source", "as_of", "currency", "instance_types_from"):
        value = getattr(table, key)
        if value is not None:
            lines.append(f"  {_dumps(key)}: {_dumps(value)},")
    lines.append('  "regions": {')
    region_blocks = []
    for region in sorted(table.regions):
        entries = table.regions[region]
        rows = [f"      {_dumps(t)}: {_entry_json(entries[t])}" for t in sorted(entries, key=_instance_order)]
        body = "{\n" + ",\n".join(rows) + "\n    }" if rows else "{}"
        region_blocks.append(f"    {_dumps(region)}: {body}")
    lines.append(",\n".join(region_blocks))
    lines.extend(["  }", "}"])
    return "\n".join(lines) + "\n"


def write_table(path: Path, table: PriceTable) -> None:
    """Write the table to `path`, replacing the file in one step so a failed write leaves the old one."""
    path = Path(path)
    text = render_table(table)
    parse_price_table(text)  # never write what the guardrail could not read back
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_table(path: Path) -> PriceTable:
    """Read a price table file."""
    return parse_price_table(Path(path).read_text(encoding="utf-8"))


# --- the command --------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-guardrail prices refresh",
        description="Rewrite the training price table from the AWS Price List API (GetProducts, "
        "AmazonSageMaker, usage type <region prefix>-Train:<instance type>). Prices the API does not "
        "list are kept as they were; nothing is guessed.",
    )
    parser.add_argument(
        "--region",
        action="append",
        metavar="REGION",
        help=f"a region to refresh (repeatable; default: {', '.join(DEFAULT_REGIONS)}); "
        f"known: {', '.join(REGION_PREFIXES)}",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_TABLE_PATH,
        metavar="PATH",
        help="the table to update and rewrite (default: the bundled rules/data/training_prices.json)",
    )
    parser.add_argument("--profile", help="the AWS profile to use (needs pricing:GetProducts)")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="do not call the API: only add instance types new in botocore's enum, without a price",
    )
    return parser


def _pricing_client(profile: str | None) -> Any:
    return boto3.Session(profile_name=profile).client("pricing", region_name=PRICING_API_REGION, config=CLIENT_CONFIG)


def prices_refresh_command(
    argv: Sequence[str] | None = None, *, pricing_client: Any = None, today: str | None = None
) -> int:
    """`hpo-guardrail prices refresh [--region R]... [--output PATH] [--profile P] [--offline]`.

    Prints one summary line per region and returns the exit status: 0 when the table was written, 1 when
    AWS could not be asked (nothing is written then); bad arguments exit 2 through argparse.
    `pricing_client` and `today` are for tests.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    regions = tuple(dict.fromkeys(args.region or DEFAULT_REGIONS))
    unknown = [region for region in regions if region not in REGION_PREFIXES]
    if unknown:
        parser.error(f"no usage-type prefix is known for {', '.join(unknown)}; known: {', '.join(REGION_PREFIXES)}")
    output: Path = args.output
    table = load_table(output) if output.exists() else bundled_prices()
    day = today or datetime.now(UTC).date().isoformat()
    try:
        listed = InstanceTypeList.from_botocore()
        if args.offline:
            new_table, summaries = complete_table(table, regions, day, listed)
        else:
            client = pricing_client if pricing_client is not None else _pricing_client(args.profile)
            new_table, summaries = refresh_table(table, client, regions, day, listed)
    except (BotoCoreError, ClientError) as error:
        print(f"hpo-guardrail prices refresh: could not read the AWS Price List API: {error}", file=sys.stderr)
        return 1
    write_table(output, new_table)
    for summary in summaries:
        print(summary.describe())
        if not args.offline and not summary.updated:
            print(f"warning: the Price List API listed no training prices for {summary.region}", file=sys.stderr)
    print(f"wrote {output}")
    return 0
