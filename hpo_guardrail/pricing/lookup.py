"""The price lookup chain: memory, then the shared cache, then the AWS Price List API, then the bundled
table and an estimate from another region.

A price the API gave (or the fact that it has none) is kept for a time to live in the shared cache
(DynamoDB in the deployed guardrail, a file for the CLI) and in memory for the warm function, so a miss
costs at most one API call per (region, instance type) per TTL. The API is asked only within a time
budget per evaluation (about 2 s): a price lookup never holds a stop hostage. Every lookup says which
path it took, in a log line and a metric.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from hpo_guardrail.observability import count, logger
from rules.prices import BundledPrices, PriceBook, PriceQuote, PriceSource

PRICE_LIST_ORIGIN = "AWS Price List API"
DEFAULT_TTL_SECONDS = 7 * 24 * 3600  # AWS changes SageMaker prices rarely; a week keeps the API quiet
DEFAULT_BUDGET_SECONDS = 2.0
# After the API failed (throttled, unreachable), the warm function does not ask again for this long.
FAILURE_BACKOFF_SECONDS = 300


# One metric per path a price came by, so a dashboard shows how often the guardrail falls back.
_METRIC_BY_SOURCE = {
    PriceSource.LIVE.value: "PricesLive",
    PriceSource.CACHE.value: "PricesCached",
    PriceSource.BUNDLED.value: "PricesBundled",
    PriceSource.ESTIMATE.value: "PricesEstimated",
    "unknown": "PricesUnknown",
}


class CachedPrice(BaseModel):
    """What the Price List API answered for one (region, instance type): a price, or that it lists none."""

    model_config = ConfigDict(frozen=True)

    region: str
    instance_type: str
    usd_per_hour: float | None = Field(gt=0, allow_inf_nan=False)
    fetched_at: datetime
    expires_at: datetime
    origin: str = PRICE_LIST_ORIGIN

    def fresh(self, now: datetime) -> bool:
        return now < self.expires_at

    def quote(self, source: PriceSource) -> PriceQuote | None:
        if self.usd_per_hour is None:
            return None
        return PriceQuote(
            instance_type=self.instance_type,
            region=self.region,
            usd_per_hour=self.usd_per_hour,
            source=source,
            as_of=self.fetched_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            origin=self.origin,
        )


class PriceCacheUnavailable(Exception):
    """The shared price cache could not be read or written."""


class PriceListUnavailable(Exception):
    """The Price List API could not be asked (throttled, unreachable, denied)."""


class PriceCache(Protocol):
    def get(self, region: str, instance_type: str) -> CachedPrice | None:
        """The cached answer, fresh or not; raises PriceCacheUnavailable."""
        ...

    def put(self, prices: list[CachedPrice]) -> None:
        """Store answers; raises PriceCacheUnavailable."""
        ...


class PriceList(Protocol):
    def training_price(self, region: str, instance_type: str) -> float | None:
        """The on-demand training price per hour, or None when the API lists none; raises PriceListUnavailable."""
        ...


class LivePrices:
    """The deployed guardrail's and the CLI's price book: live prices first, the bundled table behind them."""

    def __init__(
        self,
        fallback: BundledPrices | None = None,
        *,
        cache: PriceCache | None = None,
        price_list: PriceList | None = None,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        budget_seconds: float = DEFAULT_BUDGET_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fallback = fallback or BundledPrices()
        self._cache = cache
        self._price_list = price_list
        self._ttl = timedelta(seconds=ttl_seconds)
        self._budget = budget_seconds
        self._clock = clock
        self._monotonic = monotonic
        # What the API said for each (region, type) this function knows, and the quote that resolves to (the
        # API's price, labelled cached, or the fallback's when the API lists none).
        self._answers: dict[tuple[str, str], tuple[CachedPrice, PriceQuote | None]] = {}
        self._api_failed_until = 0.0

    @property
    def as_of(self) -> str:
        return self._fallback.as_of

    def for_evaluation(self) -> PriceBook:
        """A price book for one evaluation: its API calls share one time budget."""
        return _Budgeted(self, self._monotonic() + self._budget)

    def quote(self, region: str, instance_type: str, deadline: float | None = None) -> PriceQuote | None:
        """The best price there is for (region, instance type), with its source; None when nobody has one."""
        key = (region, instance_type)
        remembered = self._answers.get(key)
        if remembered is not None and remembered[0].fresh(self._clock()):
            # The warm function's hot path: no validation, no I/O, a debug line only.
            found = remembered[1]
            path = "memory"
        else:
            known, path = self._known(region, instance_type, deadline)
            found = known.quote(PriceSource.LIVE if path == "live" else PriceSource.CACHE) if known else None
            if found is None:
                found = self._fallback.quote(region, instance_type)
            if known is not None:
                # Later lookups of a live answer say where it is kept now: the cache.
                later = (
                    found if found is None or found.source is not PriceSource.LIVE else known.quote(PriceSource.CACHE)
                )
                self._answers[key] = (known, later)
        source = found.source.value if found else "unknown"
        count(_METRIC_BY_SOURCE[source])
        (logger.debug if path == "memory" else logger.info)(
            "Price lookup",
            extra={"region": region, "instance_type": instance_type, "path": path, "source": source},
        )
        return found

    def _known(self, region: str, instance_type: str, deadline: float | None) -> tuple[CachedPrice | None, str]:
        """What the API said (from the shared cache, or asked now), and which path found it."""
        if deadline is not None and self._monotonic() >= deadline:
            count("PriceLookupsOverBudget")
            return None, "over-budget"
        cached = self._from_cache(region, instance_type)
        now = self._clock()
        if cached is not None and cached.fresh(now):
            return cached, "cache"
        if self._price_list is None:
            return None, "no-live-prices"
        if deadline is not None and self._monotonic() >= deadline:
            count("PriceLookupsOverBudget")
            return None, "over-budget"
        if self._monotonic() < self._api_failed_until:
            return None, "api-backing-off"
        try:
            usd = self._price_list.training_price(region, instance_type)
        except PriceListUnavailable as error:
            count("PriceListFailures")
            logger.warning("The Price List API could not be asked", extra={"reason": str(error)})
            self._api_failed_until = self._monotonic() + FAILURE_BACKOFF_SECONDS
            return None, "api-failed"
        answer = CachedPrice(
            region=region, instance_type=instance_type, usd_per_hour=usd, fetched_at=now, expires_at=now + self._ttl
        )
        self._store(answer)
        return answer, "live"

    def _from_cache(self, region: str, instance_type: str) -> CachedPrice | None:
        if self._cache is None:
            return None
        try:
            return self._cache.get(region, instance_type)
        except PriceCacheUnavailable as error:
            count("PriceCacheFailures")
            logger.warning("The price cache could not be read", extra={"reason": str(error)})
            return None

    def _store(self, answer: CachedPrice) -> None:
        if self._cache is None:
            return
        try:
            self._cache.put([answer])
        except PriceCacheUnavailable as error:
            count("PriceCacheFailures")
            logger.warning("The price cache could not be written", extra={"reason": str(error)})


class _Budgeted:
    """One evaluation's view of LivePrices: the API is asked only before the deadline."""

    def __init__(self, prices: LivePrices, deadline: float) -> None:
        self._prices = prices
        self._deadline = deadline

    @property
    def as_of(self) -> str:
        return self._prices.as_of

    def quote(self, region: str, instance_type: str) -> PriceQuote | None:
        return self._prices.quote(region, instance_type, self._deadline)
