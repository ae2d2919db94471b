"""A finding's evidence reads as words in an alert, for every rule, including a rule written after this test."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from hpo_guardrail.enforce.evidence import PHRASES, evidence_in_words, key_in_words
from rules.assessment import assess
from rules.events import read_event
from rules.models import TuningJobCall
from rules.policy import Overrides, PolicyDocument
from tests.builders import categorical, continuous, integer, training_definition, tuning_request
from tests.unit.rules_harness import run_engine

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("*.json"))
SNAKE_CASE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")


def sample_findings():
    """Findings of the sample events and of requests made to trip the other rules."""
    findings = []
    for path in EVENTS:
        call = read_event(json.loads(path.read_text(encoding="utf-8")))
        if isinstance(call, TuningJobCall):
            evaluation, _ = assess(
                call.request, PolicyDocument(), today=date(2026, 11, 26), context=call.context, base=Overrides()
            )
            findings += evaluation.findings
    requests = [
        tuning_request(strategy="Grid", continuous_ranges=[continuous("dropout", "0.1", "0.5")], max_jobs=50),
        tuning_request(strategy="Grid", categorical_ranges=[categorical("optimizer", "adam", "sgd")], max_jobs=50),
        tuning_request(max_jobs=100, max_parallel=60, integer_ranges=[integer("batch_size", "0", "512", "Linear")]),
        tuning_request(continuous_ranges=[continuous("momentum", "0.9", "0.999", "Linear")]),
        tuning_request(strategy="Hyperband", continuous_ranges=[continuous("dropout", "0.1", "0.5")]),
        tuning_request(continuous_ranges=[continuous(f"p{i}", "0.1", "0.5") for i in range(31)]),
        tuning_request(definition=training_definition("ml.m5.large", 1, 200_000), max_jobs=500, max_parallel=10),
    ]
    for raw in requests:
        findings += run_engine(raw).findings
    return findings


def test_the_samples_trip_most_rules():
    assert len({f.rule for f in sample_findings()}) >= 10


@pytest.mark.parametrize("finding", sample_findings(), ids=lambda f: f"{f.rule}-{f.parameter or ''}")
def test_every_rules_evidence_reads_as_words(finding):
    words = evidence_in_words(finding.evidence)
    assert words or not any(v is not None for v in finding.evidence.values())
    assert not re.search(r"\w=\S", words), words
    assert not SNAKE_CASE.search(words.replace("learning_rate", "")), words


def test_a_key_no_phrase_knows_still_reads_as_words_with_its_unit():
    words = evidence_in_words(
        {
            "idle_gpu_hours": 36.0,
            "wasted_usd": 1234.5,
            "warm_pool_seconds": 7200,
            "idle_share": 0.25,
            "uses_checkpoints": False,
            "checkpoint_uri": "s3://bucket/ckpt",
            "ignored": None,
        }
    )
    assert words == (
        "idle gpu 36 h; wasted $1,234; warm pool 7,200 s = 2 h; idle 25%; uses checkpoints no; "
        "checkpoint uri s3://bucket/ckpt"
    )


def test_each_key_is_spoken_once_and_the_order_follows_the_phrases():
    words = evidence_in_words({"cap_usd": 1000.0, "worst_case_usd": 12480.0, "job_count": 500, "complete": False})
    assert words == "worst case at least $12,480 against a $1,000 cap; 500 training jobs"


def test_a_phrase_given_a_value_of_an_unexpected_type_falls_back_to_plain_words():
    assert evidence_in_words({"worst_case_usd": "n/a"}) == "worst case n/a"


def test_small_and_large_numbers_read_naturally():
    assert key_in_words("possible_saving_usd", 42.5) == "possible saving $42.50"
    assert key_in_words("max_runtime_seconds", 2_592_000) == "max runtime 2,592,000 s = 720 h (30.0 days)"
    assert key_in_words("trials", 750) == "trials 750"


def test_no_phrase_names_a_key_twice_as_its_trigger():
    triggers = [phrase.keys[0] for phrase in PHRASES]
    assert len(triggers) == len(set(triggers))
