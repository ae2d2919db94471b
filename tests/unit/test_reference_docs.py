"""docs/rules.md, docs/policy.schema.json, docs/permissions.md, README.md's rule table and the list of default
log-natured names in docs/policy.md are generated; the committed copies must be current."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpo_guardrail.composition import FUNCTION_ADAPTERS, required_permissions
from hpo_guardrail.tools.permissions_doc import declared_permissions, render_permissions_markdown
from hpo_guardrail.tools.reference_docs import (
    MissingMarkers,
    generated_sections,
    render_log_natured_names,
    render_readme_rule_table,
    render_rules_markdown,
    stale_documents,
    write_documents,
)
from rules.checks import all_rules
from rules.policy import DEFAULT_LOG_NATURED_NAMES

ROOT = Path(__file__).resolve().parents[2]


def test_committed_generated_documents_are_current():
    assert stale_documents(ROOT) == [], "run: .venv/bin/hpo-guardrail docs --write"


def test_every_rule_has_its_section_with_all_parts():
    page = render_rules_markdown()
    for rule in all_rules():
        section = page.split(f'<a id="{rule.id}"></a>', 1)[1].split("<a id=", 1)[0]
        for part in ("**Checks.**", "**Why it matters.**", "**Example.**", "**Fix.**", "Settings"):
            assert part in section, (rule.id, part)


def _section(name: str):
    (section,) = [s for s in generated_sections() if s.name == name]
    return section


def _policy_page_with_markers(root: Path) -> Path:
    section = _section("log-natured-names")
    (root / "docs").mkdir(exist_ok=True)
    page = root / "docs" / "policy.md"
    page.write_text(f"# The policy\n\n{section.begin}\n{section.end}\n\nmore\n")
    return page


def _readme_with_markers(root: Path) -> Path:
    section = _section("rule-table")
    readme = root / "README.md"
    readme.write_text(f"# Title\n\nhand-written\n\n{section.begin}\n{section.end}\n\nmore by hand\n")
    return readme


def test_staleness_is_detected_and_repaired(tmp_path):
    assert len(stale_documents(tmp_path)) == 5
    readme = _readme_with_markers(tmp_path)
    policy_page = _policy_page_with_markers(tmp_path)
    write_documents(tmp_path)
    assert stale_documents(tmp_path) == []
    assert policy_page.read_text().startswith("# The policy\n") and policy_page.read_text().endswith("\n\nmore\n")
    (tmp_path / "docs" / "rules.md").write_text("# edited by hand\n")
    assert [p.name for p in stale_documents(tmp_path)] == ["rules.md"]
    text = readme.read_text()
    assert text.startswith("# Title\n\nhand-written\n") and text.endswith("\n\nmore by hand\n")
    readme.write_text(text.replace("| `parallelism` |", "| `parallelism` edited |").replace("tuning |", "tune |", 1))
    assert "README.md" in [p.name for p in stale_documents(tmp_path)]
    policy_page.write_text(policy_page.read_text().replace("`^eta$`", "`^beta$`"))
    assert "policy.md" in [p.name for p in stale_documents(tmp_path)]


def test_a_readme_without_the_markers_is_stale_and_not_written(tmp_path):
    (tmp_path / "README.md").write_text("# no markers\n")
    assert "README.md" in [p.name for p in stale_documents(tmp_path)]
    with pytest.raises(MissingMarkers, match="rule-table"):
        write_documents(tmp_path)
    assert not (tmp_path / "docs").exists()  # nothing written unless every section can be


def test_the_readme_rule_table_names_every_rule_with_its_thresholds():
    table = render_readme_rule_table()
    for rule in all_rules():
        (row,) = [line for line in table.splitlines() if line.startswith(f"| [`{rule.id}`]")]
        assert f"(docs/rules.md#{rule.id})" in row and rule.title in row and f"| {rule.category.value} |" in row
    (parallelism,) = [line for line in table.splitlines() if "`parallelism`" in line]
    assert "`max_parallel_share: 0.25`" in parallelism and "most" not in parallelism
    (limits,) = [line for line in table.splitlines() if "`limits`" in line]
    assert "definitions" in limits and "`max_definitions: 10`" in limits


def test_the_committed_readme_holds_the_generated_table():
    assert render_readme_rule_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_policy_page_without_the_markers_is_stale_and_is_not_written(tmp_path):
    _readme_with_markers(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "policy.md").write_text("# The policy, markers removed\n")
    assert "policy.md" in [p.name for p in stale_documents(tmp_path)]
    with pytest.raises(MissingMarkers, match="log-natured-names"):
        write_documents(tmp_path)
    assert not (tmp_path / "docs" / "rules.md").exists(), "nothing is written when a page cannot be"


def test_the_policy_page_lists_every_default_log_natured_name():
    page = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    section = render_log_natured_names()
    assert section in page
    for pattern in DEFAULT_LOG_NATURED_NAMES:
        assert f"- `{pattern}`: `" in section, pattern  # each with at least one name it matches


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
