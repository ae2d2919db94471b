"""`hpo-guardrail docs`: check or regenerate the generated reference documents."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "docs"
HELP = (
    "check or regenerate the generated documentation (docs/rules.md, docs/policy.schema.json, docs/permissions.md "
    "and the generated sections of README.md)"
)
DESCRIPTION = (
    "Compare the generated documentation with what the code says (exit 1 when stale), or rewrite it with --write. "
    "In a checkout it reads the checkout; in an installed package, the documentation installed with it (read-only)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--write and --root."""
    parser.add_argument("--write", action="store_true", help="rewrite the generated documents")
    parser.add_argument(
        "--root",
        help="repository root (default: this checkout, else the documentation installed with the package)",
    )


def run(args: argparse.Namespace) -> int:
    """0 when the documents are current (or were rewritten), 1 when some are stale, 2 on wrong usage."""
    from hpo_guardrail.linting.documentation import CHECKOUT, is_checkout, local_docs_root
    from hpo_guardrail.tools.reference_docs import MissingMarkers, stale_documents, write_documents

    if args.root is not None:
        root = Path(args.root)
        if not root.is_dir():
            print(f"hpo-guardrail docs: --root {root} is not a directory", file=sys.stderr)
            return 2
    else:
        found = local_docs_root()
        if found is None:
            print(f"hpo-guardrail docs: no documentation (no checkout at {CHECKOUT}); pass --root", file=sys.stderr)
            return 2
        root = found
        if args.write and not is_checkout(root):
            print(
                f"hpo-guardrail docs: {root} is the documentation installed with the package, which --write does "
                "not change; run it in a checkout, or pass --root",
                file=sys.stderr,
            )
            return 2
    where = "" if is_checkout(root) and args.root is None else f" in {root}"
    if args.write:
        try:
            changed = write_documents(root)
        except MissingMarkers as error:
            print(f"hpo-guardrail docs: {error}", file=sys.stderr)
            return 2
        print("updated: " + ", ".join(map(str, changed)) if changed else f"generated documents are current{where}")
        return 0
    stale = stale_documents(root)
    if stale:
        print(f"stale{where}: " + ", ".join(map(str, stale)) + " (run: hpo-guardrail docs --write)", file=sys.stderr)
        return 1
    print(f"generated documents are current{where}")
    return 0
