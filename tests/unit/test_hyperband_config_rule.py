"""hyperband-config: StrategyConfig.HyperbandStrategyConfig against the strategy and SageMaker's rules."""

from __future__ import annotations

import jsonpatch
import pytest

from rules.findings import Severity
from rules.parsing import read_request
from rules.policy import Policy
from tests.builders import cloudtrail_casing, training_definition, tuning_request
from tests.unit.rules_harness import run_rule


def job(strategy: str = "Hyperband", config: dict | None = None, static: dict | None = None) -> dict:
    """The builder's training definition has StaticHyperParameters {"epochs": "10"} unless `static` replaces it."""
    definition = training_definition() if static is None else training_definition(StaticHyperParameters=static)
    raw = tuning_request(strategy=strategy, definition=definition)
    if config is not None:
        raw["HyperParameterTuningJobConfig"]["StrategyConfig"] = {"HyperbandStrategyConfig": config}
    return raw


def test_both_casings_parse_the_strategy_config():
    raw = job(config={"MinResource": 2, "MaxResource": 30})
    for request in (read_request(raw), read_request(cloudtrail_casing(raw))):
        assert request.has_hyperband_config is True
        assert (request.hyperband_min_resource, request.hyperband_max_resource) == (2, 30)
    plain = read_request(job(strategy="Bayesian"))
    assert plain.has_hyperband_config is False and plain.hyperband_max_resource is None


def test_a_good_hyperband_config_is_fine():
    assert not run_rule("hyperband-config", job(config={"MinResource": 1, "MaxResource": 30}))


@pytest.mark.parametrize("strategy", ["Bayesian", "Random", "Grid"])
def test_hyperband_config_under_another_strategy_is_removed(strategy):
    raw = job(strategy=strategy, config={"MinResource": 1, "MaxResource": 30})
    (finding,) = run_rule("hyperband-config", raw)
    assert finding.severity is Severity.LOW and "not documented" in finding.message
    operations = [op.as_json() for op in finding.patch]
    assert operations == [{"op": "remove", "path": "/HyperParameterTuningJobConfig/StrategyConfig"}]
    fixed = jsonpatch.apply_patch(raw, operations)
    assert "StrategyConfig" not in fixed["HyperParameterTuningJobConfig"]
    assert not run_rule("hyperband-config", fixed)


def test_an_empty_hyperband_config_under_another_strategy_counts_too():
    assert run_rule("hyperband-config", job(strategy="Bayesian", config={}))


def test_strategy_config_without_hyperband_config_is_nothing():
    raw = job(strategy="Bayesian")
    raw["HyperParameterTuningJobConfig"]["StrategyConfig"] = {}
    assert not run_rule("hyperband-config", raw)


@pytest.mark.parametrize("low, flagged", [(9, False), (10, False), (11, True)])
def test_min_resource_above_max_resource(low, flagged):
    findings = run_rule("hyperband-config", job(config={"MinResource": low, "MaxResource": 10}))
    assert bool(findings) is flagged
    if flagged:
        (finding,) = findings
        assert finding.severity is Severity.MEDIUM and "inferred" in finding.message and finding.patch == ()


@pytest.mark.parametrize("high, flagged", [(19_999, False), (20_000, False), (20_001, True)])
def test_max_resource_is_at_most_twenty_thousand(high, flagged):
    raw = job(config={"MinResource": 1, "MaxResource": high})
    findings = run_rule("hyperband-config", raw)
    assert bool(findings) is flagged
    if flagged:
        (finding,) = findings
        assert finding.severity is Severity.HIGH
        operations = [op.as_json() for op in finding.patch]
        path = "/HyperParameterTuningJobConfig/StrategyConfig/HyperbandStrategyConfig/MaxResource"
        assert operations == [{"op": "replace", "path": path, "value": 20_000}]
        assert not run_rule("hyperband-config", jsonpatch.apply_patch(raw, operations))


def test_no_clamping_patch_when_min_resource_is_also_too_large():
    findings = run_rule("hyperband-config", job(config={"MinResource": 30_000, "MaxResource": 25_000}))
    assert [f.severity for f in findings] == [Severity.HIGH, Severity.MEDIUM]
    assert all(f.patch == () for f in findings)


@pytest.mark.parametrize("key", ["epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs"])
def test_without_max_resource_sagemaker_reads_the_epochs_and_says_so(key):
    (finding,) = run_rule("hyperband-config", job(static={key: "20"}))
    assert finding.severity is Severity.INFO and finding.evidence["inferred_from"] == key
    assert finding.patch == ()


def test_the_inferred_max_resource_note_can_be_turned_off():
    policy = Policy(rule_settings={"hyperband-config": {"report_inferred_max_resource": False}})
    assert not run_rule("hyperband-config", job(), policy)


@pytest.mark.parametrize("static", [{}, {"Epochs": "10"}, {"max_epochs": "10"}])
@pytest.mark.parametrize("config", [None, {"MinResource": 1}])
def test_without_max_resource_and_without_epochs_sagemaker_refuses(static, config):
    (finding,) = run_rule("hyperband-config", job(config=config, static=static))
    assert finding.severity is Severity.HIGH and "refuses" in finding.message
    assert "MaxResource" in finding.fix and finding.patch == ()


def test_each_definition_needs_its_epochs():
    def definition(name: str, static: dict) -> dict:
        return training_definition(
            DefinitionName=name,
            StaticHyperParameters=static,
            TuningObjective={"Type": "Maximize", "MetricName": "validation:auc"},
        )

    raw = tuning_request(strategy="Hyperband", definitions=[definition("a", {"epochs": "5"}), definition("b", {})])
    (finding,) = run_rule("hyperband-config", raw)
    assert finding.severity is Severity.HIGH and finding.definition == "b"
