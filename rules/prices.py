"""Hourly SageMaker training prices, each shipped with its source and as-of date.

The table lists every training instance type per region. A price nobody can vouch for is kept as an
entry without a price (and a note saying why) rather than guessed: the cost model then counts it as
unknown, never as a silent $0.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, Self

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
