"""Generated reference documentation: docs/rules.md from the rule catalogue, the policy schema, and
docs/permissions.md from the adapters' declared permissions.

`hpo-guardrail docs --write` regenerates them; a test fails when the committed copies are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from hpo_guardrail.tools.permissions_doc import render_permissions_markdown
from rules.checks import all_rules
from rules.policy_file import policy_json_schema
from rules.rule import Category, Rule, RuleSettings

RULES_PAGE = Path("docs/rules.md")
SCHEMA_FILE = Path("docs/policy.schema.json")
PERMISSIONS_PAGE = Path("docs/permissions.md")
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


def generated_documents() -> dict[Path, str]:
    """Every generated document by its path relative to the repository root."""
    return {
        RULES_PAGE: render_rules_markdown(),
        SCHEMA_FILE: render_policy_schema(),
        PERMISSIONS_PAGE: render_permissions_markdown(),
    }


def stale_documents(root: Path) -> list[Path]:
    """The generated documents whose committed copy under `root` differs from what the code says."""
    return [
        path
        for path, text in generated_documents().items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
    ]


def write_documents(root: Path) -> list[Path]:
    """Write every generated document under `root`; returns those that changed."""
    changed = stale_documents(root)
    for path, text in generated_documents().items():
        if path in changed:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    return changed
