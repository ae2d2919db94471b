"""What several commands share: the evaluation options of lint and scan, and a quiet end on a closed pipe."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

SEVERITY_CHOICES = ("info", "low", "medium", "high", "critical", "never")
# linting.output.FORMATS, repeated so that building the parser imports no report code; a test compares
# the parser's choices with the writers' formats.
FORMAT_CHOICES = ("text", "json", "sarif")
# linting.prices.PRICES_CHOICES, repeated for the same reason (a test compares them).
PRICES_CHOICES = ("auto", "live", "bundled")


def add_prices_option(parser: argparse.ArgumentParser) -> None:
    """--prices auto|live|bundled: where the evaluation's prices come from (lint, scan, prices show)."""
    parser.add_argument(
        "--prices",
        choices=PRICES_CHOICES,
        default="auto",
        help="where prices come from: bundled (the table shipped with the package, offline), live (the local "
        "price cache, then the AWS Price List API, then the bundled table), or auto (default: live when AWS "
        "credentials are configured, else bundled)",
    )


def add_evaluation_options(parser: argparse.ArgumentParser) -> None:
    """Options lint and scan share: the policy, the output format and the failure threshold."""
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file (or ssm:/parameter/name); default: GUARDRAIL_POLICY, else the packaged default policy",
    )
    parser.add_argument("--format", choices=FORMAT_CHOICES, default="text", help="report format (default: text)")
    add_prices_option(parser)
    parser.add_argument(
        "--fail-on",
        choices=SEVERITY_CHOICES,
        default="info",
        metavar="SEVERITY",
        help="exit 1 when a finding is at least this severe: info (default: any finding; alerts follow the policy's "
        "notify_min_severity), low, medium, "
        "high, critical, or never",
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report (auto: only on a terminal and when NO_COLOR is unset)",
    )
    parser.add_argument(
        "--docs-url",
        metavar="URL",
        help="base URL of this repository's docs for SARIF helpUri (default: HPO_GUARDRAIL_DOCS_URL, else the docs "
        "URL the package was built with, else its documentation as a file:// URI)",
    )


def evaluation_options(args: argparse.Namespace) -> dict[str, Any]:
    """The values of the options add_evaluation_options added, named as LintOptions and ScanOptions name them."""
    return {
        "policy": args.policy,
        "output_format": args.format,
        "fail_on": args.fail_on,
        "color": args.color,
        "docs_url": args.docs_url,
        "prices": args.prices,
    }


def aws_failure(error: BaseException) -> str | None:
    """The one-line message of an AWS failure (AwsCallFailed, or any botocore error), else None.

    Told apart by class, not by `except`, so that commands which never call AWS need not import botocore.
    """
    names = {cls.__name__ for cls in type(error).__mro__}
    if "AwsCallFailed" in names or type(error).__module__.startswith("botocore"):
        from hpo_guardrail.adapters.clients import describe_aws_error

        return describe_aws_error(error)
    return None


def delivered(report: Callable[[], int], command: str | None = None) -> int:
    """The exit code of `report()`; 1 when stdout closed early (`hpo-guardrail lint ... | head`), 2 with one
    line on stderr when AWS failed (no such profile, no region, no credentials, access denied, no parameter).

    A closed pipe means the report was not fully delivered; the command ends quietly instead of with a
    traceback. An AWS failure is never exit 1, which CI reads as "findings".
    """
    try:
        return report()
    except BrokenPipeError:
        # Python would report the pipe again when flushing stdout at exit; point stdout at devnull.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:
        message = aws_failure(error)
        if message is None:
            raise
        prefix = f"hpo-guardrail {command}" if command else "hpo-guardrail"
        sys.stderr.write(f"{prefix}: error: {message}\n")
        return 2
