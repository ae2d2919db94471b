"""Scopes refine the defaults, the most specific wins; exemptions with reason, owner and expiry."""

from __future__ import annotations

from datetime import date

import pytest

from rules.assessment import assess
from rules.parsing import read_request
from rules.policy import Mode, Overrides, Subject
from rules.policy_file import parse_policy
from tests.builders import continuous, training_definition, tuning_request

TODAY = date(2026, 11, 26)
POLICY = parse_policy(
    """
team_tag_key: team
defaults: {budget_cap_usd: 500}
scopes:
  - name: nlp-team
    match: {teams: [nlp]}
    mode: enforce
    budget_cap_usd: 2000
    rules: {log-scale: {severity: low}}
  - name: sandbox-account
    match: {accounts: ["111111111111"]}
    budget_cap_usd: 50
    rules: {log-scale: {min_ratio: 1000}}
  - name: llm-jobs
    match: {job_names: ["LLM-*"]}
    budget_cap_usd: 100000
exemptions:
  - name: linear-benchmark
    match: {job_names: ["bench-*"]}
    rules: [log-scale]
    reason: compares scaling types on purpose
    owner: ml-platform@example.com
    expires: 2026-12-31
  - name: old-waiver
    match: {principals: ["arn:aws:iam::*:role/LegacyTrainer"]}
    reason: migration
    owner: ml-platform@example.com
    expires: 2026-01-31
self_exemption: {enabled: true, tag_key: guardrail-exempt, allowed_values: [CHG-1234]}
"""
)


def subject(name="job", account="123456789012", team=None, role=None, tags=None) -> Subject:
    tags = dict(tags or {})
    if team:
        tags["team"] = team
    return Subject(job_name=name, account=account, role_arn=role, tags=tags)


def test_environment_is_the_base_the_defaults_refine():
    policy = POLICY.resolve(subject(), TODAY, Overrides(mode=Mode.ENFORCE, budget_cap_usd=9999))
    assert policy.mode is Mode.ENFORCE and policy.budget_cap_usd == 500
    assert policy.scopes == () and policy.scope == "defaults"


def test_team_scope_refines_mode_cap_and_rule_settings():
    policy = POLICY.resolve(subject(team="nlp"), TODAY)
    assert (policy.mode, policy.budget_cap_usd, policy.scope) == (Mode.ENFORCE, 2000, "nlp-team")
    assert policy.rule_settings["log-scale"] == {"severity": "low"}


def test_most_specific_scope_wins_and_settings_merge():
    policy = POLICY.resolve(subject(name="llm-sweep", account="111111111111", team="nlp"), TODAY)
    assert policy.scopes == ("sandbox-account", "nlp-team", "llm-jobs")
    assert policy.budget_cap_usd == 100000 and policy.mode is Mode.ENFORCE
    assert policy.rule_settings["log-scale"] == {"min_ratio": 1000, "severity": "low"}


def test_job_name_patterns_are_case_insensitive_like_sagemaker_names():
    assert POLICY.resolve(subject(name="llm-x"), TODAY).scope == "llm-jobs"


def test_team_comes_from_the_configured_tag_key():
    other = parse_policy("team_tag_key: cost-center\nscopes:\n  - {name: cc, match: {teams: [cc1]}, mode: enforce}\n")
    assert other.resolve(subject(tags={"cost-center": "cc1"}), TODAY).scope == "cc"
    assert other.resolve(subject(team="cc1"), TODAY).scope == "defaults"


@pytest.mark.parametrize("today, active", [(date(2026, 12, 31), True), (date(2027, 1, 1), False)])
def test_exemption_applies_until_its_expiry_date_inclusive(today, active):
    (exemption,) = POLICY.resolve(subject(name="bench-lr"), today).exemptions
    assert exemption.name == "linear-benchmark" and exemption.active is active
    assert ("EXPIRED" in exemption.describe()) is not active


def test_exemption_by_principal_matches_the_role():
    (exemption,) = POLICY.resolve(subject(role="arn:aws:iam::123456789012:role/LegacyTrainer"), TODAY).exemptions
    assert exemption.name == "old-waiver" and not exemption.active


def test_self_exemption_counts_only_listed_tag_values():
    assert POLICY.resolve(subject(tags={"guardrail-exempt": "yes please"}), TODAY).exemptions == ()
    (tagged,) = POLICY.resolve(subject(tags={"guardrail-exempt": "CHG-1234"}), TODAY).exemptions
    assert tagged.active and tagged.rules == ()


def test_self_exemption_is_off_by_default():
    default = parse_policy("")
    assert default.resolve(subject(tags={"hpo-guardrail-exempt": "anything"}), TODAY).exemptions == ()


def linear_lr_request(name: str, team: str | None = None) -> dict:
    return tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        tags={"team": team} if team else None,
    )


def test_an_active_exemption_sets_findings_aside_and_the_decision_ignores_them():
    request = read_request(linear_lr_request("bench-linear"))
    evaluation, decision = assess(request, POLICY, today=TODAY, base=Overrides(mode=Mode.ENFORCE))
    assert "log-scale" not in evaluation.rule_ids
    assert [(s.finding.rule, s.exemption) for s in evaluation.suppressed] == [("log-scale", "linear-benchmark")]
    assert decision.action.value == "notify", "budget-cap is not exempted, but the job is no longer misconfigured"


def test_an_expired_exemption_no_longer_sets_anything_aside():
    request = read_request(linear_lr_request("bench-linear"))
    evaluation, decision = assess(request, POLICY, today=date(2027, 2, 1), base=Overrides(mode=Mode.ENFORCE))
    assert "log-scale" in evaluation.rule_ids and evaluation.suppressed == ()
    assert decision.action.value == "stop"


def test_scope_mode_drives_the_decision():
    request = read_request(linear_lr_request("sweep", team="nlp"))
    evaluation, decision = assess(request, POLICY, today=TODAY, base=Overrides(mode=Mode.MONITOR))
    assert decision.mode is Mode.ENFORCE and decision.action.value == "stop"
    assert evaluation.policy.version == POLICY.content_hash
