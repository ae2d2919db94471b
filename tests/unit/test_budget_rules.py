"""budget-cap and unknown-price."""

from __future__ import annotations

import pytest

from rules.findings import Severity
from rules.policy import Policy
from tests.builders import training_definition, tuning_request
from tests.unit.rules_harness import run_rule


def costing(usd_per_job_hour_jobs: int, instance: str = "ml.m5.xlarge") -> dict:
    return tuning_request(max_jobs=usd_per_job_hour_jobs, definition=training_definition(instance, 1, 3600))


def test_cost_at_the_cap_is_not_over_it():
    # 100 jobs x 1 h x $0.23 = $23.00
    assert not run_rule("budget-cap", costing(100), Policy(budget_cap_usd=23))
    (finding,) = run_rule("budget-cap", costing(100), Policy(budget_cap_usd=22.99))
    assert finding.severity is Severity.HIGH
    assert finding.evidence["worst_case_usd"] == pytest.approx(23.0)
    assert "$23.00" in finding.message and "$22.99" in finding.message


def test_ten_times_the_cap_is_critical():
    (finding,) = run_rule("budget-cap", costing(100), Policy(budget_cap_usd=2.3))
    assert finding.severity is Severity.CRITICAL


def test_fix_says_how_many_jobs_fit():
    (finding,) = run_rule("budget-cap", costing(100), Policy(budget_cap_usd=10))
    assert "MaxNumberOfTrainingJobs to 43 or fewer" in finding.fix


def test_lower_bound_over_the_cap_still_counts_and_says_at_least():
    definition = training_definition("ml.m5.xlarge", 1, 3600)
    definition["ResourceConfig"] = {
        "InstanceGroups": [
            {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "InstanceGroupName": "a"},
            {"InstanceType": "ml.p5.48xlarge", "InstanceCount": 1, "InstanceGroupName": "b"},
        ]
    }
    (finding,) = run_rule("budget-cap", tuning_request(max_jobs=100, definition=definition), Policy(budget_cap_usd=10))
    assert "at least $23.00" in finding.message and finding.evidence["complete"] is False


def test_unknown_price_is_a_finding_never_a_silent_zero():
    (finding,) = run_rule("unknown-price", costing(10, "ml.c4.8xlarge"))
    assert finding.evidence["instance_type"] == "ml.c4.8xlarge"
    assert "lower bound" in finding.message and finding.severity == "medium"


def test_an_unknown_accelerated_price_is_treated_as_costly_by_default():
    (finding,) = run_rule("unknown-price", costing(10, "ml.trn1.32xlarge"))
    assert finding.evidence["treated_as"] == "costly" and finding.severity == "high"
    assert "treated as costly" in finding.message


@pytest.mark.parametrize(
    "setting, instance_type, costly",
    [
        ("assume-costly", "ml.c4.8xlarge", True),
        ("lower-bound", "ml.p5en.48xlarge", False),
        ("by-family", "ml.g6e.48xlarge", True),
        ("by-family", "ml.m4.16xlarge", False),
    ],
)
def test_the_policy_says_how_an_unknown_price_counts(setting, instance_type, costly):
    policy = Policy(unknown_price=setting)
    (finding,) = run_rule("unknown-price", costing(10, instance_type), policy)
    assert finding.evidence["treated_as"] == ("costly" if costly else "lower bound")


def test_known_prices_give_no_unknown_price_finding():
    assert not run_rule("unknown-price", costing(10))
