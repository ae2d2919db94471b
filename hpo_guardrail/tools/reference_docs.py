"""Generated reference documentation: docs/rules.md from the rule catalogue, the policy schema, and
docs/permissions.md from the adapters' declared permissions; and generated sections of hand-written
pages, between markers (README.md's rule table, the default log-natured names in docs/policy.md).

`hpo-guardrail docs --write` regenerates them; a test fails when the committed copies are stale.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from hpo_guardrail.tools.permissions_doc import render_permissions_markdown
from hpo_guardrail.tools.review_docs import render_review_rules_markdown
from rules.checks import all_rules
from rules.policy import ARBITRARY_NAME_PROBES, DEFAULT_LOG_NATURED_NAMES, Policy
from rules.policy_file import policy_json_schema
from rules.rule import Category, Rule, RuleSettings

RULES_PAGE = Path("docs/rules.md")
SCHEMA_FILE = Path("docs/policy.schema.json")
PERMISSIONS_PAGE = Path("docs/permissions.md")
README = Path("README.md")
POLICY_PAGE = Path("docs/policy.md")
LOG_NATURED_NAMES_SECTION = "log-natured-names"
_COMMON_SETTINGS = set(RuleSettings.model_fields)


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    return "none" if value is None else f"`{json.dumps(value)}`"


def _settings_table(rule: Rule[Any]) -> list[str]:
    own = {name: field for name, field in rule.settings.model_fields.items() if name not in _COMMON_SETTINGS}
    if not own:
        return ["Settings: only `enabled` and `severity`."]
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{name}` | {_default(field)} | {field.description or ''} |" for name, field in own.items()]
    return ["Settings (besides `enabled` and `severity`):", "", *rows]


def render_rules_markdown() -> str:
    """docs/rules.md: for each rule what it checks, why it matters, an example, the fix, its settings."""
    lines = [
        "# Rules",
        "",
        "Generated from the rule catalogue (`rules/checks/`) by `hpo-guardrail docs --write`; do not edit by hand.",
        "",
        "Every rule can be turned off or given a fixed severity in the policy "
        "(`rules: {<id>: {enabled: false}}`, `rules: {<id>: {severity: low}}`) and its settings changed per "
        "scope; see docs/policy.md. Findings carry the fix as JSON Patch operations on the "
        "CreateHyperParameterTuningJob request when the fix is mechanical.",
        "",
        "Each rule declares its category; the decision reads it:",
        "",
        *[f"- **{category.value}**: {category.meaning}." for category in Category],
        "",
        "| id | category | title |",
        "| --- | --- | --- |",
        *[f"| [`{rule.id}`](#{rule.id}) | {rule.category.value} | {rule.title} |" for rule in all_rules()],
    ]
    for rule in all_rules():
        lines += [
            "",
            f'<a id="{rule.id}"></a>',
            f"## {rule.id}",
            "",
            f"**{rule.title}.** Category: {rule.category.value}.",
            "",
            f"**Checks.** {rule.doc.checks}",
            "",
            f"**Why it matters.** {rule.doc.why}",
            "",
            f"**Example.** `{rule.doc.example}`",
            "",
            f"**Fix.** {rule.doc.fix}",
            "",
            *_settings_table(rule),
        ]
    return "\n".join(lines) + "\n\n" + render_review_rules_markdown()


def _rule_thresholds(rule: Rule[Any]) -> str:
    """The rule's own settings as the policy writes them (`name: default`), or "none"."""
    own = [name for name in rule.settings.model_fields if name not in _COMMON_SETTINGS]
    defaults = rule.settings()
    return (
        ", ".join(
            f"`{name}` unset" if getattr(defaults, name) is None else f"`{name}: {json.dumps(getattr(defaults, name))}`"
            for name in own
        )
        or "none"
    )


def render_readme_rule_table() -> str:
    """README.md's rule table: each rule, its category, what it finds and its thresholds' defaults."""
    rows = [
        "| rule | category | finds | thresholds (policy settings, defaults) |",
        "| --- | --- | --- | --- |",
        *[
            f"| [`{rule.id}`]({RULES_PAGE.as_posix()}#{rule.id}) | {rule.category.value} | {rule.title} | "
            f"{_rule_thresholds(rule)} |"
            for rule in all_rules()
        ],
    ]
    return "\n".join(rows) + "\n"


class MissingMarkers(ValueError):
    """A page lacks the markers of a section it should hold, or holds them more than once."""


@dataclass(frozen=True)
class GeneratedSection:
    """A generated part of a hand-written page, between a begin and an end marker (HTML comments)."""

    path: Path
    name: str
    render: Callable[[], str]

    @property
    def begin(self) -> str:
        return f"<!-- BEGIN GENERATED {self.name}: hpo-guardrail docs --write; do not edit by hand -->"

    @property
    def end(self) -> str:
        return f"<!-- END GENERATED {self.name} -->"

    def _bounds(self, page: str) -> tuple[int, int]:
        if page.count(self.begin) != 1 or page.count(self.end) != 1:
            raise MissingMarkers(
                f"{self.path} must hold the markers of the generated section '{self.name}' once each, on lines "
                f"of their own: {self.begin} ... {self.end}"
            )
        start = page.index(self.begin) + len(self.begin)
        end = page.index(self.end)
        if end < start:
            raise MissingMarkers(f"{self.path}: the end marker of '{self.name}' comes before its begin marker")
        return start, end

    def current(self, page: str) -> bool:
        """Whether the page holds the markers with what the code says between them."""
        try:
            start, end = self._bounds(page)
        except MissingMarkers:
            return False
        return page[start:end] == f"\n{self.render()}"

    def replaced(self, page: str) -> str:
        """The page with the section between its markers regenerated; MissingMarkers when they are absent."""
        start, end = self._bounds(page)
        return page[:start] + f"\n{self.render()}" + page[end:]


def render_log_natured_names() -> str:
    """The generated section of docs/policy.md: the default log-natured name patterns (DEFAULT_LOG_NATURED_NAMES)
    and the test every name pattern passes."""
    probes = ", ".join(f"`{probe}`" for probe in ARBITRARY_NAME_PROBES if probe)
    return "\n".join(
        [
            "Without `log_natured_names` the policy uses these patterns (RE2 regular expressions, matched "
            "case-insensitively anywhere in the parameter's name), shown with names each one matches:",
            "",
            # A list, not a table: a pattern's `|` would end a table cell.
            *(f"- `{pattern}`: {_examples(pattern)}" for pattern in DEFAULT_LOG_NATURED_NAMES),
            "",
            "Setting `log_natured_names` replaces the whole list; copy the patterns you keep. The loader refuses a "
            f"pattern that matches the empty name or a made-up one ({probes}), such as `.`, `...` or `.*`: it "
            "would call every parameter log-natured.",
        ]
    )


# Parameter names as the SageMaker built-in algorithms and common frameworks spell them, to show what each
# default pattern matches (only names the pattern really matches are shown).
_EXAMPLE_NAMES = (
    "learning_rate",
    "learning-rate",
    "LearningRate",
    "lr",
    "base_lr",
    "eta",
    "alpha",
    "reg_alpha",
    "lambda",
    "reg_lambda",
    "weight_decay",
    "regularization",
    "l1",
    "l2_reg",
    "epsilon",
    "adam_eps",
    "C",
    "batch_size",
    "mini_batch_size",
    "n_estimators",
    "num_round",
    "num_trees",
    "num_leaves",
    "hidden_units",
    "hidden_size",
)


def _examples(pattern: str) -> str:
    matcher = Policy(log_natured_names=(pattern,))
    return ", ".join(f"`{name}`" for name in _EXAMPLE_NAMES if matcher.is_log_natured_name(name)) or "-"


def generated_sections() -> tuple[GeneratedSection, ...]:
    """Every generated section of a hand-written page."""
    return (
        GeneratedSection(README, "rule-table", render_readme_rule_table),
        GeneratedSection(POLICY_PAGE, LOG_NATURED_NAMES_SECTION, render_log_natured_names),
    )


def render_policy_schema() -> str:
    """docs/policy.schema.json, for editors that validate YAML against a JSON Schema."""
    return json.dumps(policy_json_schema(), indent=2, sort_keys=True) + "\n"


def generated_documents() -> dict[Path, str]:
    """Every generated document by its path relative to the repository root."""
    return {
        RULES_PAGE: render_rules_markdown(),
        SCHEMA_FILE: render_policy_schema(),
        PERMISSIONS_PAGE: render_permissions_markdown(),
    }


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def stale_documents(root: Path) -> list[Path]:
    """The generated documents, and pages with generated sections, under `root` that differ from the code."""
    stale = [path for path, text in generated_documents().items() if _read(root / path) != text]
    for section in generated_sections():
        page = _read(root / section.path)
        if (page is None or not section.current(page)) and section.path not in stale:
            stale.append(section.path)
    return stale


def write_documents(root: Path) -> list[Path]:
    """Write every generated document and section under `root`; returns the files that changed.

    A page with generated sections must exist and hold their markers (MissingMarkers otherwise): the
    rest of it is written by hand. Nothing is written unless every section can be.
    """
    updated: dict[Path, str] = {}
    for section in generated_sections():
        page = updated.get(section.path, _read(root / section.path))
        if page is None:
            raise MissingMarkers(f"{root / section.path} is missing; it holds the generated section '{section.name}'")
        updated[section.path] = section.replaced(page)
    changed = stale_documents(root)
    for path, text in {**generated_documents(), **updated}.items():
        if path in changed:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    return changed
