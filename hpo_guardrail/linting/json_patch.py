"""The findings' RFC 6902 patches, applied by the `jsonpatch` library and explained in this project's words.

Only `add`, `replace` and `remove`, the operations findings carry, are accepted. Pointers follow RFC
6901 (`jsonpointer`). The document is never changed in place.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

import jsonpatch
import jsonpointer

OPERATIONS = ("add", "replace", "remove")

# What the libraries say, and how the --fix report says it ({part}: the pointer segment at fault, else the
# last one; {op}; {kind}: a Python type). A message not listed here is shown as the library wrote it.
_REASONS = tuple(
    (re.compile(pattern), reason)
    for pattern, reason in (
        (r"must start with /", "a JSON pointer starts with '/'"),
        (r"member '(?P<part>[^']*)' not found", "no member '{part}' on the way"),
        (r"'(?P<part>[^']*)' is not a valid sequence index", "'{part}' is not an array index"),
        (r"invalid array index '(?P<part>[^']*)'", "'{part}' is not an array index"),
        (r"outside of list|index '(?P<part>\d+)' is out of bounds", "index {part} is out of range"),
        (r"can't (?:replace|remove) a non-existent object", "no member '{part}' to {op}"),
        (
            r"(?:non-container type |Document ')<class '(?P<kind>[\w.]+)'>",
            "the parent is a {kind}, not an object or array",
        ),
        (r"whole document", "cannot remove the whole document"),
    )
)


class PatchError(ValueError):
    """An operation that cannot be applied; `path` is its JSON pointer."""

    def __init__(self, reason: str, path: str) -> None:
        self.reason, self.path = reason, path
        super().__init__(f"{path}: {reason}")


def _reason(error: Exception, parts: list[str], op: str = "", parent: Any = None) -> str:
    if isinstance(error, jsonpatch.JsonPatchConflict) and isinstance(parent, list):
        # "can't remove a non-existent object '2'" says the same of a missing member and of an index.
        return f"index {parts[-1]} is out of range"
    message = str(error)
    for pattern, reason in _REASONS:
        if found := pattern.search(message):
            named = {name: value for name, value in found.groupdict().items() if value is not None}
            return reason.format_map({"part": parts[-1] if parts else "", "op": op, **named})
    return message


def split_pointer(pointer: str) -> list[str]:
    """The unescaped segments of a JSON pointer ("" is the whole document)."""
    try:
        return list(jsonpointer.JsonPointer(pointer).parts)
    except jsonpointer.JsonPointerException as error:
        raise PatchError(_reason(error, []), pointer) from error


def escape_segment(segment: str) -> str:
    """One pointer segment escaped for RFC 6901."""
    return str(jsonpointer.escape(segment))


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
        parts = split_pointer(pointer)
        try:
            # One operation at a time, so that a failure names its own path; `result` is already a copy.
            result = jsonpatch.JsonPatch([dict(operation)]).apply(result, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
            parent = jsonpointer.JsonPointer.from_parts(parts[:-1]).resolve(result, None)
            raise PatchError(_reason(error, parts, op, parent), pointer) from error
    return result
