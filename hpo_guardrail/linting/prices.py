"""Which prices `lint`, `scan` and `prices show` evaluate with: --prices auto|live|bundled.

- `bundled`: the table shipped with the package, else an estimate from the nearest region with a price.
  Offline; no AWS client is made.
- `live`: the lookup chain of the deployed guardrail (pricing/lookup.py) with the CLI's own cache, a file
  in the user's cache directory (pricing/local.py): a fresh cached answer first, then the AWS Price List
  API as the caller's profile, then the bundled table. When AWS cannot be asked the run goes on with
  the cache and the table.
- `auto` (the default): `live` when the environment or the AWS files show credentials, else `bundled`.
  Decided from environment variables and files alone, so that `lint` in a pre-commit hook on a laptop
  without AWS never loads boto3. With credentials, the API client is made on the first cache miss only:
  once the cache is warm a run makes no AWS call at all, and works offline.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hpo_guardrail.pricing.local import FilePriceCache
from hpo_guardrail.pricing.lookup import LivePrices, PriceListUnavailable
from rules.prices import BundledPrices, PriceBook

AUTO, LIVE, BUNDLED = "auto", "live", "bundled"
PRICES_CHOICES = (AUTO, LIVE, BUNDLED)
# Where botocore's credential chain looks before the instance metadata service (which only an EC2 or ECS
# host has; there, say --prices live).
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE")
CONTAINER_CREDENTIALS_PREFIX = "AWS_CONTAINER_CREDENTIALS_"
AWS_FILES = (("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"), ("AWS_CONFIG_FILE", "~/.aws/config"))


def _expand(path: str, environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME", "").strip()
    if home and (path == "~" or path.startswith("~/")):
        return Path(home) / path[2:]
    return Path(path).expanduser()


def credentials_hint(environ: Mapping[str, str], profile: str | None = None) -> str | None:
    """What shows that AWS credentials may be at hand ('AWS_PROFILE is set'), or None when nothing does.

    Reads only the environment and whether the shared files exist: no boto3, no network.
    """
    if profile:
        return f"--profile {profile}"
    for variable in CREDENTIAL_VARIABLES:
        if environ.get(variable, "").strip():
            return f"{variable} is set"
    for variable, value in sorted(environ.items()):
        if variable.startswith(CONTAINER_CREDENTIALS_PREFIX) and value.strip():
            return f"{variable} is set"
    for variable, default in AWS_FILES:
        path = _expand(environ.get(variable, "").strip() or default, environ)
        try:
            if path.is_file() and path.stat().st_size > 0:  # /dev/null (the emulator's choice) is no file
                return f"{path} exists"
        except OSError:
            continue
    return None


@dataclass(frozen=True)
class PriceChoice:
    """The prices a run uses (live or bundled), what was asked for, and why."""

    mode: str
    requested: str
    reason: str


def choose_prices(requested: str, environ: Mapping[str, str], profile: str | None = None) -> PriceChoice:
    """Resolve --prices: `auto` becomes `live` when `credentials_hint` finds something, else `bundled`."""
    if requested not in PRICES_CHOICES:
        raise ValueError(f"--prices must be one of {', '.join(PRICES_CHOICES)}, not {requested!r}")
    if requested != AUTO:
        return PriceChoice(requested, requested, f"--prices {requested}")
    hint = credentials_hint(environ, profile)
    if hint is None:
        return PriceChoice(BUNDLED, AUTO, "no AWS credentials in sight")
    return PriceChoice(LIVE, AUTO, hint)


class LazyPriceList:
    """The Price List API, its client made on the first question (a warm cache asks none), and what it did."""

    def __init__(self, make_client: Callable[[], Any]) -> None:
        self._make_client = make_client
        self._api: Any = None
        self.calls: list[tuple[str, str]] = []
        self.failure: str | None = None

    def training_price(self, region: str, instance_type: str) -> float | None:
        """As PriceListApi.training_price; raises PriceListUnavailable (also when no client can be made)."""
        from hpo_guardrail.adapters.clients import AwsCallFailed
        from hpo_guardrail.adapters.pricing import PriceListApi

        self.calls.append((region, instance_type))
        try:
            if self._api is None:
                self._api = PriceListApi(self._make_client())
            return self._api.training_price(region, instance_type)  # type: ignore[no-any-return]
        except AwsCallFailed as error:
            self.failure = self.failure or str(error)
            raise PriceListUnavailable(str(error)) from error
        except PriceListUnavailable as error:
            self.failure = self.failure or str(error)
            raise


@dataclass
class CliPrices:
    """One CLI run's price book and what the run should say about it afterwards."""

    book: PriceBook
    choice: PriceChoice
    cache: FilePriceCache | None = None
    price_list: LazyPriceList | None = None
    extra_notes: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        """Warnings for stderr: an unreadable cache file always; an API failure when --prices live asked for it.

        With `auto` a failed API call is expected now and then (no network, an expired session): each
        price line of the report already says where its price came from.
        """
        notes = list(self.extra_notes)
        if self.cache is not None and self.cache.problem:
            notes.append(self.cache.problem)
        if self.price_list is not None and self.price_list.failure and self.choice.requested == LIVE:
            notes.append(
                f"the AWS Price List API could not be asked ({self.price_list.failure}); "
                "prices came from the local cache and the bundled table"
            )
        return notes


def _utc_now() -> datetime:
    return datetime.now(UTC)


def cli_prices(
    requested: str,
    *,
    profile: str | None = None,
    environ: Mapping[str, str] = os.environ,
    pricing_client: Any = None,
    cache_path: Path | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> CliPrices:
    """The price book --prices asks for. `pricing_client` (tests) stands in for the Price List client."""
    choice = choose_prices(requested, environ, profile)
    if choice.mode == BUNDLED:
        return CliPrices(BundledPrices(), choice)

    def make_client() -> Any:
        if pricing_client is not None:
            return pricing_client
        from hpo_guardrail.adapters.pricing import lookup_client

        return lookup_client(profile)

    cache = FilePriceCache(cache_path, environ=environ)
    price_list = LazyPriceList(make_client)
    book = LivePrices(BundledPrices(), cache=cache, price_list=price_list, clock=clock)
    return CliPrices(book, choice, cache, price_list)
