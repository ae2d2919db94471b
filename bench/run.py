"""`make bench`: every performance goal next to its figure, the floor of the same run and their ratio.

    .venv/bin/python bench/run.py [--runs 7] [--no-build] [--only cold_start,lint_speed,evaluation]

Builds the Lambda artifact (`sam build` into build/bench), measures the floor in each environment (harness.py),
then each benchmark's figures, and prints one Markdown table (the one docs/benchmarks.md keeps, with the date
and the machine). The other benchmarks (prices, the review, price coverage) follow with their own output.
Timings vary on shared machines: compare medians of whole runs, and read the ratios, not the milliseconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cold_start  # noqa: E402
import evaluation  # noqa: E402
import harness  # noqa: E402
import lint_speed  # noqa: E402

GOALS = {"cold_start": cold_start, "lint_speed": lint_speed, "evaluation": evaluation}
# Benchmarks with targets of their own, printed as they print them.
OTHERS = ("bench_prices.py", "review.py", "review_trigger.py", "price_coverage.py")


def machine() -> str:
    cores = os.cpu_count()
    return f"{platform.machine()}, {cores} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per figure (medians)")
    parser.add_argument("--no-build", action="store_true", help="reuse build/bench from an earlier run")
    parser.add_argument("--only", default=",".join(GOALS), help="comma-separated: " + ", ".join(GOALS))
    parser.add_argument("--goals-only", action="store_true", help="skip the other benchmarks")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(GOALS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if not args.no_build:
        print("building the Lambda artifact (sam build into build/bench) ...", flush=True)
        harness.build_artifact()
    cold_start.RUNS = args.runs
    floors = harness.Floors.measure(args.runs)
    figures = [figure for name in chosen for figure in GOALS[name].figures(floors)]
    print(f"\n{datetime.now(UTC):%Y-%m-%d}, {machine()}; medians of {args.runs} fresh interpreters\n")
    print(harness.table(figures))
    missed = [figure.what for figure in figures if figure.met is False]
    if not args.goals_only:
        for script in OTHERS:
            print(f"\n== bench/{script}", flush=True)
            result = subprocess.run([sys.executable, str(HERE / script)], check=True, capture_output=True, text=True)
            # Their figures; the function's own JSON log lines and metrics, which they measure too, are left out.
            print("\n".join(line for line in result.stdout.splitlines() if not line.startswith("{")))
    if missed:
        print(f"\ngoals not met: {'; '.join(missed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
