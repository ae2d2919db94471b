"""`hpo-guardrail docs`: check or regenerate the generated reference documents."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "docs"
HELP = "check or regenerate docs/rules.md, docs/policy.schema.json and docs/permissions.md"
REPO_ROOT = Path(__file__).resolve().parents[2]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--write and --root."""
    parser.add_argument("--write", action="store_true", help="rewrite the generated documents")
    parser.add_argument("--root", default=str(REPO_ROOT), help="repository root (default: this checkout)")


def run(args: argparse.Namespace) -> int:
    """0 when the documents are current (or were rewritten), 1 when some are stale."""
    from hpo_guardrail.tools.reference_docs import stale_documents, write_documents

    root = Path(args.root)
    if args.write:
        changed = write_documents(root)
        print("updated: " + ", ".join(map(str, changed)) if changed else "generated documents are current")
        return 0
    stale = stale_documents(root)
    if stale:
        print("stale: " + ", ".join(map(str, stale)) + " (run: hpo-guardrail docs --write)", file=sys.stderr)
        return 1
    print("generated documents are current")
    return 0
