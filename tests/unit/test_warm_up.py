"""The before-snapshot warm-up: judges a sample event in memory, makes every client, and leaves no trace."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from hpo_guardrail import composition
from hpo_guardrail.composition import build_service, warm_up
from hpo_guardrail.enforce.policy_source import PolicySource
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.enforce.warm_up import SAMPLE_EVENT, judge_sample
from hpo_guardrail.observability import metrics
from rules.assessment import assess
from rules.events import read_event
from rules.policy_file import default_policy
from rules.prices import BundledPrices
from tests.unit.fakes import FakeAuditStore, FakeJobs, FakeNotifier
from tests.unit.test_function_clients import DEPLOYED, factory

ROOT = Path(__file__).resolve().parents[2]


def test_the_sample_is_the_classic_case_and_its_rules_find_it():
    call = read_event(SAMPLE_EVENT)
    evaluation, _ = assess(call.request, default_policy(), today=date(2026, 11, 30), prices=BundledPrices())
    rules = {finding.rule for finding in evaluation.findings}
    assert "log-scale" in rules, rules  # the linear learning rate: the rules, the cost and the alert all run
    shipped = json.loads((ROOT / "events" / "02-classic-linear-learning-rate.json").read_text())
    assert read_event(shipped).request.ranges()[0][1] == call.request.ranges()[0][1]


def test_judging_the_sample_sends_writes_and_counts_nothing(capsys):
    notifier, audit, jobs = FakeNotifier(), FakeAuditStore(), FakeJobs({})
    service = GuardrailService(Settings(), jobs, notifier, audit=audit)
    metrics.clear_metrics()
    call = judge_sample(service)
    assert call.request.job_name == "warm-up"
    assert notifier.sent == [] and audit.records == {} and jobs.stopped == []
    assert metrics.metric_set == {}, "a warm-up metric would be flushed with the first invocation's"
    assert capsys.readouterr().out == "", "no log line"


def test_a_policy_that_cannot_be_read_does_not_fail_the_snapshot(tmp_path):
    missing = PolicySource(str(tmp_path / "no-such-policy.yaml"))
    service = GuardrailService(Settings(), FakeJobs({}), FakeNotifier(), policies=missing)
    assert judge_sample(service).request.job_name == "warm-up"


def test_warm_up_makes_every_client_the_function_may_need():
    clients, sessions = factory()
    service = build_service(
        {**DEPLOYED, "ORGANIZATION_ID": "o-abc123def4", "MEMBER_ROLE_NAME": "HpoGuardrailMember"}, clients
    )
    warm_up(service, clients)
    made = sorted({(s, r) for s, r, _ in sessions[0].made})
    assert made == [
        ("dynamodb", None),
        ("pricing", "us-east-1"),
        ("sagemaker", "us-east-1"),
        ("sns", None),
        ("sts", None),
    ]


@pytest.mark.parametrize(("task_root", "frozen"), [("/var/task", 1), ("", 0)])
def test_in_lambda_the_start_up_objects_are_frozen_out_of_the_collectors_reach(monkeypatch, task_root, frozen):
    calls: list[str] = []
    monkeypatch.setattr(composition.gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setenv("LAMBDA_TASK_ROOT", task_root)
    monkeypatch.setattr(composition, "FunctionClients", lambda: factory()[0])
    composition.build_lambda_service(DEPLOYED)
    assert len(calls) == frozen
