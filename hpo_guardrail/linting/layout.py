"""`lint --fix` edits a request file in place: only the values that change, the rest byte for byte.

The corrected request is compared with the request as read (`changes`), and each change is made in the
text at the position of its member (`edit_text`): a value replaced where it stands, a member added after
its last sibling with the siblings' indentation (or inside the braces of a one-line `{...}`), a member
removed with its line. Indentation, key order, quoting, comments and blank lines of everything else stay
as they were, so a one-field fix is a one-line diff.

Positions come from a small JSON scanner (exact character offsets; the json module keeps none) and, for
YAML, from PyYAML's composer (each node's start and end mark). Keys are matched case-insensitively, so a
PascalCase change finds a lowerCamelCase member. The edited text is read back and must give exactly the
corrected request; when it does not (or a change cannot be placed, such as an item added to an array),
`LayoutError` is raised and the caller writes the whole request instead.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml


class LayoutError(ValueError):
    """A change that cannot be made in the file's own layout."""


# --- what changed ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """Set (`add` or `replace`) or remove the member at `path` (object keys and array indices)."""

    op: str
    path: tuple[str | int, ...]
    value: Any = None


def changes(before: Any, after: Any, path: tuple[str | int, ...] = ()) -> list[Change]:
    """The smallest member-level changes that turn `before` into `after` (arrays change item by item only
    when their length stays; otherwise the whole array is replaced)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[Change] = []
        for key, value in after.items():
            if key not in before:
                found.append(Change("add", (*path, key), value))
            else:
                found += changes(before[key], value, (*path, key))
        found += [Change("remove", (*path, key)) for key in before if key not in after]
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            change for i, (b, a) in enumerate(zip(before, after, strict=True)) for change in changes(b, a, (*path, i))
        ]
    if type(before) is type(after) and before == after:
        return []
    return [Change("replace", path, after)]


# --- where things are in the text ------------------------------------------------------------------------


@dataclass
class Located:
    """A value in the text: [start, end) character offsets; members (key, key start, value) of an object."""

    kind: str  # "object", "array" or "scalar"
    start: int
    end: int
    flow: bool = True  # delimited by braces or brackets (always in JSON); False for YAML block collections
    members: list[tuple[str, int, Located]] = field(default_factory=list)
    items: list[Located] = field(default_factory=list)

    def member(self, key: str) -> tuple[str, int, Located] | None:
        wanted = key.lower()
        found = [m for m in self.members if m[0].lower() == wanted]
        if len(found) > 1:
            raise LayoutError(f"the key {key!r} appears more than once")
        return found[0] if found else None


_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _JsonScanner:
    """Positions of every value of a JSON text that json.loads accepted."""

    def __init__(self, text: str) -> None:
        self.text = text

    def skip(self, index: int) -> int:
        return _WHITESPACE.match(self.text, index).end()  # type: ignore[union-attr]

    def value(self, index: int) -> Located:
        index = self.skip(index)
        char = self.text[index : index + 1]
        if char == "{":
            return self._object(index)
        if char == "[":
            return self._array(index)
        if char == '"':
            _, end = json.decoder.scanstring(self.text, index + 1)  # type: ignore[attr-defined]
            return Located("scalar", index, end)
        for literal in ("true", "false", "null"):
            if self.text.startswith(literal, index):
                return Located("scalar", index, index + len(literal))
        number = _NUMBER.match(self.text, index)
        if number is None:
            raise LayoutError(f"unexpected text at offset {index}")
        return Located("scalar", index, number.end())

    def _object(self, start: int) -> Located:
        node = Located("object", start, start)
        index = self.skip(start + 1)
        if self.text[index] == "}":
            node.end = index + 1
            return node
        while True:
            key_start = index
            key, index = json.decoder.scanstring(self.text, index + 1)  # type: ignore[attr-defined]
            index = self.skip(index) + 1  # the colon
            value = self.value(index)
            node.members.append((key, key_start, value))
            index = self.skip(value.end)
            if self.text[index] == "}":
                node.end = index + 1
                return node
            index = self.skip(index + 1)  # the comma

    def _array(self, start: int) -> Located:
        node = Located("array", start, start)
        index = self.skip(start + 1)
        if self.text[index] == "]":
            node.end = index + 1
            return node
        while True:
            item = self.value(index)
            node.items.append(item)
            index = self.skip(item.end)
            if self.text[index] == "]":
                node.end = index + 1
                return node
            index = self.skip(index + 1)


def _locate_json(text: str) -> Located:
    return _JsonScanner(text).value(0)


def _locate_yaml(text: str) -> Located:
    try:
        # The pure-Python composer: its marks count characters (libyaml's count bytes).
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        raise LayoutError(f"cannot place the changes in this YAML: {error}") from None
    if root is None:
        raise LayoutError("an empty document")
    return _from_node(root)


def _from_node(node: yaml.Node) -> Located:
    flow = bool(getattr(node, "flow_style", False))
    if isinstance(node, yaml.MappingNode):
        located = Located("object", node.start_mark.index, node.end_mark.index, flow)
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise LayoutError("a YAML key that is not a plain value")
            located.members.append((str(key.value), key.start_mark.index, _from_node(value)))
        return located
    if isinstance(node, yaml.SequenceNode):
        located = Located("array", node.start_mark.index, node.end_mark.index, flow)
        located.items = [_from_node(item) for item in node.value]
        return located
    return Located("scalar", node.start_mark.index, node.end_mark.index)


# --- how a value is written ------------------------------------------------------------------------------

# Plain YAML strings that every YAML reader (1.1 or 1.2) reads back as the same string.
_PLAIN_YAML = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _yaml_value(value: Any) -> str:
    """A value as one line of YAML (collections in flow style)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        plain = _PLAIN_YAML.fullmatch(value) and value.lower() not in _YAML_WORDS
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_yaml_value(str(k))}: {_yaml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    raise LayoutError(f"cannot write a {type(value).__name__} as YAML")


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _indent_of(text: str, index: int) -> str:
    """The leading whitespace of the line holding `index`."""
    return re.match(r"[ \t]*", text[_line_start(text, index) :]).group()  # type: ignore[union-attr]


@dataclass(frozen=True)
class _Style:
    yaml: bool
    indent_unit: str

    def value(self, value: Any, indent: str) -> str:
        if self.yaml:
            return _yaml_value(value)
        rendered = json.dumps(value, indent=len(self.indent_unit) or None, ensure_ascii=False, allow_nan=False)
        return rendered.replace("\n", "\n" + indent)

    def key(self, key: str) -> str:
        return _yaml_value(key) if self.yaml else json.dumps(key, ensure_ascii=False)


def _json_indent_unit(text: str) -> str:
    found = re.search(r"^\{[ \t]*\r?\n([ \t]+)\S", text)
    return found.group(1) if found else "  "


# --- the edits ---------------------------------------------------------------------------------------------


type _Edit = tuple[int, int, str]  # replace text[start:end] with the string


def _last_line_end(text: str, node: Located) -> int:
    """The end of the last line holding part of the node (a block collection ends at its last leaf)."""
    while not node.flow and node.kind != "scalar":
        children = [m[2] for m in node.members] if node.kind == "object" else node.items
        if not children:
            break
        node = children[-1]
    return _line_end(text, max(node.start, node.end - 1))


def _find(root: Located, path: Sequence[str | int]) -> tuple[Located, str | int]:
    """The parent of the member at `path`, and the member's key or index."""
    if not path:
        raise LayoutError("a change of the whole document")
    node = root
    for part in path[:-1]:
        child: Located | None
        if node.kind == "object" and isinstance(part, str):
            found = node.member(part)
            child = found[2] if found else None
        elif node.kind == "array" and isinstance(part, int) and part < len(node.items):
            child = node.items[part]
        else:
            child = None
        if child is None:
            raise LayoutError(f"no member {part!r} on the way")
        node = child
    return node, path[-1]


def _edit(text: str, root: Located, change: Change, style: _Style) -> _Edit:
    """The edit of one replacement or removal."""
    parent, last = _find(root, change.path)
    if parent.kind == "array":
        if change.op != "replace" or not isinstance(last, int) or last >= len(parent.items):
            raise LayoutError("an item added to or removed from an array")
        item = parent.items[last]
        return item.start, item.end, style.value(change.value, _indent_of(text, item.start))
    if parent.kind != "object" or not isinstance(last, str):
        raise LayoutError(f"{last!r} is not a member of an object")
    found = parent.member(last)
    if found is None:
        raise LayoutError(f"no member {last!r} to {change.op}")
    if change.op == "remove":
        return _removal(text, parent, found)
    key_start, value = found[1], found[2]
    if value.kind != "scalar" and not value.flow:
        raise LayoutError(f"a block value of {last!r} replaced")
    return value.start, value.end, style.value(change.value, _indent_of(text, key_start))


def _addition(text: str, parent: Located, members: Sequence[tuple[str, Any]], style: _Style) -> _Edit:
    """One edit adding `members` (key, value) after the parent's last member, in its layout."""
    if not parent.members:
        if not parent.flow:
            raise LayoutError("a member added to an empty block mapping")
        close = parent.end - 1  # the closing brace
        return close, close, ", ".join(f"{style.key(k)}: {style.value(v, '')}" for k, v in members)
    _, last_start, last_value = parent.members[-1]
    if not parent.flow:  # a YAML block mapping: new lines after the last member, at the members' column
        indent = " " * (last_start - _line_start(text, last_start))
        at = _last_line_end(text, last_value)
        return at, at, "".join(f"\n{indent}{style.key(k)}: {style.value(v, indent)}" for k, v in members)
    own_line = text[_line_start(text, last_start) : last_start].strip() == ""
    if "\n" in text[parent.start : parent.end] and own_line:
        indent = text[_line_start(text, last_start) : last_start]
        added = "".join(f",\n{indent}{style.key(k)}: {style.value(v, indent)}" for k, v in members)
    else:
        added = "".join(f", {style.key(k)}: {style.value(v, '')}" for k, v in members)
    return last_value.end, last_value.end, added


def _removal(text: str, parent: Located, found: tuple[str, int, Located]) -> _Edit:
    index = parent.members.index(found)
    key_start, value = found[1], found[2]
    if not parent.flow:
        start = _line_start(text, key_start)
        end = _last_line_end(text, value)
        if text[start:key_start].strip():
            raise LayoutError("a member removed from a line it shares")
        return start, min(len(text), end + 1), ""
    if index > 0:  # from the end of the previous member to the end of this one, its comma included
        return parent.members[index - 1][2].end, value.end, ""
    if len(parent.members) > 1:  # the first of several: up to the next member's key
        next_start = parent.members[1][1]
        return key_start, next_start, ""
    return parent.start + 1, parent.end - 1, ""


def edit_text(text: str, before: Any, after: Any, *, yaml_text: bool, read_back: Callable[[str], Any]) -> str:
    """`text` changed where `before` and `after` differ and nowhere else; raises LayoutError when it cannot be.

    `read_back` parses an edited text into what `after` is compared with, so that a misplaced edit is never
    written.
    """
    found = changes(before, after)
    if not found:
        return text
    root = _locate_yaml(text) if yaml_text else _locate_json(text)
    style = _Style(yaml_text, "" if yaml_text else _json_indent_unit(text))
    # (start, end, depth, text); members added to one object become one edit, in the order of `after`.
    edits: list[tuple[int, int, int, str]] = []
    additions: dict[int, tuple[Located, int, list[tuple[str, Any]]]] = {}
    for change in found:
        parent, last = _find(root, change.path)
        if change.op == "add" and parent.kind == "object" and isinstance(last, str):
            if parent.member(last) is not None:
                raise LayoutError(f"{last!r} added twice")
            additions.setdefault(id(parent), (parent, len(change.path), []))[2].append((last, change.value))
        else:
            start, end, replacement = _edit(text, root, change, style)
            edits.append((start, end, len(change.path), replacement))
    for parent, depth, members in additions.values():
        start, end, replacement = _addition(text, parent, members, style)
        edits.append((start, end, depth, replacement))
    # From the end of the text backwards, so earlier offsets stay valid; at one point the outer member's
    # insertion goes first, so that the inner one (applied later) lands before it.
    edits.sort(key=lambda e: (-e[0], e[2]))
    for later, earlier in itertools.pairwise(edits):
        if earlier[1] > later[0] or (earlier[0] == later[0] and (earlier[1] > earlier[0] or later[1] > later[0])):
            raise LayoutError("two changes in the same place")
    edited = text
    for start, end, _, replacement in edits:
        edited = edited[:start] + replacement + edited[end:]
    if read_back(edited) != after:
        raise LayoutError("the edited file does not read back as the corrected request")
    return edited
