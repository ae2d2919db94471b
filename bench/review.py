"""Benchmark of the post-run review (results go to docs/benchmarks.md).

    .venv/bin/python bench/review.py [--training-jobs 500] [--repeat 20]

Builds a tuning job of N training jobs as the API returns them (ListTrainingJobsForHyperParameterTuningJob pages of
100, one DescribeTrainingJob billing each), then times parsing and the review apart and measures the peak memory
Python allocates for both (tracemalloc). Target: a 500-training-job review within a few seconds and a small part of
the function's memory. The price book is the bundled table, so no network is involved.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

from rules.prices import BundledPrices
from rules.review import review_tuning_job
from rules.review_inputs import read_finished_tuning_job

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PAGE_SIZE = 100  # ListTrainingJobsForHyperParameterTuningJob's MaxResults is at most 100


def description(training_jobs: int) -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": "bench-review",
        "HyperParameterTuningJobStatus": "Completed",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:loss"},
            "ResourceLimits": {"MaxParallelTrainingJobs": 10, "MaxNumberOfTrainingJobs": training_jobs},
            "TrainingJobEarlyStoppingType": "Auto",
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "learning_rate", "MinValue": "0.0001", "MaxValue": "1.0", "ScalingType": "Linear"},
                    {"Name": "momentum", "MinValue": "0.9", "MaxValue": "0.999", "ScalingType": "ReverseLogarithmic"},
                    {"Name": "weight_decay", "MinValue": "1e-06", "MaxValue": "0.01", "ScalingType": "Logarithmic"},
                ],
                "IntegerParameterRanges": [
                    {"Name": "layers", "MinValue": "1", "MaxValue": "12", "ScalingType": "Auto"},
                ],
                "CategoricalParameterRanges": [{"Name": "optimizer", "Values": ["adam", "sgd", "adamw"]}],
            },
        },
        "TrainingJobDefinition": {
            "ResourceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50},
            "StoppingCondition": {"MaxRuntimeInSeconds": 7200},
        },
    }


def pages_and_billing(training_jobs: int, seed: int = 7) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    rng = random.Random(seed)
    summaries, billing = [], {}
    for i in range(training_jobs):
        name = f"bench-review-{i:04d}-{rng.randrange(16**6):06x}"
        status = rng.choices(["Completed", "Failed", "Stopped"], weights=[85, 5, 10])[0]
        item: dict[str, Any] = {
            "TrainingJobName": name,
            "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:111122223333:training-job/{name}",
            "CreationTime": START + timedelta(seconds=30 * i),
            "TrainingJobStatus": status,
            "TunedHyperParameters": {
                "learning_rate": f"{rng.uniform(0.0001, 1.0):.6g}",
                "momentum": f"{1 - 10 ** rng.uniform(-3, -1):.6g}",
                "weight_decay": f"{10 ** rng.uniform(-6, -2):.6g}",
                "layers": str(rng.randint(1, 12)),
                "optimizer": rng.choice(['"adam"', '"sgd"', '"adamw"']),
            },
        }
        if status != "Failed":
            item["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "MetricName": "validation:loss",
                "Value": rng.uniform(0.1, 1.0),
            }
            item["ObjectiveStatus"] = "Succeeded"
        else:
            item["FailureReason"] = "AlgorithmError: out of memory"
        summaries.append(item)
        billing[name] = {"BillableTimeInSeconds": rng.randint(300, 7200), "EnableManagedSpotTraining": False}
    pages = [{"TrainingJobSummaries": summaries[i : i + PAGE_SIZE]} for i in range(0, len(summaries), PAGE_SIZE)]
    return pages, billing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--training-jobs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    described = description(args.training_jobs)
    pages, billing = pages_and_billing(args.training_jobs)
    prices = BundledPrices()
    prices.quote("us-east-1", "ml.g5.xlarge")  # load the bundled table once, as a warm function has

    parse_times, review_times = [], []
    for _ in range(args.repeat):
        began = time.perf_counter()
        job = read_finished_tuning_job(described, pages, billing, region="us-east-1", worst_case_usd=3000.0)
        parsed = time.perf_counter()
        result = review_tuning_job(job, prices)
        parse_times.append(parsed - began)
        review_times.append(time.perf_counter() - parsed)

    tracemalloc.start()
    job = read_finished_tuning_job(described, pages, billing, region="us-east-1", worst_case_usd=3000.0)
    result = review_tuning_job(job, prices)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"

    print(f"training jobs: {args.training_jobs} in {len(pages)} pages; {args.repeat} runs")
    print(f"parse (API shapes -> typed inputs): {ms(parse_times)}")
    print(f"review (spend, edges, wasted trials, budget fit, failures, early stopping): {ms(review_times)}")
    print(f"peak memory allocated by parse + review: {peak / 1024 / 1024:.1f} MiB")
    print(f"findings: {', '.join(f'{f.rule} ({f.severity.value})' for f in result.findings)}")


if __name__ == "__main__":
    main()
