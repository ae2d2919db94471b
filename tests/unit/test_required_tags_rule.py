"""required-tags: tag keys the policy requires, missing from the request's Tags."""

from __future__ import annotations

import pytest

from rules.findings import Severity
from rules.policy import Policy
from tests.builders import cloudtrail_casing, tuning_request
from tests.unit.rules_harness import run_rule


def requiring(*keys: str, **extra: object) -> Policy:
    return Policy(rule_settings={"required-tags": {"keys": list(keys), **extra}})


def test_nothing_is_required_by_default():
    assert not run_rule("required-tags", tuning_request())


def test_one_finding_lists_every_missing_key_without_a_patch():
    (finding,) = run_rule("required-tags", tuning_request(), requiring("team", "cost-center"))
    assert finding.severity is Severity.LOW and finding.patch == ()
    assert finding.evidence["missing"] == "team, cost-center" and finding.evidence["missing_count"] == 2
    assert "'team', 'cost-center'" in finding.message
    assert "AddTags" in finding.fix


@pytest.mark.parametrize(
    "tags, missing",
    [
        ({"team": "nlp", "cost-center": "cc-1"}, None),
        ({"team": "nlp"}, "cost-center"),
        ({"cost-center": "cc-1", "owner": "alice"}, "team"),
        ({"Team": "nlp", "cost-center": "cc-1"}, "team"),  # tag keys are case-sensitive
    ],
)
def test_each_required_key_must_be_present(tags, missing):
    findings = run_rule("required-tags", tuning_request(tags=tags), requiring("team", "cost-center"))
    assert [f.evidence["missing"] for f in findings] == ([] if missing is None else [missing])


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_value_counts_as_missing_unless_the_policy_allows_it(value):
    raw = tuning_request(tags={"team": value})
    (finding,) = run_rule("required-tags", raw, requiring("team"))
    assert finding.evidence["missing"] == "team" and "present but empty" in finding.message
    assert not run_rule("required-tags", raw, requiring("team", require_values=False))


def test_cloudtrail_casing_of_tags_is_read():
    raw = cloudtrail_casing(tuning_request(tags={"team": "nlp"}))
    assert not run_rule("required-tags", raw, requiring("team"))


def test_keys_must_be_a_list():
    with pytest.raises(ValueError, match=r"required-tags\.keys"):
        Policy(rule_settings={"required-tags": {"keys": "team"}})
