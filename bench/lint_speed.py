"""`hpo-guardrail lint`: the wall time of one file against the floor, and requests per second over many files.

    .venv/bin/python bench/lint_speed.py

- One file: `hpo-guardrail lint --prices bundled FILE` as a pre-commit hook runs it, in fresh interpreters of
  the project's virtual environment (harness.fresh: the median wall time of 7, interpreter start-up and exit
  included), against the floor measured in the same run (python + `import boto3` + one client).
  --prices bundled: offline, as on a laptop without AWS credentials (the harness sets credentials for the
  floor's client, which would make `auto` choose live prices).
- Many files: the sample events in events/ copied to FILES files, linted by one call of the command's `main`
  in this process (the text report into memory), after one warm-up call on one file. Requests per second =
  FILES / the time of that call: the per-file work (read, parse, evaluate, locate lines, render) after
  start-up, on one core.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
from pathlib import Path

from harness import ROOT, Figure, Floors, fresh, installed, table

from hpo_guardrail.cli import main

FILES = 500
# The sample events that reach the rules (not the failed call or the other API's event).
SAMPLES = sorted(path for path in (ROOT / "events").glob("*.json") if not path.name.startswith(("06-", "07-")))
ONE_FILE = SAMPLES[1]  # a linear learning rate: findings, located lines, a fix offered
LINT_ONE = f"from hpo_guardrail.cli import main\nmain(['lint', '--prices', 'bundled', {str(ONE_FILE)!r}])"


def lint_many(count: int = FILES) -> float:
    """Requests per second linting `count` files in one call of the command, after a warm-up on one file."""
    with tempfile.TemporaryDirectory() as directory:
        files = []
        for number in range(count):
            copy = Path(directory) / f"{number:04d}-{SAMPLES[number % len(SAMPLES)].name}"
            shutil.copyfile(SAMPLES[number % len(SAMPLES)], copy)
            files.append(str(copy))
        with contextlib.redirect_stdout(io.StringIO()):
            main(["lint", "--prices", "bundled", files[0]])
            start = time.perf_counter()
            main(["lint", "--prices", "bundled", *files])
            seconds = time.perf_counter() - start
    return count / seconds


def figures(floors: Floors) -> list[Figure]:
    one = fresh(LINT_ONE, installed())
    return [
        Figure("lint one file, wall time", one.wall_seconds, "s", floor=floors.installed.wall_seconds, goal_ratio=1.0),
        Figure(f"lint {FILES} files, after start-up", lint_many(), "requests/s", goal=5_000, at_least=True),
    ]


if __name__ == "__main__":
    print(table(figures(Floors.measure())))
