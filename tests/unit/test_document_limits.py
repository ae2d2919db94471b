"""rules.limits.check_document: its quick pass (`_within`) accepts exactly the documents the walk that names the
problem (`_find_problem`) accepts, so the error of a document over its limits is the one it always was."""

from __future__ import annotations

import random

import pytest

from rules.limits import EVENT_LIMITS, DocumentLimits, _find_problem, _within, check_document
from rules.parsing import InvalidRequest
from tests.builders import cloudtrail_event, largest_request

LEAVES = (1, 2.5, None, True, False, "", "text", "x" * 9, "é", "\ud800", "a\udc00b", b"bytes", "\U0001f600")
KEYS = ("a", "B", "é", "\udc00", "k1", 7)


def _document(chance: random.Random, depth: int = 0) -> object:
    roll = chance.random()
    if depth > 6 or roll < 0.4:
        return chance.choice(LEAVES)
    if roll < 0.7:
        return {chance.choice(KEYS): _document(chance, depth + 1) for _ in range(chance.randint(0, 4))}
    return [_document(chance, depth + 1) for _ in range(chance.randint(0, 4))]


def _problem(document: object, limits: DocumentLimits) -> tuple[str, str] | None:
    try:
        _find_problem(document, limits, "detail")
    except InvalidRequest as error:
        return error.reason, error.path
    return None


@pytest.mark.parametrize("seed", range(5))
def test_the_quick_pass_and_the_naming_walk_agree(seed):
    chance = random.Random(seed)
    for _ in range(2_000):
        document = _document(chance)
        limits = DocumentLimits(
            max_depth=chance.randint(0, 5), max_nodes=chance.randint(1, 30), max_string=chance.randint(1, 10)
        )
        problem = _problem(document, limits)
        assert _within(document, limits) == (problem is None), (document, limits, problem)
        if problem is not None:
            with pytest.raises(InvalidRequest) as raised:
                check_document(document, limits, "detail")
            assert (raised.value.reason, raised.value.path) == problem


def test_the_largest_request_is_within_the_event_limits():
    check_document(cloudtrail_event(largest_request()), EVENT_LIMITS)


def _homogeneous(chance: random.Random, depth: int = 0) -> object:
    """Documents whose containers mostly hold one kind of value (only texts, or only objects and arrays), as
    requests do: the quick pass takes such containers in whole."""
    roll = chance.random()
    if depth > 6 or roll < 0.3:
        return chance.choice(LEAVES)
    size = chance.randint(0, 5)
    if roll < 0.5:
        items: list[object] = [chance.choice(("", "ab", "x" * 9, "é", "\ud800", "\U0001f600")) for _ in range(size)]
    elif roll < 0.8:
        items = [
            {"k": _homogeneous(chance, depth + 2)} if chance.random() < 0.5 else [_homogeneous(chance, depth + 2)]
            for _ in range(size)
        ]
    else:
        items = [_homogeneous(chance, depth + 1) for _ in range(size)]
    if chance.random() < 0.5:
        return items
    return {f"{chance.choice(KEYS)}{index}": item for index, item in enumerate(items)}


@pytest.mark.parametrize("seed", range(5))
def test_the_quick_pass_agrees_on_containers_of_one_kind(seed):
    chance = random.Random(seed)
    for _ in range(2_000):
        document = _homogeneous(chance)
        limits = DocumentLimits(
            max_depth=chance.randint(0, 6), max_nodes=chance.randint(1, 40), max_string=chance.randint(1, 10)
        )
        assert _within(document, limits) == (_problem(document, limits) is None), (document, limits)
