"""Text from a request reaches each sink as text: no Slack markup or mentions, no forged email lines, no
terminal escape sequences, no Markdown in the report."""

from __future__ import annotations

import io
import re

from hpo_guardrail.enforce.alerts import compose_alert
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.linting.results import JobReport
from hpo_guardrail.linting.text import render_text
from hpo_guardrail.reporting.render import markdown_text
from rules.decision import decide
from rules.parsing import read_cloudtrail_record
from rules.policy import Mode, Policy
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.unit.rules_harness import run_engine

HOSTILE_PARAMETER = "lr` <!channel> <@U123> <http://evil.example|click> *bold* _it_ ~gone~ @here &amp;"
HOSTILE_JOB = "sweep`<!here>\nAction:      nothing to see\x1b]0;owned\x07\x1b[8m"


def hostile_alert():
    raw = tuning_request(
        HOSTILE_JOB,
        continuous_ranges=[continuous(HOSTILE_PARAMETER, "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p3.2xlarge", 1, 36_000),
    )
    call = read_cloudtrail_record(cloudtrail_event(raw, event_id="evt-hostile")["detail"])
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000))
    return compose_alert(call.context, evaluation, decide(evaluation, Mode.ENFORCE), None, "us-east-1")


def _chat_texts(chatbot: dict) -> list[str]:
    content = chatbot["content"]
    return [content["title"], content["description"], *content["nextSteps"], chatbot["metadata"]["summary"]]


def test_no_slack_markup_or_mention_from_a_name_reaches_the_chat_message():
    for text in _chat_texts(hostile_alert().chatbot):
        assert "<!channel>" not in text and "<!here>" not in text and "<@U123>" not in text
        assert "<http" not in text and "|click>" not in text
        outside_code = re.sub(r"`[^`]*`", "", text)  # inside a code span, * _ ~ are shown as typed
        assert "*bold*" not in outside_code and "_it_" not in outside_code and "~gone~" not in outside_code
        assert not re.search(r"(?<![\w&])@here\b", text), text  # a bare @here notifies the channel
        assert "\x1b" not in text and "\x07" not in text
    assert "&amp;amp;" in hostile_alert().chatbot["content"]["description"]  # '&' itself is escaped


def test_a_backtick_in_a_name_cannot_close_the_code_span():
    description = hostile_alert().chatbot["content"]["description"]
    bullets = [line for line in description.splitlines() if line.startswith("- ")]
    assert bullets
    for line in bullets:
        assert line.count("`") == 2, line  # only the label's own code span


def test_markup_of_our_own_is_kept():
    description = hostile_alert().chatbot["content"]["description"]
    assert "*Action:*" in description and "*Worst-case cost:*" in description


def test_the_email_has_no_control_characters_and_no_forged_lines():
    alert = hostile_alert()
    email = alert.email
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", email)
    assert "\nAction:      nothing to see" not in email
    assert sum(1 for line in email.splitlines() if line.startswith("Action:")) == 1
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", alert.subject)


def test_the_terminal_report_shows_escape_sequences_instead_of_running_them():
    raw = tuning_request(
        "plain-job",
        continuous_ranges=[continuous("lr\x1b]0;owned\x07\x1b[2J\rfake", "0.0001", "1.0", "Linear")],
        max_jobs=100,
    )
    evaluation = run_engine(raw, Policy(budget_cap_usd=1000))
    report = JobReport(
        path="in\x1b[31m.json",
        status=Status.EVALUATED,
        evaluation=evaluation,
        decision=decide(evaluation, Mode.ENFORCE),
    )
    for colour in (False, True):
        stream = io.StringIO()
        render_text([report], stream, colour=colour)
        written = stream.getvalue()
        without_ours = re.sub(r"\x1b\[[0-9;]*m", "", written) if colour else written  # rich's own colours
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", without_ours), repr(without_ours[:400])
        assert "\x1b]0;" not in written and "\x1b[2J" not in written and "\x1b[31m.json" not in written


def test_the_markdown_report_filter_drops_control_characters():
    text = markdown_text("team\x1b[2J\x00x\u202eevil")
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
