"""Precedence, shown: built-in defaults < the stack (or the CLI's environment) < the policy's defaults < the
matching scopes, and the effective policy says where each setting came from."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from hpo_guardrail.cli.lint import run_lint
from hpo_guardrail.enforce.evaluator import Evaluator
from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import STACK_PARAMETERS, Settings
from hpo_guardrail.linting.evaluation import cli_evaluator
from hpo_guardrail.linting.inputs import LintOptions
from rules.decision import decide
from rules.models import CallContext
from rules.parsing import read_request
from rules.policy import BaseLayer, Mode, Overrides, Policy, PolicyDocument, Subject
from rules.policy_file import parse_policy
from rules.prices import BundledPrices
from tests.builders import cloudtrail_event, continuous, tuning_request
from tests.unit.fakes import FakeAuditStore, FakeJobs, FakeNotifier

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 1)
POLICY_TEXT = """
version: 1
defaults:
  mode: monitor
  unknown_price: assume-costly
scopes:
  - name: nlp
    match: {teams: [nlp]}
    mode: enforce
    budget_cap_usd: 20000
"""
POLICY = parse_policy(POLICY_TEXT, "policy.yaml")
STACK_ENVIRON = {"GUARDRAIL_MODE": "enforce", "BUDGET_CAP_USD": "500"}
STACK = Settings.from_environ(STACK_ENVIRON)


def subject(team: str | None = None) -> Subject:
    return Subject(job_name="sweep", tags={"team": team} if team else {})


def linear_lr(team: str | None = None) -> dict:
    return tuning_request(
        "sweep",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        tags={"team": team} if team else None,
    )


def test_with_nothing_set_every_setting_is_the_built_in_default():
    policy = PolicyDocument().resolve(subject(), TODAY)
    assert policy.setting_origins() == dict.fromkeys(
        ("mode", "budget_cap_usd", "unknown_price", "notify_min_severity"), "built-in default"
    )
    assert policy.explain("mode") == "mode monitor, from the built-in default"
    assert policy.explain("budget_cap_usd") == "budget cap $1,000.00, from the built-in default"


def test_the_stack_parameters_are_named_in_the_deployed_function():
    policy = PolicyDocument().resolve(subject(), TODAY, STACK.base_layer(deployed=True))
    assert policy.mode is Mode.ENFORCE and policy.budget_cap_usd == 500
    assert policy.origin("mode") == "stack parameter Mode (GUARDRAIL_MODE)"
    assert policy.origin("budget_cap_usd") == "stack parameter BudgetCapUsd (BUDGET_CAP_USD)"
    assert policy.origin("unknown_price") == "built-in default", "the stack does not set it"


def test_the_cli_names_its_callers_environment():
    policy = PolicyDocument().resolve(subject(), TODAY, STACK.base_layer(deployed=False))
    assert policy.origin("mode") == "environment GUARDRAIL_MODE"
    assert policy.explain("budget_cap_usd") == "budget cap $500.00, from the environment BUDGET_CAP_USD"


def test_a_variable_that_is_not_set_is_no_layer():
    base = Settings.from_environ({"GUARDRAIL_MODE": "enforce"}).base_layer(deployed=True)
    policy = PolicyDocument().resolve(subject(), TODAY, base)
    assert policy.origin("mode") == "stack parameter Mode (GUARDRAIL_MODE)"
    assert policy.origin("budget_cap_usd") == "built-in default"
    assert Settings().base_layer(deployed=True) == BaseLayer()


def test_the_policy_defaults_win_over_the_stack():
    policy = POLICY.resolve(subject(), TODAY, STACK.base_layer(deployed=True))
    assert policy.mode is Mode.MONITOR and policy.origin("mode") == "policy defaults"
    assert (
        policy.budget_cap_usd == 500
        and policy.origin("budget_cap_usd") == "stack parameter BudgetCapUsd (BUDGET_CAP_USD)"
    )
    assert policy.explain("unknown_price") == "unknown prices assume-costly, from the policy defaults"


def test_a_matching_scope_wins_over_the_defaults_setting_by_setting():
    policy = POLICY.resolve(subject("nlp"), TODAY, STACK.base_layer(deployed=True))
    assert policy.explain("mode") == "mode enforce, from the policy scope `nlp`"
    assert policy.explain("budget_cap_usd") == "budget cap $20,000.00, from the policy scope `nlp`"
    assert policy.origin("unknown_price") == "policy defaults"
    assert policy.origin("notify_min_severity") == "built-in default"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_TEXT, encoding="utf-8")
    return path


def test_the_decision_says_where_its_mode_came_from(policy_file):
    request = read_request(linear_lr("nlp"))
    evaluator = Evaluator.from_settings(STACK, policies=PolicySource(str(policy_file)), prices=BundledPrices())
    assessment = evaluator.assess(request, CallContext(event_id="evt"))
    assert assessment.decision.mode_words == "mode enforce, from the policy scope `nlp`"
    # A mode forced on decide() is not the policy's, and says no origin.
    assert decide(assessment.evaluation, Mode.MONITOR).mode_words == "mode monitor"


def test_the_function_and_the_cli_label_the_same_variables_differently():
    request, context = read_request(linear_lr()), CallContext(event_id="evt")
    deployed = Evaluator.from_settings(STACK, prices=BundledPrices()).assess(request, context)
    cli = cli_evaluator(policy=None, environ=STACK_ENVIRON, prices=BundledPrices()).assess(request, context)
    assert deployed.decision.mode_origin == "stack parameter Mode (GUARDRAIL_MODE)"
    assert cli.decision.mode_origin == "environment GUARDRAIL_MODE"


def test_the_stack_parameters_named_are_the_ones_the_template_passes():
    template = (ROOT / "template.yaml").read_text(encoding="utf-8")
    variables = Settings.variables()
    for setting, parameter in STACK_PARAMETERS.items():
        assert re.search(rf"^\s+{variables[setting]}: !Ref {parameter}\s*$", template, re.M), setting
        assert re.search(rf"^  {parameter}:\s*$", template, re.M), f"template parameter {parameter}"


def test_a_base_layer_must_say_where_its_values_came_from():
    with pytest.raises(ValidationError, match="without saying where from"):
        BaseLayer(overrides=Overrides(mode=Mode.ENFORCE))
    with pytest.raises(KeyError):
        Policy().origin("max_parallel")


def test_the_audit_record_keeps_each_settings_origin(policy_file):
    audit = FakeAuditStore()
    jobs, policies = FakeJobs({"sweep": "InProgress"}), PolicySource(str(policy_file))
    service = GuardrailService(STACK, jobs, FakeNotifier(), policies, audit)
    service.handle(cloudtrail_event(linear_lr("nlp"), event_id="evt-origins"))
    (record,) = audit.records.values()
    assert record.mode == "enforce" and record.budget_cap_usd == 20000 and record.notify_min_severity == "low"
    assert record.setting_origins == {
        "mode": "policy scope `nlp`",
        "budget_cap_usd": "policy scope `nlp`",
        "unknown_price": "policy defaults",
        "notify_min_severity": "built-in default",
    }


def test_lint_text_and_json_say_where_each_setting_came_from(tmp_path, policy_file):
    (tmp_path / "tuning.json").write_text(json.dumps(linear_lr("nlp")))
    environ = {"GUARDRAIL_MODE": "monitor", "BUDGET_CAP_USD": "700"}
    text = _lint(tmp_path, environ, "text")
    assert "budget cap $20,000.00, from the policy scope `nlp`" in text
    assert "the guardrail would notify (mode enforce, from the policy scope `nlp`)" in text
    (report,) = json.loads(_lint(tmp_path, environ, "json"))
    assert report["decision"]["mode_origin"] == "policy scope `nlp`"
    assert report["settings"]["budget_cap_usd"] == {"value": 20000.0, "origin": "policy scope `nlp`"}
    assert report["settings"]["unknown_price"] == {"value": "assume-costly", "origin": "policy defaults"}
    (tmp_path / "tuning.json").write_text(json.dumps(linear_lr()))
    (report,) = json.loads(_lint(tmp_path, environ, "json"))
    assert report["settings"]["budget_cap_usd"] == {"value": 700.0, "origin": "environment BUDGET_CAP_USD"}


def _lint(folder: Path, environ: dict[str, str], output_format: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    options = LintOptions(
        paths=[str(folder / "tuning.json")],
        policy=str(folder / "policy.yaml"),
        output_format=output_format,
        prices="bundled",
        color="never",
    )
    run_lint(options, stdin=io.StringIO(), stdout=out, stderr=err, environ=environ)
    assert err.getvalue() == ""
    return " ".join(out.getvalue().split()) if output_format == "text" else out.getvalue()
