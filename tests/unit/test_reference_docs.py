"""docs/rules.md, docs/policy.schema.json and docs/permissions.md are generated; the committed copies must be
current."""

from __future__ import annotations

from pathlib import Path

from hpo_guardrail.composition import FUNCTION_ADAPTERS, required_permissions
from hpo_guardrail.tools.permissions_doc import declared_permissions, render_permissions_markdown
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
    assert len(stale_documents(tmp_path)) == 3
    write_documents(tmp_path)
    assert stale_documents(tmp_path) == []
    (tmp_path / "docs" / "rules.md").write_text("# edited by hand\n")
    assert [p.name for p in stale_documents(tmp_path)] == ["rules.md"]


def test_the_permissions_page_gives_each_function_its_adapters_actions_and_lists_every_adapter():
    page = render_permissions_markdown()
    for function, adapters in FUNCTION_ADAPTERS.items():
        section = page.split(f"### {function}\n", 1)[1].split("\n#", 1)[0]
        for adapter in adapters:
            assert f"`{adapter.__name__}`" in section, (function, adapter)
        assert all(f"`{action}`" in section for action in required_permissions(function)), function
    names = [declaration.name for declaration in declared_permissions()]
    assert len(names) == len(set(names))
    # Classes and modules of functions alike; a module constant repeating its class's is listed once.
    assert {"SageMakerJobController", "TuningJobReader", "SnsNotifier", "sts"} <= set(names)
    assert "pricing" not in names and "PriceListApi" in names
