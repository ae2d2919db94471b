"""`hpo-guardrail sandbox`'s helpers refuse what they cannot do in one line, before any AWS call; the walk-through
test (tests/e2e/test_operations_walkthrough.py) runs them against a real sandbox."""

from __future__ import annotations

import pytest

from hpo_guardrail.cli import main


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("team=nlp", "--filter-policy is not JSON"),
        ('["nlp"]', "must be a JSON object"),
        ("{}", "must be a JSON object"),
    ],
)
def test_a_filter_policy_that_is_no_json_object_is_refused(capsys, policy, message):
    assert main(["sandbox", "subscribe-queue", "nlp-alerts", "--filter-policy", policy]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["sandbox", "subscribe-queue", "nlp-alerts", "--filter-policy", '{"team": ["nlp"]}'],
        ["sandbox", "receive", "nlp-alerts"],
        ["sandbox", "deliver", "events/04-costly-misconfigured.json"],
    ],
)
def test_without_a_sandbox_each_helper_says_how_to_start_one(capsys, monkeypatch, argv):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert main(argv) == 2
    assert "start `hpo-guardrail sandbox`" in capsys.readouterr().err


def test_the_helpers_talk_only_to_this_machine(capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://sqs.eu-west-1.amazonaws.com")
    assert main(["sandbox", "receive", "nlp-alerts"]) == 2
    assert "not the sandbox on this machine" in capsys.readouterr().err
