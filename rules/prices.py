"""Hourly SageMaker training prices, shipped with their source and as-of date."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict


class PriceTable(BaseModel):
    """On-demand training prices (USD per instance-hour) by region and instance type."""

    model_config = ConfigDict(frozen=True)

    source: str
    as_of: str
    currency: str = "USD"
    regions: dict[str, dict[str, float]]

    def hourly(self, region: str, instance_type: str) -> float | None:
        """The on-demand training price, or None when nobody vouched for one."""
        return self.regions.get(region, {}).get(instance_type)


@lru_cache(maxsize=1)
def bundled_prices() -> PriceTable:
    """The price table packaged in rules/data/training_prices.json."""
    text = resources.files("rules").joinpath("data/training_prices.json").read_text(encoding="utf-8")
    return PriceTable.model_validate(json.loads(text))
