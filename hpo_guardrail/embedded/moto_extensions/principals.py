"""Who is calling, which organization they belong to, and whether a resource policy admits them.

moto evaluates no resource policies: every principal may do everything. The multi-account flow rests on
two of them (a role's trust policy, an event bus's policy), so the emulator evaluates those, with the
part of IAM's policy language they use: Allow and Deny statements, `Principal` (an account id, an
account root, a role or user ARN, a service, or `*`), `Action` and `Resource` with wildcards, and
`Condition` with the string and ARN operators over the keys listed in `ConditionContext`. A condition
or element (NotPrincipal, NotAction, NotResource) this module cannot evaluate denies, with the reason,
so a policy never admits more here than in AWS.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.iam.models import iam_backends
from moto.organizations.models import organizations_backends

_PARTITION = "aws"
_UNSUPPORTED_ELEMENTS = frozenset({"NotPrincipal", "NotAction", "NotResource"})


@dataclass(frozen=True)
class Principal:
    """A caller: an IAM role, a user, an account's root, or an AWS service (then `service` is set)."""

    arn: str
    account_id: str
    service: str | None = None

    @classmethod
    def account_root(cls, account_id: str) -> Principal:
        return cls(arn=f"arn:aws:iam::{account_id}:root", account_id=account_id)

    @classmethod
    def for_service(cls, service: str) -> Principal:
        return cls(arn=service, account_id="", service=service)


@dataclass(frozen=True)
class ConditionContext:
    """The values of the condition keys a request brings (aws:PrincipalOrgID is looked up)."""

    principal: Principal
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. aws:SourceArn, events:source, sts:ExternalId

    def value(self, key: str) -> str | None:
        lowered = key.lower()
        if lowered == "aws:principalorgid":
            return organization_id_of(self.principal.account_id)
        if lowered == "aws:principalaccount":
            return self.principal.account_id or None
        if lowered == "aws:principalarn":
            return self.principal.arn
        for name, value in self.extra.items():
            if name.lower() == lowered:
                return value
        return None


@dataclass(frozen=True)
class PolicyDecision:
    """Whether a policy admits a request, and which statement (or absence of one) decided it."""

    allowed: bool
    reason: str


def organization_id_of(account_id: str) -> str | None:
    """The id of the organization the emulator holds for an account (management or member), else None."""
    if not account_id:
        return None
    own = organizations_backends[account_id][_PARTITION].org
    if own is not None:
        return str(own.id)
    management = organizations_backends.master_accounts.get(account_id)
    if management is None:
        return None
    organization = organizations_backends[management[0]][management[1]].org
    return str(organization.id) if organization is not None else None


def role_exists(role_arn: str) -> bool:
    """Whether the role an ARN names exists in its account (the ARN's path is part of the match)."""
    account_id = _arn_account(role_arn)
    if account_id is None:
        return False
    return any(role.arn == role_arn for role in iam_backends[account_id][_PARTITION].get_roles())


def trust_policy_of(role_arn: str) -> dict[str, Any] | None:
    """A role's trust policy, or None when the role does not exist."""
    account_id = _arn_account(role_arn)
    if account_id is None:
        return None
    for role in iam_backends[account_id][_PARTITION].get_roles():
        if role.arn == role_arn:
            document = role.assume_role_policy_document
            return dict(json.loads(document) if isinstance(document, str) else document)
    return None


def evaluate(policy: Mapping[str, Any], action: str, resource: str, context: ConditionContext) -> PolicyDecision:
    """Evaluate a resource policy for one request: an explicit Deny wins, then any Allow, else denied."""
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    allowing: str | None = None
    for statement in statements:
        unsupported = sorted(_UNSUPPORTED_ELEMENTS & set(statement))
        if unsupported:
            # Skipping such a statement could admit what AWS refuses (a Deny with NotPrincipal).
            return PolicyDecision(False, f"the emulator cannot evaluate {', '.join(unsupported)}")
        if not _statement_applies(statement, action, resource, context.principal):
            continue
        holds, _ = _conditions_hold(statement.get("Condition", {}), context)
        name = statement.get("Sid") or "a statement without Sid"
        if statement.get("Effect") == "Deny":
            if holds:
                return PolicyDecision(False, f"explicitly denied by {name}")
            continue
        if holds:
            allowing = allowing or name
    if allowing is not None:
        return PolicyDecision(True, f"allowed by {allowing}")
    return PolicyDecision(False, _no_allow_reason(statements, action, resource, context))


def _no_allow_reason(statements: Iterable[Any], action: str, resource: str, context: ConditionContext) -> str:
    for statement in statements:
        if statement.get("Effect") != "Deny" and _statement_applies(statement, action, resource, context.principal):
            _, why = _conditions_hold(statement.get("Condition", {}), context)
            return f"the condition of {statement.get('Sid') or 'the statement'} does not hold: {why}"
    return f"no statement allows {context.principal.arn} to {action} on {resource}"


def _statement_applies(statement: Mapping[str, Any], action: str, resource: str, principal: Principal) -> bool:
    actions = _as_list(statement.get("Action", []))
    if not any(_like(action.lower(), pattern.lower()) for pattern in actions):
        return False
    resources = _as_list(statement.get("Resource", "*"))
    if not any(_arn_like(resource, pattern) for pattern in resources):
        return False
    return _principal_matches(statement.get("Principal"), principal)


def _principal_matches(principal_element: Any, principal: Principal) -> bool:
    if principal_element == "*":
        return principal.service is None
    if not isinstance(principal_element, Mapping):
        return False
    if principal.service is not None:
        return principal.service in _as_list(principal_element.get("Service", []))
    for entry in _as_list(principal_element.get("AWS", [])):
        if entry == "*":
            return True
        # An account id or its root admits every principal of that account (its own IAM policies decide).
        if entry in (principal.account_id, f"arn:aws:iam::{principal.account_id}:root"):
            return True
        if entry == principal.arn:
            return True
    return False


@functools.cache
def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM's wildcards: `*` any run of characters (none too), `?` exactly one; nothing else is special
    (no character classes, unlike fnmatch)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _like(value: str, pattern: str) -> bool:
    """StringLike: the whole value matches the pattern."""
    return _wildcard(pattern).fullmatch(value) is not None


def _arn_like(value: str, pattern: str) -> bool:
    """ArnLike (and a statement's Resource): "each of the six colon-delimited components of the ARN is checked
    separately" (IAM User Guide, condition operators), so a `*` never reaches across a colon into the next
    component; the resource part after the fifth colon is one component, colons and all."""
    if pattern == "*":
        return True
    values, patterns = value.split(":", 5), pattern.split(":", 5)
    return len(values) == len(patterns) == 6 and all(_like(v, p) for v, p in zip(values, patterns, strict=True))


_STRING_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda value, pattern: value == pattern,
    "StringNotEquals": lambda value, pattern: value != pattern,
    "StringEqualsIgnoreCase": lambda value, pattern: value.lower() == pattern.lower(),
    "StringLike": _like,
    "StringNotLike": lambda value, pattern: not _like(value, pattern),
    "ArnEquals": lambda value, pattern: value == pattern,
    "ArnLike": _arn_like,
    "ArnNotEquals": lambda value, pattern: value != pattern,
    "ArnNotLike": lambda value, pattern: not _arn_like(value, pattern),
}
_NEGATED = frozenset({"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"})


def _conditions_hold(conditions: Mapping[str, Any], context: ConditionContext) -> tuple[bool, str]:
    """Whether every condition of a statement holds; when not, why (for the refusal's message)."""
    for operator, keys in conditions.items():
        qualifier, _, base = operator.rpartition(":")
        test = _STRING_OPERATORS.get(base)
        if test is None or qualifier not in ("", *_SET_QUALIFIERS) or (qualifier and base in _NEGATED):
            return False, f"the emulator cannot evaluate the condition operator {operator}"
        if qualifier:
            held, reason = _set_condition_holds(qualifier, base, test, keys, context)
            if not held:
                return False, reason
            continue
        for key, expected in keys.items():
            value = context.value(key)
            patterns = _as_list(expected)
            if value is None:
                # A missing key fails a positive operator and satisfies a negated one, as in IAM.
                if operator in _NEGATED:
                    continue
                return False, f"{key} has no value for {context.principal.arn}"
            if operator in _NEGATED:
                matched = all(test(value, pattern) for pattern in patterns)
            else:
                matched = any(test(value, pattern) for pattern in patterns)
            if not matched:
                return False, f"{operator} {key}: {value!r} against {patterns}"
    return True, ""


# Set qualifiers over a key's values. Every key the emulator knows has one value per request (an event's
# source, a caller's organization), which is the set of one value IAM compares.
_SET_QUALIFIERS = ("ForAllValues", "ForAnyValue")


def _set_condition_holds(
    qualifier: str,
    base: str,
    test: Callable[[str, str], bool],
    keys: Mapping[str, Any],
    context: ConditionContext,
) -> tuple[bool, str]:
    """ForAllValues: every value of the key matches a pattern (a key without values holds, as in IAM);
    ForAnyValue: at least one does (a key without values fails)."""
    for key, expected in keys.items():
        value = context.value(key)
        values = [] if value is None else [value]
        patterns = _as_list(expected)
        matches = [any(test(v, pattern) for pattern in patterns) for v in values]
        held = all(matches) if qualifier == "ForAllValues" else any(matches)
        if not held:
            return False, f"{qualifier}:{base} {key}: {values!r} against {patterns}"
    return True, ""


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    if len(parts) < 6 or not parts[4].isdigit():
        return None
    return parts[4]
