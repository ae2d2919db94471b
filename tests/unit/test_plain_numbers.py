"""rules.parsing reads plainly spelled MinValue/MaxValue text ("0.001", "64") without Decimal: what it reads is the
double the strict reading gives, and it leaves everything else (exponents, spaces, fractions in an integer range,
over-long text) to that reading and its error messages."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from rules.parsing import PARAMETER_VALUE_MAX_LENGTH, InvalidRequest, _plain_number, parse_number

ALPHABET = "0123456789.+-eE _"


def _texts(seed: int) -> list[str]:
    chance = random.Random(seed)
    texts = ["".join(chance.choice(ALPHABET) for _ in range(chance.randint(0, 8))) for _ in range(3_000)]
    texts += ["".join(chance.choice("0123456789") for _ in range(chance.randint(1, 12))) for _ in range(500)]
    for length in (PARAMETER_VALUE_MAX_LENGTH - 1, PARAMETER_VALUE_MAX_LENGTH, PARAMETER_VALUE_MAX_LENGTH + 1):
        texts += ["9" * length, "0." + "0" * (length - 3) + "1", "-" + "1" * (length - 1)]
    return texts


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("integer", [False, True])
def test_a_plain_number_is_what_the_strict_reading_gives(seed, integer):
    read = 0
    for text in _texts(seed):
        plain = _plain_number(text, integer)
        if plain is None:
            continue
        read += 1
        assert plain == float(Decimal(text)), text
        assert parse_number(text, "MinValue", integer=integer) == plain
    assert read > 300


@pytest.mark.parametrize(
    "text, integer",
    [(" 1", False), ("1e3", False), ("1e3", True), ("5.0", True), ("1.5", True), ("1_000", False), ("+", False)],
)
def test_anything_but_plain_text_is_left_to_the_strict_reading(text, integer):
    assert _plain_number(text, integer) is None


@pytest.mark.parametrize("value", [5, 0.5, True, None])
def test_a_json_number_is_left_to_the_strict_reading(value):
    assert _plain_number(value, False) is None


def test_over_long_plain_text_is_still_refused_with_its_reason():
    with pytest.raises(InvalidRequest, match="longer than the API's 256 characters"):
        parse_number("1" * (PARAMETER_VALUE_MAX_LENGTH + 1), "MinValue")
