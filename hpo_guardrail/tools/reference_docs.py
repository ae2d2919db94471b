"""Generated reference documentation: docs/rules.md from the rule catalogue, the policy schema,
docs/permissions.md from the adapters' declared permissions, and generated sections of hand-written
pages (the default log-natured names in docs/policy.md).

`hpo-guardrail docs --write` regenerates them; a test fails when the committed copies are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from hpo_guardrail.tools.permissions_doc import render_permissions_markdown
from rules.checks import all_rules
from rules.policy import ARBITRARY_NAME_PROBES, DEFAULT_LOG_NATURED_NAMES, Policy
from rules.policy_file import policy_json_schema
from rules.rule import Category, Rule, RuleSettings

RULES_PAGE = Path("docs/rules.md")
SCHEMA_FILE = Path("docs/policy.schema.json")
PERMISSIONS_PAGE = Path("docs/permissions.md")
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
    return "\n".join(lines) + "\n"


def render_policy_schema() -> str:
    """docs/policy.schema.json, for editors that validate YAML against a JSON Schema."""
    return json.dumps(policy_json_schema(), indent=2, sort_keys=True) + "\n"


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


def generated_sections() -> dict[Path, dict[str, str]]:
    """Sections generated into hand-written pages, by page and section name: each lives between
    `<!-- BEGIN GENERATED name -->` and `<!-- END GENERATED name -->` lines."""
    return {POLICY_PAGE: {LOG_NATURED_NAMES_SECTION: render_log_natured_names()}}


class MissingSection(ValueError):
    """A page lacks the markers of a section generated into it."""


def with_section(page: str, name: str, body: str) -> str:
    """The page with the text between the markers of section `name` replaced by `body`."""
    begin, end = f"<!-- BEGIN GENERATED {name} -->", f"<!-- END GENERATED {name} -->"
    start, stop = page.find(begin), page.find(end)
    if start < 0 or stop < start:
        raise MissingSection(f"no '{begin}' ... '{end}' lines to generate the section {name} between")
    return page[: start + len(begin)] + "\n" + body + "\n" + page[stop:]


def _page_with_sections(root: Path, path: Path) -> str:
    """A page as the code would write it: the committed page with each generated section filled in; raises
    MissingSection when the page (or a section's markers) is missing."""
    page = (root / path).read_text(encoding="utf-8") if (root / path).is_file() else ""
    for name, body in generated_sections()[path].items():
        page = with_section(page, name, body)
    return page


def _current(root: Path, path: Path, text: str) -> bool:
    return (root / path).is_file() and (root / path).read_text(encoding="utf-8") == text


def generated_documents() -> dict[Path, str]:
    """Every generated document by its path relative to the repository root."""
    return {
        RULES_PAGE: render_rules_markdown(),
        SCHEMA_FILE: render_policy_schema(),
        PERMISSIONS_PAGE: render_permissions_markdown(),
    }


def stale_documents(root: Path) -> list[Path]:
    """The generated documents, and the pages with generated sections, whose committed copy under `root`
    differs from what the code says; a page missing, or missing a section's markers, is stale."""
    stale = [path for path, text in generated_documents().items() if not _current(root, path, text)]
    for path in generated_sections():
        try:
            current = _current(root, path, _page_with_sections(root, path))
        except MissingSection:
            current = False
        if not current:
            stale.append(path)
    return stale


def write_documents(root: Path) -> list[Path]:
    """Write every generated document under `root`, and every generated section into its page; returns those
    that changed. Raises MissingSection, before writing anything, when a page lacks a section's markers
    (pages are written by hand; only the text between their markers is generated)."""
    changed = stale_documents(root)
    texts = generated_documents() | {path: _page_with_sections(root, path) for path in generated_sections()}
    for path in changed:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(texts[path], encoding="utf-8")
    return changed
