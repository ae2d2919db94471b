"""`hpo-guardrail lint` on SageMaker Python SDK scripts and notebooks, end to end through the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent.parent / "data" / "sdk"


def test_a_script_and_a_notebook_are_linted_with_cell_and_line_and_exit_1(lint, tmp_path):
    for name in ("xgboost_builtin.py", "notebook_earlier_cells.ipynb"):
        shutil.copy(DATA / name, tmp_path / name)
    result = lint("xgboost_builtin.py", "notebook_earlier_cells.ipynb", "--format", "json")
    assert result.returncode == 1, result.stderr
    reports = json.loads(result.stdout)
    assert [r["kind"] for r in reports] == ["sdk-code", "notebook"]
    notebook = reports[1]
    assert notebook["where"] == "cell 5, line 6"
    eta = next(f for f in notebook["findings"] if f["rule"] == "positive-min")
    assert (eta["cell"], eta["line"]) == (5, 2)


def test_fix_edits_the_notebook_cell_and_then_it_passes(lint, tmp_path):
    shutil.copy(DATA / "notebook_earlier_cells.ipynb", tmp_path / "n.ipynb")
    before = (tmp_path / "n.ipynb").read_text()
    fixed = lint("n.ipynb", "--fix", "--fail-on", "medium")
    after = (tmp_path / "n.ipynb").read_text()
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert 'ContinuousParameter(0.0001, 1, scaling_type=\\"Logarithmic\\")' in after
    assert json.loads(before)["cells"][1] == json.loads(after)["cells"][1]  # outputs and magics untouched
    assert lint("n.ipynb", "--fail-on", "medium").returncode == 0


def test_unknown_values_are_named_and_the_tuner_skipped(lint, tmp_path):
    shutil.copy(DATA / "unresolvable.py", tmp_path / "u.py")
    result = lint("u.py")
    assert result.returncode == 0
    assert "instance_type is a function call's result (pick_instance_type()): unknown" in result.stdout


def test_output_with_sdk_code_is_a_usage_error(lint, tmp_path):
    shutil.copy(DATA / "unresolvable.py", tmp_path / "u.py")
    result = lint("u.py", "--fix", "--output", "x.json")
    assert result.returncode == 2 and "edits SDK code and notebooks in place" in result.stderr


def test_linting_a_request_loads_neither_libcst_nor_nbformat(tmp_path):
    request = tmp_path / "r.json"
    shutil.copy(DATA / "pytorch_mnist.request.json", request)
    probe = (
        "import sys, io\nfrom hpo_guardrail.cli.lint import run_lint\n"
        "from hpo_guardrail.linting.inputs import LintOptions\n"
        f"run_lint(LintOptions(paths=[{str(request)!r}], prices='bundled'), stdin=io.StringIO(), stdout=io.StringIO(),"
        " stderr=io.StringIO(), environ={})\nprint(*sys.modules)"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert not [m for m in loaded if m.split(".")[0] in ("libcst", "nbformat")]


def _kept_line_breaks(before: bytes, after: bytes) -> None:
    """Every byte of `before` outside the edited values is in `after` unchanged: no original line break or
    other byte between the edits changes, and every line of `after` ends in CRLF."""
    import difflib

    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            assert b"\r" not in before[i1:i2] and b"\n" not in before[i1:i2], (before[i1:i2], after[j1:j2])
    assert after.count(b"\n") == after.count(b"\r\n")


def test_fix_keeps_a_crlf_script_byte_for_byte_outside_the_edits(lint, tmp_path):
    script = tmp_path / "crlf.py"
    before = (DATA / "pytorch_mnist.py").read_bytes().replace(b"\n", b"\r\n")
    script.write_bytes(before)
    fixed = lint("crlf.py", "--fix", "--prices", "bundled")
    after = script.read_bytes()
    assert "written to crlf.py" in fixed.stdout, fixed.stdout + fixed.stderr
    assert b'scaling_type="Logarithmic"' in after
    _kept_line_breaks(before, after)


def test_fix_keeps_a_crlf_request_byte_for_byte_outside_the_edits(lint, tmp_path):
    request = tmp_path / "r.json"
    before = (DATA / "xgboost_builtin.request.json").read_bytes().replace(b"\n", b"\r\n")
    request.write_bytes(before)
    fixed = lint("r.json", "--fix", "--prices", "bundled")
    after = request.read_bytes()
    assert "written to r.json" in fixed.stdout, fixed.stdout + fixed.stderr
    assert b'"Logarithmic"' in after and after != before
    _kept_line_breaks(before, after)
