"""Benchmarks for the guardrail's hot path and cold start (results go to docs/benchmarks.md).

    .venv/bin/python bench/bench_guardrail.py [--iterations 2000]

Targets: evaluating one request (parse + rules + cost + decision) well under 1 ms; a cold start
(importing the handler module, creating its clients) under 1.5 s and 128 MB peak RSS, so the
256 MB function has headroom. Timings vary on shared machines: compare medians, not single runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rules.decision import decide
from rules.engine import evaluate
from rules.models import TuningJobCall
from rules.parsing import read_cloudtrail_record
from rules.policy import Mode, Policy

ROOT = Path(__file__).resolve().parents[1]

COLD_START = """
import resource, time
start = time.perf_counter()
import functions.guardrail.app
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def evaluation_timings(iterations: int) -> dict[str, float]:
    policy = Policy()
    results = {}
    for path in sorted((ROOT / "events").glob("*.json")):
        detail = json.loads(path.read_text())["detail"]
        samples = []
        for _ in range(iterations):
            start = time.perf_counter()
            call = read_cloudtrail_record(detail)
            if isinstance(call, TuningJobCall):
                decide(evaluate(call.request, policy, region="us-east-1"), Mode.ENFORCE)
            samples.append(time.perf_counter() - start)
        results[path.name] = statistics.median(samples) * 1e6
    return results


def cold_starts(runs: int) -> list[tuple[float, int]]:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "GUARDRAIL_MODE": "enforce",
        "NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    out = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", COLD_START], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        seconds, rss_kb = result.stdout.split()
        out.append((float(seconds), int(rss_kb)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--cold-starts", type=int, default=5)
    args = parser.parse_args()
    print(f"evaluate one event: median over {args.iterations} runs (microseconds)")
    for name, micros in evaluation_timings(args.iterations).items():
        print(f"  {name:42} {micros:8.1f}")
    starts = cold_starts(args.cold_starts)
    print(f"cold start (import handler + create clients), {args.cold_starts} fresh interpreters:")
    print(f"  median {statistics.median(s for s, _ in starts):.3f} s, max {max(s for s, _ in starts):.3f} s")
    print(f"  peak RSS median {statistics.median(r for _, r in starts) / 1024:.1f} MB")


if __name__ == "__main__":
    main()
