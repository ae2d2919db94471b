"""A training price table file: refreshed from the AWS Price List API, rendered, written.

`hpo-guardrail prices refresh --output PATH` asks the Price List API (adapters/pricing.py) for the
on-demand training prices of each region and rewrites the table at PATH; maintainers update the bundled
rules/data/training_prices.json this way (without --output the command fills the local price cache
instead, pricing/local.py). What the API returns replaces the
table's entry, with the API as source and today as the as-of date; everything else stays as it was, so
a price someone vouched for is never replaced by a guess, and an instance type without a price stays
without one. The caller's credentials need `pricing:GetProducts`; the Lambda never calls this.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rules
from hpo_guardrail.adapters.pricing import fetch_training_prices
from hpo_guardrail.adapters.request_shapes import InstanceTypeList
from rules.prices import PriceEntry, PriceTable, parse_price_table

API_SOURCE = "AWS Price List API GetProducts"
NOT_REFRESHED = "not yet refreshed from the AWS Price List API"
NOT_IN_API = "the AWS Price List API listed no on-demand training price"
DEFAULT_TABLE_PATH = Path(rules.__file__).resolve().parent / "data" / "training_prices.json"


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
