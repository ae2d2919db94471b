"""`sam build` produces an artifact whose handler imports and runs in a clean Python 3.12.

The clean interpreter gets only the artifact plus what the Lambda runtime itself provides (boto3
and its dependencies), so a runtime dependency missing from functions/guardrail/requirements.txt
fails here rather than in AWS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What the AWS Lambda Python runtime ships besides the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")

pytestmark = pytest.mark.sam


@pytest.fixture(scope="module")
def built_function(tmp_path_factory) -> Path:
    sam = shutil.which("sam", path=str(Path(sys.executable).parent)) or shutil.which("sam")
    if sam is None:
        pytest.fail("the SAM CLI is not installed; `make venv` installs it")
    build_dir = tmp_path_factory.mktemp("sam-build")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["SAM_CLI_TELEMETRY"] = "0"
    result = subprocess.run(
        [sam, "build", "--build-in-source", "--template", "template.yaml", "--build-dir", str(build_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return build_dir / "GuardrailFunction"


@pytest.fixture(scope="module")
def lambda_runtime_packages(tmp_path_factory) -> Path:
    """boto3 and friends, as the Lambda runtime provides them (linked from this environment)."""
    runtime = tmp_path_factory.mktemp("lambda-runtime")
    import boto3

    site_packages = Path(boto3.__file__).resolve().parents[1]
    for name in RUNTIME_PACKAGES:
        (runtime / name).symlink_to(site_packages / name)
    return runtime


def test_artifact_holds_the_code_and_no_second_botocore(built_function):
    for expected in (
        "functions/guardrail/app.py",
        "rules/data/training_prices.json",
        "hpo_guardrail/enforce/service.py",
    ):
        assert (built_function / expected).is_file(), expected
    assert not (built_function / "botocore").exists()
    assert not (built_function / "jinja2").exists(), "only the reporter renders templates"
    assert not (built_function / "hpo_guardrail" / "embedded").exists(), "the emulator is not shipped"


def test_handler_imports_and_runs_in_a_clean_interpreter(built_function, lambda_runtime_packages):
    event = (ROOT / "events" / "01-well-configured.json").read_text()
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path[:0] = [{str(built_function)!r}, {str(lambda_runtime_packages)!r}]
        import functions.guardrail.app as app
        import pydantic_core

        class Context:
            function_name = "guardrail"
            memory_limit_in_mb = 256
            invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:guardrail"
            aws_request_id = "req-1"

        result = app.lambda_handler(json.loads(sys.stdin.read()), Context())
        print(json.dumps({{"result": result, "pydantic_core": pydantic_core.__file__}}))
        """
    )
    base_python = getattr(sys, "_base_executable", sys.executable)
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "GUARDRAIL_MODE": "enforce",
        "BUDGET_CAP_USD": "1000",
        "NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run(
        [base_python, "-I", "-S", "-c", script],
        input=event,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["result"]["status"] == "evaluated" and output["result"]["decision"] == "none"
    assert output["pydantic_core"].startswith(str(built_function)), "pydantic_core must come from the artifact"


@pytest.fixture(scope="module")
def built_reporter(built_function) -> Path:
    """The ReporterFunction artifact of the same `sam build` (Makefile target build-ReporterFunction)."""
    return built_function.parent / "ReporterFunction"


def test_reporter_artifact_holds_its_code_and_imports_in_a_clean_interpreter(built_reporter, lambda_runtime_packages):
    assert (built_reporter / "functions/reporter/app.py").is_file()
    assert (built_reporter / "hpo_guardrail/reporting/render.py").is_file()
    assert not (built_reporter / "hpo_guardrail" / "embedded").exists(), "the emulator is not shipped"
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path[:0] = [{str(built_reporter)!r}, {str(lambda_runtime_packages)!r}]
        import functions.reporter.app as app
        import jinja2, pydantic_core
        from hpo_guardrail.reporting.figures import ReportPeriod, compute_figures
        from hpo_guardrail.reporting.render import render_html

        page = render_html(compute_figures([], ReportPeriod.iso_week("2026-W48"), "2026-11-30T07:00:00Z"))
        print(json.dumps({{"handler": callable(app.lambda_handler), "pydantic_core": pydantic_core.__file__,
                           "jinja2": jinja2.__file__, "page": page[:15]}}))
        """
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AUDIT_TABLE_NAME": "audit",
        "REPORT_BUCKET_NAME": "reports",
        "NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    base_python = getattr(sys, "_base_executable", sys.executable)
    result = subprocess.run(
        [base_python, "-I", "-S", "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["handler"] and output["pydantic_core"].startswith(str(built_reporter))
    # The page comes from the templates inside the artifact, rendered by the Jinja2 bundled with it.
    assert output["jinja2"].startswith(str(built_reporter)) and output["page"] == "<!doctype html>"
