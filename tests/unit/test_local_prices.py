"""The CLI's price cache file, the words a price is shown in, and how --prices is resolved."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hpo_guardrail.linting.prices import choose_prices, credentials_hint
from hpo_guardrail.pricing.describe import age, describe_quote, usd_per_hour
from hpo_guardrail.pricing.local import CACHE_DIR_VARIABLE, FilePriceCache, cache_directory, default_cache_path
from hpo_guardrail.pricing.lookup import CachedPrice, LivePrices, PriceCacheUnavailable
from rules.prices import BundledPrices, PriceQuote, PriceSource, PriceTable

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
TABLE = PriceTable(source="test table", as_of="2026-11-26", regions={"us-east-1": {"ml.m5.xlarge": 0.23}})


def cached(instance_type: str, usd: float | None, *, region: str = "us-west-2", at: datetime = NOW) -> CachedPrice:
    return CachedPrice(
        region=region, instance_type=instance_type, usd_per_hour=usd, fetched_at=at, expires_at=at + WEEK
    )


class CountingPriceList:
    def __init__(self, prices: dict[tuple[str, str], float | None]) -> None:
        self.prices = prices
        self.calls: list[tuple[str, str]] = []

    def training_price(self, region: str, instance_type: str) -> float | None:
        self.calls.append((region, instance_type))
        return self.prices.get((region, instance_type))


# --- where the file lives ----------------------------------------------------------------------------------


def test_the_cache_directory_follows_the_override_then_xdg_then_home(tmp_path):
    assert cache_directory({CACHE_DIR_VARIABLE: str(tmp_path / "c"), "XDG_CACHE_HOME": "/x"}) == tmp_path / "c"
    assert cache_directory({"XDG_CACHE_HOME": "/var/cache/me", "HOME": "/home/me"}) == Path(
        "/var/cache/me/hpo-guardrail"
    )
    # A relative XDG_CACHE_HOME is invalid by the specification and ignored.
    assert cache_directory({"XDG_CACHE_HOME": "relative", "HOME": "/home/me"}) == Path("/home/me/.cache/hpo-guardrail")
    assert default_cache_path({"HOME": "/home/me"}) == Path("/home/me/.cache/hpo-guardrail/prices.json")


# --- the file --------------------------------------------------------------------------------------------


def test_prices_round_trip_through_the_file_keyed_by_region_and_instance_type(tmp_path):
    path = tmp_path / "deep" / "prices.json"  # the directory is made on the first write
    written = [cached("ml.p4d.24xlarge", 37.688), cached("ml.p6-b200.48xlarge", None)]

    FilePriceCache(path).put(written)

    reader = FilePriceCache(path)
    assert reader.get("us-west-2", "ml.p4d.24xlarge") == written[0]
    assert reader.get("us-west-2", "ml.p6-b200.48xlarge") == written[1], "'the API lists none' is kept too"
    assert reader.get("us-east-1", "ml.p4d.24xlarge") is None
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert document["prices"]["us-west-2"]["ml.p4d.24xlarge"] == {
        "usd_per_hour": 37.688,
        "fetched_at": "2026-11-29T10:00:00Z",
        "expires_at": "2026-12-06T10:00:00Z",
        "origin": "AWS Price List API",
    }
    assert not list(path.parent.glob(".*.tmp")), "the temporary file was renamed into place"
    assert reader.entries() == sorted(written, key=lambda p: p.instance_type)


def test_a_write_keeps_what_another_run_stored_in_the_meantime(tmp_path):
    path = tmp_path / "prices.json"
    first, second = FilePriceCache(path), FilePriceCache(path)
    assert first.get("us-west-2", "ml.g5.xlarge") is None  # read (an empty cache) before the other run writes

    second.put([cached("ml.g5.xlarge", 1.6)])
    first.put([cached("ml.m5.large", 0.115)])

    assert {p.instance_type for p in FilePriceCache(path).entries()} == {"ml.g5.xlarge", "ml.m5.large"}


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"version": 99, "prices": {}}',
        '{"version": 1, "prices": {"us-east-1": []}}',
        b"\xff\xfe binary",
    ],
)
def test_a_corrupt_file_is_reported_once_then_treated_as_empty_and_replaced_on_the_next_write(tmp_path, content):
    path = tmp_path / "prices.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    cache = FilePriceCache(path)

    with pytest.raises(PriceCacheUnavailable, match="treated as empty"):
        cache.get("us-east-1", "ml.m5.large")
    assert cache.get("us-east-1", "ml.m5.large") is None, "said once; then an empty cache"
    assert cache.problem and str(path) in cache.problem

    cache.put([cached("ml.m5.large", 0.115, region="us-east-1")])
    assert FilePriceCache(path).get("us-east-1", "ml.m5.large") is not None


def test_an_unreadable_entry_is_reported_once_and_the_others_still_answer(tmp_path):
    path = tmp_path / "prices.json"
    FilePriceCache(path).put([cached("ml.m5.large", 0.115), cached("ml.g5.xlarge", 1.6)])
    document = json.loads(path.read_text(encoding="utf-8"))
    document["prices"]["us-west-2"]["ml.m5.large"]["usd_per_hour"] = -1
    document["prices"]["us-west-2"]["ml.c5.xlarge"] = {"usd_per_hour": 0.2, "fetched_at": "2026-11-29T10:00:00"}
    path.write_text(json.dumps(document), encoding="utf-8")
    cache = FilePriceCache(path)

    with pytest.raises(PriceCacheUnavailable, match=r"ml\.m5\.large in us-west-2"):
        cache.get("us-west-2", "ml.m5.large")
    assert cache.get("us-west-2", "ml.c5.xlarge") is None, "a second bad entry is not reported again"
    assert cache.get("us-west-2", "ml.g5.xlarge") is not None


def test_a_cache_that_cannot_be_written_says_so_as_price_cache_unavailable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(PriceCacheUnavailable, match="could not be written"):
        FilePriceCache(blocker / "prices.json").put([cached("ml.m5.large", 0.115)])


# --- behind LivePrices -------------------------------------------------------------------------------------


def live(cache: FilePriceCache, price_list: CountingPriceList, now: datetime) -> LivePrices:
    return LivePrices(BundledPrices(TABLE), cache=cache, price_list=price_list, clock=lambda: now)


def test_a_fresh_file_entry_answers_without_the_api_and_an_expired_one_is_asked_again(tmp_path):
    path = tmp_path / "prices.json"
    api = CountingPriceList({("us-west-2", "ml.g5.xlarge"): 1.624})

    first = live(FilePriceCache(path), api, NOW).quote("us-west-2", "ml.g5.xlarge")
    assert first is not None and first.source is PriceSource.LIVE and api.calls == [("us-west-2", "ml.g5.xlarge")]

    # A new run (a new process): the file answers, the API is not asked.
    later = live(FilePriceCache(path), api, NOW + timedelta(days=6)).quote("us-west-2", "ml.g5.xlarge")
    assert later is not None and later.source is PriceSource.CACHE and later.usd_per_hour == 1.624
    assert len(api.calls) == 1

    # Past the TTL the API is asked again and the file updated.
    api.prices[("us-west-2", "ml.g5.xlarge")] = 1.7
    expired = live(FilePriceCache(path), api, NOW + timedelta(days=8)).quote("us-west-2", "ml.g5.xlarge")
    assert expired is not None and expired.usd_per_hour == 1.7 and len(api.calls) == 2
    (entry,) = FilePriceCache(path).entries()
    assert entry.fetched_at == NOW + timedelta(days=8)


def test_a_corrupt_file_never_stops_a_lookup(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text("{oops", encoding="utf-8")
    api = CountingPriceList({})
    cache = FilePriceCache(path)

    found = live(cache, api, NOW).quote("us-east-1", "ml.m5.xlarge")

    assert found is not None and found.source is PriceSource.BUNDLED
    assert cache.problem is not None
    assert FilePriceCache(path).get("us-east-1", "ml.m5.xlarge") is not None, "the answer 'none' replaced the file"


# --- words ---------------------------------------------------------------------------------------------


def test_ages_read_as_people_say_them():
    assert age("2026-11-26", NOW) == "3 days ago"
    assert age("2026-11-28", NOW) == "1 day ago"
    assert age("2026-11-29", NOW) == "today"
    assert age("2026-11-28T10:00:00Z", NOW) == "1 day ago"
    assert age("2026-11-29T07:30:00Z", NOW) == "2 h ago"
    assert age("2026-11-29T09:55:00+00:00", NOW) == "5 min ago"
    assert age("2026-11-29T10:00:30Z", NOW) == "just now"
    assert age("soon", NOW) is None


def test_a_quote_says_its_source_and_age():
    quote = PriceQuote(
        instance_type="ml.p4d.24xlarge",
        region="us-west-2",
        usd_per_hour=37.688,
        source=PriceSource.CACHE,
        as_of="2026-11-28T10:00:00Z",
        origin="AWS Price List API",
    )
    assert describe_quote(quote, NOW) == "cached from the AWS Price List API (fetched 2026-11-28T10:00:00Z, 1 day ago)"
    estimate = quote.model_copy(
        update={"source": PriceSource.ESTIMATE, "from_region": "us-east-1", "as_of": "2026-11-26", "origin": "t"}
    )
    assert describe_quote(estimate, NOW) == "estimate: the us-east-1 price (t, as of 2026-11-26, 3 days ago)"
    assert [usd_per_hour(v) for v in (37.688, 0.115, 0.23, 1.0, 1234.5)] == [
        "$37.688/h",
        "$0.115/h",
        "$0.23/h",
        "$1.00/h",
        "$1,234.50/h",
    ]


# --- --prices auto -----------------------------------------------------------------------------------------


def test_auto_is_live_only_when_credentials_are_in_sight(tmp_path):
    home = tmp_path / "home"
    bare = {"HOME": str(home), "PATH": "/usr/bin"}
    assert credentials_hint(bare) is None
    assert choose_prices("auto", bare).mode == "bundled"
    assert choose_prices("live", bare).mode == "live"
    assert choose_prices("auto", bare, profile="ml").mode == "live"
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        assert choose_prices("auto", bare | {variable: "x"}).mode == "live", variable
    # The shared files: the default places under HOME, or where the variables point; an empty or
    # special file (the emulator points them at /dev/null) shows nothing.
    assert credentials_hint(bare | {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}) is None
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("", encoding="utf-8")
    assert credentials_hint(bare) is None
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n", encoding="utf-8")
    assert credentials_hint(bare) == f"{home}/.aws/config exists"
    elsewhere = tmp_path / "creds"
    elsewhere.write_text("[default]\naws_access_key_id = AKIA\n", encoding="utf-8")
    moved = bare | {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(elsewhere)}
    assert credentials_hint(moved) == f"{elsewhere} exists"
    with pytest.raises(ValueError, match="--prices"):
        choose_prices("sometimes", bare)
