"""The CLI's price cache: one JSON file in the user's cache directory.

`lint`, `scan` and `prices show` keep what the AWS Price List API answered here, so a second run (a
pre-commit hook, say) prices the same instance types without an API call, and offline. `prices refresh`
fills it a whole region at a time. The file lives in `$HPO_GUARDRAIL_CACHE_DIR`, else
`$XDG_CACHE_HOME/hpo-guardrail`, else `~/.cache/hpo-guardrail`:

    {"version": 1,
     "prices": {"us-east-1": {"ml.m5.large": {"usd_per_hour": 0.115, "fetched_at": "2026-11-29T10:00:00Z",
                                              "expires_at": "2026-12-06T10:00:00Z",
                                              "origin": "AWS Price List API"}}}}

`usd_per_hour` is null when the API lists no price for the type (so it is not asked again before
`expires_at`). Writes replace the file in one step (a temporary file, then a rename), so a reader
never sees half a file. A file that cannot be read (corrupt, or another program's) is reported once,
through PriceCacheUnavailable, and treated as empty: a cache never stops a lint.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hpo_guardrail.pricing.lookup import CachedPrice, PriceCacheUnavailable

CACHE_DIR_VARIABLE = "HPO_GUARDRAIL_CACHE_DIR"
CACHE_FILE_NAME = "prices.json"
FORMAT_VERSION = 1
_APPLICATION = "hpo-guardrail"

type _Raw = dict[str, dict[str, Any]]


def cache_directory(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the CLI keeps its cache: $HPO_GUARDRAIL_CACHE_DIR, else $XDG_CACHE_HOME/hpo-guardrail, else
    ~/.cache/hpo-guardrail."""
    named = environ.get(CACHE_DIR_VARIABLE, "").strip()
    if named:
        return Path(named).expanduser()
    xdg = environ.get("XDG_CACHE_HOME", "").strip()
    # The XDG base directory specification: a relative path is invalid and is ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else _home(environ) / ".cache"
    return base / _APPLICATION


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME", "").strip()
    return Path(home) if home else Path.home()


def default_cache_path(environ: Mapping[str, str] = os.environ) -> Path:
    """The cache file: prices.json in `cache_directory()`."""
    return cache_directory(environ) / CACHE_FILE_NAME


class FilePriceCache:
    """The PriceCache port over one JSON file; the file is read once per instance and written on every put."""

    def __init__(self, path: Path | None = None, *, environ: Mapping[str, str] = os.environ) -> None:
        self.path = Path(path) if path is not None else default_cache_path(environ)
        self._prices: _Raw | None = None
        # What was wrong with the file, once found; said once (PriceCacheUnavailable), then treated as empty.
        self.problem: str | None = None

    # --- the port ---------------------------------------------------------------------------------------

    def get(self, region: str, instance_type: str) -> CachedPrice | None:
        """The cached answer, fresh or not; raises PriceCacheUnavailable once when the file is unreadable."""
        if self._prices is None:
            self._prices, problem = self._read()
            if problem is not None:
                self._report(problem)
        raw = self._prices.get(region, {}).get(instance_type)
        if raw is None:
            return None
        try:
            return _cached_price(region, instance_type, raw)
        except (ValidationError, TypeError, ValueError) as error:
            self._prices[region].pop(instance_type, None)
            self._report(f"the entry for {instance_type} in {region} is unreadable ({_first_error(error)})")
            return None

    def put(self, prices: list[CachedPrice]) -> None:
        """Store answers (merged with what the file holds now); raises PriceCacheUnavailable when it cannot."""
        if not prices:
            return
        # Read again: another run (pre-commit runs hooks in parallel) may have added prices since.
        current, _ = self._read()
        for price in prices:
            current.setdefault(price.region, {})[price.instance_type] = _entry(price)
        self._write(current)
        self._prices = current

    # --- for `prices show` and tests --------------------------------------------------------------------

    def entries(self) -> list[CachedPrice]:
        """Every readable entry of the file, fresh or not, by region and instance type."""
        prices, _ = self._read()
        found = []
        for region in sorted(prices):
            for instance_type in sorted(prices[region]):
                try:
                    found.append(_cached_price(region, instance_type, prices[region][instance_type]))
                except (ValidationError, TypeError, ValueError):
                    continue
        return found

    # --- the file -------------------------------------------------------------------------------------

    def _report(self, problem: str) -> None:
        if self.problem is not None:
            return  # said once already
        self.problem = f"the price cache {self.path} could not be read: {problem}; it is treated as empty"
        raise PriceCacheUnavailable(self.problem)

    def _read(self) -> tuple[_Raw, str | None]:
        """The file's prices by region and instance type, and what was wrong with it (None when nothing)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}, None
        except (OSError, UnicodeDecodeError) as error:
            return {}, str(error)
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            return {}, f"not JSON ({error})"
        if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
            return {}, f"not a version {FORMAT_VERSION} price cache"
        regions = document.get("prices")
        if not isinstance(regions, dict) or not all(isinstance(v, dict) for v in regions.values()):
            return {}, "no prices by region and instance type"
        # Entries are checked when asked for (get): a warm pre-commit run reads a few of thousands.
        return {str(region): dict(entries) for region, entries in regions.items()}, None

    def _write(self, prices: _Raw) -> None:
        document = {
            "version": FORMAT_VERSION,
            "prices": {region: dict(sorted(prices[region].items())) for region in sorted(prices)},
        }
        text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as error:
            raise PriceCacheUnavailable(f"the price cache {self.path} could not be written: {error}") from error
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, self.path)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise PriceCacheUnavailable(f"the price cache {self.path} could not be written: {error}") from error
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _cached_price(region: str, instance_type: str, raw: Any) -> CachedPrice:
    if not isinstance(raw, dict):
        raise TypeError(f"expected an object, got {type(raw).__name__}")
    price = CachedPrice.model_validate({**raw, "region": region, "instance_type": instance_type})
    # A time without its zone cannot be compared with the clock; the cache writes UTC ("...Z") only.
    if price.fetched_at.tzinfo is None or price.expires_at.tzinfo is None:
        raise ValueError("fetched_at and expires_at need a time zone")
    return price


def _entry(price: CachedPrice) -> dict[str, Any]:
    return price.model_dump(mode="json", include={"usd_per_hour", "fetched_at", "expires_at", "origin"})


def _first_error(error: Exception) -> str:
    if isinstance(error, ValidationError) and error.errors():
        first = error.errors()[0]
        return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
    return str(error)
