"""The emulator's policy evaluation: the set qualifiers ForAllValues and ForAnyValue (an event bus policy
of the central stack narrows events:source with ForAllValues:StringEquals)."""

from __future__ import annotations

from hpo_guardrail.embedded.moto_extensions.principals import ConditionContext, Principal, evaluate

BUS = "arn:aws:events:us-east-1:111111111111:event-bus/central"
SENDER = Principal(arn="arn:aws:iam::222222222222:role/forwarder", account_id="222222222222")


def _policy(operator: str, key: str, values: list[str]) -> dict:
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "events:PutEvents",
        "Resource": BUS,
        "Condition": {operator: {key: values}},
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def _allowed(policy: dict, **extra: str) -> bool:
    return evaluate(policy, "events:PutEvents", BUS, ConditionContext(SENDER, extra)).allowed


def test_for_all_values_admits_a_source_in_the_list_and_refuses_another():
    policy = _policy("ForAllValues:StringEquals", "events:source", ["aws.sagemaker"])
    assert _allowed(policy, **{"events:source": "aws.sagemaker"})
    assert not _allowed(policy, **{"events:source": "com.example.forged"})


def test_for_all_values_holds_for_a_key_without_values_as_in_iam():
    assert _allowed(_policy("ForAllValues:StringEquals", "events:source", ["aws.sagemaker"]))


def test_for_any_value_needs_a_matching_value():
    policy = _policy("ForAnyValue:StringLike", "events:source", ["aws.*"])
    assert _allowed(policy, **{"events:source": "aws.sagemaker"})
    assert not _allowed(policy, **{"events:source": "custom"})
    assert not _allowed(policy)


def test_a_negated_operator_under_a_set_qualifier_is_refused_rather_than_guessed():
    decision = evaluate(
        _policy("ForAllValues:StringNotEquals", "events:source", ["x"]),
        "events:PutEvents",
        BUS,
        ConditionContext(SENDER, {"events:source": "aws.sagemaker"}),
    )
    assert not decision.allowed and "cannot evaluate the condition operator" in decision.reason


# --- wildcards as IAM reads them ----------------------------------------------------------------------------

FORWARDER_RULES = "arn:aws:events:*:*:rule/HpoGuardrailForwarder"


def test_arn_like_admits_the_forwarder_rule_of_any_account_and_region():
    policy = _policy("ArnLike", "aws:SourceArn", [FORWARDER_RULES])
    assert _allowed(policy, **{"aws:SourceArn": "arn:aws:events:eu-west-1:222222222222:rule/HpoGuardrailForwarder"})


def test_arn_like_refuses_another_rule_name_and_a_rule_on_a_custom_bus():
    policy = _policy("ArnLike", "aws:SourceArn", [FORWARDER_RULES])
    assert not _allowed(policy, **{"aws:SourceArn": "arn:aws:events:eu-west-1:222222222222:rule/Other"})
    # A rule on a custom bus has the bus in its ARN: rule/<bus>/<name>, not the default bus's rule.
    custom = "arn:aws:events:eu-west-1:222222222222:rule/bus/HpoGuardrailForwarder"
    assert not _allowed(policy, **{"aws:SourceArn": custom})


def test_an_arn_wildcard_does_not_reach_across_a_colon_into_the_next_component():
    """fnmatch would let `*` in the region swallow "eu-west-1:222222222222"; IAM checks each component."""
    policy = _policy("ArnLike", "aws:SourceArn", ["arn:aws:events:*:rule/HpoGuardrailForwarder"])
    assert not _allowed(policy, **{"aws:SourceArn": "arn:aws:events:eu-west-1:222222222222:rule/HpoGuardrailForwarder"})


def test_brackets_are_plain_characters_in_iam_wildcards():
    """fnmatch reads [ab] as a character class; IAM has none."""
    policy = _policy("StringLike", "aws:PrincipalTag/team", ["[ab]"])
    assert _allowed(policy, **{"aws:PrincipalTag/team": "[ab]"})
    assert not _allowed(policy, **{"aws:PrincipalTag/team": "a"})


def test_a_question_mark_is_exactly_one_character():
    policy = _policy("StringLike", "events:source", ["aws.sagemake?"])
    assert _allowed(policy, **{"events:source": "aws.sagemaker"})
    assert not _allowed(policy, **{"events:source": "aws.sagemakers"})
