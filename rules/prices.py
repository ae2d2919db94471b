"""Hourly SageMaker training prices, each shipped with its source and as-of date.

The table lists every training instance type per region. A price nobody can vouch for is kept as an
entry without a price (and a note saying why) rather than guessed: the cost model then counts it as
unknown, never as a silent $0.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


class PriceEntry(BaseModel):
    """One instance type in one region: its on-demand training price, or None, and where that came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    usd_per_hour: float | None = Field(gt=0, allow_inf_nan=False)
    source: str = Field(min_length=1)
    as_of: str = Field(pattern=ISO_DATE)
    note: str | None = None

    @model_validator(mode="after")
    def _vouched_or_explained(self) -> Self:
        # An entry nobody can vouch for must say why, so a reader never mistakes it for an oversight.
        if self.usd_per_hour is None and not (self.note and self.note.strip()):
            raise ValueError("an entry without a price needs a note saying why it is missing")
        return self


class PriceTable(BaseModel):
    """On-demand training prices (USD per instance-hour) by region and instance type.

    `source` describes the table as a whole and `as_of` is the date it was generated or last refreshed;
    each entry carries the source and as-of date of its own price.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    as_of: str
    currency: str = "USD"
    instance_types_from: str | None = None
    regions: dict[str, dict[str, PriceEntry]]

    @model_validator(mode="before")
    @classmethod
    def _bare_prices_are_the_tables_own(cls, data: Any) -> Any:
        """Accept `{"region": {"ml.x": 1.0}}`: a bare number is vouched for by the table's source and date.

        Hand-made tables (tests, one-off what-ifs) stay one line; the shipped file spells out every entry.
        """
        if not isinstance(data, dict) or not isinstance(data.get("regions"), dict):
            return data
        source, as_of = data.get("source"), data.get("as_of")
        regions = {
            region: {instance_type: _bare_entry(value, source, as_of) for instance_type, value in entries.items()}
            if isinstance(entries, dict)
            else entries
            for region, entries in data["regions"].items()
        }
        return {**data, "regions": regions}

    def entry(self, region: str, instance_type: str) -> PriceEntry | None:
        """The table's entry for an instance type in a region (price, source, as-of date), if listed."""
        return self.regions.get(region, {}).get(instance_type)

    def hourly(self, region: str, instance_type: str) -> float | None:
        """The on-demand training price, or None when nobody vouched for one."""
        found = self.entry(region, instance_type)
        return None if found is None else found.usd_per_hour

    def quote(self, region: str, instance_type: str) -> PriceQuote | None:
        """The table's own price for the region as a quote (no estimate from other regions: see BundledPrices)."""
        entry = self.entry(region, instance_type)
        if entry is None or entry.usd_per_hour is None:
            return None
        return PriceQuote(
            instance_type=instance_type,
            region=region,
            usd_per_hour=entry.usd_per_hour,
            source=PriceSource.BUNDLED,
            as_of=entry.as_of,
            origin=entry.source,
        )

    def unpriced(self, region: str) -> tuple[str, ...]:
        """The instance types listed for a region without a price, sorted."""
        return tuple(sorted(t for t, e in self.regions.get(region, {}).items() if e.usd_per_hour is None))

    def priced(self, region: str) -> dict[str, float]:
        """The instance types of a region that have a price, with it."""
        return {t: e.usd_per_hour for t, e in self.regions.get(region, {}).items() if e.usd_per_hour is not None}


def _bare_entry(value: Any, source: Any, as_of: Any) -> Any:
    # bool is an int subclass; True is not a price.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"usd_per_hour": value, "source": source, "as_of": as_of}
    return value


def parse_price_table(text: str) -> PriceTable:
    """A price table from its JSON text (the format of rules/data/training_prices.json)."""
    return PriceTable.model_validate(json.loads(text))


@lru_cache(maxsize=1)
def bundled_prices() -> PriceTable:
    """The price table packaged in rules/data/training_prices.json."""
    return parse_price_table(resources.files("rules").joinpath("data/training_prices.json").read_text(encoding="utf-8"))


# --- quotes: a price together with where it came from ---------------------------------------------


class PriceSource(StrEnum):
    """Where a price came from, most trusted first."""

    LIVE = "live"  # the AWS Price List API, asked for this evaluation
    CACHE = "cache"  # what the Price List API answered earlier, still within its time to live
    BUNDLED = "bundled"  # the table shipped with the package (rules/data/training_prices.json)
    ESTIMATE = "estimate"  # the same instance type's price in another region


class PriceQuote(BaseModel):
    """One instance type's hourly on-demand training price in one region, and where it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instance_type: str
    region: str
    usd_per_hour: float = Field(gt=0, allow_inf_nan=False)
    source: PriceSource
    as_of: str = Field(description="the date of a bundled price, or when the API was asked (ISO 8601)")
    origin: str = Field(description="who vouches for the figure: the Price List API or the table entry's source")
    from_region: str | None = Field(default=None, description="an estimate: the region whose price it is")

    def describe(self, age: str | None = None) -> str:
        """Where the price came from, in words: 'live from the AWS Price List API (2026-11-29T10:00Z)';
        with `age` ('1 day ago'), how old it is too."""
        dated = f"{self.as_of}, {age}" if age else self.as_of
        match self.source:
            case PriceSource.LIVE:
                return f"live from the {self.origin} ({dated})"
            case PriceSource.CACHE:
                return f"cached from the {self.origin} (fetched {dated})"
            case PriceSource.BUNDLED:
                return f"bundled price table (as of {dated}; {self.origin})"
            case _:
                return f"estimate: the {self.from_region} price ({self.origin}, as of {dated})"


class PriceBook(Protocol):
    """What the cost model asks prices of: a quote per (region, instance type), or None when unknown."""

    @property
    def as_of(self) -> str:
        """The date of the bundled table behind the book (the oldest figure it may fall back to)."""
        ...

    def quote(self, region: str, instance_type: str) -> PriceQuote | None: ...


def _area(region: str) -> str:
    return region.split("-", 1)[0]  # "us", "eu", "ap", "ca", "sa", "me", "af", "il", "mx"


def estimate_from_nearest_region(table: PriceTable, region: str, instance_type: str) -> PriceQuote | None:
    """The same instance type's bundled price in the nearest region that has one, labelled an estimate.

    Nearest: a region of the same area first (eu-* for eu-west-3), then us-east-1 (where most prices
    are known and most regions' prices are close to), then any other, each in name order. SageMaker
    prices differ by region (ml.g5.xlarge is $1.408 in us-east-1 and $1.69 in ap-south-1), so an
    estimate is never passed off as the region's price.
    """
    candidates = sorted(
        (other for other in table.regions if other != region),
        key=lambda other: (_area(other) != _area(region), other != "us-east-1", other),
    )
    for other in candidates:
        found = table.quote(other, instance_type)
        if found is not None:
            return found.model_copy(update={"region": region, "source": PriceSource.ESTIMATE, "from_region": other})
    return None


class BundledPrices:
    """The offline price book: the bundled table, else an estimate from the nearest region with a price."""

    def __init__(self, table: PriceTable | None = None) -> None:
        self.table = table or bundled_prices()

    @property
    def as_of(self) -> str:
        return self.table.as_of

    def quote(self, region: str, instance_type: str) -> PriceQuote | None:
        return self.table.quote(region, instance_type) or estimate_from_nearest_region(
            self.table, region, instance_type
        )


# Accelerated instance families: GPU (p, g), Trainium (trn), Inferentia (inf), Gaudi (dl). An unknown price
# on one of these is a costly job more often than not.
_ACCELERATED_FAMILY = re.compile(r"^ml\.(p|g|trn|inf|dl)\d", re.IGNORECASE)


def is_accelerated(instance_type: str) -> bool:
    """True for GPU and accelerator instance types (ml.p4d.24xlarge, ml.g6e.xlarge, ml.trn1.32xlarge)."""
    return _ACCELERATED_FAMILY.match(instance_type) is not None
