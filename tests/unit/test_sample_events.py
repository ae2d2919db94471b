"""Every sample in events/ reads and leads to the outcome its name promises (enforce mode, $1000 cap)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from rules.policy import Mode
from tests.unit.fakes import FakeJobs, FakeNotifier

EVENTS = Path(__file__).resolve().parents[2] / "events"

EXPECTED = {
    "01-well-configured.json": ("evaluated", set(), "none"),
    # momentum 0.8 .. 0.99 on a linear scale: reverse-log fires too
    "02-classic-linear-learning-rate.json": ("evaluated", {"log-scale", "reverse-log"}, "notify"),
    "03-auto-scaling-min-zero.json": ("evaluated", {"positive-min"}, "notify"),
    "04-costly-misconfigured.json": (
        "evaluated",
        {"log-scale", "budget-cap", "runtime-unbounded", "early-stopping", "spot"},
        "stop",
    ),
    "05-costly-well-configured.json": ("evaluated", {"budget-cap"}, "notify"),
    "06-failed-call.json": ("skipped", set(), None),
    "07-unrelated-training-job.json": ("skipped", set(), None),
    # p5 has no price anywhere: an accelerated type, so the policy's default treats the job as costly.
    "08-multi-algorithm-unknown-price.json": ("evaluated", {"log-scale", "unknown-price"}, "stop"),
    # Offline the bundled table has no p4d price (the demo's emulator prices it live): costly, well configured.
    "09-live-price-p4d.json": ("evaluated", {"unknown-price"}, "notify"),
    "10-live-price-p4d-from-cache.json": ("evaluated", {"unknown-price"}, "notify"),
}


def test_every_sample_event_has_an_expectation():
    assert sorted(p.name for p in EVENTS.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_event_outcome(name):
    event = json.loads((EVENTS / name).read_text())
    job = event["detail"].get("requestParameters", {}).get("hyperParameterTuningJobName", "")
    service = GuardrailService(Settings(mode=Mode.ENFORCE), FakeJobs({job: "InProgress"}), FakeNotifier())
    outcome = service.handle(event)
    status, rules, decision = EXPECTED[name]
    assert (outcome.status, {f.rule for f in outcome.findings}, outcome.decision) == (status, rules, decision)
