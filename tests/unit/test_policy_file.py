"""Policy files: YAML validated by pydantic; a bad policy names the field and the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rules.policy import Mode
from rules.policy_file import PolicyError, default_policy, parse_policy, policy_json_schema

ROOT = Path(__file__).resolve().parents[2]


def test_default_policy_ships_and_is_valid():
    document = default_policy()
    assert document.version == 1 and document.team_tag_key == "team"
    assert document.defaults.rules["log-scale"]["min_ratio"] == 100
    assert document.self_exemption.enabled is False
    assert document.content_hash.startswith("sha256:")


def test_a_full_policy_parses():
    document = parse_policy(
        """
version: 1
team_tag_key: cost-center
defaults: {mode: monitor, budget_cap_usd: 500}
scopes:
  - name: nlp
    match: {teams: [nlp]}
    mode: enforce
    rules: {log-scale: {severity: critical, min_ratio: 50}}
exemptions:
  - name: bench
    match: {job_names: ["bench-*"]}
    rules: [log-scale]
    reason: compares linear and log on purpose
    owner: ml-platform@example.com
    expires: 2027-01-31
self_exemption: {enabled: true, allowed_values: [TICKET-1]}
""",
        "policy.yaml",
    )
    assert document.defaults.budget_cap_usd == 500 and document.scopes[0].mode is Mode.ENFORCE
    assert str(document.exemptions[0].expires) == "2027-01-31"


@pytest.mark.parametrize(
    "text, path, line, reason",
    [
        ("defaults:\n  budget_cap_usd: -1\n", "defaults.budget_cap_usd", 2, "greater than or equal to 0"),
        ("defaults:\n  rules:\n    log-scael: {}\n", "defaults.rules", 3, "unknown rule 'log-scael'"),
        (
            "scopes:\n  - name: s\n    match: {teams: [a]}\n    rules:\n      log-scale:\n        min_ratio: zero\n",
            "scopes.0.rules.log-scale.min_ratio",
            6,
            "valid number",
        ),
        ("scopes:\n  - name: s\n    match: {}\n", "scopes.0.match", 3, "at least one of"),
        ("defaults:\n  mode: block\n", "defaults.mode", 2, "'monitor' or 'enforce'"),
        ("budget: 5\n", "budget", 1, "Extra inputs are not permitted"),
        (
            "exemptions:\n  - name: e\n    match: {teams: [x]}\n    reason: r\n    owner: o\n    expires: soon\n",
            "exemptions.0.expires",
            6,
            "valid date",
        ),
        (
            "exemptions:\n  - name: e\n    match: {teams: [x]}\n    expires: 2027-01-01\n",
            "exemptions.0.reason",
            2,
            "Field required",
        ),
        ("self_exemption: {enabled: true}\n", "self_exemption", 1, "needs allowed_values"),
    ],
)
def test_bad_policy_names_field_and_line(text, path, line, reason):
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "team-policy.yaml")
    error = caught.value
    assert (error.path, error.line) == (path, line)
    assert reason in error.reason
    assert str(error).startswith(f"invalid policy team-policy.yaml, line {line}, at {path}: ")


@pytest.mark.parametrize("text", ["scopes: [1", "- just\n- a list\n", "defaults: {a: b}: c\n"])
def test_not_yaml_or_not_a_mapping_is_rejected(text):
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.yaml")
    assert caught.value.line is not None


def test_empty_policy_means_all_defaults():
    assert parse_policy("", "empty.yaml").scopes == []


def test_content_hash_changes_with_the_content_only():
    one = parse_policy("defaults: {budget_cap_usd: 5}\n")
    same = parse_policy("# a comment\ndefaults:\n  budget_cap_usd: 5.0\n")
    other = parse_policy("defaults: {budget_cap_usd: 6}\n")
    assert one.content_hash == same.content_hash != other.content_hash


def test_exported_json_schema_is_current():
    exported = json.loads((ROOT / "docs" / "policy.schema.json").read_text())
    assert exported == policy_json_schema(), "run: .venv/bin/hpo-guardrail docs --write"


def test_a_blank_contact_is_refused_and_a_contact_is_kept_without_its_padding():
    with pytest.raises(PolicyError, match="contact is blank"):
        parse_policy('version: 1\ncontact: "   "\n', "policy.yaml")
    assert parse_policy('version: 1\ncontact: " #ml-platform "\n', "policy.yaml").contact == "#ml-platform"
