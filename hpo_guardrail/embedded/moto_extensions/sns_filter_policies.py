"""SNS subscription filter policies: a String attribute is compared as it is, as AWS compares it.

moto reads every attribute value as JSON before comparing it with a policy's string: a String attribute
whose value is `["nlp"]` or `"xnlpx"` matches the policy {"team": ["nlp"]}, which AWS would not deliver
(only a String.Array attribute is a list; a String is one exact, case-sensitive value; see
https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html). The guardrail routes
alerts on a team tag anyone who creates a job can set, so the emulator has to compare as AWS does.
"""

from __future__ import annotations

from typing import Any

from moto.sns.utils import FilterPolicyMatcher

_original_field_match = FilterPolicyMatcher._field_match


def _field_match(field: str, rules: list[Any], dict_body: dict[str, Any], attributes_based_check: bool = True) -> bool:
    attribute = dict_body.get(field) if attributes_based_check else None
    if not isinstance(attribute, dict) or attribute.get("Type") != "String":
        return bool(_original_field_match(field, rules, dict_body, attributes_based_check))
    if any(isinstance(rule, str) and rule == attribute.get("Value") for rule in rules):
        return True
    # Operators (prefix, anything-but, exists, numeric) keep moto's matching; plain strings were compared above.
    others = [rule for rule in rules if not isinstance(rule, str)]
    return bool(others) and bool(_original_field_match(field, others, dict_body, attributes_based_check))


def extend_sns_filter_policies() -> None:
    """Compare String attributes exactly (moto reads them as JSON)."""
    FilterPolicyMatcher._field_match = staticmethod(_field_match)  # type: ignore[method-assign]
