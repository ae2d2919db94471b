"""`hpo-guardrail lint` works offline: linting a request file or SDK code loads neither boto3 nor botocore's
machinery (sessions, clients, the service models), which cost more than the rest of the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK_SCRIPT = ROOT / "tests" / "data" / "sdk" / "pytorch_mnist.py"
EVENT = ROOT / "events" / "02-classic-linear-learning-rate.json"


def _aws_modules_after_lint(*arguments: str) -> list[str]:
    script = (
        "import json, sys\n"
        "from hpo_guardrail.cli import main\n"
        f"code = main(['lint', *{list(arguments)!r}])\n"
        # aws_lambda_powertools, which the shared logger is built on, imports the botocore package itself (not its
        # sessions or clients) to add its user agent: the package alone is not counted.
        "print(json.dumps([code, sorted(m for m in sys.modules if m.split('.')[0] == 'boto3' or "
        "m.startswith('botocore.'))]))"
    )
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=environ)
    code, modules = json.loads(run.stdout.strip().splitlines()[-1])
    assert code == 1, run.stderr  # the input has findings
    return modules


@pytest.mark.parametrize("prices", ["bundled", "auto"])
def test_linting_a_request_file_loads_no_boto3(prices):
    assert _aws_modules_after_lint("--prices", prices, str(EVENT)) == []


def test_linting_sdk_code_loads_no_boto3():
    assert _aws_modules_after_lint("--prices", "bundled", str(SDK_SCRIPT)) == []
