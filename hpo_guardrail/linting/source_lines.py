"""Reading input files (JSON, or YAML) and finding the line of a request member in them.

JSON is read with the json module (exact errors with line and column). Lines come from composing
the text as YAML: every JSON document is a YAML document, and the composer keeps each node's
position, which the json module does not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
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
    try:
        check_document(document, FILE_LIMITS)
    except InvalidRequest as error:
        raise UnreadableDocument(f"{error.reason}" + (f" at {error.path}" if error.path else "")) from None
    return document


class SourceLines:
    """Finds the 1-based line of a member, addressed by its path segments, in the text of a document."""

    def __init__(self, text: str) -> None:
        try:
            self._root: yaml.Node | None = yaml.compose(text, Loader=Yaml12Loader)
        except (yaml.YAMLError, RecursionError, ValueError):
            # Rare JSON that PyYAML reads differently (tabs as indentation, say): findings point at line 1.
            self._root = None

    def line_of(self, segments: Sequence[str], *, prefer_name: bool = True) -> int | None:
        """The line of the deepest member on the path that exists.

        Object keys match case-insensitively, so a PascalCase pointer finds CloudTrail's lowerCamelCase.
        When the path ends inside an object that has a "Name" (a parameter range), that line is the
        one a reader looks for, so it is preferred to the line where the object opens.
        """
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
