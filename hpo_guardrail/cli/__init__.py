"""The `hpo-guardrail` command: one sub-command per module of this package.

Each command module defines NAME, HELP (and DESCRIPTION where it has one), `add_arguments(parser)` and
`run(args) -> int`, and imports what it runs only inside `run`, so that building the parser stays quick
and loads neither boto3 nor the engine.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from hpo_guardrail.cli import demo, docs, lint, policytest, prices, redrive, replay, report, review, sandbox, scan

COMMANDS = (demo, docs, prices, lint, policytest, scan, review, report, replay, redrive, sandbox)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each parsed command line carries its command's `run`."""
    parser = argparse.ArgumentParser(
        prog="hpo-guardrail",
        description="Policy enforcement for Amazon SageMaker hyperparameter tuning jobs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        sub = commands.add_parser(command.NAME, help=command.HELP, description=getattr(command, "DESCRIPTION", None))
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
