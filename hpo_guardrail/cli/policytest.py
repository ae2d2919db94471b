"""`hpo-guardrail test`: run declarative policy tests (docs/policy.md, "Testing your policy")."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from hpo_guardrail.cli.options import delivered

NAME = "test"
HELP = "run policy tests: expected findings, cost bounds, decision and scope for each case (*.hpo-test.yaml)"
DESCRIPTION = (
    "Runs every case of the test files named (a directory: its *.hpo-test.yaml files, recursively; default: "
    "policy-tests/, else the current directory's *.hpo-test.yaml) with the same engine and policy as the "
    "guardrail, the bundled prices and the stack settings the file gives (never the caller's environment). "
    "Prints a table and, for each failed case, the expected (-) and actual (+) values. "
    "Exit codes: 0 every case passed, 1 a case failed, 2 a test file (or a case's input) could not be read or used."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="test files or directories (default: policy-tests/, else ./*.hpo-test.yaml)",
    )
    parser.add_argument(
        "--packaged",
        action="store_true",
        help="run the tests shipped with the packaged default policy (besides any PATH given)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="report format (default: text)")


def run(args: argparse.Namespace) -> int:
    """Run the tests the command line names on the process's standard streams."""
    return delivered(
        lambda: run_policy_tests(args.paths, packaged=args.packaged, output_format=args.format, stdout=sys.stdout),
        command=NAME,
    )


def run_policy_tests(
    paths: list[str], *, packaged: bool = False, output_format: str = "text", stdout: TextIO, cwd: Path | None = None
) -> int:
    """Run the tests; 0 all passed, 1 a case failed, 2 a test file or input could not be used."""
    # Imported here: building the parser loads no evaluation code.
    from hpo_guardrail.linting.policy_tests import PACKAGED_TESTS, json_report, run_tests, text_report
    from hpo_guardrail.observability import silenced

    given = [*paths, str(PACKAGED_TESTS)] if packaged else list(paths)
    with silenced():
        result = run_tests(given, cwd=cwd)
    stdout.write(json_report(result) if output_format == "json" else text_report(result))
    return result.exit_code()
