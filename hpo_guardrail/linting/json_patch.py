"""A small RFC 6902 JSON Patch applier: `add`, `replace` and `remove`, the operations findings carry.

Pointers follow RFC 6901: segments separated by "/", with "~1" for "/" and "~0" for "~" inside a
segment, and "-" for the end of an array (add only). The document is never changed in place.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

OPERATIONS = ("add", "replace", "remove")


class PatchError(ValueError):
    """An operation that cannot be applied; `path` is its JSON pointer."""

    def __init__(self, reason: str, path: str) -> None:
        self.reason, self.path = reason, path
        super().__init__(f"{path}: {reason}")


def split_pointer(pointer: str) -> list[str]:
    """The unescaped segments of a JSON pointer ("" is the whole document)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError("a JSON pointer starts with '/'", pointer)
    # "~1" first would turn "~01" into "/" instead of "~1": RFC 6901 section 4 orders it this way.
    return [segment.replace("~1", "/").replace("~0", "~") for segment in pointer[1:].split("/")]


def escape_segment(segment: str) -> str:
    """One pointer segment escaped for RFC 6901."""
    return segment.replace("~", "~0").replace("/", "~1")


def _index(segment: str, length: int, pointer: str, *, allow_end: bool) -> int:
    if allow_end and segment == "-":
        return length
    # RFC 6901: decimal digits without leading zeros; "-" only where the end is meant.
    if not segment.isdigit() or (len(segment) > 1 and segment.startswith("0")):
        raise PatchError(f"{segment!r} is not an array index", pointer)
    index = int(segment)
    if index > length or (index == length and not allow_end):
        raise PatchError(f"index {index} is out of range (array of {length})", pointer)
    return index


def _parent(document: Any, segments: list[str], pointer: str) -> Any:
    node = document
    for segment in segments[:-1]:
        if isinstance(node, dict):
            if segment not in node:
                raise PatchError(f"no member {segment!r} on the way", pointer)
            node = node[segment]
        elif isinstance(node, list):
            node = node[_index(segment, len(node), pointer, allow_end=False)]
        else:
            raise PatchError(f"cannot descend into a {type(node).__name__} at {segment!r}", pointer)
    return node


def _apply_one(document: Any, op: str, pointer: str, value: Any) -> Any:
    segments = split_pointer(pointer)
    if not segments:
        if op == "remove":
            raise PatchError("cannot remove the whole document", pointer)
        return copy.deepcopy(value)
    parent, last = _parent(document, segments, pointer), segments[-1]
    if isinstance(parent, dict):
        if op in ("replace", "remove") and last not in parent:
            raise PatchError(f"no member {last!r} to {op}", pointer)
        if op == "remove":
            del parent[last]
        else:  # "add" sets or overwrites a member; "replace" needs it to exist (checked above)
            parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        index = _index(last, len(parent), pointer, allow_end=op == "add")
        if op == "add":
            parent.insert(index, copy.deepcopy(value))
        elif op == "replace":
            parent[index] = copy.deepcopy(value)
        else:
            del parent[index]
    else:
        raise PatchError(f"the parent is a {type(parent).__name__}, not an object or array", pointer)
    return document


def apply_patch(document: Any, operations: Iterable[Mapping[str, Any]]) -> Any:
    """The document with the operations applied in order; raises PatchError, leaving `document` as it was."""
    result = copy.deepcopy(document)
    for operation in operations:
        op, pointer = operation.get("op"), operation.get("path")
        if op not in OPERATIONS:
            raise PatchError(f"unsupported operation {op!r} (supported: {', '.join(OPERATIONS)})", str(pointer))
        if not isinstance(pointer, str):
            raise PatchError("the operation has no path", str(pointer))
        if op != "remove" and "value" not in operation:
            raise PatchError(f"{op} needs a value", pointer)
        result = _apply_one(result, op, pointer, operation.get("value"))
    return result
