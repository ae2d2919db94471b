"""The project's own papers hold: the template's description, README's "What gets deployed", pointers to
docs that exist, the license, the version and tag policy, and the URLs a build records."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.linting.documentation import default_docs_url, is_checkout, local_docs_root
from hpo_guardrail.linting.output import docs_url
from rules.checks import all_rules
from rules.rule import DOCS_PAGE, Category
from tests.sam_templates import sam_transformed

ROOT = Path(__file__).resolve().parents[2]
NUMBER_WORDS = {4: "four", 5: "five", 6: "six", 7: "seven"}


def _template() -> dict:
    return yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def transformed() -> dict:
    return sam_transformed(ROOT / "template.yaml")


def _readme_section(title: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split(f"### {title}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def test_the_template_description_counts_every_rule_and_names_every_category():
    description = _template()["Description"]
    assert f"the {len(all_rules())} rules" in description
    assert f"{NUMBER_WORDS[len(Category)]} categories" in description
    assert [c.value for c in Category if f"{c.value}:" not in description] == []
    assert DOCS_PAGE in description
    assert len(description.encode()) <= 1024  # CloudFormation's limit


def test_what_gets_deployed_names_every_resource_type(transformed):
    section = _readme_section("What gets deployed")
    types = {r["Type"] for r in transformed["Resources"].values()} | {
        r["Type"] for r in _template()["Resources"].values()
    }
    assert sorted(t for t in types if f"`{t}`" not in section) == []


def _statements(node: object):
    if isinstance(node, dict):
        if "Action" in node and "Effect" in node:
            yield node
        for value in node.values():
            yield from _statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statements(value)


def test_what_gets_deployed_names_every_permission_and_managed_policy(transformed):
    section = _readme_section("What gets deployed")
    roles = [r["Properties"] for r in transformed["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    actions = {
        action
        for role in roles
        for statement in _statements(role.get("Policies", []))
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    managed = {arn.rsplit("/", 1)[1] for role in roles for arn in role.get("ManagedPolicyArns", [])}
    assert {"sagemaker:StopHyperParameterTuningJob", "dynamodb:Query", "lambda:InvokeFunction"} <= actions
    assert sorted(a for a in actions if f"`{a}`" not in section) == []
    assert sorted(m for m in managed if f"`{m}`" not in section) == []


POINTER = re.compile(r"(?<![\w/.-])((?:docs/)[\w.-]+\.(?:md|json)|CHANGELOG\.md|LICENSE\b)")


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "requirements-dev.txt",
        "requirements-checkov.txt",
        "pyproject.toml",
        "setup.py",
        "Makefile",
        "template.yaml",
        ".pre-commit-hooks.yaml",
        *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")),
    ],
)
def test_every_document_a_file_points_to_exists(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    assert sorted({p for p in POINTER.findall(text) if not (ROOT / p).is_file()}) == []


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_license_is_the_apache_license_in_full_and_the_package_declares_it():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert all(f"{n}. " in text for n in range(1, 10)) and "END OF TERMS AND CONDITIONS" in text
    project = _pyproject()["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]


def test_the_version_follows_the_release_policy():
    """Semantic version in pyproject.toml; CHANGELOG.md has an entry for it (released, or the first to come);
    every pre-commit example pins the tag of that version."""
    version = _pyproject()["project"]["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n") and "\n## [Unreleased]\n" in changelog
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, flags=re.MULTILINE)
    if released:
        assert released[0] == version, "pyproject.toml's version is the newest release's"
    else:
        assert f"the first release, {version}" in changelog
    policy = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    assert "vX.Y.Z" in policy and "semantic version" in policy.lower()
    pages = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    pins = {(p.name, rev) for p in pages for rev in re.findall(r"^\s*rev:\s*(\S+)", p.read_text(), re.MULTILINE)}
    assert pins and {rev for _, rev in pins} == {f"v{version}"}, pins


def _setup_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hpo_guardrail_setup", ROOT / "setup.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_build_records_only_the_urls_it_was_given():
    setup = _setup_module()
    assert setup.project_urls({}) == {}
    base = "https://git.example.com/ml/hpo-guardrail/blob/main"
    urls = setup.project_urls(
        {
            "HPO_GUARDRAIL_DOCS_URL": base + "/",
            "HPO_GUARDRAIL_REPOSITORY_URL": "https://git.example.com/ml/hpo-guardrail",
        }
    )
    assert urls == {
        "Repository": "https://git.example.com/ml/hpo-guardrail",
        "Documentation": f"{base}/README.md",
        "Rules": f"{base}/docs/rules.md",
        "Changelog": f"{base}/CHANGELOG.md",
    }
    with pytest.raises(SystemExit, match="HPO_GUARDRAIL_DOCS_URL must be an http"):
        setup.project_urls({"HPO_GUARDRAIL_DOCS_URL": "<your docs>"})
    assert {str(p) for p in setup.shipped_documents(ROOT)} >= {"README.md", "LICENSE", "CHANGELOG.md", DOCS_PAGE}


def test_in_a_checkout_help_links_point_at_the_checkouts_docs():
    assert is_checkout(ROOT) and local_docs_root() == ROOT
    assert docs_url(None, {}) == default_docs_url() == ROOT.as_uri()
    assert docs_url(None, {"HPO_GUARDRAIL_DOCS_URL": "https://x.example/blob/main/"}) == "https://x.example/blob/main"
    assert docs_url("https://y.example/", {"HPO_GUARDRAIL_DOCS_URL": "https://x.example"}) == "https://y.example"
