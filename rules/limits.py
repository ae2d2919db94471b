"""Limits on the shape of any parsed input: nesting, size, and valid Unicode, checked without recursion.

Every reader applies them before anything else walks the document (pydantic, the checks, the JSON writers):
the Lambda's event (rules/events.py), lint's files and stdin (hpo_guardrail/linting/source_lines.py) and
policy files (rules/policy_file.py). A document over a limit is refused with the reason, never a
RecursionError, a MemoryError or a minutes-long walk of a YAML alias bomb.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat

from rules.parsing import InvalidRequest


@dataclass(frozen=True)
class DocumentLimits:
    """How deep and how large a parsed document may be.

    `max_nodes` counts every object, array and scalar as the walk meets it, so an alias repeated in YAML
    counts each time it is used: the size the document has once expanded.
    """

    max_depth: int
    max_nodes: int
    max_string: int


# A CloudTrail record of CreateHyperParameterTuningJob nests about 8 deep; EventBridge events are at most
# 256 KB, so about 130,000 values at the most.
EVENT_LIMITS = DocumentLimits(max_depth=32, max_nodes=200_000, max_string=262_144)
# Lint inputs: requests, records, events and Describe responses, in files of at most FILE_MAX_CHARACTERS.
FILE_LIMITS = DocumentLimits(max_depth=64, max_nodes=500_000, max_string=1_000_000)
FILE_MAX_CHARACTERS = 10_000_000
# A policy: a few hundred scopes and exemptions at the very most.
POLICY_LIMITS = DocumentLimits(max_depth=32, max_nodes=100_000, max_string=100_000)
POLICY_MAX_CHARACTERS = 1_000_000
# Python's own recursion limit is 1,000 frames: a parser that recurses stops short of that.
NESTED_TOO_DEEPLY = "nested too deeply"


def _has_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _where(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def check_document(document: object, limits: DocumentLimits, prefix: str = "") -> None:
    """Raise InvalidRequest naming the reason and where, when `document` exceeds `limits` or holds text
    that is not valid Unicode (a lone surrogate, which no UTF-8 writer can write)."""
    # Whether a document is within its limits does not depend on the order its values are visited in: a quick
    # pass answers that for every event and file, and only a document that fails is walked again, in the order
    # that finds the problem its error names.
    if not _within(document, limits):
        _find_problem(document, limits, prefix)


_SCALARS = (int, float, bool, type(None))
# What json.loads builds: a container holding only these is handled in whole (in C), not value by value.
_TEXTS = frozenset({str})
_CONTAINERS = (frozenset({dict}), frozenset({list}), frozenset({dict, list}))


def _within(document: object, limits: DocumentLimits) -> bool:
    """True when `document` breaks none of `limits` (the checks of `_find_problem`, without the paths).

    Built for speed (every event the function receives and every linted file goes through it): texts are
    gathered and checked together at the end, in two calls that run in C, and a container holding only texts, or
    only objects and arrays (most of them, in a request), is taken in whole rather than value by value.
    """
    texts: list[str] = []  # every text value, for the length and Unicode checks
    keys: list[object] = []  # every key, for the Unicode check of those that are text
    nodes = 1
    containers: list[tuple[object, int]] = []
    if isinstance(document, str):
        texts.append(document)
    else:
        containers.append((document, 0))
    while containers:
        container, depth = containers.pop()
        if depth > limits.max_depth:
            return False
        # type() first: a dict or a list from json.loads is told apart without the slower ABC checks.
        if type(container) is dict or isinstance(container, Mapping):
            keys.extend(container)
            items: Collection[object] = container.values()
        elif type(container) is list or (
            isinstance(container, Sequence) and not isinstance(container, bytes | bytearray)
        ):
            items = container
        else:
            continue  # a number, true/false or null
        nodes += len(items)
        if nodes > limits.max_nodes or (items and depth + 1 > limits.max_depth):
            return False
        kinds = set(map(type, items))
        if kinds == _TEXTS:
            texts.extend(items)  # type: ignore[arg-type]
            continue
        if kinds in _CONTAINERS:
            containers.extend(zip(items, repeat(depth + 1)))
            continue
        for item in items:
            kind = type(item)
            if kind is str:
                texts.append(item)  # type: ignore[arg-type]
            elif kind is dict or kind is list:
                containers.append((item, depth + 1))
            elif kind in _SCALARS:
                continue
            elif isinstance(item, str):
                texts.append(item)
            elif isinstance(item, Mapping | Sequence) and not isinstance(item, bytes | bytearray):
                containers.append((item, depth + 1))
    if texts and max(map(len, texts)) > limits.max_string:
        return False
    # The UTF-8 codec refuses every surrogate code point, paired or not, so one encoding of all the texts
    # together finds a lone surrogate in any of them.
    try:
        joined_keys = "".join(keys)  # type: ignore[arg-type]
    except TypeError:  # a key that is not text (YAML allows numbers): only text keys are checked
        joined_keys = "".join(key for key in keys if isinstance(key, str))
    return not _has_lone_surrogate("".join(texts) + joined_keys)


def _find_problem(document: object, limits: DocumentLimits, prefix: str) -> None:
    """Raise InvalidRequest for the first problem found walking `document` depth first, naming where it is."""
    stack: list[tuple[object, int, tuple[str | int, ...]]] = [(document, 0, ())]
    nodes = 0

    def fail(reason: str, path: tuple[str | int, ...]) -> InvalidRequest:
        where = _where(path)
        return InvalidRequest(reason, f"{prefix}.{where}".strip(".") if prefix else where)

    while stack:
        value, depth, path = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise fail(f"too large: more than {limits.max_nodes:,} values", ())
        if depth > limits.max_depth:
            raise fail(f"{NESTED_TOO_DEEPLY}: more than {limits.max_depth} levels", path[: limits.max_depth])
        if isinstance(value, str):
            if len(value) > limits.max_string:
                raise fail(f"too large: a text of {len(value):,} characters (at most {limits.max_string:,})", path)
            if _has_lone_surrogate(value):
                raise fail("not valid Unicode text (a lone surrogate)", path)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and _has_lone_surrogate(key):
                    raise fail("not valid Unicode text (a lone surrogate in a key)", path)
                stack.append((item, depth + 1, (*path, str(key)[:64])))
        elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
            stack.extend((item, depth + 1, (*path, index)) for index, item in enumerate(value))
