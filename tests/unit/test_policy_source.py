"""GUARDRAIL_POLICY: the packaged default, a file, or an SSM parameter cached for a max age."""

from __future__ import annotations

import pytest

from hpo_guardrail.enforce.policy_source import PolicySource
from rules.policy_file import PolicyError, default_policy


class FakeSsm:
    def __init__(self, value: str) -> None:
        self.value = value
        self.calls: list[tuple[str, int]] = []

    def get(self, name: str, max_age: int) -> str:
        self.calls.append((name, max_age))
        return self.value


def test_no_setting_means_the_packaged_default():
    assert PolicySource(None).document() == default_policy()


def test_a_file_is_read_and_validated(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("defaults: {budget_cap_usd: 42}\n")
    assert PolicySource(str(path)).document().defaults.budget_cap_usd == 42


def test_a_bad_file_fails_loudly_with_the_line(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("defaults:\n  budget_cap_usd: lots\n")
    with pytest.raises(PolicyError, match=r"line 2, at defaults.budget_cap_usd"):
        PolicySource(str(path)).document()


def test_a_missing_file_fails_loudly(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the file"):
        PolicySource(str(tmp_path / "nope.yaml")).document()


def test_ssm_parameter_is_read_with_the_max_age_and_parsed_once_per_change():
    ssm = FakeSsm("defaults: {budget_cap_usd: 7}\n")
    source = PolicySource("ssm:/hpo-guardrail/policy", max_age_seconds=60, ssm=ssm)
    first = source.document()
    assert source.document() is first, "unchanged text is not parsed again"
    ssm.value = "defaults: {budget_cap_usd: 8}\n"
    assert source.document().defaults.budget_cap_usd == 8
    assert ssm.calls[0] == ("/hpo-guardrail/policy", 60)
