"""Writing the reports of `lint` and `scan` in the chosen format: text, json or sarif."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TextIO

from hpo_guardrail.enforce.escaping import terminal_text
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.linting.documentation import default_docs_url
from hpo_guardrail.linting.json_text import indented
from hpo_guardrail.linting.results import JobReport
from hpo_guardrail.linting.sarif import sarif_log
from hpo_guardrail.linting.text import render_text, use_colour

FORMATS = ("text", "json", "sarif")
DOCS_URL_VARIABLE = "HPO_GUARDRAIL_DOCS_URL"


def docs_url(given: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """Where docs/rules.md is published: --docs-url, HPO_GUARDRAIL_DOCS_URL, else the package's own docs.

    The package's own: the URL it was built with, else its checkout or installed copy as a file URI.
    """
    # SARIF wants an absolute helpUri; only the team that publishes the repository knows its URL.
    return (given or environ.get(DOCS_URL_VARIABLE) or default_docs_url()).rstrip("/")


def write_json(value: object, stream: TextIO) -> None:
    """Strict JSON (no NaN or Infinity, which are not JSON), indented, then a newline."""
    stream.write(indented(value) + "\n")


def report_problems(reports: Sequence[JobReport], stderr: TextIO) -> None:
    """One line on stderr per input that could not be used, naming the file and what is wrong."""
    for report in reports:
        if report.status is Status.ERROR:
            stderr.write(terminal_text(f"hpo-guardrail: {report.path}: {report.reason}") + "\n")


def emit(
    reports: Sequence[JobReport],
    output_format: str,
    stream: TextIO,
    *,
    colour: str = "auto",
    docs: str | None = None,
    noun: str = "input",
    now: datetime | None = None,
) -> None:
    """Write every report to `stream` in `output_format`; `now` dates the prices' ages in the text report."""
    if output_format == "json":
        write_json([r.as_json() for r in reports], stream)
    elif output_format == "sarif":
        write_json(sarif_log(reports, docs_url(docs)), stream)
    else:
        render_text(reports, stream, colour=use_colour(stream, colour), noun=noun, now=now)
