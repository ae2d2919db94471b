"""The scheduled price refresh: every training instance type of the watched regions, into the shared cache.

Run weekly (and on demand) so that an event rarely waits on the Price List API: each region is read in
one paged GetProducts walk, every instance type botocore knows is stored with its price, or with the
fact that the API lists none (so the guardrail does not ask again before the TTL).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from hpo_guardrail.environment import PriceSettings, RegionSettings
from hpo_guardrail.observability import count, logger
from hpo_guardrail.pricing.lookup import CachedPrice, PriceCache, PriceCacheUnavailable


class PriceRefreshSettings(PriceSettings, RegionSettings):
    """PRICE_CACHE_TABLE_NAME (required), PRICED_REGIONS (comma-separated; empty: the function's region)."""

    settings_name: ClassVar[str] = "price refresh"

    price_cache_table_name: str = Field(min_length=1, validation_alias="PRICE_CACHE_TABLE_NAME")
    priced_regions: str = Field(default="", validation_alias="PRICED_REGIONS")

    @property
    def regions(self) -> tuple[str, ...]:
        named = tuple(r.strip() for r in self.priced_regions.split(",") if r.strip())
        return named or (self.region,)


class RegionPrices(BaseModel):
    """What one region's refresh found."""

    model_config = ConfigDict(frozen=True)

    region: str
    priced: int
    without_price: int
    error: str | None = None


class PriceRefreshResult(BaseModel):
    """The function's return value."""

    model_config = ConfigDict(frozen=True)

    regions: list[RegionPrices]


class PriceCacheRefresher:
    """Reads whole regions from the Price List API and stores every training instance type in the cache."""

    def __init__(
        self,
        read_region: Callable[[str], Mapping[str, float]],
        cache: PriceCache,
        *,
        regions: Sequence[str],
        instance_types: Sequence[str],
        ttl_seconds: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._read_region = read_region
        self._cache = cache
        self._regions = tuple(regions)
        self._instance_types = tuple(instance_types)
        self._ttl = timedelta(seconds=ttl_seconds)
        self._clock = clock

    def handle(self, event: object) -> PriceRefreshResult:
        """Refresh the regions the event names ({"regions": [...]}), else the configured ones."""
        named = event.get("regions") if isinstance(event, Mapping) else None
        regions = tuple(str(r) for r in named) if isinstance(named, list) and named else self._regions
        return PriceRefreshResult(regions=[self._refresh(region) for region in regions])

    def _refresh(self, region: str) -> RegionPrices:
        try:
            listed = self._read_region(region)
        except Exception as error:  # one region failing must not keep the others from refreshing
            logger.exception("Reading a region's prices failed", extra={"region": region})
            return self._failed(region, f"{type(error).__name__}: {error}")
        if not listed:
            # A walk that finds nothing (a renamed attribute, a filter AWS no longer honours) must not overwrite
            # every cached price with "none" for a week: that would make every GPU job count as costly.
            return self._failed(region, "the Price List API listed no on-demand training price; cache left as it was")
        now = self._clock()
        prices = [
            CachedPrice(
                region=region,
                instance_type=instance_type,
                usd_per_hour=listed.get(instance_type),
                fetched_at=now,
                expires_at=now + self._ttl,
            )
            for instance_type in dict.fromkeys((*self._instance_types, *listed))
        ]
        try:
            self._cache.put(prices)
        except PriceCacheUnavailable as error:
            logger.exception("Writing a region's prices failed", extra={"region": region})
            return self._failed(region, f"the price cache could not be written: {error}")
        found = RegionPrices(
            region=region,
            priced=sum(1 for p in prices if p.usd_per_hour is not None),
            without_price=sum(1 for p in prices if p.usd_per_hour is None),
        )
        count("PricesRefreshed", found.priced)
        logger.info("Prices refreshed", extra=found.model_dump())
        return found

    @staticmethod
    def _failed(region: str, why: str) -> RegionPrices:
        count("PriceRefreshFailures")
        logger.warning("Price refresh failed for a region", extra={"region": region, "reason": why})
        return RegionPrices(region=region, priced=0, without_price=0, error=why)
