"""A price in words for people: the figure, where it came from, and how old it is.

`PriceQuote.describe()` says the source; the CLI adds the age, measured from the run's clock, so a
reader sees at once whether a price was asked a minute ago or comes from a table months old.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from rules.prices import PriceQuote

UNKNOWN = "unknown"  # the source of an instance type nobody has a price for


def usd_per_hour(value: float) -> str:
    """'$0.115/h', '$37.688/h', '$1.41/h': the figure as vouched for, with at least two decimals."""
    text = f"{value:,.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}/h"


def _moment(as_of: str) -> datetime | date | None:
    try:
        if "T" not in as_of:
            return date.fromisoformat(as_of)
        moment = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'} ago"


def age(as_of: str, now: datetime) -> str | None:
    """How long ago `as_of` (a date, or an ISO 8601 time) was: 'just now', '5 min ago', '3 h ago', '2 days ago'.

    A date counts in whole days ('today', '1 day ago'); None when `as_of` is no date or time.
    """
    moment = _moment(as_of)
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        days = (now.astimezone(UTC).date() - moment).days
        return "today" if days <= 0 else _plural(days, "day")
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"  # a clock a little behind the API's says so too
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return _plural(int(seconds // 86400), "day")


def describe_quote(quote: PriceQuote, now: datetime) -> str:
    """Where the price came from and how old it is.

    'cached from the AWS Price List API (fetched 2026-11-28T10:00:00Z, 1 day ago)',
    'bundled price table (as of 2026-11-26, 3 days ago; <who vouches for it>)'.
    """
    return quote.describe(age(quote.as_of, now))


def price_line(quote: PriceQuote, now: datetime) -> str:
    """'ml.m5.xlarge $0.23/h, bundled price table (as of 2026-11-26, 3 days ago; ...)'."""
    return f"{quote.instance_type} {usd_per_hour(quote.usd_per_hour)}, {describe_quote(quote, now)}"


def quote_json(quote: PriceQuote) -> dict[str, Any]:
    """The documented JSON of one price: instance_type, usd_per_hour, source, as_of, origin, from_region."""
    return {
        "instance_type": quote.instance_type,
        "usd_per_hour": quote.usd_per_hour,
        "source": quote.source.value,
        "as_of": quote.as_of,
        "origin": quote.origin,
        "from_region": quote.from_region,
    }


def unknown_json(instance_type: str) -> dict[str, Any]:
    """The same members for an instance type nobody has a price for."""
    return {
        "instance_type": instance_type,
        "usd_per_hour": None,
        "source": UNKNOWN,
        "as_of": None,
        "origin": None,
        "from_region": None,
    }
