"""`hpo-guardrail prices`: the training prices the CLI evaluates with.

`prices show TYPE` says what one instance type costs, where that price came from and how old it is.
`prices refresh` reads whole regions from the AWS Price List API into the local price cache (the
file `lint` and `scan` read with --prices live or auto); with --output it rewrites a price table file
instead, which is how maintainers update the bundled table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hpo_guardrail.cli.options import add_prices_option

NAME = "prices"
HELP = "show an instance type's price, or refresh prices from the AWS Price List API (prices --help)"
DEFAULT_REGION = "us-east-1"  # rules.assessment.DEFAULT_REGION, repeated so the parser imports no rules
SHOW_FORMATS = ("text", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `show` and `refresh` actions and their options."""
    # `usage` is the parser whose help or error a run prints: the group's, or the action's.
    parser.set_defaults(usage=parser)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    _add_show(actions)
    _add_refresh(actions)


def _add_show(actions: Any) -> None:
    show = actions.add_parser(
        "show",
        help="the price of one instance type in a region, with its source and age",
        description="Print the on-demand training price of TYPE in a region and where it came from (the local "
        "price cache, the AWS Price List API, the bundled table, or an estimate from another region), or say "
        "that no source has one and what the policy makes of that. Exit codes: 0 a price is known, 1 none is, "
        "2 wrong usage.",
    )
    show.set_defaults(usage=show)
    show.add_argument("instance_type", metavar="TYPE", help="a SageMaker training instance type: ml.p4d.24xlarge")
    show.add_argument(
        "--region", help=f"the region (default: AWS_REGION, else AWS_DEFAULT_REGION, else {DEFAULT_REGION})"
    )
    add_prices_option(show)
    show.add_argument("--profile", help="AWS named profile for live prices")
    show.add_argument(
        "--policy",
        metavar="FILE",
        help="the policy whose unknown_price setting applies (default: GUARDRAIL_POLICY, else the packaged default)",
    )
    show.add_argument("--format", choices=SHOW_FORMATS, default="text", help="text (default) or json")


def _add_refresh(actions: Any) -> None:
    refresh = actions.add_parser(
        "refresh",
        help="read training prices from the AWS Price List API into the local price cache (or a table file)",
        description="Read the on-demand training prices of whole regions from the AWS Price List API "
        "(GetProducts, AmazonSageMaker, usage type <billing code>-Train:<instance type>) into the local price "
        "cache that lint, scan and prices show read with --prices live or auto. With --output, update and "
        "rewrite a price table file instead: prices the API does not list are kept as they were; nothing is "
        "guessed.",
    )
    refresh.set_defaults(usage=refresh)
    refresh.add_argument(
        "--region",
        action="append",
        metavar="REGION",
        help="a region to refresh, such as eu-west-1 (repeatable; default: the profile's region, else "
        f"{DEFAULT_REGION}); any commercial region that botocore's endpoint data lists for SageMaker",
    )
    refresh.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="update and rewrite this price table file instead of the local cache (maintainers: "
        "rules/data/training_prices.json is the bundled table)",
    )
    refresh.add_argument("--profile", help="the AWS profile to use (needs pricing:GetProducts)")
    refresh.add_argument(
        "--offline",
        action="store_true",
        help="with --output: do not call the API, only add instance types new in botocore's enum, without a price",
    )


def run(
    args: argparse.Namespace,
    *,
    pricing_client: Any = None,
    today: str | None = None,
    now: datetime | None = None,
    environ: Mapping[str, str] = os.environ,
) -> int:
    """Run the chosen action; without one, print the actions and return 2.

    `prices show` returns 0 when a price is known and 1 when none is. `prices refresh` prints one summary
    line per region and returns 0 when everything was written, 1 when AWS could not be asked for a region
    (a table file is then left as it was). Bad arguments exit 2 through argparse.
    `pricing_client`, `today`, `now` and `environ` are for tests.
    """
    usage: argparse.ArgumentParser = args.usage
    if args.action is None:
        usage.print_help(sys.stderr)
        return 2
    moment = now or datetime.now(UTC)
    # Imported here: building the parser loads no Powertools.
    from hpo_guardrail.cli.options import delivered
    from hpo_guardrail.observability import silenced

    with silenced():
        if args.action == "show":
            return delivered(lambda: _show(args, pricing_client, moment, environ), command=f"{NAME} show")
        day = today or moment.date().isoformat()
        return delivered(lambda: _refresh(args, pricing_client, day, moment, environ), command=f"{NAME} refresh")


# --- prices show -----------------------------------------------------------------------------------------


def _show(args: argparse.Namespace, pricing_client: Any, now: datetime, environ: Mapping[str, str]) -> int:
    from hpo_guardrail.linting.evaluation import check_profile
    from hpo_guardrail.linting.prices import cli_prices
    from hpo_guardrail.pricing.describe import describe_quote, quote_json, unknown_json, usd_per_hour

    usage: argparse.ArgumentParser = args.usage
    instance_type: str = args.instance_type.strip()
    if not instance_type.startswith("ml."):
        usage.error(f"{instance_type!r} is not a SageMaker instance type (they start with 'ml.': ml.{instance_type})")
    region = args.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    try:
        check_profile(args.profile)  # an AWS failure propagates: one line and exit 2 (`delivered`)
        prices = cli_prices(
            args.prices, profile=args.profile, environ=environ, pricing_client=pricing_client, clock=lambda: now
        )
        unknown_price = _unknown_price(args, instance_type, now, environ)
    except ValueError as error:  # SettingsError and PolicyError name the variable or the file
        print(f"hpo-guardrail prices show: error: {error}", file=sys.stderr)
        return 2
    quote = prices.book.quote(region, instance_type)
    for note in prices.notes():
        print(f"hpo-guardrail prices show: warning: {note}", file=sys.stderr)
    if args.format == "json":
        shown = quote_json(quote) if quote else unknown_json(instance_type) | unknown_price
        print(json.dumps({**shown, "region": region, "prices": prices.choice.mode}, indent=2, allow_nan=False))
    elif quote is not None:
        print(f"{instance_type} in {region}: {usd_per_hour(quote.usd_per_hour)}, {describe_quote(quote, now)}")
    else:
        print(f"{instance_type} in {region}: no price known; {_asked(prices.choice.mode, prices.book.as_of)}.")
        print(_treatment(instance_type, unknown_price))
    return 0 if quote is not None else 1


def _asked(mode: str, as_of: str) -> str:
    table = f"the bundled table (as of {as_of})"
    if mode == "live":
        return f"neither the local price cache, the AWS Price List API, {table} nor another region has one"
    return f"neither {table} nor another region in it has one (--prices live asks the AWS Price List API too)"


def _unknown_price(
    args: argparse.Namespace, instance_type: str, now: datetime, environ: Mapping[str, str]
) -> dict[str, Any]:
    """What the policy's defaults do with a job on `instance_type` when its price is unknown."""
    from hpo_guardrail.linting.evaluation import cli_evaluator
    from rules.policy import Subject
    from rules.prices import is_accelerated

    # An ssm: policy is read as --profile, in --region (else the profile's or environment's region).
    evaluator = cli_evaluator(policy=args.policy, environ=environ, profile=args.profile, region=args.region)
    # The defaults (with the deployment's base layer): scopes match on a job's account and tags, which
    # a bare instance type does not have.
    resolved = evaluator.document().resolve(Subject(job_name="prices-show"), now.date(), evaluator.base)
    costly = resolved.assumes_costly(instance_type)
    return {
        "unknown_price": resolved.unknown_price.value,
        "accelerated": is_accelerated(instance_type),
        "treated_as": "costly" if costly else "lower bound",
    }


def _treatment(instance_type: str, unknown_price: dict[str, Any]) -> str:
    setting = f"The policy's default unknown_price is {unknown_price['unknown_price']}"
    if unknown_price["unknown_price"] == "by-family":
        kind = "an accelerated type" if unknown_price["accelerated"] else "not an accelerated type"
        setting += f" (costly for accelerated types): {instance_type} is {kind}"
    if unknown_price["treated_as"] == "costly":
        return f"{setting}, so a job on it counts as costly: the budget cap applies as if the job were over it."
    return f"{setting}, so a job on it counts it as $0/h and its worst case is only a lower bound."


# --- prices refresh --------------------------------------------------------------------------------------


def _refresh(
    args: argparse.Namespace, pricing_client: Any, today: str, now: datetime, environ: Mapping[str, str]
) -> int:
    # Imported here: building the parser needs neither the price table's models nor boto3.
    from hpo_guardrail.adapters.pricing import profile_region, sagemaker_regions

    usage: argparse.ArgumentParser = args.usage
    if args.offline and args.output is None:
        usage.error("--offline only completes a price table file: give --output PATH")
    # A missing profile is an AWS failure: one line and exit 2 (`delivered`), before any region is read.
    regions = tuple(dict.fromkeys(args.region or (profile_region(args.profile) or DEFAULT_REGION,)))
    known = sagemaker_regions()
    unknown = [region for region in regions if region not in known]
    if unknown:
        usage.error(
            f"{', '.join(unknown)}: not a commercial region with SageMaker in botocore's endpoint data "
            f"(it lists {', '.join(known)})"
        )
    if args.output is not None:
        return _refresh_table(args, regions, pricing_client, today)
    return _refresh_cache(args, regions, pricing_client, now, environ)


def _client(args: argparse.Namespace, pricing_client: Any) -> Any:
    from hpo_guardrail.adapters.pricing import pricing_client as make_pricing_client

    return pricing_client if pricing_client is not None else make_pricing_client(args.profile)


def _refresh_cache(
    args: argparse.Namespace, regions: tuple[str, ...], pricing_client: Any, now: datetime, environ: Mapping[str, str]
) -> int:
    from hpo_guardrail.adapters.clients import AwsCallFailed
    from hpo_guardrail.adapters.pricing import fetch_training_prices
    from hpo_guardrail.adapters.request_shapes import InstanceTypeList
    from hpo_guardrail.pricing.local import FilePriceCache
    from hpo_guardrail.pricing.lookup import DEFAULT_TTL_SECONDS, PriceCacheUnavailable
    from hpo_guardrail.pricing.refresh import PriceCacheRefresher

    cache = FilePriceCache(environ=environ)
    try:
        client = _client(args, pricing_client)
    except AwsCallFailed as error:
        print(f"hpo-guardrail prices refresh: could not read the AWS Price List API: {error}", file=sys.stderr)
        return 1
    refresher = PriceCacheRefresher(
        lambda region: fetch_training_prices(client, region),
        cache,
        regions=regions,
        instance_types=InstanceTypeList.from_botocore().types,
        ttl_seconds=DEFAULT_TTL_SECONDS,
        clock=lambda: now,
    )
    try:
        result = refresher.handle(None)
    except PriceCacheUnavailable as error:
        print(f"hpo-guardrail prices refresh: {error}", file=sys.stderr)
        return 1
    status, stored = 0, 0
    for region in result.regions:
        if region.error is not None:
            status = 1
            print(
                f"hpo-guardrail prices refresh: {region.region}: could not read the AWS Price List API: {region.error}",
                file=sys.stderr,
            )
            continue
        stored += region.priced
        print(f"{region.region}: {region.priced} prices cached, {region.without_price} instance types without one")
        if not region.priced:
            print(f"warning: the Price List API listed no training prices for {region.region}", file=sys.stderr)
    until = (now + timedelta(seconds=DEFAULT_TTL_SECONDS)).isoformat(timespec="seconds").replace("+00:00", "Z")
    print(f"wrote {stored} prices to {cache.path} (fresh until {until})")
    return status


def _refresh_table(args: argparse.Namespace, regions: tuple[str, ...], pricing_client: Any, today: str) -> int:
    from hpo_guardrail.adapters.clients import AwsCallFailed
    from hpo_guardrail.adapters.request_shapes import InstanceTypeList
    from hpo_guardrail.tools.prices import complete_table, load_table, refresh_table, write_table
    from rules.prices import bundled_prices

    output: Path = args.output
    table = load_table(output) if output.exists() else bundled_prices()
    try:
        listed = InstanceTypeList.from_botocore()
        if args.offline:
            new_table, summaries = complete_table(table, regions, today, listed)
        else:
            new_table, summaries = refresh_table(table, _client(args, pricing_client), regions, today, listed)
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
