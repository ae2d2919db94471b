"""Every policy and every request shown in README.md and docs/*.md is loaded and linted, so an example copied
as written does what the page says (docs/policy.md, "Examples in these docs are tested").

A YAML block is a policy when a top-level key is one of a policy's or of its `defaults`; it is a request
when lint recognises it (a CreateHyperParameterTuningJob request, a CloudTrail record, an EventBridge
event, a Describe response). A block marked `<!-- docs-test: snippet -->` on the line before its fence
is deliberately partial and skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.linting.evaluation import cli_evaluator
from hpo_guardrail.linting.inputs import lint_document, recognise
from rules.assessment import assess
from rules.models import CallContext
from rules.parsing import InvalidRequest, read_request
from rules.policy import Overrides, PolicyDocument, Scope
from rules.policy_file import PolicyError, parse_policy
from rules.prices import BundledPrices
from tests.builders import continuous, tuning_request

ROOT = Path(__file__).resolve().parents[2]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
SNIPPET_MARKER = "<!-- docs-test: snippet -->"
_FENCE = re.compile(r"^```(?P<language>[\w-]*)\s*$")
_YAML_LANGUAGES = frozenset({"yaml", "yml", "json"})  # JSON is YAML: a request may be shown as either
# A top-level key that only a policy has ("version" and "rules" alone say too little).
POLICY_KEYS = (set(PolicyDocument.model_fields) | set(Overrides.model_fields)) - {"version"}
TODAY = date(2026, 12, 1)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # the 1-based line of the opening fence
    language: str
    text: str
    snippet: bool

    @property
    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{page}:{self.line}"


def code_blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, with the snippet marker of each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, index = [], 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = next((i for i in range(index + 1, len(lines)) if lines[i].startswith("```")), len(lines))
        before = next((lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        blocks.append(
            Block(page, index + 1, opening["language"], "\n".join(lines[index + 1 : end]), before == SNIPPET_MARKER)
        )
        index = end + 1
    return blocks


def _parsed(block: Block) -> Any:
    try:
        return yaml.safe_load(block.text)
    except yaml.YAMLError:
        return None


def is_policy(document: Any) -> bool:
    return isinstance(document, dict) and bool(POLICY_KEYS & {str(key) for key in document})


def is_request(document: Any) -> bool:
    try:
        recognise(document)
    except InvalidRequest:
        return False
    return True


def _blocks(kind: str) -> list[Any]:
    found = []
    for page in PAGES:
        for block in code_blocks(page):
            if block.language not in _YAML_LANGUAGES or block.snippet:
                continue
            document = _parsed(block)
            if (kind == "policy" and is_policy(document)) or (kind == "request" and is_request(document)):
                found.append(pytest.param(block, id=block.where))
    return found


def _sample_request(job_name: str) -> Any:
    return read_request(
        tuning_request(job_name, continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")])
    )


def _subject_of(scope: Scope, team_tag_key: str) -> tuple[str, CallContext, dict[str, str]]:
    """A job the scope matches: its name, its call context and its tags."""
    match = scope.match

    def example(glob: str) -> str:
        return re.sub(r"\[[^]]*\]|[*?]", "x", glob)

    name = example(match.job_names[0]) if match.job_names else "docs-example"
    context = CallContext(
        event_id="docs-example",
        account=match.accounts[0] if match.accounts else None,
        principal_arn=example(match.principals[0]) if match.principals else None,
    )
    tags = {team_tag_key: match.teams[0]} if match.teams else {}
    return name, context, tags


@pytest.mark.parametrize("block", _blocks("policy"))
def test_every_policy_in_the_docs_loads_and_evaluates_under_each_scope(block: Block):
    try:
        document = parse_policy(block.text, block.where)
    except PolicyError as error:
        pytest.fail(f"{error} (mark a deliberately partial block with {SNIPPET_MARKER})")
    evaluation, decision = assess(_sample_request("docs-example"), document, today=TODAY, prices=BundledPrices())
    assert evaluation.findings and decision.reason
    for scope in document.scopes:
        name, context, tags = _subject_of(scope, document.team_tag_key)
        request = _sample_request(name).model_copy(update={"tags": tags})
        evaluation, _ = assess(request, document, today=TODAY, context=context, prices=BundledPrices())
        assert scope.name in evaluation.policy.scopes, f"{block.where}: scope {scope.name} matches no example job"


def test_every_request_in_the_docs_is_linted():
    # One test over all of them: the pages may show none today, and a parameter set must not be empty.
    evaluator = cli_evaluator(policy=None, environ={}, prices=BundledPrices())
    unusable = []
    for param in _blocks("request"):
        (block,) = param.values
        report = lint_document(block.where, block.text, _parsed(block), evaluator)
        if report.status is Status.ERROR:
            unusable.append(f"{block.where}: {report.reason}")
    assert unusable == []


def test_the_docs_show_at_least_one_policy():
    # The policy pages keep examples: a change in how blocks are found must not make the tests above vacuous.
    assert len(_blocks("policy")) >= 2


def test_yaml_blocks_in_the_docs_are_valid_yaml():
    broken = [
        block.where
        for page in PAGES
        for block in code_blocks(page)
        if block.language in {"yaml", "yml"} and not block.snippet and _parsed(block) is None and block.text.strip()
    ]
    assert broken == []


def test_the_shape_example_of_the_old_docs_is_refused_naming_the_pattern():
    # docs/policy.md once showed `log_natured_names: [...]`: YAML reads a list holding the pattern "...",
    # which matches every name of three or more characters.
    with pytest.raises(PolicyError, match=r"log_natured_names\.0: '\.\.\.' matches the made-up name 'qqq'") as error:
        parse_policy("version: 1\nlog_natured_names: [...]\n", "team-policy.yaml")
    assert error.value.line == 2


def test_a_marked_snippet_is_skipped(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(f"text\n\n{SNIPPET_MARKER}\n```yaml\nmode: enforce\n```\n\n```yaml\nmode: enforce\n```\n")
    first, second = code_blocks(page)
    assert first.snippet and not second.snippet
    assert is_policy(_parsed(second))
    with pytest.raises(PolicyError):  # unmarked, a bare `mode:` would fail as a policy
        parse_policy(second.text)


def test_a_request_block_is_linted_and_a_broken_one_is_caught(tmp_path):
    good = yaml.safe_dump(tuning_request("docs-good"))
    broken = yaml.safe_dump({"HyperParameterTuningJobName": "docs-broken", "HyperParameterTuningJobConfig": {}})
    page = tmp_path / "page.md"
    page.write_text(f"```yaml\n{good}```\n\n```yaml\n{broken}```\n\n```yaml\nrepos: []\n```\n")
    blocks = code_blocks(page)
    assert [is_request(_parsed(b)) for b in blocks] == [True, True, False]
    evaluator = cli_evaluator(policy=None, environ={}, prices=BundledPrices())
    statuses = [lint_document(b.where, b.text, _parsed(b), evaluator).status for b in blocks[:2]]
    assert statuses == [Status.EVALUATED, Status.ERROR]
