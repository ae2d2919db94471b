"""rules/data/default-policy.json, read instead of default-policy.yaml so that the default policy needs no PyYAML,
says what the YAML says."""

from __future__ import annotations

from importlib import resources

from rules.policy_file import (
    DEFAULT_POLICY_FILE,
    DEFAULT_POLICY_JSON,
    default_policy,
    default_policy_json,
    parse_policy,
)

REWRITE = (
    '.venv/bin/python -c "from pathlib import Path; from rules.policy_file import default_policy_json; '
    "Path('rules/data/default-policy.json').write_text(default_policy_json())\""
)


def test_the_json_twin_is_the_yaml_policy():
    twin = resources.files("rules").joinpath(DEFAULT_POLICY_JSON).read_text(encoding="utf-8")
    assert twin == default_policy_json(), f"rules/{DEFAULT_POLICY_JSON} is stale; rewrite it: {REWRITE}"


def test_the_default_policy_is_the_yaml_file_parsed():
    text = resources.files("rules").joinpath(DEFAULT_POLICY_FILE).read_text(encoding="utf-8")
    parsed = parse_policy(text, DEFAULT_POLICY_FILE)
    assert default_policy() == parsed
    assert default_policy().content_hash == parsed.content_hash
