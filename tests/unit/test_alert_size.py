"""Every alert fits the documented limits of Chatbot, Slack, Teams and SNS, however many findings or long names."""

from __future__ import annotations

import json

import pytest

from hpo_guardrail.enforce import alerts
from hpo_guardrail.enforce.alerts import compose_alert
from rules.decision import decide
from rules.parsing import read_cloudtrail_record
from rules.policy import Mode, Policy
from tests.builders import cloudtrail_event, continuous, integer, training_definition, tuning_request
from tests.unit.rules_harness import run_engine


def alert_for(raw: dict):
    call = read_cloudtrail_record(cloudtrail_event(raw, event_id="evt-big")["detail"])
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000))
    return evaluation, compose_alert(call.context, evaluation, decide(evaluation, Mode.ENFORCE), None, "us-east-1")


def thirty_misconfigured_ranges(name_length: int = 20) -> dict:
    ranges = [continuous(f"learning_rate_{i}".ljust(name_length, "x"), "0.000001", "1.0", "Linear") for i in range(20)]
    ranges += [continuous(f"weight_decay_{i}".ljust(name_length, "x"), "0", "0.1", "Logarithmic") for i in range(10)]
    return tuning_request(
        "wide-sweep",
        continuous_ranges=ranges,
        integer_ranges=[integer(f"batch_size_{i}".ljust(name_length, "x"), "1", "4096", "Linear") for i in range(30)],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
    )


def sns_message_bytes(alert) -> int:
    """As adapters/sns.py publishes it: JSON with a body per protocol, plus subject and attributes."""
    message = json.dumps({"default": json.dumps(alert.chatbot), "email": alert.email})
    return len(message.encode()) + len(alert.subject.encode()) + len(json.dumps(alert.attributes).encode())


@pytest.mark.parametrize("name_length", [20, 256])
def test_thirty_misconfigured_ranges_give_an_alert_within_every_limit(name_length):
    evaluation, alert = alert_for(thirty_misconfigured_ranges(name_length))
    content = alert.chatbot["content"]
    assert len(evaluation.findings) > 30
    assert len(content["description"]) <= alerts.CHATBOT_DESCRIPTION_LIMIT
    assert len(content["description"]) <= alerts.SLACK_SECTION_TEXT_LIMIT
    assert len(content["title"]) <= alerts.SLACK_HEADER_TEXT_LIMIT
    assert len(content["nextSteps"]) <= alerts.NEXT_STEPS_SHOWN
    shown = len(content["title"]) + len(content["description"]) + sum(len(s) for s in content["nextSteps"])
    assert shown <= alerts.SLACK_RECOMMENDED_MESSAGE_LIMIT
    assert alerts.chatbot_size(alert.chatbot) <= alerts.TEAMS_MESSAGE_BYTES
    assert sns_message_bytes(alert) <= alerts.SNS_MESSAGE_BYTES


def test_the_most_severe_findings_are_shown_in_full_and_the_rest_counted_by_rule():
    evaluation, alert = alert_for(thirty_misconfigured_ranges())
    description = alert.chatbot["content"]["description"]
    bullets = [line for line in description.splitlines() if line.startswith("- ")]
    assert 0 < len(bullets) < len(evaluation.findings)
    most_severe = max(evaluation.findings, key=lambda f: f.severity.rank)
    assert bullets[0].startswith(f"- *{most_severe.severity.value.upper()}*")
    ranks = [
        next(f.severity.rank for f in evaluation.findings if f"*{f.severity.value.upper()}*" in b) for b in bullets
    ]
    assert ranks == sorted(ranks, reverse=True)
    hidden = len(evaluation.findings) - len(bullets)
    assert f"and {hidden} more findings: " in description
    assert "log-scale" in description.split(f"and {hidden} more findings: ")[1]


def test_the_email_keeps_every_finding():
    evaluation, alert = alert_for(thirty_misconfigured_ranges())
    assert f"Findings ({len(evaluation.findings)}):" in alert.email
    for number in range(1, len(evaluation.findings) + 1):
        assert f"\n{number}. [" in alert.email


def test_an_email_too_large_for_sns_is_cut_with_a_note():
    huge = [continuous("x" * 256 + str(i), "0.000001", "1.0", "Linear") for i in range(30)]
    raw = tuning_request(
        "huge",
        continuous_ranges=huge,
        definitions=[
            training_definition(DefinitionName=f"d{i}", HyperParameterRanges={"ContinuousParameterRanges": huge})
            for i in range(10)
        ],
    )
    _, alert = alert_for(raw)
    assert sns_message_bytes(alert) <= alerts.SNS_MESSAGE_BYTES
    assert len(alert.email.encode()) <= alerts.EMAIL_BUDGET_BYTES
