"""Evaluating one request: parse + all rules + cost + decision, as the function does for each event.

    .venv/bin/python bench/evaluation.py

What one iteration does: `rules.events.read_event` on the EventBridge event (envelope, size and Unicode checks,
the CloudTrail record, the request), then `rules.assessment.assess` with the packaged default policy and the
bundled prices (the effective policy, every rule, the worst-case cost, the decision). The request is the
largest SageMaker accepts (tests/builders.py, `largest_request`: 10 training job definitions, 30 ranges and
100 static hyperparameters each). Timed with perf_counter in this process after one warm-up evaluation:
the median and the 99th percentile of ITERATIONS runs. Those runs meet the same names every time, so the caches of
name matches are warm; a second p99 gives every run new job and parameter names. The goal (p99 <= 1 ms) is
absolute: no floor, so run alone
this measures none. For comparison it also gives the median over the sample events (events/*.json that report a
create call), the size of request most evaluations and most linted files see.
"""

from __future__ import annotations

import gc
import json
import re
import statistics
import sys
import time
from datetime import date

from harness import ROOT, Figure, Floors, table

sys.path.insert(0, str(ROOT))  # tests/builders.py builds the request

from rules.assessment import assess
from rules.events import read_event
from rules.models import TuningJobCall
from rules.policy_file import default_policy
from rules.prices import BundledPrices
from tests.builders import cloudtrail_event, largest_request

ITERATIONS = 2_000
TYPICAL_ITERATIONS = 300
NEW_NAMES_ITERATIONS = 300
GOAL_P99_MS = 1.0
EVENTS = ROOT / "events"


def timings(event: dict[str, object], iterations: int = ITERATIONS) -> list[float]:
    """Milliseconds per evaluation of `event`, one sample per iteration."""
    policy, prices, today = default_policy(), BundledPrices(), date(2026, 11, 30)

    def once() -> None:
        call = read_event(event)
        assert isinstance(call, TuningJobCall)
        assess(call.request, policy, today=today, context=call.context, prices=prices)

    once()  # warm-up: the rule catalogue, compiled patterns, the price table
    gc.freeze()  # as the function does after its start-up (composition.build_lambda_service)
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        once()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def with_new_names(event: dict[str, object], count: int) -> list[dict[str, object]]:
    """`count` copies of `event`, each with its own job name and parameter names: the name caches (pattern matches,
    name hints) then meet every name for the first time, as they do with a new team's jobs."""
    text = json.dumps(event)
    names = re.compile(r'"(learning_rate|momentum|dropout|batch_size|layers|optimizer|largest-tuning-job)(_?\d*)"')
    return [json.loads(names.sub(lambda m, k=k: f'"{m[1]}{m[2]}_n{k}"', text)) for k in range(count)]


def timings_each_new(events: list[dict[str, object]]) -> list[float]:
    """Milliseconds per evaluation, each of a different event (after one warm-up evaluation of another)."""
    policy, prices, today = default_policy(), BundledPrices(), date(2026, 11, 30)
    samples = []
    for number, event in enumerate(events):
        start = time.perf_counter()
        call = read_event(event)
        assert isinstance(call, TuningJobCall)
        assess(call.request, policy, today=today, context=call.context, prices=prices)
        if number:
            samples.append((time.perf_counter() - start) * 1000)
        else:  # the first one warms up; then freeze as the function does (the events made here are the bench's own)
            gc.freeze()
    return samples


def sample_events() -> list[dict[str, object]]:
    """The sample events that report a create call (the others are skipped before any rule runs)."""
    events = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(EVENTS.glob("*.json"))]
    return [event for event in events if isinstance(read_event(event), TuningJobCall)]


def figures(floors: Floors | None = None) -> list[Figure]:
    """The figures; `floors` is taken for bench/run.py's sake and not used (the goal is absolute)."""
    samples = sorted(timings(cloudtrail_event(largest_request())))
    p99 = samples[int(len(samples) * 0.99) - 1]
    typical = statistics.median(statistics.median(timings(event, TYPICAL_ITERATIONS)) for event in sample_events())
    new_names = sorted(timings_each_new(with_new_names(cloudtrail_event(largest_request()), NEW_NAMES_ITERATIONS)))
    return [
        Figure("evaluation of the largest request, median", statistics.median(samples), "ms"),
        Figure("evaluation of the largest request, p99", p99, "ms", goal=GOAL_P99_MS),
        Figure(
            "the same, every job and parameter name new (name caches cold), p99",
            new_names[int(len(new_names) * 0.99) - 1],
            "ms",
        ),
        Figure("evaluation of a sample event (median of the events' medians)", typical, "ms"),
    ]


if __name__ == "__main__":
    print(table(figures()))
