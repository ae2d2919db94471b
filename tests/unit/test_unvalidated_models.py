"""What the parser and the checks build without validating it again (rules/unvalidated.py) is exactly what
pydantic's validation would build from the same values: the same fields in the same order, each of the same type.

If a check put a value of another type into a finding (a list for a tuple, a float where validation makes an
int...), or a model gained a field the unvalidated builders leave out, these tests fail.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from rules.assessment import assess
from rules.checks import rules_by_id
from rules.cost import estimate_cost
from rules.engine import evaluate
from rules.events import read_event
from rules.findings import Finding, PatchOperation, Severity, set_member
from rules.models import TuningJobCall, TuningRequest
from rules.parsing import read_request
from rules.policy import Policy
from rules.policy_file import default_policy
from rules.prices import BundledPrices, bundled_prices
from rules.rule import Category, EvaluationContext, Rule, RuleDoc, RuleSettings
from tests.builders import (
    categorical,
    continuous,
    integer,
    largest_request,
    training_definition,
    tuning_request,
)

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _typed(value: Any) -> Any:
    """A value with the type of every part spelled out, so that 1 and 1.0, or a tuple and a list, differ."""
    if isinstance(value, BaseModel):
        return type(value), tuple((name, _typed(item)) for name, item in value.__dict__.items())
    if isinstance(value, dict):
        return dict, tuple((key, _typed(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return type(value), tuple(_typed(item) for item in value)
    return type(value), value


def _requests() -> list[dict[str, Any]]:
    """Requests that between them make every check speak, through every way a check builds a finding."""
    hyperband = tuning_request(strategy="Hyperband", continuous_ranges=[continuous("lr", "0", "0.1")])
    hyperband["HyperParameterTuningJobConfig"]["StrategyConfig"] = {
        "HyperbandStrategyConfig": {"MinResource": 30_000, "MaxResource": 25_000}
    }
    hyperband["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] = "Auto"
    no_epochs = tuning_request(
        strategy="Hyperband", definition=training_definition(StaticHyperParameters={"depth": "3"})
    )
    misplaced = tuning_request(strategy="Random", continuous_ranges=[continuous("beta", "0.9", "0.999")])
    misplaced["HyperParameterTuningJobConfig"]["StrategyConfig"] = {"HyperbandStrategyConfig": {}}
    return [
        largest_request(),
        hyperband,
        no_epochs,
        misplaced,
        tuning_request(
            strategy="Grid",
            integer_ranges=[integer("depth", "1", "5")],
            categorical_ranges=[categorical("booster", "gbtree", "dart")],
            max_jobs=50,
        ),
        tuning_request(strategy="Grid", categorical_ranges=[categorical("booster", "gbtree", "dart")], max_jobs=1),
        tuning_request(continuous_ranges=[continuous("dropout", "0.1", "0.5")], max_jobs=20, max_parallel=20),
        tuning_request(
            continuous_ranges=[
                continuous("learning_rate", "0.0", "0.1", "Logarithmic"),
                continuous("momentum", "0.5", "1.5", "ReverseLogarithmic"),
                continuous("weight_decay", "0", "0.01", "Auto"),
            ],
            integer_ranges=[integer("layers", "1", "8", "ReverseLogarithmic")],
            definition=training_definition("ml.p4d.24xlarge", 4, 200_000),
            max_jobs=None,
            max_parallel=100,
        ),
        tuning_request(
            definitions=[
                {**training_definition("ml.g5.2xlarge", 1, 90_000), "DefinitionName": "a"},
                {**training_definition("ml.unknown.xlarge", 1, 7200), "DefinitionName": "b"},
            ],
            max_runtime_seconds=3600,
            max_jobs=400,
            max_parallel=4,
        ),
    ]


def _evaluations() -> list[Any]:
    policy = Policy(rule_settings={"required-tags": {"keys": ["team", "cost-centre"]}})
    evaluations = [evaluate(read_request(request), policy, region="eu-south-2") for request in _requests()]
    for path in sorted(EVENTS.glob("*.json")):
        call = read_event(json.loads(path.read_text(encoding="utf-8")))
        if isinstance(call, TuningJobCall):
            evaluations.append(
                assess(call.request, default_policy(), today=date(2026, 11, 30), context=call.context)[0]
            )
    return evaluations


def test_the_requests_make_every_rule_speak():
    spoken = {finding.rule for evaluation in _evaluations() for finding in evaluation.findings}
    assert spoken == set(rules_by_id())


def test_every_finding_is_what_validation_would_build():
    findings = [finding for evaluation in _evaluations() for finding in evaluation.findings]
    assert len(findings) > 200
    for finding in findings:
        twin = Finding.model_validate(finding.model_dump())
        assert _typed(finding) == _typed(twin), finding.rule
        assert finding.doc == rules_by_id()[finding.rule].anchor


def test_every_parsed_request_is_what_validation_would_build():
    for request in [evaluation.request for evaluation in _evaluations()]:
        assert _typed(request) == _typed(TuningRequest.model_validate(request.model_dump()))


def test_a_patch_operation_set_member_builds_is_a_valid_one():
    built = set_member("/TrainingJobDefinition", "StoppingCondition", {"MaxRuntimeInSeconds": 60})
    assert _typed(built) == _typed(
        PatchOperation(op="add", path="/TrainingJobDefinition/StoppingCondition", value={"MaxRuntimeInSeconds": 60})
    )


def test_two_findings_never_share_their_evidence():
    evaluation = evaluate(read_request(_requests()[1]), Policy(), region="us-east-1")
    hyperband = [f for f in evaluation.findings if f.rule == "hyperband-config"]
    assert len(hyperband) >= 2
    assert hyperband[0].evidence == hyperband[1].evidence
    assert hyperband[0].evidence is not hyperband[1].evidence


def test_a_severity_the_policy_fixes_replaces_the_checks_own():
    policy = Policy(rule_settings={"log-scale": {"severity": "info"}})
    evaluation = evaluate(read_request(largest_request()), policy, region="us-east-1")
    graded = [f for f in evaluation.findings if f.rule == "log-scale"]
    assert graded and {f.severity for f in graded} == {Severity.INFO}
    assert {f.doc for f in graded} == {rules_by_id()["log-scale"].anchor}


@pytest.mark.parametrize("severity", [None, Severity.CRITICAL])
def test_a_check_that_builds_its_finding_itself_still_gets_the_link_and_the_severity(severity):
    def check(request: TuningRequest, context: EvaluationContext[RuleSettings]) -> list[Finding]:
        return [Finding(rule="home-made", severity=Severity.LOW, message="m", fix="f")]

    rule = Rule(
        id="home-made",
        title="A rule built outside the catalogue",
        check=check,
        category=Category.HYGIENE,
        doc=RuleDoc(checks="c", why="w", example="e", fix="f"),
        settings=RuleSettings,
    )

    class _Policy(Policy):
        def settings_of(self, rule_id: str) -> RuleSettings | None:
            return RuleSettings(severity=severity) if rule_id == "home-made" else None

    request = read_request(tuning_request())
    cost = estimate_cost(request, BundledPrices(bundled_prices()), "us-east-1", 750)
    (finding,) = rule.run(request, _Policy(), cost)
    assert finding.doc == "docs/rules.md#home-made"
    assert finding.severity is (severity or Severity.LOW)
