"""`.pre-commit-hooks.yaml`: which files each hook receives, and that its entry is a real command line.

pre-commit passes a hook the staged files whose path matches `files` (a Python regular expression, searched), of
the `types` given; tests/e2e/test_pre_commit_hooks.py runs the real pre-commit with these hooks.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from hpo_guardrail.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
HOOKS = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}

LINTED = [
    "tuning.json",
    "configs/tuning-churn.json",
    "ml/hpo_xgboost.yaml",
    "hpo.yml",
    "train/tune.py",
    "setup.py",
    "notebooks/Churn Model.ipynb",
    "deep/nested/dir/analysis.ipynb",
]
NOT_LINTED = [
    "package.json",
    "configs/model.yaml",
    "tuning/README.md",  # a directory named tuning does not make every file in it a request
    "tuning/data.csv",
    "train/tune.pyc",
    "train/tune.pyi",
    "notebooks/churn.ipynb.bak",
    "hpo-notes.txt",
]


@pytest.mark.parametrize("hook_id", ["hpo-guardrail-lint", "hpo-guardrail-fix"])
def test_each_hook_takes_requests_sdk_code_and_notebooks_and_nothing_else(hook_id):
    pattern = re.compile(HOOKS[hook_id]["files"])
    assert [path for path in LINTED if not pattern.search(path)] == []
    assert [path for path in NOT_LINTED if pattern.search(path)] == []


def test_the_hooks_entries_are_lint_and_lint_fix_with_options_that_exist():
    assert set(HOOKS) == {"hpo-guardrail-lint", "hpo-guardrail-fix"}
    assert shlex.split(HOOKS["hpo-guardrail-lint"]["entry"]) == ["hpo-guardrail", "lint"]
    assert shlex.split(HOOKS["hpo-guardrail-fix"]["entry"]) == ["hpo-guardrail", "lint", "--fix"]
    # The options the hooks file's comments offer for `args:` are lint's.
    comments = "".join(line for line in (ROOT / ".pre-commit-hooks.yaml").read_text().splitlines() if "#" in line)
    offered = set(re.findall(r"--[a-z][a-z-]*", comments))
    lint = build_parser().parse_args(["lint", "x.json"])
    assert offered and {f"--{name.replace('_', '-')}" for name in vars(lint)} >= offered - {"--cli-input-json"}


def test_docs_cli_states_the_hooks_files_pattern_and_offers_fail_on_unknown():
    (pattern,) = {hook["files"] for hook in HOOKS.values()}
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text[text.index("## pre-commit\n") :].split("\n## ", 1)[0]
    assert f"files: '{pattern}'" in section
    assert "--fail-on-unknown" in section
