"""Running the installed `hpo-guardrail` console script on real files, and inputs built for it.

Each test runs the script as a user would, in a subprocess (about a second each with the policy
machinery), so group assertions on one run where they belong together.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.builders import ACCOUNT, REGION, continuous, integer, tuning_request

CLI = Path(sys.executable).parent / "hpo-guardrail"
# A developer's own settings must not change what the tests see.
_GUARDRAIL_VARIABLES = ("GUARDRAIL_MODE", "GUARDRAIL_POLICY", "BUDGET_CAP_USD", "NOTIFY_TOPIC_ARN", "NO_COLOR")


@dataclass(frozen=True)
class CliRun:
    """What one run of the command gave back."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(
    *args: str, cwd: Path, stdin: str | None = None, env: Mapping[str, str] | None = None, timeout: float = 120
) -> CliRun:
    """Run the installed console script; `env` adds to (or overrides) a cleaned copy of this environment.

    A developer's AWS credentials and price cache must not reach the tests either: the AWS_ variables are
    left out, the shared AWS files point nowhere (so --prices auto means bundled unless a test gives
    credentials), and the price cache lives in the test's directory.
    """
    inherited = {k: v for k, v in os.environ.items() if k not in _GUARDRAIL_VARIABLES and not k.startswith("AWS_")}
    hermetic = {
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "HPO_GUARDRAIL_CACHE_DIR": str(cwd / ".hpo-guardrail-cache"),
    }
    environment = inherited | hermetic | dict(env or {})
    completed = subprocess.run(
        [str(CLI), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        check=False,
    )
    return CliRun(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def lint(tmp_path: Path) -> Callable[..., CliRun]:
    """lint(*args, stdin=None, env=None) runs `hpo-guardrail lint ...` in tmp_path."""

    def run(*args: str, stdin: str | None = None, env: Mapping[str, str] | None = None) -> CliRun:
        return run_cli("lint", *args, cwd=tmp_path, stdin=stdin, env=env)

    return run


def write_json(path: Path, document: Any) -> Path:
    """Write a document as people write config files: indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def line_number(path: Path, text: str, *, after: str | None = None) -> int:
    """The 1-based line of the first line containing `text` (after the first line containing `after`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and text in line) + 1


def misconfigured_request(name: str = "churn-linear-lr", **kwargs: Any) -> dict[str, Any]:
    """A cheap request with two mechanical fixes: a linear learning rate and a log range from 0."""
    return tuning_request(
        name,
        continuous_ranges=[
            continuous("learning_rate", "0.0001", "1.0", "Linear"),
            continuous("alpha", "0.001", "100", None),
        ],
        integer_ranges=[integer("max_depth", "0", "10", "Logarithmic")],
        max_runtime_seconds=36_000,
        **kwargs,
    )


def clean_request(name: str = "churn-clean", **kwargs: Any) -> dict[str, Any]:
    """A request with nothing to find under the default policy."""
    return tuning_request(
        name,
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Logarithmic")],
        integer_ranges=[integer("max_depth", "3", "10", "Linear")],
        max_runtime_seconds=36_000,
        **kwargs,
    )


def describe_response(request: dict[str, Any], status: str = "InProgress") -> dict[str, Any]:
    """What DescribeHyperParameterTuningJob returns for a job created with `request` (no tags: Describe has none)."""
    name = request["HyperParameterTuningJobName"]
    response = {key: copy.deepcopy(value) for key, value in request.items() if key != "Tags"}
    return response | {
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/{name}",
        "HyperParameterTuningJobStatus": status,
        "CreationTime": "2026-11-26T09:30:00+00:00",
        "TrainingJobStatusCounters": {"Completed": 0, "InProgress": 2, "RetryableError": 0, "NonRetryableError": 0},
        "ObjectiveStatusCounters": {"Succeeded": 0, "Pending": 2, "Failed": 0},
    }
