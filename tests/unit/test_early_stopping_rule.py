"""early-stopping: Off on a large budget, and anything but Off under Hyperband."""

from __future__ import annotations

import jsonpatch
import pytest

from rules.findings import Severity
from rules.policy import Policy
from tests.builders import training_definition, tuning_request
from tests.unit.rules_harness import run_rule

PATH = "/HyperParameterTuningJobConfig/TrainingJobEarlyStoppingType"
BY_COST_ONLY = {"min_training_jobs": None}


def job(
    max_jobs: int = 20, strategy: str = "Bayesian", early: str | None = None, instance: str = "ml.m5.xlarge"
) -> dict:
    """Each training job costs $0.23 (ml.m5.xlarge for 1 h) unless another instance type is given."""
    raw = tuning_request(strategy=strategy, max_jobs=max_jobs, definition=training_definition(instance, 1, 3600))
    if early is not None:
        raw["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] = early
    return raw


@pytest.mark.parametrize("early", ["Auto", "AUTO"])
def test_hyperband_needs_off(early):
    raw = job(strategy="Hyperband", early=early)
    (finding,) = run_rule("early-stopping", raw)
    assert finding.severity is Severity.HIGH and "refuses" in finding.message
    operations = [op.as_json() for op in finding.patch]
    assert operations == [{"op": "add", "path": PATH, "value": "Off"}]
    assert not run_rule("early-stopping", jsonpatch.apply_patch(raw, operations))


def test_hyperband_with_off_is_never_told_to_use_auto():
    assert not run_rule("early-stopping", job(max_jobs=5000, strategy="Hyperband", early="Off"))


@pytest.mark.parametrize("jobs, flagged", [(99, False), (100, True), (101, True)])
def test_off_from_one_hundred_training_jobs(jobs, flagged):
    assert bool(run_rule("early-stopping", job(jobs))) is flagged


def test_patch_turns_auto_on():
    raw = job(100)
    (finding,) = run_rule("early-stopping", raw)
    assert finding.severity is Severity.LOW and "100 training jobs" in finding.message
    operations = [op.as_json() for op in finding.patch]
    assert operations == [{"op": "add", "path": PATH, "value": "Auto"}]
    assert not run_rule("early-stopping", jsonpatch.apply_patch(raw, operations))
    assert "objective metric after every epoch" in finding.fix


@pytest.mark.parametrize("cap, flagged", [(23.02, False), (23.0, True), (22.0, True)])
def test_off_from_half_the_cap_in_worst_case_cost(cap, flagged):
    # 50 jobs x $0.23 = $11.50; half the cap reaches it from a cap of $23.00 down.
    policy = Policy(budget_cap_usd=cap, rule_settings={"early-stopping": BY_COST_ONLY})
    findings = run_rule("early-stopping", job(50), policy)
    assert bool(findings) is flagged
    if flagged:
        assert findings[0].evidence["worst_case_usd"] == pytest.approx(11.5)


def test_both_thresholds_can_be_turned_off():
    policy = Policy(
        budget_cap_usd=1, rule_settings={"early-stopping": {"min_training_jobs": None, "min_cap_share": None}}
    )
    assert not run_rule("early-stopping", job(5000), policy)


def test_an_unpriced_job_is_not_costly_even_with_a_zero_cap():
    policy = Policy(budget_cap_usd=0, rule_settings={"early-stopping": BY_COST_ONLY})
    assert not run_rule("early-stopping", job(50, instance="ml.p5.48xlarge"), policy)


@pytest.mark.parametrize("strategy", ["Bayesian", "Random"])
def test_auto_already_set_is_fine(strategy):
    assert not run_rule("early-stopping", job(500, strategy=strategy, early="Auto"))


def test_grid_is_left_out_unless_the_policy_adds_it():
    assert not run_rule("early-stopping", job(500, strategy="Grid"))
    policy = Policy(rule_settings={"early-stopping": {"strategies": ["Bayesian", "Random", "Grid"]}})
    assert run_rule("early-stopping", job(500, strategy="Grid"), policy)
