"""The two build steps pyproject.toml cannot declare.

1. The documentation ships inside the package, as hpo_guardrail/documentation/ mirroring the
   repository (README.md, LICENSE, CHANGELOG.md, docs/), so SARIF help links and `hpo-guardrail docs`
   work from an installed package (hpo_guardrail/linting/documentation.py finds it there).
2. The project URLs name the fork being built: HPO_GUARDRAIL_REPOSITORY_URL (the repository) and
   HPO_GUARDRAIL_DOCS_URL (where its files are browsed, e.g. https://git.example.com/ml/hpo-guardrail/blob/main)
   at build time. Unset, the package names no URL rather than a wrong one. See docs/development.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Keep in step with hpo_guardrail/linting/documentation.py (INSTALLED_DOCS); tests/e2e checks the wheel.
DOCS_PACKAGE_DIR = Path("hpo_guardrail") / "documentation"
SHIPPED_DOCS = ("README.md", "LICENSE", "CHANGELOG.md", "docs/*.md", "docs/*.json")
REPOSITORY_URL_VARIABLE = "HPO_GUARDRAIL_REPOSITORY_URL"
DOCS_URL_VARIABLE = "HPO_GUARDRAIL_DOCS_URL"


def shipped_documents(root: Path) -> list[Path]:
    """The documentation files to ship, relative to `root`; a missing one is a broken checkout."""
    found: list[Path] = []
    for pattern in SHIPPED_DOCS:
        matches = sorted(path.relative_to(root) for path in root.glob(pattern) if path.is_file())
        if not matches:
            raise SystemExit(f"cannot build: {pattern} is missing from {root}")
        found += matches
    return found


def _web_url(variable: str, environ: Mapping[str, str]) -> str | None:
    value = environ.get(variable, "").strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise SystemExit(f"cannot build: {variable} must be an http(s) URL, not {value!r}")
    return value


def project_urls(environ: Mapping[str, str]) -> dict[str, str]:
    """[project.urls] of this build: only the URLs the builder configured."""
    urls: dict[str, str] = {}
    repository = _web_url(REPOSITORY_URL_VARIABLE, environ)
    if repository:
        urls["Repository"] = repository
    docs = _web_url(DOCS_URL_VARIABLE, environ)
    if docs:
        urls["Documentation"] = f"{docs}/README.md"
        urls["Rules"] = f"{docs}/docs/rules.md"
        urls["Changelog"] = f"{docs}/CHANGELOG.md"
    return urls


class BuildWithDocumentation(build_py):
    """build_py that also copies the documentation into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout itself
        target = Path(self.build_lib) / DOCS_PACKAGE_DIR
        for relative in shipped_documents(ROOT):
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / relative, destination)


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import its functions
    setup(project_urls=project_urls(os.environ), cmdclass={"build_py": BuildWithDocumentation})
