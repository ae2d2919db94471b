"""`hpo-guardrail lint` works offline and starts quickly: linting a request file or SDK code loads neither boto3
nor botocore's machinery (sessions, clients, the service models), and a plain text report does not load rich."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_guardrail.linting.text import RICH_STRIPPED

ROOT = Path(__file__).resolve().parents[2]
SDK_SCRIPT = ROOT / "tests" / "data" / "sdk" / "pytorch_mnist.py"
EVENT = ROOT / "events" / "02-classic-linear-learning-rate.json"


def _modules_after_lint(*arguments: str) -> set[str]:
    """The modules loaded once `hpo-guardrail lint ARGUMENTS` has run in a fresh interpreter."""
    script = (
        "import json, sys\n"
        "from hpo_guardrail.cli import main\n"
        f"code = main(['lint', *{list(arguments)!r}])\n"
        "print(json.dumps([code, sorted(sys.modules)]))"
    )
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=environ)
    code, modules = json.loads(run.stdout.strip().splitlines()[-1])
    assert code == 1, run.stderr  # the input has findings
    return set(modules)


def _aws_sdk(modules: set[str]) -> list[str]:
    # aws_lambda_powertools, which the shared logger is built on, imports the botocore package itself (not its
    # sessions, clients or models) to add its user agent: the package alone is not counted.
    return sorted(m for m in modules if m.split(".")[0] == "boto3" or m.startswith("botocore."))


@pytest.mark.parametrize("prices", ["bundled", "auto"])
def test_linting_a_request_file_loads_no_boto3(prices):
    assert _aws_sdk(_modules_after_lint("--prices", prices, str(EVENT))) == []


def test_linting_sdk_code_loads_no_boto3():
    assert _aws_sdk(_modules_after_lint("--prices", "bundled", str(SDK_SCRIPT))) == []


def test_a_plain_text_report_loads_no_rich():
    assert "rich" not in _modules_after_lint("--prices", "bundled", "--color", "never", str(EVENT))


def test_the_plain_report_strips_what_rich_strips():
    from rich.control import STRIP_CONTROL_CODES

    assert tuple(STRIP_CONTROL_CODES) == RICH_STRIPPED
