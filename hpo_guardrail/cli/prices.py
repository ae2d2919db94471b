"""`hpo-guardrail prices`: maintain the bundled training price table; `prices refresh` is its one action."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hpo_guardrail.adapters.billing_codes import REGION_PREFIXES

NAME = "prices"
HELP = "refresh the training price table from the AWS Price List API (prices refresh --help)"
DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `refresh` action and its options."""
    # `usage` is the parser whose help or error a run prints: the group's, or the action's.
    parser.set_defaults(usage=parser)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    refresh = actions.add_parser(
        "refresh",
        help="rewrite the training price table from the AWS Price List API",
        description="Rewrite the training price table from the AWS Price List API (GetProducts, "
        "AmazonSageMaker, usage type <region prefix>-Train:<instance type>). Prices the API does not "
        "list are kept as they were; nothing is guessed.",
    )
    refresh.set_defaults(usage=refresh)
    refresh.add_argument(
        "--region",
        action="append",
        metavar="REGION",
        help=f"a region to refresh (repeatable; default: {', '.join(DEFAULT_REGIONS)}); "
        f"known: {', '.join(REGION_PREFIXES)}",
    )
    refresh.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="the table to update and rewrite (default: the bundled rules/data/training_prices.json)",
    )
    refresh.add_argument("--profile", help="the AWS profile to use (needs pricing:GetProducts)")
    refresh.add_argument(
        "--offline",
        action="store_true",
        help="do not call the API: only add instance types new in botocore's enum, without a price",
    )


def run(args: argparse.Namespace, *, pricing_client: Any = None, today: str | None = None) -> int:
    """Run the chosen action; without one, print the actions and return 2.

    `prices refresh` prints one summary line per region and returns 0 when the table was written, 1 when
    AWS could not be asked (nothing is written then); bad arguments exit 2 through argparse.
    `pricing_client` and `today` are for tests.
    """
    usage: argparse.ArgumentParser = args.usage
    if args.action is None:
        usage.print_help(sys.stderr)
        return 2
    regions = tuple(dict.fromkeys(args.region or DEFAULT_REGIONS))
    unknown = [region for region in regions if region not in REGION_PREFIXES]
    if unknown:
        usage.error(f"no usage-type prefix is known for {', '.join(unknown)}; known: {', '.join(REGION_PREFIXES)}")
    return _refresh(args, regions, pricing_client, today or datetime.now(UTC).date().isoformat())


def _refresh(args: argparse.Namespace, regions: tuple[str, ...], pricing_client: Any, today: str) -> int:
    # Imported here: building the parser needs neither the price table's models nor boto3.
    from hpo_guardrail.adapters.clients import AwsCallFailed
    from hpo_guardrail.adapters.pricing import pricing_client as make_pricing_client
    from hpo_guardrail.adapters.request_shapes import InstanceTypeList
    from hpo_guardrail.tools.prices import DEFAULT_TABLE_PATH, complete_table, load_table, refresh_table, write_table
    from rules.prices import bundled_prices

    output: Path = args.output or DEFAULT_TABLE_PATH
    table = load_table(output) if output.exists() else bundled_prices()
    try:
        listed = InstanceTypeList.from_botocore()
        if args.offline:
            new_table, summaries = complete_table(table, regions, today, listed)
        else:
            client = pricing_client if pricing_client is not None else make_pricing_client(args.profile)
            new_table, summaries = refresh_table(table, client, regions, today, listed)
    except AwsCallFailed as error:
        print(f"hpo-guardrail prices refresh: could not read the AWS Price List API: {error}", file=sys.stderr)
        return 1
    write_table(output, new_table)
    for summary in summaries:
        print(summary.describe())
        if not args.offline and not summary.updated:
            print(f"warning: the Price List API listed no training prices for {summary.region}", file=sys.stderr)
    print(f"wrote {output}")
    return 0
