"""The decision table: notify on a finding that reaches the notify threshold, stop only when enforcing a costly
misconfigured job (the boundary of "costly" is in test_cost_boundary.py)."""

from __future__ import annotations

import pytest

from rules.decision import Action, decide
from rules.policy import Mode, Policy
from tests.builders import continuous, training_definition, tuning_request
from tests.unit.rules_harness import run_engine

CHEAP = 20  # jobs of ml.m5.xlarge for 1 h: $4.60
COSTLY = 2000  # $460.00


def request(jobs: int, misconfigured: bool) -> dict:
    scaling = "Linear" if misconfigured else "Logarithmic"
    return tuning_request(
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", scaling)],
        max_jobs=jobs,
        definition=training_definition("ml.m5.xlarge", 1, 3600),
    )


@pytest.mark.parametrize(
    "jobs, misconfigured, mode, action",
    [
        (CHEAP, False, Mode.ENFORCE, Action.NONE),
        (CHEAP, True, Mode.ENFORCE, Action.NOTIFY),
        (COSTLY, False, Mode.ENFORCE, Action.NOTIFY),
        (COSTLY, True, Mode.ENFORCE, Action.STOP),
        (COSTLY, True, Mode.MONITOR, Action.NOTIFY),
        (CHEAP, False, Mode.MONITOR, Action.NONE),
    ],
)
def test_decision_table(jobs, misconfigured, mode, action):
    evaluation = run_engine(request(jobs, misconfigured), Policy(budget_cap_usd=100))
    assert decide(evaluation, mode).action is action


def test_monitor_mode_says_it_would_stop():
    decision = decide(run_engine(request(COSTLY, True), Policy(budget_cap_usd=100)), Mode.MONITOR)
    assert "would stop in enforce mode" in decision.reason


def test_budget_and_price_findings_alone_do_not_make_a_job_misconfigured():
    evaluation = run_engine(
        tuning_request(max_jobs=COSTLY, definition=training_definition("ml.p5.48xlarge", 1, 3600)),
        Policy(budget_cap_usd=0),
    )
    assert set(evaluation.rule_ids) == {"unknown-price", "early-stopping"}
    assert decide(evaluation, Mode.ENFORCE).action is Action.NOTIFY


def test_findings_are_ordered_most_severe_first():
    evaluation = run_engine(request(COSTLY * 10, True), Policy(budget_cap_usd=100))
    assert [f.rule for f in evaluation.findings] == ["budget-cap", "log-scale", "early-stopping", "spot"]
    assert evaluation.severity.value == "critical"


def test_the_stop_set_is_the_catalogues_misconfiguration_rules():
    from rules.checks import all_rules
    from rules.decision import MISCONFIGURATION_RULES
    from rules.rule import Category

    declared = {rule.id for rule in all_rules() if rule.category is Category.MISCONFIGURATION}
    assert MISCONFIGURATION_RULES == declared == {"log-scale", "positive-min"}


def unpriced_linear_lr_job() -> dict:
    from tests.builders import continuous

    return tuning_request(
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=10,
        definition=training_definition("ml.p5en.48xlarge", 1, 3600),
    )


@pytest.mark.parametrize(
    "policy, action",
    [
        (Policy(unknown_price="assume-costly"), Action.STOP),
        (Policy(unknown_price="by-family"), Action.STOP),
        (Policy(unknown_price="lower-bound"), Action.NOTIFY),
        (Policy(rule_settings={"unknown-price": {"enabled": False}}), Action.NOTIFY),
    ],
)
def test_an_unknown_price_counts_as_costly_only_as_the_policy_says(policy, action):
    decision = decide(run_engine(unpriced_linear_lr_job(), policy), Mode.ENFORCE)
    assert decision.action is action
    assert ("treated as costly" in decision.reason) is (action is Action.STOP)
