"""docs/rules.md, docs/policy.schema.json and docs/permissions.md are generated, and so is the list of default
log-natured names in docs/policy.md; the committed copies must be current."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpo_guardrail.composition import FUNCTION_ADAPTERS, required_permissions
from hpo_guardrail.tools.permissions_doc import declared_permissions, render_permissions_markdown
from hpo_guardrail.tools.reference_docs import (
    MissingSection,
    render_log_natured_names,
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


def test_staleness_is_detected_and_repaired(tmp_path):
    (tmp_path / "docs").mkdir()
    policy_page = tmp_path / "docs" / "policy.md"
    policy_page.write_text(
        "# The policy\n\n<!-- BEGIN GENERATED log-natured-names -->\n<!-- END GENERATED log-natured-names -->\n\nmore\n"
    )
    assert len(stale_documents(tmp_path)) == 4
    write_documents(tmp_path)
    assert stale_documents(tmp_path) == []
    assert policy_page.read_text().startswith("# The policy\n") and policy_page.read_text().endswith("\n\nmore\n")
    (tmp_path / "docs" / "rules.md").write_text("# edited by hand\n")
    assert [p.name for p in stale_documents(tmp_path)] == ["rules.md"]
    policy_page.write_text(policy_page.read_text().replace("`^eta$`", "`^beta$`"))
    assert [p.name for p in stale_documents(tmp_path)] == ["rules.md", "policy.md"]


def test_a_page_without_the_markers_is_stale_and_is_not_written(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "policy.md").write_text("# The policy, markers removed\n")
    assert "policy.md" in [p.name for p in stale_documents(tmp_path)]
    with pytest.raises(MissingSection, match="BEGIN GENERATED log-natured-names"):
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
