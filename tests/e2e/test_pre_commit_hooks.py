"""The shipped `.pre-commit-hooks.yaml`, run by the real pre-commit (the version pinned in requirements-dev.txt)
in a throwaway git repository, as a team that adds this repository to its `.pre-commit-config.yaml` runs it.

pre-commit installs a hook repository from a commit, so the test commits a snapshot of this checkout's files (the
tracked ones and new ones git does not ignore, as they are on disk) to a repository of its own. The commit's
dates and author are fixed, so the same files give the same commit: pre-commit's store (PRE_COMMIT_HOME, kept in
pytest's cache directory) then reuses the hook environment it built for that commit, and any change to the files
is a new commit and a new environment. Building one installs the package with pip, with requirements-dev.txt as
constraints, so the versions are those `make venv` installs (from pip's cache when it is warm).

Measured on the development machine (2 cores, pip cache warm): about 35 s with an empty store (the hook environment
is built), about 11 s when the store holds it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.builders import continuous, integer, tuning_request

ROOT = Path(__file__).resolve().parents[2]
LINT_HOOK = "HPO Guardrail (lint tuning configs)"
FIX_HOOK = "HPO Guardrail (fix tuning configs)"
# Fixed, so that the same files give the same commit (and pre-commit's store its environment back).
SNAPSHOT_IDENTITY = {
    "GIT_AUTHOR_NAME": "hpo-guardrail tests",
    "GIT_AUTHOR_EMAIL": "tests@hpo-guardrail.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "hpo-guardrail tests",
    "GIT_COMMITTER_EMAIL": "tests@hpo-guardrail.invalid",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
}
# What the guardrail's own settings, a developer's AWS setup or git configuration would change.
_LEFT_OUT_PREFIXES = ("AWS_", "GUARDRAIL_", "HPO_GUARDRAIL_", "PRE_COMMIT", "GIT_")
_LEFT_OUT = {"BUDGET_CAP_USD", "NOTIFY_TOPIC_ARN", "NO_COLOR", "SKIP", "VIRTUAL_ENV", "PYTHONPATH", "PIP_CONSTRAINT"}


# --- the files a data scientist commits ---------------------------------------------------------------------

ESTIMATOR = """from sagemaker.estimator import Estimator
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, IntegerParameter

estimator = Estimator(
    image_uri="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    role="arn:aws:iam::111122223333:role/SageMakerRole",
    instance_count=1,
    instance_type="ml.m5.xlarge",
    max_run=3600,
)
"""
TUNER = """tuner = HyperparameterTuner(
    estimator,
    objective_metric_name="validation:auc",
    hyperparameter_ranges={
        "eta": ContinuousParameter(ETA),  # learning rate
        "max_depth": IntegerParameter(3, 10),
    },
    max_jobs=20,
    max_parallel_jobs=2,
    max_runtime_in_seconds=86400,
)
"""
BAD_ETA = "0, 1"  # a range from 0 on a linear scale (the SDK's Auto): positive-min
GOOD_ETA = '0.0001, 1, scaling_type="Logarithmic"'  # what --fix writes


def _script(eta: str) -> str:
    return f'"""Tune an XGBoost model."""\n\n{ESTIMATOR}\n{TUNER.replace("ETA", eta)}'


def _notebook(eta: str) -> str:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Churn: tune XGBoost"),
        nbformat.v4.new_code_cell(ESTIMATOR),
        nbformat.v4.new_code_cell(TUNER.replace("ETA", eta)),
        nbformat.v4.new_code_cell("%%bash\necho not Python"),
    ]
    return nbformat.writes(notebook)


def _request(name: str, low: str, scaling: str) -> str:
    request = tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", low, "1", scaling)],
        integer_ranges=[integer("max_depth", "3", "10")],
        max_runtime_seconds=86_400,
    )
    return json.dumps(request, indent=2) + "\n"


GOOD_FILES = {
    "tuning/tuning-churn.json": _request("churn", "0.0001", "Logarithmic"),
    "train/tune_churn.py": _script(GOOD_ETA),
    "notebooks/churn.ipynb": _notebook(GOOD_ETA),
    "train/features.py": "import os\n\nDATA = os.environ.get('DATA', 'data/')\n",  # no tuner: passes quietly
    "README.md": "Churn model\n",  # no hook's file
}
BAD_FILES = {
    "tuning/tuning-fraud.json": _request("fraud", "0", "Linear"),
    "train/tune_fraud.py": _script(BAD_ETA),
    "notebooks/fraud.ipynb": _notebook(BAD_ETA),
}


# --- the repositories ---------------------------------------------------------------------------------------


def _environment(home: Path, store: Path) -> dict[str, str]:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_LEFT_OUT_PREFIXES) and key not in _LEFT_OUT
    }
    return inherited | {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "HOME": str(home),
        "PRE_COMMIT_HOME": str(store),
        # The hook environment gets the versions `make venv` installs (pip's cache holds them).
        "PIP_CONSTRAINT": str(ROOT / "requirements-dev.txt"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # No AWS: --prices auto means the bundled prices; the price cache stays in the test's directory.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "HPO_GUARDRAIL_CACHE_DIR": str(home / "hpo-guardrail-cache"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        **SNAPSHOT_IDENTITY,
    }


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = _run(["git", *args], cwd, env)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def _cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest's cache directory (kept between runs), or a temporary one when the cache plugin is off."""
    cache = getattr(request.config, "cache", None)
    return Path(cache.mkdir("pre-commit")) if cache is not None else tmp_path_factory.mktemp("pre-commit")


@pytest.fixture(scope="module")
def hooks_repository(request, tmp_path_factory) -> tuple[Path, str, Path]:
    """A git repository holding this checkout's files in one commit: (its path, the commit, pre-commit's store)."""
    cache = _cache(request, tmp_path_factory)
    store, repository = cache / "store", cache / "hooks-repository"
    env = _environment(tmp_path_factory.mktemp("home"), store)
    listed = _git(ROOT, env, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    shutil.rmtree(repository, ignore_errors=True)
    repository.mkdir(parents=True)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is left out, as a commit would
            (repository / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repository / name)
    assert (repository / ".pre-commit-hooks.yaml").is_file()
    _git(repository, env, "init", "-q")
    _git(repository, env, "add", "-A")
    _git(repository, env, "commit", "-q", "--no-verify", "-m", "the checkout's files")
    commit = _git(repository, env, "rev-parse", "HEAD").strip()
    # Environments of earlier snapshots whose test repositories are gone: pre-commit's own clean-up.
    _run([sys.executable, "-m", "pre_commit", "gc"], cache, env)
    return repository, commit, store


def _write(project: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")


def _hook_lines(output: str) -> dict[str, str]:
    """Each hook's status line: 'Passed', 'Failed' or 'Skipped' by the hook's name."""
    statuses = {}
    for line in output.splitlines():
        for name in (LINT_HOOK, FIX_HOOK):
            if line.startswith(name):
                statuses[name] = line.rstrip().rsplit(".", 1)[-1].split(")")[-1].strip()
    return statuses


def test_the_real_pre_commit_fails_a_bad_commit_the_fix_hook_mends_it_and_then_it_passes(hooks_repository, tmp_path):
    repository, commit, store = hooks_repository
    env = _environment(tmp_path / "home", store)
    (tmp_path / "home").mkdir()
    project = tmp_path / "ml-project"
    project.mkdir()
    _git(project, env, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repository}\n    rev: {commit}\n    hooks:\n"
        "      - id: hpo-guardrail-lint\n      - id: hpo-guardrail-fix\n",
        encoding="utf-8",
    )
    installed = _run([sys.executable, "-m", "pre_commit", "install"], project, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # Good files: the hooks run on the request, the scripts (one without a tuner) and the notebook, and pass.
    _write(project, GOOD_FILES)
    _git(project, env, "add", "-A")
    good = _run(["git", "commit", "-m", "good tuning code"], project, env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert _hook_lines(good.stdout + good.stderr) == {LINT_HOOK: "Passed", FIX_HOOK: "Passed"}

    # Bad files: both hooks fail, naming each finding's file and line; nothing is committed.
    _write(project, BAD_FILES)
    _git(project, env, "add", "-A")
    bad = _run(["git", "commit", "-m", "bad tuning code"], project, env)
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, output
    assert _hook_lines(output) == {LINT_HOOK: "Failed", FIX_HOOK: "Failed"}
    assert "files were modified by this hook" in output
    for name in BAD_FILES:
        assert f"{name}:" in output, name
    assert output.count("positive-min") >= len(BAD_FILES)
    assert "cell 3, line 5" in output  # the notebook's finding: its cell and the line in the cell
    assert _git(project, env, "rev-list", "--count", "HEAD").strip() == "1"

    # The fix hook edited the bad files in the work tree, only where the fix is; the good files are untouched.
    script = (project / "train/tune_fraud.py").read_text(encoding="utf-8")
    assert script == _script(BAD_ETA).replace(f"ContinuousParameter({BAD_ETA})", f"ContinuousParameter({GOOD_ETA})")
    cell = json.loads((project / "notebooks/fraud.ipynb").read_text(encoding="utf-8"))["cells"][2]
    assert f"ContinuousParameter({GOOD_ETA})" in "".join(cell["source"])
    fixed_request = json.loads((project / "tuning/tuning-fraud.json").read_text(encoding="utf-8"))
    (learning_rate,) = fixed_request["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"]
    assert (learning_rate["MinValue"], learning_rate["ScalingType"]) == ("0.0001", "Logarithmic")
    for name, text in GOOD_FILES.items():
        assert (project / name).read_text(encoding="utf-8") == text, name

    # The fixed files are added and the commit passes.
    _git(project, env, "add", "-A")
    fixed = _run(["git", "commit", "-m", "bad tuning code, fixed"], project, env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _hook_lines(fixed.stdout + fixed.stderr) == {LINT_HOOK: "Passed", FIX_HOOK: "Passed"}
    assert _git(project, env, "rev-list", "--count", "HEAD").strip() == "2"
