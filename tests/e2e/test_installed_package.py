"""`pip install .` ships the report's templates and the documentation: a wheel built from the sources renders
the report, links SARIF help to documentation that exists, and checks its own generated documents.

The editable install of the development environment reads the templates and docs from the source tree, so
it would not notice them missing from the package; a wheel installed elsewhere does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ("report.html.j2", "report.md.j2", "macros.html.j2", "report.css")
DOCS = ("README.md", "LICENSE", "CHANGELOG.md", "docs/rules.md", "docs/cli.md", "docs/policy.schema.json")
WEB_DOCS = "https://git.example.com/ml-platform/hpo-guardrail/blob/main"
# A Bayesian job running every training job at once, searching a learning rate on a linear scale.
REQUEST = {
    "HyperParameterTuningJobName": "installed-check",
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian",
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 20},
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:loss"},
        "ParameterRanges": {
            "ContinuousParameterRanges": [
                {"Name": "learning_rate", "MinValue": "0.0001", "MaxValue": "1.0", "ScalingType": "Linear"}
            ]
        },
    },
    "TrainingJobDefinition": {
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1",
            "TrainingInputMode": "File",
        },
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    },
}


def _build(work: Path, environ: dict[str, str]) -> Path:
    """A wheel built, offline, from a copy of the sources (so the worktree gets no build/ directory)."""
    source = work / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("rules", "hpo_guardrail", "docs"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HPO_GUARDRAIL_")}
    result = subprocess.run(
        [*command, "--wheel-dir", str(work / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, **environ},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = (work / "dist").glob("hpo_guardrail-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("wheel"), {})


def _install(wheel: Path, site: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _run_installed(site: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`hpo-guardrail ARGV` from the installed copy only (-I: no working directory, no PYTHONPATH)."""
    script = f"import sys; sys.path.insert(0, {str(site)!r}); from hpo_guardrail.cli import main; sys.exit(main())"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HPO_GUARDRAIL_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-I", "-c", script, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **clean,
            "HOME": str(cwd),
            "AWS_CONFIG_FILE": str(cwd / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(cwd / "none"),
        },
    )


def _sarif_help_uris(site: Path, cwd: Path) -> dict[str, str]:
    request = cwd / "tuning.json"
    request.write_text(json.dumps(REQUEST))
    result = _run_installed(site, cwd, "lint", str(request), "--format", "sarif", "--prices", "bundled")
    assert result.returncode == 1, result.stderr  # findings
    log = json.loads(result.stdout)
    assert log["runs"][0]["results"], "the request has findings"
    return {rule["id"]: rule["helpUri"] for rule in log["runs"][0]["tool"]["driver"]["rules"]}


def test_the_wheel_holds_the_documentation_and_the_license(wheel):
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    assert [name for name in DOCS if f"hpo_guardrail/documentation/{name}" not in names] == []
    (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    metadata = archive.read(metadata_name).decode()
    assert "License-Expression: Apache-2.0" in metadata
    assert "Project-URL" not in metadata  # built without the fork's URLs: none rather than a wrong one
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_the_installed_package_links_sarif_help_to_its_own_documentation(wheel, tmp_path):
    site = tmp_path / "site"
    _install(wheel, site)
    uris = _sarif_help_uris(site, tmp_path)
    rules_page = site / "hpo_guardrail" / "documentation" / "docs" / "rules.md"
    assert uris["log-scale"] == f"{rules_page.as_uri()}#log-scale"
    page = rules_page.read_text(encoding="utf-8")
    assert all(f'<a id="{rule}"></a>' in page for rule in uris)


def test_the_installed_package_checks_its_generated_documents_and_will_not_rewrite_them(wheel, tmp_path):
    site = tmp_path / "site"
    _install(wheel, site)
    checked = _run_installed(site, tmp_path, "docs")
    assert checked.returncode == 0, checked.stderr
    assert "generated documents are current in" in checked.stdout and "documentation" in checked.stdout
    written = _run_installed(site, tmp_path, "docs", "--write")
    assert written.returncode == 2 and "installed with the package" in written.stderr


def test_the_installed_package_runs_the_default_policys_shipped_tests(wheel, tmp_path):
    site = tmp_path / "site"
    _install(wheel, site)
    result = _run_installed(site, tmp_path, "test", "--packaged")
    assert result.returncode == 0, result.stdout + result.stderr
    # The tests installed with the package ran (not a checkout's): every case passed, none was left out.
    assert str(site / "hpo_guardrail" / "default_policy_tests") in result.stdout
    assert re.search(r"^[1-9]\d* passed, 0 failed, 0 could not run$", result.stdout, re.MULTILINE), result.stdout


def test_a_wheel_built_with_the_forks_docs_url_records_it_and_links_there(tmp_path):
    built = _build(tmp_path / "web", {"HPO_GUARDRAIL_DOCS_URL": WEB_DOCS})
    metadata = next(
        zipfile.ZipFile(built).read(n).decode()
        for n in zipfile.ZipFile(built).namelist()
        if n.endswith(".dist-info/METADATA")
    )
    assert f"Project-URL: Documentation, {WEB_DOCS}/README.md" in metadata
    assert f"Project-URL: Rules, {WEB_DOCS}/docs/rules.md" in metadata
    site = tmp_path / "site"
    _install(built, site)
    assert _sarif_help_uris(site, tmp_path)["parallelism"] == f"{WEB_DOCS}/docs/rules.md#parallelism"


def test_the_wheel_holds_the_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in TEMPLATES if f"hpo_guardrail/reporting/templates/{name}" not in names]
    assert missing == []


def test_the_installed_package_renders_the_report_from_its_own_templates(wheel, tmp_path):
    site = tmp_path / "site"
    _install(wheel, site)
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
