"""What a dead-letter queue holds is not trusted: it never chooses which function the operator's credentials
invoke when the stack is given, and it reaches the terminal only as visible text."""

from __future__ import annotations

from datetime import UTC, datetime

from hpo_guardrail.adapters.sqs import DeadLetter
from hpo_guardrail.cli.redrive import _table, _target

STACK_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:hpo-guardrail-GuardrailFunction-abc"
OTHER = "arn:aws:lambda:us-east-1:123456789012:function:someone-elses-function"


def test_with_a_stack_only_its_function_is_invoked():
    assert _target(None, STACK_FUNCTION, STACK_FUNCTION) == (STACK_FUNCTION, "")
    assert _target(None, STACK_FUNCTION, None) == (STACK_FUNCTION, "")
    function, refused = _target(None, STACK_FUNCTION, OTHER)
    assert function is None and "someone-elses-function" in refused and "not the stack's" in refused


def test_an_explicit_function_wins_and_without_a_stack_the_message_names_it():
    assert _target(OTHER, STACK_FUNCTION, STACK_FUNCTION) == (OTHER, "")
    assert _target(None, None, OTHER) == (OTHER, "")
    assert _target(None, None, None) == (None, "")


def test_the_list_shows_hostile_text_as_visible_characters_on_one_line():
    now = datetime(2026, 11, 29, tzinfo=UTC)
    letter = DeadLetter(
        message_id="m-1",
        receipt_handle="r",
        kind="EVENTBRIDGE_DEAD_LETTER",
        event={"id": "e", "detail": {"eventID": "evt\x1b[2Jx", "requestParameters": {}}},
        function_arn=None,
        reason="THROTTLING\nforged line\x1b]0;title\x07",
        sent_at=now,
    )
    table = _table([letter], now)
    assert "\x1b" not in table and "\x07" not in table
    assert len(table.splitlines()) == 2  # the heading and one row: no forged line
