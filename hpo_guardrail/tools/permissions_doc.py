"""docs/permissions.md: the IAM actions each deployed function and each adapter needs, from the code.

Each adapter in `hpo_guardrail/adapters/` declares its actions as `PERMISSIONS` (a class attribute, or a
module constant for a module of plain functions); `composition.FUNCTION_ADAPTERS` names the adapters of
each function. This page is made from those declarations only, so it cannot drift from the code, and a
test holds template.yaml's statements to the same actions.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass

import hpo_guardrail.adapters as adapters_package
from hpo_guardrail.composition import FUNCTION_ADAPTERS, required_permissions


@dataclass(frozen=True)
class DeclaredPermissions:
    """One declaration: an adapter class, or a module of functions, and the actions it needs."""

    name: str  # the class name, or the module's name for a module constant
    module: str  # the module under hpo_guardrail/adapters/, e.g. "sagemaker"
    actions: tuple[str, ...]
    declared_by: type | None  # the class, None for a module constant


def declared_permissions() -> list[DeclaredPermissions]:
    """Every PERMISSIONS declaration in hpo_guardrail/adapters/, in module then class order.

    A module constant that only repeats a class's declaration in the same module (pricing) is the
    class's; it is listed once, as the class.
    """
    found: list[DeclaredPermissions] = []
    for info in sorted(pkgutil.iter_modules(adapters_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{adapters_package.__name__}.{info.name}")
        classes = [
            DeclaredPermissions(cls.__name__, info.name, tuple(vars(cls)["PERMISSIONS"]), cls)
            for _, cls in sorted(inspect.getmembers(module, inspect.isclass))
            if cls.__module__ == module.__name__ and "PERMISSIONS" in vars(cls)
        ]
        found.extend(classes)
        constant = getattr(module, "PERMISSIONS", None)
        if constant is not None and all(tuple(constant) != c.actions for c in classes):
            found.append(DeclaredPermissions(info.name, info.name, tuple(constant), None))
    return found


def _functions_of(declaration: DeclaredPermissions) -> list[str]:
    return [function for function, wired in FUNCTION_ADAPTERS.items() if declaration.declared_by in wired]


def _actions(actions: tuple[str, ...] | frozenset[str]) -> str:
    return ", ".join(f"`{action}`" for action in sorted(actions))


def _function_sections(declarations: list[DeclaredPermissions]) -> Iterator[str]:
    for function, wired in FUNCTION_ADAPTERS.items():
        yield from ("", f"### {function}", "", "| adapter | actions |", "| --- | --- |")
        for adapter in wired:
            (declaration,) = [d for d in declarations if d.declared_by is adapter]
            yield f"| `{declaration.name}` (`adapters/{declaration.module}.py`) | {_actions(declaration.actions)} |"
        yield from ("", f"All of them: {_actions(required_permissions(function))}.")


def render_permissions_markdown() -> str:
    """docs/permissions.md."""
    declarations = declared_permissions()
    lines = [
        "# Permissions",
        "",
        "Generated from the adapters' declared permissions (`PERMISSIONS` in `hpo_guardrail/adapters/`) and",
        "`hpo_guardrail.composition.FUNCTION_ADAPTERS` by `hpo-guardrail docs --write`; do not edit by hand.",
        "",
        "Every AWS call goes through an adapter, and each adapter declares the IAM actions it needs. A test",
        "(`tests/unit/test_architecture.py`) holds each function's statements in `template.yaml` to exactly",
        "the actions of its adapters, and every statement but `pricing:GetProducts` to named resources; the",
        "resources and what the SAM transform adds (logs, X-Ray, the on-failure queue) are in",
        "docs/security.md.",
        "",
        "## By function",
        "",
        "Optional adapters are included: the template grants them behind the condition that turns them on",
        "(the SSM policy parameter, the Security Hub export).",
        *_function_sections(declarations),
        "",
        "## Every adapter",
        "",
        "The CLI (`lint --prices live`, `scan`, `review`, `report`, `prices`) runs with the caller's own credentials",
        "and needs the actions of the adapters it uses; those no function is wired with are the CLI's only.",
        "",
        "| adapter | actions | deployed in |",
        "| --- | --- | --- |",
    ]
    for declaration in declarations:
        functions = ", ".join(_functions_of(declaration)) or "the CLI only"
        name = f"`{declaration.name}`" if declaration.declared_by else f"`{declaration.name}` module"
        lines.append(f"| {name} (`adapters/{declaration.module}.py`) | {_actions(declaration.actions)} | {functions} |")
    return "\n".join(lines) + "\n"
