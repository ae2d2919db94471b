"""Benchmark of the price lookup chain (results go to docs/benchmarks.md).

    .venv/bin/python bench/bench_prices.py [--iterations 2000]

Targets: a price already in memory or in the shared cache adds under 50 us to an evaluation; a price
nobody has costs at most one Price List API call per (region, instance type) per TTL. The API and the
cache are in-process stand-ins that count their calls, so the figures measure the chain itself.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from hpo_guardrail.pricing.lookup import CachedPrice, LivePrices
from rules.decision import decide
from rules.engine import evaluate
from rules.parsing import read_request
from rules.policy import Mode, Policy
from rules.prices import BundledPrices, PriceTable

NOW = datetime(2026, 11, 29, tzinfo=UTC)
INSTANCE_TYPE = "ml.p5en.48xlarge"  # not in the bundled table: the live path's type
REQUEST = {
    "HyperParameterTuningJobName": "bench-prices",
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian",
        "ResourceLimits": {"MaxParallelTrainingJobs": 2, "MaxNumberOfTrainingJobs": 40},
        "ParameterRanges": {
            "ContinuousParameterRanges": [
                {"Name": "learning_rate", "MinValue": "0.0001", "MaxValue": "1.0", "ScalingType": "Linear"}
            ]
        },
    },
    "TrainingJobDefinition": {
        "ResourceConfig": {"InstanceType": INSTANCE_TYPE, "InstanceCount": 2, "VolumeSizeInGB": 50},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    },
}


class CountingPriceList:
    def __init__(self) -> None:
        self.calls = 0

    def training_price(self, region: str, instance_type: str) -> float | None:
        self.calls += 1
        return 60.0


class CountingCache:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], CachedPrice] = {}
        self.reads = 0

    def get(self, region: str, instance_type: str) -> CachedPrice | None:
        self.reads += 1
        return self.items.get((region, instance_type))

    def put(self, prices: list[CachedPrice]) -> None:
        self.items.update({(p.region, p.instance_type): p for p in prices})


def median_micros(run, iterations: int) -> float:
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    request, policy = read_request(REQUEST), Policy()

    def evaluate_with(prices) -> None:
        decide(evaluate(request, policy, region="us-west-2", prices=prices), Mode.ENFORCE)

    bundled = BundledPrices()
    api, cache = CountingPriceList(), CountingCache()
    warm = LivePrices(bundled, cache=cache, price_list=api, clock=lambda: NOW)
    warm.quote("us-west-2", INSTANCE_TYPE)  # the first event of a warm function
    # The same price from a plain table: the same findings, so the difference is the lookup's own cost.
    same_price = BundledPrices(
        PriceTable(source="bench", as_of="2026-11-29", regions={"us-west-2": {INSTANCE_TYPE: 60.0}})
    )
    baseline = median_micros(lambda: evaluate_with(same_price), args.iterations)
    from_memory = median_micros(lambda: evaluate_with(warm.for_evaluation()), args.iterations)

    # A cold function: nothing in memory, the shared cache has it (a fresh LivePrices per evaluation).
    def from_shared_cache() -> None:
        evaluate_with(LivePrices(bundled, cache=cache, price_list=api, clock=lambda: NOW).for_evaluation())

    cold = median_micros(from_shared_cache, args.iterations)

    # A type the API lists nowhere: one call, then the answer "none" is kept for the TTL.
    nowhere_api = CountingPriceList()
    nowhere_api.training_price = lambda region, instance_type: (  # type: ignore[method-assign]
        setattr(nowhere_api, "calls", nowhere_api.calls + 1)
    )
    clock = [NOW]
    misses = LivePrices(
        bundled, cache=CountingCache(), price_list=nowhere_api, ttl_seconds=3600, clock=lambda: clock[0]
    )
    for minute in range(180):  # three hours of evaluations, one a minute
        clock[0] = NOW + timedelta(minutes=minute)
        misses.for_evaluation().quote("us-west-2", "ml.p5en.48xlarge")

    print(f"evaluate one request on {INSTANCE_TYPE} in us-west-2: median over {args.iterations} runs")
    print(f"  the same price from a plain table           {baseline:8.1f} us")
    print(f"  live price from memory (warm function)      {from_memory:8.1f} us  (+{from_memory - baseline:.1f} us)")
    print(f"  live price from the shared cache (cold)     {cold:8.1f} us  (+{cold - baseline:.1f} us)")
    print(f"  API calls for {args.iterations * 2 + 1} evaluations of a priced type: {api.calls}")
    print(f"  API calls for 180 evaluations over 3 h of a type the API lists nowhere (TTL 1 h): {nowhere_api.calls}")


if __name__ == "__main__":
    main()
