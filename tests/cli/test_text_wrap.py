"""The report's wrapping gives textwrap's lines, for the texts a report wraps and for random ones."""

from __future__ import annotations

import random
import textwrap

import pytest

from hpo_guardrail.enforce.escaping import terminal_text
from hpo_guardrail.linting.text import RICH_STRIPPED, Styled, terminal_line, wrap

TEXTS = [
    "fix: Set ScalingType to Logarithmic for 'learning_rate' (its MinValue 0.0001 is already above 0). "
    "(automatic with --fix)",
    "worst case $1,013,472.00 (budget cap $1,000.00, from the built-in default); the guardrail would notify (mode "
    "monitor, from the built-in default): worst case $1,013,472.00 > cap $1,000.00 and misconfigured (log-scale)",
    "price ml.g5.2xlarge $1.515/h, bundled price table (as of 2026-11-26, 4 days ago; public AWS SageMaker pricing "
    "page figures, as collected in the project's domain notes)",
    "a well-known--em-dash, co-operate re-re-entry x-y ab-cd-ef -leading trailing- --double -- spaced",
    "  leading blanks stay on the first line",
    "trailing blanks go   ",
    "",
    "   ",
    "one",
    "a" * 150,
    "tab\there and a line\nbreak",
    "non\u00a0breaking space and \u2003em space",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("width", [20, 60, 94, 100, 120])
def test_wrap_gives_textwraps_lines(text, width):
    for initial, subsequent in (("      ", "      "), ("  ", "      "), ("", "")):
        expected = textwrap.wrap(text, width=width, initial_indent=initial, subsequent_indent=subsequent)
        assert wrap(text, width, initial, subsequent) == expected


def test_wrap_gives_textwraps_lines_for_random_text():
    generator = random.Random(15)
    alphabet = "abcdefghij" * 4 + "ABC0123456789" + "-" * 8 + " " * 12 + ".,;:'\"()$%/<>=_!?\u00e9"
    for number in range(6000):
        text = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 260)))
        if number % 10 == 0:  # now and then a character that is not printable: textwrap's own way
            at = generator.randint(0, len(text))
            text = text[:at] + generator.choice("\t\n\u00a0\u2003") + text[at:]
        width = generator.randint(12, 120)
        initial, subsequent = " " * generator.randint(0, 6), " " * generator.randint(0, 6)
        expected = textwrap.wrap(text, width=width, initial_indent=initial, subsequent_indent=subsequent)
        assert wrap(text, width, initial, subsequent) == expected, (text, width, initial, subsequent)


def test_a_printable_line_is_one_terminal_text_leaves_alone():
    for code in [*range(0x3100), *range(0xD780, 0x10000), *range(0x1F000, 0x1F700), 0xE0001, 0x10FFFF]:
        character = chr(code)
        assert terminal_line(f"a{character}b") == terminal_text(f"a{character}b"), hex(code)
        assert Styled((f"a{character}b",)).plain == f"a{character}b".translate(dict.fromkeys(RICH_STRIPPED)), hex(code)
