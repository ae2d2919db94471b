"""`sam build` produces an artifact whose handler imports and runs in a clean Python 3.12.

The clean interpreter gets only the artifact plus what the Lambda runtime itself provides (boto3
and its dependencies), so a runtime dependency missing from functions/guardrail/requirements.txt
fails here rather than in AWS.

The functions deploy as arm64 by default (template.yaml, Architecture), and this machine cannot run aarch64 code:
the artifact as deployed is built once and every native extension in it must be an aarch64 ELF; the handlers are
imported and run from a second build for x86_64 (Architecture=x86_64, LAMBDA_ARCHITECTURE=x86_64), the same code and
pinned versions with this machine's wheels.
"""

from __future__ import annotations

import json
import os
import platform
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

FUNCTIONS = ("GuardrailFunction", "StopButtonFunction", "ReporterFunction", "PriceRefreshFunction", "ReconcileFunction")
# ELF header (System V ABI): the magic, EI_CLASS 2 (64-bit), EI_DATA 1 (little-endian), and e_machine at byte 18:
# 183 EM_AARCH64, 62 EM_X86_64.
ELF_MAGIC = b"\x7fELF"
EM_AARCH64 = 183
EM_X86_64 = 62


def _sam_build(build_dir: Path, architecture: str | None) -> None:
    """`sam build` as `make build` runs it; `architecture` overrides the template's default and the Makefile's."""
    sam = shutil.which("sam", path=str(Path(sys.executable).parent)) or shutil.which("sam")
    if sam is None:
        pytest.fail("the SAM CLI is not installed; `make venv` installs it")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["SAM_CLI_TELEMETRY"] = "0"
    env.pop("LAMBDA_ARCHITECTURE", None)
    command = [sam, "build", "--build-in-source", "--template", "template.yaml", "--build-dir", str(build_dir)]
    if architecture is not None:
        env["LAMBDA_ARCHITECTURE"] = architecture
        command += ["--parameter-overrides", f"Architecture={architecture}"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def _elf_machine(path: Path) -> int | None:
    """The ELF file's e_machine, or None when the file is no 64-bit little-endian ELF."""
    with path.open("rb") as elf:
        header = elf.read(20)
    if len(header) < 20 or header[:4] != ELF_MAGIC or header[4] != 2 or header[5] != 1:
        return None
    return int.from_bytes(header[18:20], "little")


@pytest.fixture(scope="module")
def deployed_build(tmp_path_factory) -> Path:
    """The artifact as `make build` and the template's default deploy it (arm64)."""
    build_dir = tmp_path_factory.mktemp("sam-build-deployed")
    _sam_build(build_dir, None)
    return build_dir


@pytest.fixture(scope="module")
def built_function(tmp_path_factory) -> Path:
    """The guardrail function's artifact built for this machine's architecture, to import and run here."""
    if platform.machine() != "x86_64":
        pytest.skip("the import tests build for x86_64 and run on an x86_64 machine")
    build_dir = tmp_path_factory.mktemp("sam-build-x86_64")
    _sam_build(build_dir, "x86_64")
    return build_dir / "GuardrailFunction"


def test_the_template_and_the_makefile_default_to_the_same_architecture():
    template = (ROOT / "template.yaml").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "    Architectures: [!Ref Architecture]\n" in template
    default = template.split("\n  Architecture:\n", 1)[1].split("    Default: ", 1)[1].split("\n", 1)[0]
    assert default == "arm64"
    assert f"\nLAMBDA_ARCHITECTURE ?= {default}\n" in makefile


def test_every_native_extension_of_the_deployed_artifact_is_aarch64(deployed_build):
    checked = 0
    for function in FUNCTIONS:
        extensions = sorted((deployed_build / function).rglob("*.so"))
        assert extensions, f"{function}: pydantic_core, yaml and re2 ship native extensions"
        for extension in extensions:
            assert _elf_machine(extension) == EM_AARCH64, f"{extension.relative_to(deployed_build)} is not aarch64"
            checked += 1
    assert checked >= len(FUNCTIONS) * 3  # pydantic_core, yaml, re2 (and markupsafe for the reporter)


def test_the_x86_64_build_carries_x86_64_extensions(built_function):
    extensions = sorted(built_function.rglob("*.so"))
    assert extensions and all(_elf_machine(e) == EM_X86_64 for e in extensions)


def test_every_module_is_precompiled_to_bytecode_the_runtime_uses_without_its_source(deployed_build):
    """Lambda's /var/task is read-only: a module without a usable .pyc is compiled at every cold start. The
    .pyc files are unchecked-hash ones (PEP 552 flags 0b01: hash-based, check_source off), which Python uses
    whatever the source's modification time, which the deployment package does not keep."""
    from importlib.util import cache_from_source

    for function in FUNCTIONS:
        root = deployed_build / function
        sources = sorted(root.rglob("*.py"))
        assert sources
        for source in sources:
            compiled = Path(cache_from_source(str(source)))
            assert compiled.is_file(), f"{source.relative_to(deployed_build)} has no .pyc"
            flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
            assert flags == 0b01, f"{compiled.relative_to(deployed_build)}: flags {flags:#04b}"


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
