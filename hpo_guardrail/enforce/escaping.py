"""Text from a request, made safe for each place it is shown: one escaper per sink.

A tuning job's name, a hyperparameter's name (SageMaker allows almost any text up to 256 characters) and
a tag's value come from whoever created the job. Put verbatim into a message they could notify a whole
Slack channel (`<!channel>`, `@here`), hide a link behind other text (`<http://x|y>`), close a code span
with a backtick, forge lines in an email, or set a terminal's title and hide text with escape sequences.
`rules/` stays sink-agnostic: it keeps the text as it came, and each writer escapes for its own sink.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the characters that reorder or break lines without being controls:
# line and paragraph separators, and the bidirectional overrides, embeddings and isolates ("Trojan Source").
_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029"
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x1f\x7f\x80-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_LINE_BREAKS = re.compile(f"[{_BREAKS}]+")
# Slack's mrkdwn (and Teams' Markdown, through AWS Chatbot's client-markdown): escape as Slack documents
# (https://api.slack.com/reference/surfaces/formatting#escaping), then replace the formatting characters,
# which Slack cannot escape, by look-alikes. An underscore inside a word formats nothing and stays.
_SLACK_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SLACK_LOOKALIKES = {"`": "\u02cb", "*": "\u2217", "~": "\u223c"}  # modifier grave, asterisk operator, tilde operator
_SLACK_SPECIAL = re.compile(r"[&<>`*~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|@")
_WORD_JOINER = "\u2060"  # invisible; after '@' it keeps "@here", "@channel" and "@user" from being mentions
_FULLWIDTH_LOW_LINE = "\uff3f"

# Terminals: every control character becomes its visible picture (U+2400 block), one character for one,
# so the rich spans that colour a line stay where they were.
_TERMINAL = {code: 0x2400 + code for code in range(0x20)} | {0x7F: 0x2421}
_TERMINAL |= {code: 0xFFFD for code in range(0x80, 0xA0)}
_TERMINAL |= {ord(c): 0xFFFD for c in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}
_TERMINAL |= {ord(c): 0x2424 for c in "\u2028\u2029"}  # shown as the newline picture
_SURROGATES = re.compile("[\ud800-\udfff]")


def plain_text(value: object) -> str:
    """One line of plain text (an email line, an SNS subject): control and direction characters removed,
    line breaks and tabs turned into a space, so a value cannot start a line of its own."""
    return _INVISIBLE.sub("", _LINE_BREAKS.sub(" ", str(value)))


def _slack_character(match: re.Match[str]) -> str:
    character = match.group(0)
    if character == "@":
        return "@" + _WORD_JOINER
    if character == "_":
        return _FULLWIDTH_LOW_LINE
    return _SLACK_ENTITIES.get(character) or _SLACK_LOOKALIKES[character]


def chat_text(value: object) -> str:
    """Text for a Chatbot client-markdown message, shown as written: no markup, links or mentions."""
    return _SLACK_SPECIAL.sub(_slack_character, plain_text(value))


def chat_code(value: object) -> str:
    """Text for inside a `code span` of a Chatbot message: a backtick cannot close the span, and entities,
    links and mentions are neutralised as in chat_text (Slack reads those inside code too)."""
    text = plain_text(value)
    text = "".join(_SLACK_ENTITIES.get(c) or _SLACK_LOOKALIKES.get(c, c) if c in "&<>`" else c for c in text)
    return text.replace("@", "@" + _WORD_JOINER) or " "


def terminal_text(value: str) -> str:
    """A line for a terminal: control characters shown as their pictures (ESC as \u241b), never run, and
    direction overrides shown as \ufffd; the length is unchanged. Lines are split before this is applied."""
    return _SURROGATES.sub("\ufffd", value.translate(_TERMINAL))


def cut(text: str, limit: int, ellipsis: str = "\u2026") -> str:
    """`text` in at most `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - len(ellipsis))] + ellipsis


# Amazon SNS message attribute values: "Name, type, and value must not be empty or null", and a String value
# has the same restrictions as a message body (https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html).
# Delivered to SQS, the characters SQS accepts: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
_NOT_IN_SNS_ATTRIBUTES = re.compile("[\ufffe\uffff]")
ATTRIBUTE_VALUE_LIMIT = 256  # characters; a tag value is at most 256, an ARN is cut (a filter can match its prefix)


def attribute_value(value: object, *, absent: str, limit: int = ATTRIBUTE_VALUE_LIMIT) -> str:
    """A String message attribute value from request text: one line, no control or direction characters, no
    surrounding blanks, at most `limit` characters, and `absent` when nothing is left (SNS refuses empty values).

    Subscription filter policies compare the value exactly, so nothing else is changed: a team tag `nlp` gives
    `nlp`, as the policy's `teams` scopes read it."""
    text = "" if value is None else _NOT_IN_SNS_ATTRIBUTES.sub("", plain_text(value)).strip()
    return text[:limit].rstrip() or absent
