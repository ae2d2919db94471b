"""Policy files: YAML in, a validated `PolicyDocument` out, or an error naming the field and the line."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from rules.limits import NESTED_TOO_DEEPLY, POLICY_LIMITS, POLICY_MAX_CHARACTERS, check_document
from rules.parsing import InvalidRequest
from rules.policy import PolicyDocument

if TYPE_CHECKING:
    import yaml

DEFAULT_POLICY_FILE = "data/default-policy.yaml"
# The same policy as JSON, read instead of the YAML so that a function or command on the default policy never
# loads PyYAML (an import and a parse in pure Python at every cold start). A unit test holds it to the YAML.
DEFAULT_POLICY_JSON = "data/default-policy.json"
# Rule settings are checked by a validator on the `rules` mapping, which reports "<rule>.<field>: why";
# that prefix is turned back into a location so the error names the exact field and its line.
_RULE_SETTING_ERROR = re.compile(r"^(?:Value error, )?(?P<rule>[a-z0-9-]+)\.(?P<field>[\w.]+): (?P<why>.*)$", re.S)


class PolicyError(ValueError):
    """A policy that cannot be used: where (source, field path, line) and why."""

    def __init__(self, source: str, reason: str, path: str = "", line: int | None = None) -> None:
        self.source, self.reason, self.path, self.line = source, reason, path, line
        where = source + (f", line {line}" if line is not None else "") + (f", at {path}" if path else "")
        super().__init__(f"invalid policy {where}: {reason}")


def line_of(node: yaml.Node | None, location: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location (the deepest node found)."""
    import yaml  # imported here, as in parse_policy: the packaged default policy is read without PyYAML

    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node, line = match, match.start_mark.line + 1
    return line


def parse_policy(text: str, source: str = "<policy>") -> PolicyDocument:
    """Parse and validate a policy; raises PolicyError with the field path and the line."""
    if len(text) > POLICY_MAX_CHARACTERS:
        raise PolicyError(source, f"too large: {len(text):,} characters (at most {POLICY_MAX_CHARACTERS:,})")
    # Imported here: only a policy file needs PyYAML; the packaged default is read from its JSON twin.
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = str(getattr(error, "problem", None) or error)
        raise PolicyError(source, f"not valid YAML: {reason}", line=mark.line + 1 if mark else None) from None
    except RecursionError:  # PyYAML's composer recurses once per level
        raise PolicyError(source, f"not valid YAML: {NESTED_TOO_DEEPLY}") from None
    except ValueError as error:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise PolicyError(source, f"not valid YAML: a number with too many digits ({error})") from None
    return _validated(data, source, root)


def _validated(data: Any, source: str, root: yaml.Node | None) -> PolicyDocument:
    """The document of parsed policy data; errors name the line of the field when `root` (YAML) is given."""
    try:
        check_document(data, POLICY_LIMITS)
    except InvalidRequest as error:
        raise PolicyError(source, error.reason, error.path) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(source, f"expected a mapping at the top, got {type(data).__name__}", line=1)
    try:
        return PolicyDocument.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(part for part in first["loc"] if isinstance(part, int | str))
        message = str(first["msg"]).removeprefix("Value error, ")
        nested = _RULE_SETTING_ERROR.match(message)
        if nested and location and location[-1] == "rules":
            location += (nested["rule"], *nested["field"].split("."))
            message = nested["why"]
        path = ".".join(str(part) for part in location)
        more = error.error_count() - 1
        reason = message + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        raise PolicyError(source, reason, path, line_of(root, location) if root is not None else None) from None


@lru_cache(maxsize=1)
def default_policy() -> PolicyDocument:
    """The policy shipped in rules/data/default-policy.yaml (read from its JSON twin, default-policy.json)."""
    text = resources.files("rules").joinpath(DEFAULT_POLICY_JSON).read_text(encoding="utf-8")
    return _validated(json.loads(text), f"rules/{DEFAULT_POLICY_JSON}", None)


def default_policy_json() -> str:
    """default-policy.json as rules/data/default-policy.yaml says it should be (what the twin must hold)."""
    import yaml  # imported here: only the test that keeps the twin current, and its rewrite, read the YAML

    text = resources.files("rules").joinpath(DEFAULT_POLICY_FILE).read_text(encoding="utf-8")
    return json.dumps(yaml.safe_load(text), indent=2, sort_keys=True, default=str) + "\n"


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of policy files, for editors (exported to docs/policy.schema.json)."""
    schema = PolicyDocument.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "HPO Guardrail policy"
    return schema
