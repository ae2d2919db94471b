"""docs/rules.md and docs/policy.schema.json are generated; the committed copies must be current."""

from __future__ import annotations

from pathlib import Path

from hpo_guardrail.tools.reference_docs import render_rules_markdown, stale_documents, write_documents
from rules.checks import all_rules

ROOT = Path(__file__).resolve().parents[2]


def test_committed_generated_documents_are_current():
    assert stale_documents(ROOT) == [], "run: .venv/bin/hpo-guardrail docs --write"


def test_every_rule_has_its_section_with_all_parts():
    page = render_rules_markdown()
    for rule in all_rules():
        section = page.split(f'<a id="{rule.id}"></a>', 1)[1].split("<a id=", 1)[0]
        for part in ("**Checks.**", "**Why it matters.**", "**Example.**", "**Fix.**", "Settings"):
            assert part in section, (rule.id, part)


def test_staleness_is_detected_and_repaired(tmp_path):
    assert len(stale_documents(tmp_path)) == 2
    write_documents(tmp_path)
    assert stale_documents(tmp_path) == []
    (tmp_path / "docs" / "rules.md").write_text("# edited by hand\n")
    assert [p.name for p in stale_documents(tmp_path)] == ["rules.md"]
