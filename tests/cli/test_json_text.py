"""`lint --format json` and `--format sarif` write the text json.dumps(indent=2) writes, faster."""

from __future__ import annotations

import json
import random
from enum import StrEnum

import pytest

from hpo_guardrail.linting.json_text import indented


def _dumps(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        (),
        "text",
        0,
        None,
        True,
        {"a": [], "b": {}, "c": [{}], "d": [[], [1, (2, 3)]], "e": {"f": {"g": None}}},
        {"floats": [0.1, 1e-05, 1e16, 1.5e300, -0.0, 2.0, 123456789.125], "ints": [-1, 10**30, 0]},
        {"t\u00e9xt": 'line\nbreak "quoted" back\\slash \x1b[31m \u2028 \U0001f600 \ud800', "": ""},
        [True, False, None, "x", 1, 1.5],
        {"enum": Colour.RED},  # a subclass: left to json.dumps
        {1: "a number key", None: "null key"},  # keys that are not text: left to json.dumps
    ],
)
def test_indented_is_json_dumps_indented(value):
    assert indented(value) == _dumps(value)


def test_indented_is_json_dumps_indented_for_random_documents():
    generator = random.Random(15)
    leaves = [0, -7, 3.25, 1e-07, "", "a", '\u00e9\t"\\', None, True, False, 10**20]

    def document(depth: int) -> object:
        if depth == 0 or generator.random() < 0.3:
            return generator.choice(leaves)
        if generator.random() < 0.5:
            return [document(depth - 1) for _ in range(generator.randint(0, 4))]
        return {f"k{index}\u00e9": document(depth - 1) for index in range(generator.randint(0, 4))}

    for _ in range(500):
        value = document(6)
        assert indented(value) == _dumps(value)


@pytest.mark.parametrize("value", [{"a": float("nan")}, [float("inf")], {"a": object()}, {(1, 2): 3}])
def test_what_json_refuses_is_refused_as_json_refuses_it(value):
    with pytest.raises((ValueError, TypeError)) as expected:
        _dumps(value)
    with pytest.raises(expected.type, match=str(expected.value)):
        indented(value)
