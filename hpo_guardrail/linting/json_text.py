"""The indented JSON text of `lint --format json` and `--format sarif`, written faster than the json module does.

`json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)` encodes in C only without `indent`; with it,
every value passes through the module's Python generators (about 1 ms per linted file's report). `indented`
gives the same text from one recursive pass that collects the pieces in a list, with the module's own C
encoder for texts and the same number forms. Anything out of the ordinary (a NaN or infinity, a key that is not
text, a type other than those JSON has) is left to json.dumps, which writes it or raises as it always has.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

_INDENT = "  "
_TEXT: Callable[[str], str] = json.encoder.encode_basestring  # the C encoder of texts (ensure_ascii=False)


class _LeftToJson(Exception):
    """A value the fast path leaves to json.dumps."""


def indented(value: object) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)`."""
    parts: list[str] = []
    try:
        _encode(value, parts, "\n")
    except _LeftToJson:
        return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    return "".join(parts)


def _encode(value: Any, parts: list[str], newline: str) -> None:
    """Append the text of `value`, nested where `newline` (a line break and the indentation) says."""
    kind = type(value)
    if kind is str:
        parts.append(_TEXT(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif kind is int:
        parts.append(int.__repr__(value))
    elif kind is float:
        if not math.isfinite(value):
            raise _LeftToJson
        parts.append(float.__repr__(value))
    elif kind is list or kind is tuple:
        if not value:
            parts.append("[]")
            return
        inner = newline + _INDENT
        separator = "," + inner
        opening = "[" + inner
        for item in value:
            parts.append(opening)
            opening = separator
            if type(item) is str:  # most values: a text, written here rather than in a call of its own
                parts.append(_TEXT(item))
            else:
                _encode(item, parts, inner)
        parts.append(newline + "]")
    elif kind is dict:
        if not value:
            parts.append("{}")
            return
        inner = newline + _INDENT
        separator = "," + inner
        opening = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _LeftToJson
            parts.append(opening + _TEXT(key) + ": ")
            opening = separator
            if type(item) is str:
                parts.append(_TEXT(item))
            else:
                _encode(item, parts, inner)
        parts.append(newline + "}")
    else:  # an enum member, another subclass, or what JSON has not: json.dumps decides
        raise _LeftToJson
