"""One boundary for "costly": strictly above the cap, for the budget-cap rule and the decision alike."""

from __future__ import annotations

import pytest

from rules.cost import over_cap
from rules.decision import Action, decide
from rules.policy import Mode, Policy
from tests.builders import continuous, training_definition, tuning_request
from tests.unit.rules_harness import run_engine

WORST_CASE = 4.60  # 20 training jobs of ml.m5.xlarge ($0.23/h) for 1 h each


def linear_learning_rate_job() -> dict:
    """Misconfigured (log-scale), so in enforce mode only the cost decides whether it is stopped."""
    return tuning_request(
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=20,
        definition=training_definition("ml.m5.xlarge", 1, 3600),
    )


def test_over_cap_is_strictly_above():
    assert not over_cap(1000.0, 1000.0)
    assert over_cap(1000.01, 1000.0)
    assert not over_cap(999.99, 1000.0)


def test_a_job_exactly_at_the_cap_is_neither_flagged_nor_stopped():
    evaluation = run_engine(linear_learning_rate_job(), Policy(budget_cap_usd=WORST_CASE, mode=Mode.ENFORCE))
    assert evaluation.cost.worst_case_usd == WORST_CASE
    decision = decide(evaluation)
    assert "budget-cap" not in evaluation.rule_ids
    assert not decision.costly and decision.action is Action.NOTIFY
    assert f"worst case ${WORST_CASE:,.2f} = cap ${WORST_CASE:,.2f} (costly only above it)" in decision.reason


def test_a_job_just_above_the_cap_is_both_flagged_and_stopped():
    evaluation = run_engine(linear_learning_rate_job(), Policy(budget_cap_usd=WORST_CASE - 0.01, mode=Mode.ENFORCE))
    decision = decide(evaluation)
    assert "budget-cap" in evaluation.rule_ids
    assert decision.costly and decision.action is Action.STOP
    assert "worst case $4.60 > cap $4.59" in decision.reason


@pytest.mark.parametrize("cap", [0.0, 1.0, 4.59, 4.6, 4.61, 1000.0])
def test_the_rule_and_the_decision_agree_at_every_cap(cap):
    evaluation = run_engine(linear_learning_rate_job(), Policy(budget_cap_usd=cap))
    assert ("budget-cap" in evaluation.rule_ids) is decide(evaluation).costly


def test_log_scale_raises_its_severity_only_above_the_cap_too():
    def severity(cap: float):
        evaluation = run_engine(linear_learning_rate_job(), Policy(budget_cap_usd=cap))
        (finding,) = [f for f in evaluation.findings if f.rule == "log-scale"]
        return finding.severity

    at_the_cap, under_it = severity(WORST_CASE), severity(WORST_CASE - 0.01)
    assert at_the_cap == severity(WORST_CASE + 1.0), "at the cap is not costly: no raise"
    assert under_it.rank == at_the_cap.rank + 1, "just above the cap the job is costly: one level up"
