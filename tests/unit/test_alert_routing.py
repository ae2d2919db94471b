"""Alerts reach the owner: every alert carries team, account, principal and role attributes that a subscription
filter policy can route on, and values from the event stay within what SNS accepts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_guardrail.adapters.sns import message_attributes
from hpo_guardrail.enforce import alerts
from hpo_guardrail.enforce.alerts import compose_alert, role_name
from hpo_guardrail.enforce.escaping import ATTRIBUTE_VALUE_LIMIT, attribute_value
from hpo_guardrail.enforce.outcome import StopOutcome, StopResult
from rules.decision import decide
from rules.models import CallContext
from rules.parsing import read_cloudtrail_record
from rules.policy import Mode, Policy
from tests.builders import ACCOUNT, PRINCIPAL, cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.rules_harness import run_engine

STOPPED = StopOutcome(result=StopResult.STOPPED, status_before="InProgress")


def costly_evaluation(tags: dict[str, str] | None = None):
    raw = tuning_request(
        "resnet-sweep",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        tags=tags,
    )
    call = read_cloudtrail_record(cloudtrail_event(raw, event_id="evt-7")["detail"])
    return call.context, run_engine(raw, Policy(budget_cap_usd=1000))


def test_an_alert_names_the_team_account_principal_and_role_of_the_job():
    context, evaluation = costly_evaluation(tags={"team": "nlp"})

    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1", team="nlp")

    assert alert.attributes == {
        "severity": "critical",
        "action": "stop",
        "rules": ["log-scale", "budget-cap", "early-stopping", "spot"],
        "team": "nlp",
        "account": ACCOUNT,
        "principal": PRINCIPAL,
        "role": "DataScientist",
    }
    assert "Team:        nlp" in alert.email
    assert "*Team:* nlp" in alert.chatbot["content"]["description"]
    assert alert.chatbot["metadata"]["additionalContext"]["team"] == "nlp"


def test_a_job_without_a_team_tag_is_routed_as_team_none():
    context, evaluation = costly_evaluation()
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.MONITOR), None, "us-east-1")
    assert alert.attributes["team"] == "none"
    assert "Team:        none (no team tag)" in alert.email


def test_a_call_with_no_identity_still_gives_every_attribute_a_value():
    _, evaluation = costly_evaluation()
    alert = compose_alert(CallContext(event_id="e"), evaluation, decide(evaluation, Mode.MONITOR), None, "us-east-1")
    assert {name: alert.attributes[name] for name in ("team", "account", "principal", "role")} == {
        "team": "none",
        "account": "unknown",
        "principal": "unknown",
        "role": "none",
    }


def test_an_alert_stays_within_the_attributes_an_sqs_raw_delivery_takes():
    context, evaluation = costly_evaluation(tags={"team": "nlp"})
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1", team="nlp")
    assert len(alert.attributes) <= alerts.SNS_RAW_DELIVERY_ATTRIBUTES


@pytest.mark.parametrize(
    ("role_arn", "name"),
    [
        ("arn:aws:iam::123456789012:role/DataScientist", "DataScientist"),
        ("arn:aws:iam::123456789012:role/service-role/teams/nlp/Trainer", "Trainer"),
        ("arn:aws:iam::123456789012:user/alice", None),
        (None, None),
        ("arn:aws:iam::123456789012:role/", None),
    ],
)
def test_the_role_attribute_is_the_roles_name(role_arn, name):
    assert role_name(role_arn) == name


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("nlp\n", "nlp"),  # a trailing line break would make a value no filter policy matches
        ("  nlp  ", "nlp"),
        ("nl\x00p\x1b[31m", "nlp[31m"),
        ("nlp\u202e", "nlp"),  # a direction override
        ("\n\t \u2028", "none"),  # nothing left: SNS refuses an empty value
        ("", "none"),
        ("\ufffe\uffff", "none"),  # not characters at all: SNS (and SQS) refuse them
        ("x" * 5000, "x" * ATTRIBUTE_VALUE_LIMIT),
        ('["payments"]', '["payments"]'),  # a String is compared as it is, never read as a list
    ],
)
def test_hostile_team_values_become_valid_sns_attribute_values(hostile, expected):
    context, evaluation = costly_evaluation(tags={"team": hostile})
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), None, "us-east-1", team=hostile)
    assert alert.attributes["team"] == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600))
def test_any_text_gives_a_nonempty_bounded_attribute_value_of_allowed_characters(text):
    value = attribute_value(text, absent="none")
    assert value and value == value.strip()
    assert len(value) <= ATTRIBUTE_VALUE_LIMIT
    assert all(_allowed(c) for c in value), repr(value)
    value.encode("utf-8")  # no lone surrogate


def _allowed(character: str) -> bool:
    code = ord(character)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


def test_attributes_go_to_sns_as_strings_and_the_rules_as_a_string_array():
    context, evaluation = costly_evaluation(tags={"team": "nlp"})
    alert = compose_alert(context, evaluation, decide(evaluation, Mode.ENFORCE), STOPPED, "us-east-1", team="nlp")
    published = message_attributes(alert.attributes)
    assert published["team"] == {"DataType": "String", "StringValue": "nlp"}
    assert published["principal"] == {"DataType": "String", "StringValue": PRINCIPAL}
    assert published["rules"]["DataType"] == "String.Array"
    assert json.loads(published["rules"]["StringValue"]) == list(evaluation.rule_ids)
    assert all(value["StringValue"] for value in published.values())


def test_an_empty_attribute_value_is_left_out_rather_than_refused_by_sns():
    published = message_attributes({"team": "", "action": "stop", "rules": []})
    assert published == {
        "action": {"DataType": "String", "StringValue": "stop"},
        "rules": {"DataType": "String.Array", "StringValue": "[]"},
    }
