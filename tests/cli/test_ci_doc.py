"""docs/ci.md: the GitHub Actions workflow parses, has the permissions upload-sarif needs and uploads the file lint
writes; every `hpo-guardrail` command line in it parses with the real command-line parser; the plain shell
recipe, run as written in a git repository, fails on bad tuning code, writes a SARIF log and passes on good code.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

from hpo_guardrail.cli import build_parser
from hpo_guardrail.cli.lint import DESCRIPTION as LINT_DESCRIPTION
from tests.builders import continuous, tuning_request

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "ci.md"
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "2>", "<", "&"}


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), flags=re.S | re.M)


def _workflow() -> dict[Any, Any]:
    (workflow,) = [document for document in map(yaml.safe_load, _blocks("yaml")) if "jobs" in document]
    return workflow


def _steps() -> list[dict[str, Any]]:
    (job,) = _workflow()["jobs"].values()
    return job["steps"]


def _invocations(script: str) -> list[list[str]]:
    """The arguments of each `hpo-guardrail` command in a shell script, up to the end of its command."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        for match in re.finditer(r"(?:^|(?<=[\s(]))hpo-guardrail(?=\s|$)", line):
            words = []
            for word in shlex.split(line[match.end() :], comments=True):
                if word in SHELL_OPERATORS or word.startswith((">", "2>")):
                    break
                words.append(word)
            found.append(words)
    return found


def _scripts() -> list[str]:
    return [step["run"] for step in _steps() if "run" in step] + _blocks("sh")


def _parse(words: list[str]) -> tuple[Any, str]:
    """The namespace the real parser makes of a command line (shell variables stand in as a file), and its errors."""
    concrete = ["tune.py" if word.startswith("${") else word for word in words]
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        try:
            return build_parser().parse_args(concrete), ""
        except SystemExit:
            return None, errors.getvalue()


def test_the_workflow_parses_and_runs_on_push_and_pull_requests():
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "pull_request"}
    assert [step.get("uses", "").split("@")[0] for step in _steps() if "uses" in step] == [
        "actions/checkout",
        "actions/setup-python",
        "github/codeql-action/upload-sarif",
    ]


def test_the_job_has_the_permissions_upload_sarif_needs_and_no_more():
    (job,) = _workflow()["jobs"].values()
    assert job["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}


def test_upload_sarif_uploads_the_file_the_lint_step_writes_and_runs_before_the_job_fails():
    steps = _steps()
    (lint,) = [step for step in steps if re.search(r"^\s*hpo-guardrail lint", step.get("run", ""), flags=re.M)]
    (upload,) = [step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    (written,) = re.findall(r">\s*(\S+\.sarif)", lint["run"])
    assert upload["with"]["sarif_file"] == written
    assert upload["if"] == f"steps.{lint['id']}.outputs.sarif == 'yes'"
    # The lint step does not fail on its own (the upload would be skipped); the last step fails the job.
    assert "|| status=$?" in lint["run"] and 'echo "status=$status" >> "$GITHUB_OUTPUT"' in lint["run"]
    assert steps[-1]["if"] == f"steps.{lint['id']}.outputs.status != '0'" and "exit 1" in steps[-1]["run"]
    assert steps.index(upload) == len(steps) - 2


def test_every_hpo_guardrail_command_line_in_the_page_parses_with_the_real_parser():
    invocations = [words for script in _scripts() for words in _invocations(script)]
    commands = {words[0] for words in invocations}
    assert {"lint", "test"} <= commands
    problems = {" ".join(words): error for words in invocations for _, error in [_parse(words)] if error}
    assert problems == {}


def test_the_lint_lines_give_sarif_and_the_options_the_page_explains():
    lines = [_parse(words)[0] for script in _scripts() for words in _invocations(script) if words[0] == "lint"]
    assert lines and all(args is not None and args.prices == "bundled" for args in lines)
    assert any(args.format == "sarif" and args.docs_url for args in lines)
    text = PAGE.read_text(encoding="utf-8")
    for flag in ("--fail-on", "--fail-on-unknown", "--prices", "--docs-url", "--policy"):
        assert f"`{flag}" in text, flag


def _exit_codes(heading: str) -> set[str]:
    text = PAGE.read_text(encoding="utf-8")
    table = text[text.index(heading) :].split("\n\n")[1]
    return set(re.findall(r"^\| (\d) \|", table, flags=re.M))


def test_the_exit_codes_are_the_commands_own():
    assert _exit_codes("`hpo-guardrail lint`:") == {"0", "1", "2"}
    assert re.search(r"Exit codes: 0 .*, 1 .*, 2 ", LINT_DESCRIPTION)
    assert _exit_codes("`hpo-guardrail test`:") == {"0", "1", "2"}


# --- the shell recipe, run as written -------------------------------------------------------------------------

TUNER = """from sagemaker.estimator import Estimator
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

estimator = Estimator(
    image_uri="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    role="arn:aws:iam::111122223333:role/SageMakerRole",
    instance_count=1,
    instance_type="ml.m5.xlarge",
    max_run=3600,
)
tuner = HyperparameterTuner(
    estimator,
    "validation:auc",
    {"eta": ContinuousParameter(LOW, 1, scaling_type="Logarithmic")},
    max_jobs=20,
    max_parallel_jobs=2,
    max_runtime_in_seconds=86400,
)
"""


def _notebook(low: str) -> str:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(TUNER.replace("LOW", low))]
    return nbformat.writes(notebook)


def _request(low: str) -> str:
    request = tuning_request(
        "churn", continuous_ranges=[continuous("eta", low, "1", "Logarithmic")], max_runtime_seconds=86_400
    )
    return json.dumps(request, indent=2) + "\n"


def _repository(path: Path, low: str) -> dict[str, str]:
    """A git repository with a request, a script, a notebook (with this minimum for eta) and files lint skips."""
    files = {
        "configs/tuning-churn.json": _request(low),
        "train/tune.py": TUNER.replace("LOW", low),
        "notebooks/churn.ipynb": _notebook(low),
        "train/features.py": "COLUMNS = ['age', 'plan']\n",
        "configs/model.json": '{"layers": 3}\n',  # not a request by its name: not linted
    }
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    env = _environment(path)
    subprocess.run(["git", "init", "-q"], cwd=path, env=env, check=True)
    subprocess.run(["git", "add", "-A"], cwd=path, env=env, check=True)
    return files


def _environment(path: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GUARDRAIL_", "HPO_GUARDRAIL_"))}
    return inherited | {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "HPO_GUARDRAIL_CACHE_DIR": str(path / ".cache"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def _run_recipe(path: Path) -> subprocess.CompletedProcess[str]:
    (recipe,) = [block for block in _blocks("sh") if "hpo-guardrail lint" in block]
    return subprocess.run(
        ["bash", "-c", recipe], cwd=path, env=_environment(path), capture_output=True, text=True, timeout=300
    )


def test_the_shell_recipe_fails_on_bad_tuning_code_with_a_text_report_and_a_sarif_log(tmp_path):
    _repository(tmp_path, "0")  # eta from 0 on a log scale: positive-min (medium) in each of the three
    result = _run_recipe(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    for name in ("configs/tuning-churn.json", "train/tune.py", "notebooks/churn.ipynb"):
        assert f"{name}:" in result.stdout, name
    assert "configs/model.json" not in result.stdout
    log = json.loads((tmp_path / "hpo-guardrail.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    located = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results}
    assert {("positive-min", "configs/tuning-churn.json"), ("positive-min", "train/tune.py")} <= located
    assert ("positive-min", "notebooks/churn.ipynb") in located


@pytest.mark.parametrize("files", ["good", "none"])
def test_the_shell_recipe_passes_on_good_tuning_code_and_on_a_repository_without_any(tmp_path, files):
    if files == "good":
        _repository(tmp_path, "0.0001")
    else:
        subprocess.run(["git", "init", "-q"], cwd=tmp_path, env=_environment(tmp_path), check=True)
    result = _run_recipe(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    if files == "none":
        assert result.stdout.strip() == "no tuning code to lint"
    else:
        assert "3 evaluated, 0 findings" in result.stdout
        assert json.loads((tmp_path / "hpo-guardrail.sarif").read_text(encoding="utf-8"))["runs"][0]["results"] == []
