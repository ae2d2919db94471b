"""Reading input files (JSON, or YAML) and finding the line of a request member in them.

JSON is read with the json module (exact errors with line and column). Lines come from composing
the text as YAML: every JSON document is a YAML document, and the composer keeps each node's
position, which the json module does not. Composing costs more than evaluating a request, so JSON text
is read for positions by `_JsonPositions` instead: it gives the lines the composer gives, for the JSON text
it reads exactly as the composer does (`_composes_alike`); other text is composed as before.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from rules.limits import FILE_LIMITS, FILE_MAX_CHARACTERS, NESTED_TOO_DEEPLY, check_document
from rules.parsing import InvalidRequest

# libyaml when it is installed: a 256 KB CloudTrail record composes in milliseconds instead of a second.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Yaml12Loader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader with YAML 1.2 booleans: `TrainingJobEarlyStoppingType: Off` stays the string "Off"."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

YAML_SUFFIXES = (".yaml", ".yml")


class UnreadableDocument(ValueError):
    """Text that is not valid JSON (or YAML); the message says where."""


def parse_document(text: str, *, yaml_allowed: bool) -> Any:
    """The document in `text`: JSON, or YAML when the file's name says so; within rules.limits.FILE_LIMITS."""
    if len(text) > FILE_MAX_CHARACTERS:
        raise UnreadableDocument(f"too large: {len(text):,} characters (at most {FILE_MAX_CHARACTERS:,})")
    language = "YAML" if yaml_allowed else "JSON"
    try:
        # A safe loader: Yaml12Loader extends SafeLoader.
        document = yaml.load(text, Loader=Yaml12Loader) if yaml_allowed else json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableDocument(f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise UnreadableDocument(f"not valid YAML: {getattr(error, 'problem', None) or error}{where}") from None
    except RecursionError:  # the json module and PyYAML recurse once per level
        raise UnreadableDocument(f"not valid {language}: {NESTED_TOO_DEEPLY}") from None
    except ValueError as error:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise UnreadableDocument(f"not valid {language}: a number with too many digits ({error})") from None
    if not yaml_allowed and _json_within_file_limits(text):
        return document
    try:
        check_document(document, FILE_LIMITS)
    except InvalidRequest as error:
        raise UnreadableDocument(f"{error.reason}" + (f" at {error.path}" if error.path else "")) from None
    return document


_RAW_SURROGATE = "[\ud800-\udfff]"


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    """A pattern compiled when first needed: those over characters beyond ASCII take a while to compile, and most
    inputs are ASCII (a one-file lint does not wait for them)."""
    return re.compile(pattern)


def _json_within_file_limits(text: str) -> bool:
    """Whether the document json.loads read from `text` is certainly within FILE_LIMITS, known from the text alone
    (walking the document, as check_document does, costs more than reading it).

    Each value takes at least one character of the text, and a text of n characters n + 2; the document nests no
    deeper than it has objects and arrays, which each open with a bracket (a bracket inside a text only adds to
    the count). When the text does not show it, check_document walks the document.
    """
    return (
        len(text) <= min(FILE_LIMITS.max_nodes, FILE_LIMITS.max_string)
        and text.count("{") + text.count("[") <= FILE_LIMITS.max_depth
        # A surrogate, escaped or not: the only ways JSON text gives a text that is not valid Unicode.
        and not ("\\u" in text and _SURROGATE_ESCAPE.search(text))
        and (text.isascii() or not _pattern(_RAW_SURROGATE).search(text))
    )


class SourceLines:
    """Finds the 1-based line of a member, addressed by its path segments, in the text of a document.

    `json_text`: the text is known to be JSON (json.loads read it); its lines are then found without
    composing it as YAML, with the same answers.
    """

    def __init__(self, text: str, *, json_text: bool = False) -> None:
        self._json = _JsonPositions(text) if json_text and _composes_alike(text) else None
        if self._json is not None:
            self._root: yaml.Node | None = None
            return
        try:
            self._root = yaml.compose(text, Loader=Yaml12Loader)
        except (yaml.YAMLError, RecursionError, ValueError):
            # Rare JSON that PyYAML reads differently (tabs as indentation, say): findings point at line 1.
            self._root = None

    def line_of(self, segments: Sequence[str], *, prefer_name: bool = True) -> int | None:
        """The line of the deepest member on the path that exists.

        Object keys match case-insensitively, so a PascalCase pointer finds CloudTrail's lowerCamelCase.
        When the path ends inside an object that has a "Name" (a parameter range), that line is the
        one a reader looks for, so it is preferred to the line where the object opens.
        """
        if self._json is not None:
            return self._json.line_of(segments, prefer_name=prefer_name)
        node, line = self._root, None
        if node is None:
            return None
        complete = True
        for segment in segments:
            found = _child(node, segment)
            if found is None:
                complete = False
                break
            node, line = found
        if not complete and prefer_name and isinstance(node, yaml.MappingNode):
            named = _child(node, "Name")
            if named is not None:
                return named[1]
        return line if line is not None else node.start_mark.line + 1

    def line_of_range(self, parameter: str, within: Sequence[str] = ()) -> int | None:
        """The line of `"Name": "<parameter>"` in the first parameter range with that name."""
        if self._json is not None:
            return self._json.line_of_range(parameter, within)
        start = self._root
        for segment in within:
            found = _child(start, segment) if start is not None else None
            start = found[0] if found else None
        return _find_name(start, parameter) if start is not None else None


def _child(node: yaml.Node, segment: str) -> tuple[yaml.Node, int] | None:
    """The child node at one path segment and the line of its key (or of the item)."""
    if isinstance(node, yaml.MappingNode):
        wanted = segment.lower()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value.lower() == wanted:
                return value, key.start_mark.line + 1
        return None
    if isinstance(node, yaml.SequenceNode) and segment.isdigit() and int(segment) < len(node.value):
        item = node.value[int(segment)]
        return item, item.start_mark.line + 1
    return None


def _find_name(node: yaml.Node, parameter: str) -> int | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if (
                isinstance(key, yaml.ScalarNode)
                and key.value.lower() == "name"
                and isinstance(value, yaml.ScalarNode)
                and value.value == parameter
            ):
                return int(key.start_mark.line) + 1
        children = [value for _, value in node.value]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    else:
        return None
    for child in children:
        line = _find_name(child, parameter)
        if line is not None:
            return line
    return None


# What libyaml (the composer above) reads differently from the json module, or refuses, in JSON text; any of it
# sends the text to the composer, so that its lines stay the composer's:
# - characters its reader refuses (controls, DEL, C1, U+FFFE/U+FFFF), a byte order mark, and the line breaks
#   only YAML has (U+0085, U+2028, U+2029), which move its line count (JSON text that is ASCII can only hold DEL:
#   the json module refuses the other controls);
_NOT_LIKE_JSON = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
# - an escaped surrogate (an escaped emoji: "\\ud83d\\ude00"), which libyaml refuses;
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# - a key whose colon is on a later line, or more than 1,024 characters after the key opens: libyaml's longest
#   simple key (libyaml's scanner then drops the key), so the mapping does not compose. Such a key is a quote
#   followed by 509 characters without one (the key's text, or the blanks after it); the text is then composed.
# A run of blanks followed by a colon, matched once per run: it starts only where a run starts and takes the whole
# run without backtracking (possessive), so a long run of blank lines costs its length, not its length squared.
_BLANKS_BEFORE_COLON = re.compile(r"(?<![ \t\r\n])[ \t\r\n]++:")
_LONG_RUN = re.compile('"[^"]{509}')
_BLANKS = re.compile(r"[ \t\n\r]*")
_COLON = re.compile(r"[ \t\n\r]*:[ \t\n\r]*")
_SEPARATOR = re.compile(r"[ \t\n\r]*,?[ \t\n\r]*")  # after a member or item: the comma before the next
# The json module's own scanner (in C): a text from after its opening quote, and any value from its first
# character, each to (the value, the offset after it). Not in the module's type stubs.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_JSON_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _composes_alike(text: str) -> bool:
    """Whether the composer gives JSON `text` the positions `_JsonPositions` finds (see the patterns above).

    Also: a lone carriage return is a line break to YAML (CRLF is one, counted at its LF), and a tab before the
    top-level value opens or after it closes is an error (tabs inside it are whitespace to the composer).
    """
    if ("\x7f" in text) if text.isascii() else bool(_pattern(_NOT_LIKE_JSON).search(text)):
        return False
    if any("\n" in found.group() for found in _BLANKS_BEFORE_COLON.finditer(text)):
        return False  # a colon on a later line than its key
    if "\\" in text:
        if _SURROGATE_ESCAPE.search(text):
            return False
        # An escaped quote or backslash, masked with as many characters, so that quotes delimit texts.
        text = text.replace("\\\\", "__").replace('\\"', "__")
    if _LONG_RUN.search(text):
        return False
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return False
    if "\t" in text:
        stripped = text.strip(" \t\n\r")
        start = text.index(stripped[:1]) if stripped else 0
        if "\t" in text[:start] or "\t" in text[start + len(stripped) :]:
            return False
    return True


class _JsonObject:
    """An object of JSON text as far as it has been read: its members in order (key, key's offset, value's
    offset), the first member of each key in lower case, and where reading goes on (None: all read)."""

    __slots__ = ("first", "members", "next", "value_pending")

    def __init__(self, first_member: int) -> None:
        self.members: list[tuple[str, int, int]] = []
        self.first: dict[str, tuple[int, int]] = {}
        self.next: int | None = first_member
        self.value_pending = False  # `next` is the value of the last member read, not yet skipped


class _JsonPositions:
    """The lines `SourceLines` finds, read from JSON text with the json module's own scanner (in C).

    A value is addressed by its offset in the text. An object is read member by member only as far as a lookup
    needs (later lookups go on from there), an array only when an item of it is asked for; a member or item that
    is passed over is skipped by scanning it whole.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._root = _BLANKS.match(text).end()  # type: ignore[union-attr]
        self._objects: dict[int, _JsonObject] = {}  # by their offsets
        self._arrays: dict[int, list[int]] = {}  # an array's offset -> its items' offsets

    def _line(self, offset: int) -> int:
        return self._text.count("\n", 0, offset) + 1

    def _object(self, offset: int, wanted: str | None) -> _JsonObject:
        """The object at `offset`, read until its first member whose key is `wanted` (lower case), else whole."""
        found = self._objects.get(offset)
        if found is None:
            found = self._objects[offset] = _JsonObject(_BLANKS.match(self._text, offset + 1).end())  # type: ignore[union-attr]
        if found.next is None or (wanted is not None and wanted in found.first):
            return found
        text, at = self._text, found.next
        if found.value_pending:  # reading stopped at a member: its value is skipped now
            at = _SEPARATOR.match(text, _JSON_SCAN(text, at)[1]).end()  # type: ignore[union-attr]
            found.value_pending = False
        while text[at] == '"':
            key, after = _scanstring(text, at + 1)
            value = _COLON.match(text, after).end()  # type: ignore[union-attr]
            found.members.append((key, at, value))
            lowered = key.lower()
            if lowered not in found.first:
                found.first[lowered] = (at, value)
                if lowered == wanted:
                    found.next, found.value_pending = value, True
                    return found
            at = _SEPARATOR.match(text, _JSON_SCAN(text, value)[1]).end()  # type: ignore[union-attr]
        found.next = None
        return found

    def _items(self, offset: int) -> list[int]:
        found = self._arrays.get(offset)
        if found is None:
            text, found = self._text, []
            at = _BLANKS.match(text, offset + 1).end()  # type: ignore[union-attr]
            while text[at] != "]":
                found.append(at)
                at = _SEPARATOR.match(text, _JSON_SCAN(text, at)[1]).end()  # type: ignore[union-attr]
            self._arrays[offset] = found
        return found

    def _child(self, offset: int, segment: str) -> tuple[int, int] | None:
        """As `_child` below: the value at one path segment and the line of its key (or of the item)."""
        opening = self._text[offset]
        if opening == "{":
            wanted = segment.lower()
            member = self._object(offset, wanted).first.get(wanted)
            return (member[1], self._line(member[0])) if member else None
        if opening == "[" and segment.isdigit():
            items = self._items(offset)
            if int(segment) < len(items):
                return items[int(segment)], self._line(items[int(segment)])
        return None

    def line_of(self, segments: Sequence[str], *, prefer_name: bool) -> int | None:
        node, line = self._root, None
        complete = True
        for segment in segments:
            found = self._child(node, segment)
            if found is None:
                complete = False
                break
            node, line = found
        if not complete and prefer_name and self._text[node] == "{":
            named = self._child(node, "Name")
            if named is not None:
                return named[1]
        return line if line is not None else self._line(node)

    def line_of_range(self, parameter: str, within: Sequence[str]) -> int | None:
        start: int | None = self._root
        for segment in within:
            found = self._child(start, segment) if start is not None else None
            start = found[0] if found else None
        return self._find_name(start, parameter) if start is not None else None

    def _scalar(self, offset: int) -> str:
        """A scalar as the composer holds it: a text's value, else the token as written."""
        if self._text[offset] == '"':
            return _scanstring(self._text, offset + 1)[0]
        return self._text[offset : _JSON_SCAN(self._text, offset)[1]]

    def _find_name(self, offset: int, parameter: str) -> int | None:
        """As `_find_name` below."""
        opening = self._text[offset]
        if opening == "{":
            members = self._object(offset, None).members
            for key, key_offset, value in members:
                if key.lower() == "name" and self._text[value] not in "{[" and self._scalar(value) == parameter:
                    return self._line(key_offset)
            children = [value for _, _, value in members]
        elif opening == "[":
            children = self._items(offset)
        else:
            return None
        for child in children:
            line = self._find_name(child, parameter)
            if line is not None:
                return line
        return None
