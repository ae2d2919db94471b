"""Benchmark of the function-side review of a finished tuning job (results go to docs/benchmarks.md).

    .venv/bin/python bench/review_trigger.py [--training-jobs 500] [--repeat 10] [--latency-ms 0]

What the guardrail function does on a Completed state-change event, end to end but for the network: read the
event, find the job's record and claim, Describe the job, page through its training jobs with the real adapter
(`TrainingJobReader`: ListTrainingJobsForHyperParameterTuningJob pages of 100, one DescribeTrainingJob per training
job on its thread pool), review it against the evaluator's policy and prices, attach the review to the record and
publish the follow-up. The SageMaker client is an in-memory stand-in answering in the API's shapes, optionally
after `--latency-ms` per call, so the figure is the code's (and, with a latency, what the thread pool makes of
AWS's round trips). Peak memory is what Python allocates during one review (tracemalloc).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.review import description, pages_and_billing
from hpo_guardrail.adapters.sagemaker import TrainingJobReader
from hpo_guardrail.enforce.audit import AuditRecord, JobClaim, job_claim_key
from hpo_guardrail.enforce.outcome import Status
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.enforce.state_change import StateChangeTrigger
from rules.policy import Mode
from rules.prices import BundledPrices
from tests.unit.fakes import ClaimingAuditStore, FakeJobs, FakeNotifier

ACCOUNT, REGION, JOB = "111122223333", "us-east-1", "bench-review"
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/{JOB}"


class _Pages:
    def __init__(self, client: SageMakerStandIn) -> None:
        self._client = client

    def paginate(self, **_: Any) -> Any:
        for page in self._client.pages:
            self._client.wait()
            yield page


class SageMakerStandIn:
    """ListTrainingJobsForHyperParameterTuningJob's pages and DescribeTrainingJob, in memory."""

    def __init__(self, training_jobs: int, latency_s: float) -> None:
        self.pages, self.billing = pages_and_billing(training_jobs)
        self.described = {**description(training_jobs), "HyperParameterTuningJobArn": ARN}
        self.latency_s = latency_s

    def wait(self) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)

    def get_paginator(self, name: str) -> _Pages:
        assert name == "list_training_jobs_for_hyper_parameter_tuning_job"
        return _Pages(self)

    def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:  # noqa: N803 (boto3's spelling)
        self.wait()
        return {
            **self.billing[TrainingJobName],
            "ResourceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50},
        }


class Reader:
    def __init__(self, client: SageMakerStandIn) -> None:
        self._client = client
        self._training = TrainingJobReader(client)

    def describe(self, job_name: str) -> dict[str, Any]:
        self._client.wait()
        return dict(self._client.described)

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        return self._training.training_jobs(tuning_job_name)


def completed_event(index: int) -> dict[str, Any]:
    return {
        "id": f"bench-{index}",
        "source": "aws.sagemaker",
        "detail-type": "SageMaker HyperParameter Tuning Job State Change",
        "account": ACCOUNT,
        "region": REGION,
        "time": "2026-11-30T12:00:00Z",
        "detail": {
            "HyperParameterTuningJobName": JOB,
            "HyperParameterTuningJobArn": ARN,
            "HyperParameterTuningJobStatus": "Completed",
        },
    }


def one_review(client: SageMakerStandIn, prices: BundledPrices, index: int) -> tuple[float, str]:
    store, notifier = ClaimingAuditStore(), FakeNotifier()
    clock = datetime(2026, 11, 30, 12, 1, tzinfo=UTC)
    service = GuardrailService(
        Settings(mode=Mode.MONITOR, budget_cap_usd=1000),
        FakeJobs(),
        notifier,
        audit=store,
        prices=prices,
        clock=lambda: clock,
    )
    trigger = StateChangeTrigger(
        service, readers=lambda *_: Reader(client), audit=store, notifier=notifier, prices=prices
    )
    service.take_state_changes(trigger.handle)
    # The job's creation record, as its CloudTrail event left it.
    record = AuditRecord(
        event_id="ct",
        occurred_at="2026-11-20T09:00:00Z",
        recorded_at="2026-11-20T09:00:01Z",
        status=Status.EVALUATED,
        job_name=JOB,
        job_arn=ARN,
        account=ACCOUNT,
        region=REGION,
        worst_case_usd=3000.0,
        cost_complete=True,
    )
    store.begin(record)
    store.claim_job(job_claim_key(ACCOUNT, REGION, JOB), JobClaim(event_id="ct", trigger="cloudtrail", at="t"))
    began = time.perf_counter()
    outcome = service.handle(completed_event(index))
    elapsed = time.perf_counter() - began
    assert outcome.status is Status.EVALUATED, outcome.reason
    review = store.records["ct"].review
    assert review is not None
    return elapsed, ", ".join(f"{rule} ({severity})" for rule, severity in sorted(review.rule_severities.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--training-jobs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every SageMaker call")
    args = parser.parse_args()
    client = SageMakerStandIn(args.training_jobs, args.latency_ms / 1000)
    prices = BundledPrices()
    prices.quote(REGION, "ml.g5.xlarge")  # a warm function has loaded the bundled table
    one_review(client, prices, -1)  # warm the imports, as a warm function has
    times = [one_review(client, prices, i)[0] for i in range(args.repeat)]
    tracemalloc.start()
    _, rules = one_review(client, prices, args.repeat)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"training jobs: {args.training_jobs} in {len(client.pages)} pages; {args.repeat} runs; "
        f"{args.latency_ms:g} ms per SageMaker call"
    )
    print(
        f"Completed event -> review attached + follow-up: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms"
    )
    print(f"peak memory allocated by one review: {peak / 1024 / 1024:.1f} MiB")
    print(f"review rules: {rules}")


if __name__ == "__main__":
    main()
