"""JSON inputs' lines are found without composing YAML, with exactly the composer's answers.

Every path of every member (and a few that do not exist), and every range name, is looked up both ways in the
sample events written in the ways people write JSON (indented, minified, tabs, CRLF, blanks before a colon,
escapes, duplicate keys), and in the JSON the composer reads differently or refuses, which must go to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpo_guardrail.linting.source_lines import (
    SourceLines,
    UnreadableDocument,
    _composes_alike,
    _json_within_file_limits,
    parse_document,
)
from rules.limits import FILE_LIMITS, check_document
from rules.parsing import InvalidRequest
from tests.builders import largest_request

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("*.json"))


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
            yield (*prefix, key.upper(), "Missing")
        yield (*prefix, "Missing")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, str(index)))
        yield (*prefix, str(len(value)))


def _names(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() == "name":
                yield str(item)
            yield from _names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _names(item)


def _same_lines(text: str) -> None:
    composed, scanned = SourceLines(text), SourceLines(text, json_text=True)
    document = json.loads(text)
    for path in _paths(document):
        for prefer_name in (True, False):
            assert scanned.line_of(path, prefer_name=prefer_name) == composed.line_of(path, prefer_name=prefer_name), (
                path
            )
    for name in [*_names(document), "absent", "1", "true"]:
        for within in ((), ("detail",), ("detail", "requestParameters")):
            assert scanned.line_of_range(name, within) == composed.line_of_range(name, within), (name, within)


def _written(event: dict[str, Any]) -> dict[str, str]:
    indented = json.dumps(event, indent=2)
    return {
        "indented": indented,
        "minified": json.dumps(event),
        "tabs": json.dumps(event, indent="\t"),
        "crlf": indented.replace("\n", "\r\n"),
        "blanks before colons": re.sub(r'"(scalingType|name)":', r'"\1" \t :', indented, flags=re.IGNORECASE),
        "a value on its own line": indented.replace(": ", ":\n    ").replace(",", " ,\n\n"),
        "escaped keys": re.sub(r'"name"', r'"\\u004eame"', indented, flags=re.IGNORECASE),
        "escaped quotes": indented.replace('"eventID": "', '"eventID": "\\"quoted\\" \\\\', 1),
        "duplicate keys": re.sub(
            r'"scalingType":', '"ScalingType": "Auto", "scalingtype":', indented, flags=re.IGNORECASE
        ),
        "letters beyond ASCII": json.dumps(event, indent=2, ensure_ascii=False).replace(
            '"eventID": "', '"eventID": "\u00e9\U0001f600', 1
        ),
        "a long key the composer still reads": indented.replace('"eventID":', f'"{"k" * 500}": 1, "eventID":', 1),
    }


def _read_differently(event: dict[str, Any]) -> dict[str, str]:
    """JSON the composer refuses (no lines) or counts lines in differently: it must be composed."""
    indented = json.dumps(event, indent=2)
    raw = json.dumps(event, indent=2, ensure_ascii=False)
    return {
        "a key's colon on the next line": indented.replace('"requestParameters":', '"requestParameters"\n:', 1),
        "an escaped emoji": indented.replace('"eventID": "', '"eventID": "\\ud83d\\ude00', 1),
        "a line separator in a text": raw.replace('"eventID": "', '"eventID": "a\u2028b', 1),
        "a next-line character in a text": raw.replace('"eventID": "', '"eventID": "a\x85b', 1),
        "DEL in a text": raw.replace('"eventID": "', '"eventID": "a\x7fb', 1),
        "a key over 1,024 characters": indented.replace('"eventID":', f'"{"k" * 1030}": 1, "eventID":', 1),
        "a tab before the document": "\t" + indented,
        "a tab after it": indented + "\n\t\n",
        "carriage returns alone": indented.replace("\n", "\r"),
    }


@pytest.mark.parametrize("event_file", EVENTS, ids=lambda path: path.stem)
def test_json_lines_are_the_composers_and_found_without_it(event_file):
    event = json.loads(event_file.read_text(encoding="utf-8"))
    for how, text in _written(event).items():
        assert _composes_alike(text), how
        _same_lines(text)
    for how, text in _read_differently(event).items():
        assert not _composes_alike(text), how
        _same_lines(text)


def test_the_largest_request_has_the_composers_lines():
    text = json.dumps(largest_request(), indent=2)
    assert _composes_alike(text)
    _same_lines(text)


def test_json_that_the_composer_refuses_has_no_lines_either_way():
    text = json.dumps({"HyperParameterTuningJobName": "x", "k" * 1030: 1}, indent=2)
    assert SourceLines(text).line_of(["HyperParameterTuningJobName"]) is None
    assert SourceLines(text, json_text=True).line_of(["HyperParameterTuningJobName"]) is None


def _nested(levels: int, innermost: Any) -> Any:
    document = innermost
    for level in range(levels):
        document = {"a": document} if level % 2 else [document]
    return document


@pytest.mark.parametrize("levels", [62, 63, 64, 65, 66])
@pytest.mark.parametrize("innermost", [1, [], {}, "\ud800", "x"])
def test_json_the_text_shows_within_the_file_limits_is(levels, innermost):
    for text in (json.dumps(_nested(levels, innermost)), json.dumps(_nested(levels, innermost), ensure_ascii=False)):
        try:
            document = json.loads(text)
            check_document(document, FILE_LIMITS)
            within = True
        except InvalidRequest:
            within = False
        if _json_within_file_limits(text):
            assert within, text
        # parse_document answers as the walk does, either way.
        if within:
            assert parse_document(text, yaml_allowed=False) == document
        else:
            with pytest.raises(UnreadableDocument):
                parse_document(text, yaml_allowed=False)


def test_inputs_as_people_write_them_are_within_the_file_limits_by_their_text():
    for event_file in EVENTS:
        assert _json_within_file_limits(event_file.read_text(encoding="utf-8")), event_file.name
    assert not _json_within_file_limits(json.dumps({"k": "\\ud83d\\ude00"}).replace("\\\\", "\\"))
    assert not _json_within_file_limits(json.dumps(_nested(70, 1)))
