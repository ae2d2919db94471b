"""What the benchmarks share: the floor, fresh interpreters, and the table of figures against their goals.

The floor is the least any Python Lambda function (or CLI) that calls AWS pays: start Python, `import boto3`,
create one client. Every benchmark measures it in the same run, in the same environment as the figure it is
compared with, because the machines these run on are shared and their speed drifts from one minute to the next.

Two environments:
- `lambda_like`: the `sam build` artifact plus only what the Lambda Python runtime ships (boto3 and its
  dependencies), in an isolated interpreter (`python -I -S -B`): no site-packages, so nothing the development
  environment happens to hold (pyOpenSSL, awscrt) is imported by botocore as it would not be in Lambda.
- `installed`: the project's own virtual environment, as a person who ran `pip install` has it (the CLI).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "build" / "bench"
# What the AWS Lambda Python runtime ships besides the standard library (tests/e2e/test_built_artifact.py too).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
# Credentials and region for client creation; nothing calls AWS.
AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}

# Measured inside the fresh interpreter: from its first statement to after the work, and its peak RSS.
_TIMED = """
import json, resource, sys, time
_start = time.perf_counter()
sys.path[:0] = {paths!r}
{work}
_seconds = time.perf_counter() - _start
try:  # the peak RSS of this program: VmHWM starts afresh at exec, where ru_maxrss keeps the parent's peak at fork
    _rss_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    _rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": _seconds, "rss_mib": _rss_kib / 1024}}))
"""

FLOOR_WORK = "import boto3\nboto3.client('sns')"


@dataclass(frozen=True)
class Environment:
    """Where a fresh interpreter looks for code: extra sys.path entries, and whether site-packages counts."""

    name: str
    paths: tuple[str, ...] = ()
    isolated: bool = False

    def command(self, script: str) -> list[str]:
        python = getattr(sys, "_base_executable", sys.executable) if self.isolated else sys.executable
        # -B: Lambda's /var/task is read-only, so an artifact's modules without .pyc files are compiled again at
        # every cold start; the benchmark must not write them either.
        return [python, "-I", "-S", "-B", "-c", script] if self.isolated else [sys.executable, "-c", script]


@dataclass(frozen=True)
class Run:
    seconds: float  # inside the interpreter: first statement to the end of the work
    wall_seconds: float  # the whole process, interpreter start-up and exit included
    rss_mib: float


@dataclass(frozen=True)
class Runs:
    runs: tuple[Run, ...]

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def wall_seconds(self) -> float:
        return statistics.median(run.wall_seconds for run in self.runs)

    @property
    def rss_mib(self) -> float:
        return statistics.median(run.rss_mib for run in self.runs)


def fresh(
    work: str, environment: Environment, *, runs: int = 7, env: Mapping[str, str] | None = None, cwd: Path = ROOT
) -> Runs:
    """Run `work` (Python source) in `runs` fresh interpreters; the medians of their timings and peak RSS."""
    script = _TIMED.format(paths=list(environment.paths), work=textwrap.dedent(work).strip())
    variables = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    variables.update(AWS_ENV)
    variables.update(env or {})
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(
            environment.command(script), cwd=cwd, env=variables, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        if result.returncode != 0:
            raise RuntimeError(f"{environment.name}: the benchmark's interpreter failed:\n{result.stderr}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        out.append(Run(figures["seconds"], wall, figures["rss_mib"]))
    return Runs(tuple(out))


def paired(
    work: str, environment: Environment, *, runs: int = 7, env: Mapping[str, str] | None = None
) -> tuple[Runs, Runs]:
    """`work` and the floor, run alternately in fresh interpreters of `environment`: (work's runs, the floor's).
    Alternating keeps a machine that slows down or speeds up during the run from favouring either side."""
    work_runs, floor_runs = [], []
    for _ in range(runs):
        work_runs.extend(fresh(work, environment, runs=1, env=env).runs)
        floor_runs.extend(fresh(FLOOR_WORK, environment, runs=1).runs)
    return Runs(tuple(work_runs)), Runs(tuple(floor_runs))


def floor(environment: Environment, *, runs: int = 7) -> Runs:
    """python + `import boto3` + one client, in `environment`."""
    return fresh(FLOOR_WORK, environment, runs=runs)


def installed() -> Environment:
    """The project's virtual environment (the CLI as installed)."""
    return Environment("installed")


def lambda_like(function: str = "GuardrailFunction") -> Environment:
    """The `sam build` artifact of `function` plus the Lambda runtime's own packages (built by `build_artifact`)."""
    return Environment(
        f"lambda:{function}", (str(BUILD_DIR / "sam" / function), str(BUILD_DIR / "runtime")), isolated=True
    )


def build_artifact() -> None:
    """`sam build` into build/bench/sam (the deployed artifact), and link the runtime's packages beside it."""
    sam = shutil.which("sam", path=str(Path(sys.executable).parent)) or shutil.which("sam")
    if sam is None:
        raise SystemExit("the SAM CLI is not installed; `make venv` installs it")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["SAM_CLI_TELEMETRY"] = "0"
    # This machine's architecture, so the interpreter can load the native extensions: the deployed default is arm64
    # (template.yaml, Architecture), whose wheels hold the same Python code.
    architecture = "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"
    env["LAMBDA_ARCHITECTURE"] = architecture
    build = [sam, "build", "--build-in-source", "--template", "template.yaml", "--build-dir", str(BUILD_DIR / "sam")]
    subprocess.run(
        [*build, "--parameter-overrides", f"Architecture={architecture}"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    runtime = BUILD_DIR / "runtime"
    shutil.rmtree(runtime, ignore_errors=True)
    runtime.mkdir(parents=True)
    import boto3

    site_packages = Path(boto3.__file__).resolve().parents[1]
    for name in RUNTIME_PACKAGES:
        (runtime / name).symlink_to(site_packages / name)


@dataclass(frozen=True)
class Figure:
    """One measured figure next to its goal and, where the goal is relative, the floor of the same run."""

    what: str
    value: float
    unit: str
    goal: float | None = None  # in `unit`; None: reported, no goal
    floor: float | None = None  # the floor's figure in `unit`, measured in the same run
    goal_ratio: float | None = None  # the goal as a multiple of the floor (then `goal` is left None)
    at_least: bool = False  # the goal is a minimum (throughput) rather than a maximum

    @property
    def ratio(self) -> float | None:
        return self.value / self.floor if self.floor else None

    @property
    def target(self) -> float | None:
        if self.goal_ratio is not None and self.floor is not None:
            return self.goal_ratio * self.floor
        return self.goal

    @property
    def met(self) -> bool | None:
        target = self.target
        if target is None:
            return None
        return self.value >= target if self.at_least else self.value <= target


def _number(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.0f} ms"
    if unit == "ms":
        return f"{value:.3f} ms"
    if unit == "requests/s":
        return f"{value:,.0f} requests/s"
    return f"{value:.1f} {unit}"


def table(figures: Sequence[Figure]) -> str:
    """The figures as a Markdown table: value, floor, ratio to the floor, goal, met."""
    rows = ["| what | measured | floor | x floor | goal | met |", "| --- | --- | --- | --- | --- | --- |"]
    for figure in figures:
        floor_text = _number(figure.floor, figure.unit) if figure.floor is not None else "-"
        ratio = f"{figure.ratio:.2f}x" if figure.ratio is not None else "-"
        if figure.goal_ratio is not None:
            goal = f"{'>=' if figure.at_least else '<='} {figure.goal_ratio:.2f}x floor"
        elif figure.goal is not None:
            goal = f"{'>=' if figure.at_least else '<='} {_number(figure.goal, figure.unit)}"
        else:
            goal = "-"
        met = {True: "yes", False: "**no**", None: "-"}[figure.met]
        value = _number(figure.value, figure.unit)
        rows.append(f"| {figure.what} | {value} | {floor_text} | {ratio} | {goal} | {met} |")
    return "\n".join(rows)


class Floors:
    """The floor in each environment, measured once per `make bench` run (when a benchmark first reads it) and handed
    to every benchmark. The Lambda-like floor needs the artifact (`build_artifact`); the installed one does not."""

    def __init__(self, runs: int = 7) -> None:
        self.runs = runs
        self._measured: dict[str, Runs] = {}

    @classmethod
    def measure(cls, runs: int = 7) -> Floors:
        return cls(runs)

    def _floor(self, environment: Environment) -> Runs:
        if environment.name not in self._measured:
            self._measured[environment.name] = floor(environment, runs=self.runs)
        return self._measured[environment.name]

    @property
    def lambda_like(self) -> Runs:
        return self._floor(lambda_like())

    @property
    def installed(self) -> Runs:
        return self._floor(installed())
