"""The price lookup chain: memory, shared cache, the Price List API within a budget, bundled, estimate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from hpo_guardrail.pricing.lookup import CachedPrice, LivePrices, PriceCacheUnavailable, PriceListUnavailable
from hpo_guardrail.pricing.refresh import PriceCacheRefresher
from rules.prices import BundledPrices, PriceSource, PriceTable

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
TABLE = PriceTable(
    source="test table",
    as_of="2026-11-26",
    regions={"us-east-1": {"ml.m5.xlarge": 0.23, "ml.p4d.24xlarge": 25.0}, "eu-west-1": {"ml.m5.xlarge": 0.26}},
)


@dataclass
class FakePriceList:
    prices: dict[tuple[str, str], float] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    broken: bool = False
    seconds_per_call: float = 0.0
    clock: list[float] | None = None

    def training_price(self, region: str, instance_type: str) -> float | None:
        self.calls.append((region, instance_type))
        if self.clock is not None:
            self.clock[0] += self.seconds_per_call
        if self.broken:
            raise PriceListUnavailable("ThrottlingException: Rate exceeded")
        return self.prices.get((region, instance_type))


@dataclass
class FakeCache:
    items: dict[tuple[str, str], CachedPrice] = field(default_factory=dict)
    broken: bool = False

    def get(self, region: str, instance_type: str) -> CachedPrice | None:
        if self.broken:
            raise PriceCacheUnavailable("ProvisionedThroughputExceeded")
        return self.items.get((region, instance_type))

    def put(self, prices: list[CachedPrice]) -> None:
        if self.broken:
            raise PriceCacheUnavailable("ProvisionedThroughputExceeded")
        self.items.update({(p.region, p.instance_type): p for p in prices})


def prices(price_list=None, cache=None, now=NOW, ticks=None, budget=2.0) -> LivePrices:
    ticks = ticks if ticks is not None else [0.0]
    return LivePrices(
        BundledPrices(TABLE),
        cache=cache,
        price_list=price_list,
        ttl_seconds=3600,
        budget_seconds=budget,
        clock=lambda: now,
        monotonic=lambda: ticks[0],
    )


def cached(region, instance_type, usd, fetched=NOW, ttl=timedelta(hours=1)) -> CachedPrice:
    return CachedPrice(
        region=region, instance_type=instance_type, usd_per_hour=usd, fetched_at=fetched, expires_at=fetched + ttl
    )


def test_a_price_the_bundled_table_lacks_is_asked_live_and_kept_in_the_shared_cache():
    api, cache = FakePriceList({("us-west-2", "ml.p5.48xlarge"): 63.3}), FakeCache()
    quote = prices(api, cache).for_evaluation().quote("us-west-2", "ml.p5.48xlarge")
    assert (quote.usd_per_hour, quote.source) == (63.3, PriceSource.LIVE)
    assert quote.describe() == "live from the AWS Price List API (2026-11-29T10:00:00Z)"
    assert cache.items[("us-west-2", "ml.p5.48xlarge")].usd_per_hour == 63.3


def test_the_warm_function_answers_from_memory_and_a_cold_one_from_the_cache_without_the_api():
    api, cache = FakePriceList({("us-west-2", "ml.p5.48xlarge"): 63.3}), FakeCache()
    warm = prices(api, cache)
    warm.quote("us-west-2", "ml.p5.48xlarge")
    warm.quote("us-west-2", "ml.p5.48xlarge")
    cold = prices(api, cache)
    quote = cold.quote("us-west-2", "ml.p5.48xlarge")
    assert api.calls == [("us-west-2", "ml.p5.48xlarge")], "one API call per (region, type) per TTL"
    assert quote.source is PriceSource.CACHE and quote.describe().startswith("cached from the AWS Price List API")


def test_a_price_the_api_lists_nowhere_costs_one_call_per_ttl_and_falls_back():
    api, cache = FakePriceList(), FakeCache()
    book = prices(api, cache)
    assert book.quote("us-east-1", "ml.p4d.24xlarge").source is PriceSource.BUNDLED
    assert book.quote("us-east-1", "ml.p4d.24xlarge").source is PriceSource.BUNDLED
    assert prices(api, cache).quote("us-east-1", "ml.p4d.24xlarge").source is PriceSource.BUNDLED
    assert api.calls == [("us-east-1", "ml.p4d.24xlarge")]
    assert cache.items[("us-east-1", "ml.p4d.24xlarge")].usd_per_hour is None


def test_an_expired_cache_entry_is_asked_again():
    api = FakePriceList({("us-west-2", "ml.g6e.12xlarge"): 10.0})
    cache = FakeCache(
        {("us-west-2", "ml.g6e.12xlarge"): cached("us-west-2", "ml.g6e.12xlarge", 9.0, NOW - timedelta(hours=2))}
    )
    quote = prices(api, cache).quote("us-west-2", "ml.g6e.12xlarge")
    assert (quote.usd_per_hour, quote.source) == (10.0, PriceSource.LIVE) and len(api.calls) == 1


def test_the_time_budget_keeps_the_api_from_holding_the_evaluation():
    ticks = [0.0]
    api = FakePriceList({("us-west-2", t): 1.0 for t in ("ml.a", "ml.b", "ml.c")}, seconds_per_call=1.5, clock=ticks)
    book = prices(api, FakeCache(), ticks=ticks, budget=2.0).for_evaluation()
    results = [book.quote("us-west-2", t) for t in ("ml.a", "ml.b", "ml.c")]
    assert [r.source if r else None for r in results] == [PriceSource.LIVE, PriceSource.LIVE, None]
    assert len(api.calls) == 2, "the third type is not asked once the 2 s budget is spent"


def test_an_api_failure_falls_back_and_backs_off():
    api = FakePriceList(broken=True)
    book = prices(api, FakeCache())
    assert book.quote("us-east-1", "ml.m5.xlarge").source is PriceSource.BUNDLED
    assert book.quote("us-east-1", "ml.p4d.24xlarge").source is PriceSource.BUNDLED
    assert len(api.calls) == 1, "after a failure the warm function stops asking for a while"


def test_a_broken_cache_does_not_stop_the_lookup():
    api = FakePriceList({("us-west-2", "ml.p5.48xlarge"): 63.3})
    quote = prices(api, FakeCache(broken=True)).quote("us-west-2", "ml.p5.48xlarge")
    assert quote.source is PriceSource.LIVE


def test_without_any_price_an_estimate_from_the_nearest_region_is_labelled():
    quote = prices().quote("eu-central-1", "ml.m5.xlarge")
    assert (quote.usd_per_hour, quote.source, quote.from_region) == (0.26, PriceSource.ESTIMATE, "eu-west-1")
    assert quote.describe().startswith("estimate: the eu-west-1 price")
    assert prices().quote("ap-southeast-7", "ml.m5.xlarge").from_region == "us-east-1"


def test_nobody_has_a_price_for_a_type_no_region_lists():
    assert prices(FakePriceList(), FakeCache()).quote("us-east-1", "ml.p5en.48xlarge") is None


@pytest.mark.parametrize("event, regions", [({}, ("us-east-1",)), ({"regions": ["eu-west-1"]}, ("eu-west-1",))])
def test_the_refresh_stores_every_type_with_its_price_or_none(event, regions):
    cache = FakeCache()
    listed = {"us-east-1": {"ml.m5.xlarge": 0.23}, "eu-west-1": {"ml.m5.xlarge": 0.26}}
    refresher = PriceCacheRefresher(
        lambda region: listed[region],
        cache,
        regions=("us-east-1",),
        instance_types=("ml.m5.xlarge", "ml.p5en.48xlarge"),
        ttl_seconds=3600,
        clock=lambda: NOW,
    )
    result = refresher.handle(event)
    assert [r.region for r in result.regions] == list(regions)
    assert result.regions[0].priced == 1 and result.regions[0].without_price == 1
    assert cache.items[(regions[0], "ml.p5en.48xlarge")].usd_per_hour is None


def test_a_region_that_fails_to_refresh_does_not_stop_the_others():
    def read(region: str) -> dict[str, float]:
        if region == "us-west-2":
            raise RuntimeError("AccessDenied")
        return {"ml.m5.xlarge": 0.23}

    refresher = PriceCacheRefresher(
        read, FakeCache(), regions=("us-west-2", "us-east-1"), instance_types=("ml.m5.xlarge",), ttl_seconds=60
    )
    first, second = refresher.handle({}).regions
    assert first.error == "RuntimeError: AccessDenied" and second.priced == 1


def test_after_the_back_off_the_api_is_asked_again():
    ticks = [0.0]
    api = FakePriceList({("us-west-2", "ml.p5.48xlarge"): 63.3}, broken=True)
    book = prices(api, FakeCache(), ticks=ticks)
    assert book.quote("us-west-2", "ml.p5.48xlarge") is None
    api.broken = False
    ticks[0] += 301  # FAILURE_BACKOFF_SECONDS has passed
    assert book.quote("us-west-2", "ml.p5.48xlarge").source is PriceSource.LIVE
    assert len(api.calls) == 2


def test_a_remembered_answer_expires_with_its_ttl():
    now = [NOW]
    api = FakePriceList({("us-west-2", "ml.p5.48xlarge"): 63.3})
    book = LivePrices(BundledPrices(TABLE), price_list=api, ttl_seconds=3600, clock=lambda: now[0])
    book.quote("us-west-2", "ml.p5.48xlarge")
    now[0] += timedelta(minutes=59)
    book.quote("us-west-2", "ml.p5.48xlarge")
    now[0] += timedelta(minutes=2)
    assert book.quote("us-west-2", "ml.p5.48xlarge").source is PriceSource.LIVE
    assert len(api.calls) == 2


def test_an_empty_walk_leaves_the_cache_as_it_was():
    cache = FakeCache({("us-east-1", "ml.m5.xlarge"): cached("us-east-1", "ml.m5.xlarge", 0.23)})
    refresher = PriceCacheRefresher(
        lambda region: {}, cache, regions=("us-east-1",), instance_types=("ml.m5.xlarge",), ttl_seconds=60
    )
    (result,) = refresher.handle({}).regions
    assert "listed no on-demand training price" in result.error
    assert cache.items[("us-east-1", "ml.m5.xlarge")].usd_per_hour == 0.23


def test_a_cache_that_cannot_be_written_fails_its_region_only():
    refresher = PriceCacheRefresher(
        lambda region: {"ml.m5.xlarge": 0.23},
        FakeCache(broken=True),
        regions=("us-east-1", "eu-west-1"),
        instance_types=("ml.m5.xlarge",),
        ttl_seconds=60,
    )
    results = refresher.handle({}).regions
    assert [r.region for r in results] == ["us-east-1", "eu-west-1"]
    assert all("could not be written" in r.error for r in results)
