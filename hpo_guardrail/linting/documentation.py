"""Where the project's documentation is: a checkout's own files, the copy installed inside the package,
or the web address the package was built to link to.

The documentation keeps the repository's layout wherever it is (README.md, docs/rules.md, ...), so a
link is the same relative path under any of these bases.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from rules.rule import DOCS_PAGE

DISTRIBUTION = "hpo-guardrail"
_PACKAGE = Path(__file__).resolve().parents[1]
CHECKOUT = _PACKAGE.parent
# Where setup.py copies README.md, LICENSE, CHANGELOG.md and docs/ in a built package.
INSTALLED_DOCS = _PACKAGE / "documentation"
# setup.py names the README of the configured docs URL "Documentation" (HPO_GUARDRAIL_DOCS_URL at build time).
_DOCUMENTATION_LABEL = "Documentation"
_README = "README.md"


def is_checkout(root: Path) -> bool:
    """A source tree of the project: its build file and its docs next to each other."""
    return (root / "pyproject.toml").is_file() and (root / DOCS_PAGE).is_file()


def local_docs_root() -> Path | None:
    """The checkout this code runs from, else the documentation installed with the package, else None."""
    if is_checkout(CHECKOUT):
        return CHECKOUT
    if (INSTALLED_DOCS / DOCS_PAGE).is_file():
        return INSTALLED_DOCS
    return None


def built_docs_url() -> str | None:
    """The docs URL the installed package was built with, from its Project-URL metadata, if any."""
    try:
        entries: list[str] = metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        url = url.strip()
        if label.strip() == _DOCUMENTATION_LABEL and url.endswith(f"/{_README}"):
            return url.removesuffix(f"/{_README}")
    return None


def default_docs_url() -> str:
    """The docs base when none is given: the URL built in, else the local documentation as a file URI."""
    built = built_docs_url()
    if built:
        return built
    root = local_docs_root()
    return (root or INSTALLED_DOCS).as_uri()
