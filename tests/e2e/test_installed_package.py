"""`pip install .` ships the report's templates: a wheel built from the sources renders the report.

The editable install of the development environment reads the templates from the source tree, so it
would not notice templates missing from the package data; a wheel installed elsewhere does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ("report.html.j2", "report.md.j2", "macros.html.j2", "report.css")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built, offline, from a copy of the sources (so the worktree gets no build/ directory)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("rules", "hpo_guardrail"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    result = subprocess.run(
        [*command, "--wheel-dir", str(work / "dist"), str(source)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = (work / "dist").glob("hpo_guardrail-*.whl")
    return built


def test_the_wheel_holds_the_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in TEMPLATES if f"hpo_guardrail/reporting/templates/{name}" not in names]
    assert missing == []


def test_the_installed_package_renders_the_report_from_its_own_templates(wheel, tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(site)!r})
        from hpo_guardrail.reporting import render
        from hpo_guardrail.reporting.figures import ReportPeriod, compute_figures

        figures = compute_figures([], ReportPeriod.iso_week("2026-W48"), "2026-11-30T07:00:00Z")
        print(json.dumps({{"module": render.__file__, "html": render.render_html(figures),
                           "md": render.render_markdown(figures)}}))
        """
    )
    # -I: neither the working directory nor PYTHONPATH may bring the source tree back in.
    result = subprocess.run(
        [sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["module"].startswith(str(site))
    assert output["html"].startswith("<!doctype html>") and "No findings" in output["html"]
    assert output["md"].startswith("# HPO Guardrail report\n")
