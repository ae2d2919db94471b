"""PolicyDocument.resolve shares one effective Policy between the jobs it resolves to the same fields, and only
between those: a job in another scope, under another base layer, with another exemption or on another day (an
expired exemption) gets its own."""

from __future__ import annotations

from datetime import date

from rules import policy as policy_module
from rules.policy import Mode, Overrides, Policy
from tests.unit.test_policy_scopes import POLICY, TODAY, subject


def test_jobs_resolved_to_the_same_fields_share_one_policy():
    first = POLICY.resolve(subject(name="a"), TODAY)
    second = POLICY.resolve(subject(name="b"), TODAY)
    assert first is second
    assert first == Policy(**{name: getattr(first, name) for name in Policy.model_fields})


def test_a_job_in_another_scope_or_under_another_base_gets_its_own_policy():
    plain = POLICY.resolve(subject(), TODAY)
    nlp = POLICY.resolve(subject(team="nlp"), TODAY)
    based = POLICY.resolve(subject(), TODAY, Overrides(mode=Mode.ENFORCE))
    assert nlp.scopes == ("nlp-team",) and nlp.rule_settings == {"log-scale": {"severity": "low"}}
    assert plain.scopes == () and plain.rule_settings == {}
    assert based.mode is Mode.ENFORCE and based.origin("mode") == "deployment setting"
    assert plain.mode is Mode.MONITOR and plain.origin("mode") == "built-in default"
    assert len({id(plain), id(nlp), id(based)}) == 3


def test_an_exemption_that_expired_is_not_served_from_before_its_expiry():
    before = POLICY.resolve(subject(name="bench-1"), date(2026, 12, 31))
    after = POLICY.resolve(subject(name="bench-1"), date(2027, 1, 1))
    assert before.exemption_for("log-scale") is not None
    assert after.exemption_for("log-scale") is None


def test_a_full_cache_is_emptied_and_still_answers_right(monkeypatch):
    monkeypatch.setattr(policy_module, "_EFFECTIVE_POLICIES_MAX", 2)
    caps = [POLICY.resolve(subject(), TODAY, Overrides(budget_cap_usd=cap)) for cap in (1.0, 2.0, 3.0, 1.0)]
    assert [policy.budget_cap_usd for policy in caps] == [500.0] * 4
    modes = [POLICY.resolve(subject(), TODAY, Overrides(mode=mode)) for mode in (*Mode, *Mode)]
    assert [policy.mode for policy in modes] == [*Mode, *Mode]
    assert len(policy_module._EFFECTIVE_POLICIES) <= 2
