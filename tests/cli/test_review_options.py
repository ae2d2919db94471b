"""The `review` command's parser: its copies of the writer's formats and default threshold stay honest."""

from __future__ import annotations

import argparse

from hpo_guardrail.cli import build_parser
from hpo_guardrail.cli import review as review_command
from hpo_guardrail.linting import review


def _review_parser() -> argparse.ArgumentParser:
    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices["review"]


def test_the_parser_offers_exactly_the_formats_the_review_writer_knows_and_its_default_threshold():
    (formats,) = [a for a in _review_parser()._actions if "--format" in a.option_strings]
    (fail_on,) = [a for a in _review_parser()._actions if "--fail-on" in a.option_strings]

    assert tuple(formats.choices or ()) == review.REVIEW_FORMATS
    assert fail_on.default == review.DEFAULT_FAIL_ON == review_command.DEFAULT_FAIL_ON


def test_the_command_line_names_the_job_and_the_options_scan_has():
    args = build_parser().parse_args(
        [
            "review",
            "churn-2026",
            "--region",
            "eu-west-1",
            "--profile",
            "prod",
            "--prices",
            "bundled",
            "--policy",
            "p.yaml",
        ]
    )

    assert (args.job_name, args.region, args.profile, args.prices, args.policy) == (
        "churn-2026",
        "eu-west-1",
        "prod",
        "bundled",
        "p.yaml",
    )
    assert (args.format, args.fail_on) == ("text", "low")
    assert args.run is review_command.run


def test_the_help_documents_the_exit_codes():
    text = " ".join(_review_parser().format_help().split())

    assert "Exit codes: 0 nothing reaches --fail-on" in text
    assert "1 a finding does" in text and "2 the review could not run" in text


def test_docs_cli_names_every_action_the_review_needs():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    section = page.split("## `hpo-guardrail review JOB_NAME`", 1)[1].split("\n## ", 1)[0]
    iam = " ".join(section.split("\nIAM: ", 1)[1].split("\n\n", 1)[0].split())

    assert review.PERMISSIONS and all(f"`{action}`" in iam for action in review.PERMISSIONS)
