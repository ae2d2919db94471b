"""The rule catalogue: every module in this package that defines `RULE` is a rule.

A new rule is one new module here plus its tests; nothing else changes (docs/rules.md is generated
from the catalogue, and a test fails when it is stale).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any

from rules.rule import Rule


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule[Any], ...]:
    """Every rule in the catalogue, in module order."""
    found: list[Rule[Any]] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            found.append(rule)
    ids = [r.id for r in found]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate rule ids: {sorted(duplicates)}")
    return tuple(found)


def rules_by_id() -> dict[str, Rule[Any]]:
    """The catalogue keyed by rule id."""
    return {rule.id: rule for rule in all_rules()}
