"""The report's templates: what users wrote shows as written, in HTML and in Markdown, and never as markup.

Team tags, job names, session names and exemption names are free text that anyone who can start a
tuning job or edit the policy chooses; the report puts them in front of the people who act on it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from hpo_guardrail.enforce.audit import AuditRecord
from hpo_guardrail.reporting.figures import Figures, Filters, compute_figures
from hpo_guardrail.reporting.render import markdown_text, render_html, render_markdown
from tests.audit_builders import FIXTURE_PERIOD, evaluated, exemption, finding, principal, set_aside

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = 'x<script>alert("x")</script> & `rm -rf` *all* _of_ [it](http://evil.example) | a\\b\nnext <b>line'


def _hostile_record(event_id: str, when: str, **kwargs: Any) -> AuditRecord:
    record = evaluated(event_id, when, team=HOSTILE, **kwargs)
    return record.model_copy(
        update={"job_name": f"{HOSTILE} {event_id}", "account": HOSTILE, "principal_arn": principal(HOSTILE)}
    )


@pytest.fixture(scope="module")
def figures() -> Figures:
    """Two flagged jobs (so the principal and team are repeat offenders) with a hostile value in every name."""
    active = exemption(HOSTILE, ("budget-cap",), date(2026, 12, 31), active=True)
    expired = exemption(f"{HOSTILE} old", ("log-scale",), date(2026, 10, 31), active=False)
    records = [
        _hostile_record(
            "h1",
            "2026-11-02T10:00:00Z",
            findings=(finding(HOSTILE), finding("log-scale")),
            suppressed=(set_aside("budget-cap", HOSTILE),),
            exemptions=(active, expired),
            worst_case=5000.0,
        ),
        _hostile_record("h2", "2026-11-10T10:00:00Z", findings=(finding(HOSTILE),), worst_case=700.0),
    ]
    return compute_figures(records, FIXTURE_PERIOD, "2026-11-23T07:00:00Z", Filters(account=HOSTILE, team=HOSTILE))


class _Text(HTMLParser):
    """The text of each table cell and paragraph of a page, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self.paragraphs: list[str] = []
        self._tag: str | None = None
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th", "p"):
            self._tag, self._parts = tag, []

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            (self.paragraphs if tag == "p" else self.cells).append("".join(self._parts))
            self._tag = None


def _text(page: str) -> _Text:
    parser = _Text()
    parser.feed(page)
    parser.close()
    return parser


def _expected_cells(text: str) -> set[str]:
    """Each hostile name as its table cell shows it: team, account, rule, job, principal, exemptions."""
    return {
        text,
        f"{text} h1",
        f"{text} h2",
        f"DataScientist/{text}",
        f"{text} h1, {text} h2",
        f"{text}, log-scale",
    }


def test_html_shows_hostile_names_as_text(figures):
    page = render_html(figures)

    assert "<script" not in page and "<b>" not in page
    shown = _text(page)
    assert _expected_cells(HOSTILE) <= set(shown.cells)
    assert any(f"account {HOSTILE}, team {HOSTILE}" in p for p in shown.paragraphs), "the filters, in the header"


def test_html_with_hostile_names_runs_nothing_and_fetches_nothing(figures):
    page = render_html(figures)

    assert not re.search(r"<script|\son[a-z]+\s*=|javascript:", page, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "nothing may be fetched"
    assert "@import" not in page and "url(" not in page
    # The only markup not escaped by the template is the charts' SVG: its labels are escaped by charts.py.
    assert page.count("<svg xmlns") == 2 and "&lt;script&gt;" in page.split("<svg xmlns")[2]


def test_markdown_shows_hostile_names_as_text_in_their_cells(figures):
    text = render_markdown(figures)
    # GitHub-flavoured Markdown with raw HTML allowed, as a permissive viewer would render it.
    page = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)

    tags = Counter(re.findall(r"<([a-z][a-z0-9]*)", page))
    assert set(tags) <= {"h1", "h2", "p", "table", "thead", "tbody", "tr", "th", "td", "em"}, tags
    assert tags["em"] == 1, "only the report's own closing note is emphasised"
    shown = _text(page)
    # A table cell keeps to its line: the line break reads as a space, the | stays in the cell.
    assert _expected_cells(HOSTILE.replace("\n", " ")) <= set(shown.cells)
    assert any(f"account {HOSTILE.replace(chr(10), ' ')}" in p for p in shown.paragraphs)


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("plain-name 42", "plain-name 42"),
        ("a|b", "a\\|b"),
        ("two\nlines\r\nhere", "two lines here"),
        ("`code` *em* _em_ ~~del~~", "\\`code\\` \\*em\\* \\_em\\_ \\~\\~del\\~\\~"),
        ("<b>[x](y) & z\\", "\\<b\\>\\[x\\](y) \\& z\\\\"),
    ],
)
def test_markdown_text_escapes_what_markdown_would_read_as_markup(value, escaped):
    assert markdown_text(value) == escaped


def test_templates_are_resources_of_the_package():
    templates = files("hpo_guardrail.reporting") / "templates"
    for name in ("report.html.j2", "report.md.j2", "macros.html.j2", "report.css"):
        assert (templates / name).is_file(), name


def test_the_guardrail_function_never_loads_the_report_templates():
    """Its artifact has no Jinja2: nothing the function imports may reach render.py."""
    script = """
import importlib, json, pkgutil, sys
import hpo_guardrail.enforce
for module in pkgutil.walk_packages(hpo_guardrail.enforce.__path__, "hpo_guardrail.enforce."):
    importlib.import_module(module.name)
import functions.guardrail.app
loaded = [m for m in ("jinja2", "markupsafe", "hpo_guardrail.reporting.render") if m in sys.modules]
print(json.dumps(loaded))
"""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AWS_DEFAULT_REGION": "us-east-1",
        "GUARDRAIL_MODE": "monitor",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
