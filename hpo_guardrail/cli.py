"""The `hpo-guardrail` command."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = argparse.ArgumentParser(
        prog="hpo-guardrail",
        description="Policy enforcement for Amazon SageMaker hyperparameter tuning jobs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo",
        help="deploy the template into an embedded AWS emulator and replay every sample event",
        description="Runs on 127.0.0.1 with no AWS account: deploys template.yaml into an emulator "
        "(enforce mode), sends each event in events/ through the real EventBridge rule, and prints "
        "the findings, decisions, actions and the alerts as received.",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        # Imported here: the emulator (moto) is a development dependency, not part of the Lambda.
        from hpo_guardrail.embedded.demo import main as demo_main

        return int(demo_main() or 0)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
