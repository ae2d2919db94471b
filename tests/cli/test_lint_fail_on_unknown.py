"""`lint --fail-on-unknown`, and what the pre-commit hooks meet on every `.py` file: code without a tuner, code
that is not Python."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

DATA = Path(__file__).parent.parent / "data" / "sdk"
UNKNOWN_INSTANCE = "estimator instance_type is a function call's result (pick_instance_type()): unknown"
UNKNOWN_MAX_JOBS = "max_jobs is an attribute (args.max_jobs): unknown"


def test_a_tuner_with_unknown_values_is_skipped_and_exit_0_by_default(lint, tmp_path):
    shutil.copy(DATA / "unresolvable.py", tmp_path / "u.py")
    result = lint("u.py", "--prices", "bundled")
    assert result.returncode == 0, result.stdout + result.stderr
    assert UNKNOWN_INSTANCE in result.stdout
    assert "--fail-on-unknown" not in result.stderr


def test_fail_on_unknown_fails_naming_the_tuner_and_each_unknown_value(lint, tmp_path):
    shutil.copy(DATA / "unresolvable.py", tmp_path / "u.py")
    result = lint("u.py", "--prices", "bundled", "--fail-on-unknown")
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "--fail-on-unknown" in line]
    assert line.startswith("hpo-guardrail lint: u.py: the tuner at line 22 is not evaluated (--fail-on-unknown): ")
    assert UNKNOWN_INSTANCE in line and UNKNOWN_MAX_JOBS in line


def test_fail_on_unknown_fails_even_with_fail_on_never_and_in_the_json_report(lint, tmp_path):
    shutil.copy(DATA / "unresolvable.py", tmp_path / "u.py")
    result = lint("u.py", "--prices", "bundled", "--fail-on", "never", "--fail-on-unknown", "--format", "json")
    assert result.returncode == 1
    (report,) = json.loads(result.stdout)
    assert report["status"] == "skipped" and UNKNOWN_INSTANCE in report["unknowns"]


def test_fail_on_unknown_does_not_fail_evaluated_tuners_or_code_without_a_tuner(lint, tmp_path):
    shutil.copy(DATA / "pytorch_mnist.py", tmp_path / "tune.py")
    (tmp_path / "helpers.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    result = lint("tune.py", "helpers.py", "--prices", "bundled", "--fail-on", "never", "--fail-on-unknown")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""


def test_fail_on_unknown_keeps_exit_2_for_an_unusable_input(lint, tmp_path):
    shutil.copy(DATA / "unresolvable.py", tmp_path / "u.py")
    (tmp_path / "broken.py").write_text("from sagemaker.tuner import HyperparameterTuner\nx = (\n", encoding="utf-8")
    result = lint("u.py", "broken.py", "--prices", "bundled", "--fail-on-unknown")
    assert result.returncode == 2
    assert "the tuner at line 22 is not evaluated (--fail-on-unknown)" in result.stderr


def test_code_without_a_tuner_is_skipped_quietly_and_exit_0(lint, tmp_path):
    """The hooks run on every .py file: one without a tuner passes (pre-commit shows nothing for a passing hook)."""
    (tmp_path / "helpers.py").write_text("import os\n\nPATH = os.getcwd()\n", encoding="utf-8")
    result = lint("helpers.py", "--prices", "bundled")
    assert result.returncode == 0
    assert result.stderr == ""
    assert "helpers.py: skipped: no HyperparameterTuner(...)" in result.stdout


def test_a_python_syntax_error_is_one_line_naming_the_file_and_line_not_a_traceback(lint, tmp_path):
    source = "from sagemaker.tuner import HyperparameterTuner\n\ndef f(:\n    pass\n"
    (tmp_path / "broken.py").write_text(source, encoding="utf-8")
    result = lint("broken.py", "--prices", "bundled")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    # Python's own parser places it: line 3, at the colon (libcst's parser names the token after it).
    assert re.fullmatch(r"hpo-guardrail: broken\.py: the file is not valid Python \(line 3, column 6\): .+", line)


def test_a_file_that_never_names_the_tuner_is_skipped_unparsed_even_when_it_is_not_python(lint, tmp_path):
    """The hook runs on every .py file; one without a tuner costs nothing and never blocks a commit."""
    (tmp_path / "scratch.py").write_text("def f(:\n", encoding="utf-8")
    result = lint("scratch.py", "--prices", "bundled")
    assert result.returncode == 0 and result.stderr == ""
    assert "scratch.py: skipped: no HyperparameterTuner(...)" in result.stdout
