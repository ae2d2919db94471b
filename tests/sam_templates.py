"""The SAM transform the tests render templates with: the project's own scripts/sam_transform.py (what
`make checkov` scans), loaded by path since scripts/ is no package."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@cache
def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sam_transform", ROOT / "scripts" / "sam_transform.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sam_transformed(template_path: Path, pseudo: dict[str, str] | None = None) -> dict[str, Any]:
    """The template after the SAM transform, for the region, account and partition in `pseudo`."""
    result: dict[str, Any] = _script().transformed(template_path, pseudo)
    return result
