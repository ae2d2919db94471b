"""The `hpo-guardrail` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _demo(args: argparse.Namespace) -> int:
    # Imported here: the emulator (moto) is a development dependency, not part of the Lambda.
    from hpo_guardrail.embedded.demo import main as demo_main

    return int(demo_main() or 0)


def _docs(args: argparse.Namespace) -> int:
    from hpo_guardrail.reference_docs import stale_documents, write_documents

    root = Path(args.root)
    if args.write:
        changed = write_documents(root)
        print("updated: " + ", ".join(map(str, changed)) if changed else "generated documents are current")
        return 0
    stale = stale_documents(root)
    if stale:
        print("stale: " + ", ".join(map(str, stale)) + " (run: hpo-guardrail docs --write)", file=sys.stderr)
        return 1
    print("generated documents are current")
    return 0


def _prices(args: argparse.Namespace) -> int:
    from hpo_guardrail.pricing import prices_refresh_command

    return prices_refresh_command(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-guardrail",
        description="Policy enforcement for Amazon SageMaker hyperparameter tuning jobs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="deploy the template into an embedded AWS emulator and replay every sample event",
        description="Runs on 127.0.0.1 with no AWS account: deploys template.yaml into an emulator "
        "(enforce mode), sends each event in events/ through the real EventBridge rule, and prints "
        "the findings, decisions, actions and the alerts as received.",
    )
    demo.set_defaults(run=_demo)
    docs = commands.add_parser("docs", help="check or regenerate docs/rules.md and docs/policy.schema.json")
    docs.add_argument("--write", action="store_true", help="rewrite the generated documents")
    docs.add_argument("--root", default=str(REPO_ROOT), help="repository root (default: this checkout)")
    docs.set_defaults(run=_docs)
    prices = commands.add_parser(
        "prices",
        help="refresh the training price table from the AWS Price List API (prices refresh --help)",
        add_help=False,
    )
    prices.add_argument("rest", nargs=argparse.REMAINDER)
    prices.set_defaults(run=_prices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
