"""Reliability figures on the embedded AWS: duplicates at once, faults at each step, a burst of distinct events.

    .venv/bin/python bench/reliability.py [--burst 10000] [--write docs/reliability.md]

Everything runs against the real template deployed into the emulator, with the deployed function run as
Lambda runs it (asynchronous invocation: two retries, then the on-failure queue). It prints a Markdown page,
and writes it with --write. The test suite checks the same promises on smaller numbers
(tests/integration/test_concurrent_deliveries.py, test_fault_matrix.py, test_burst.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.embedded import tuning_jobs
from hpo_guardrail.embedded.deployment import StackParameters, deploy_template
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, invoke_at_once
from hpo_guardrail.embedded.moto_extensions import CALLS, clear_faults, inject_faults
from hpo_guardrail.embedded.sns_capture import SnsCapture

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.builders: the same request builders the tests use

from tests.builders import clean_event, costly_linear_lr_event  # noqa: E402

# (case, service, action, error code, faulty calls): 3 is absorbed by a client's retries, 5 spans two
# invocations, 100 outlasts every retry.
THROTTLED = "ProvisionedThroughputExceededException"
FAULTS = (
    ("SNS throttled briefly", "sns", "Publish", "Throttling", 3),
    ("SNS down", "sns", "Publish", "Throttling", 100),
    ("audit write throttled across invocations", "dynamodb", "PutItem", THROTTLED, 5),
    ("audit table down", "dynamodb", "PutItem", THROTTLED, 100),
    (
        "action record throttled across invocations",
        "dynamodb",
        "UpdateItem",
        "ProvisionedThroughputExceededException",
        5,
    ),
    ("Describe throttled across invocations", "sagemaker", "DescribeHyperParameterTuningJob", "ThrottlingException", 5),
    ("Stop denied", "sagemaker", "StopHyperParameterTuningJob", "AccessDeniedException", 100),
    ("Price List down", "pricing", "GetProducts", "ServiceUnavailableException", 100),
)


def in_queue(aws: EmbeddedAws, url: str, event_id: str) -> bool:
    sqs, found = aws.client("sqs"), False
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found = found or event_id in message["Body"]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def duplicates_at_once(aws: EmbeddedAws, stack: Any, runner: FunctionRunner, workdir: Path, copies: int) -> dict:
    capture = SnsCapture(aws, stack.topic_arn)
    event = costly_linear_lr_event(f"dup-{uuid.uuid4().hex[:8]}")
    job = tuning_jobs.create_tuning_job_for_event(aws, event)
    stops_before = CALLS.get(("sagemaker", "StopHyperParameterTuningJob"), 0)
    results = invoke_at_once(runner, event, copies, workdir, source_root=ROOT)
    record = DynamoDbAuditStore(aws.client("dynamodb"), stack.outputs["AuditTableName"]).get(event["detail"]["eventID"])
    return {
        "invocations": copies,
        "evaluated": sum(r.get("status") == "evaluated" for r in results),
        "stepped back or duplicate": sum(r.get("status") == "skipped" for r in results),
        "stop calls": CALLS.get(("sagemaker", "StopHyperParameterTuningJob"), 0) - stops_before,
        "alerts": len([n for n in capture.receive() if job in (n.subject or "")]),
        "record": record.actions["stop"].result if record and "stop" in record.actions else "-",
        "job": tuning_jobs.tuning_job_status(aws, job),
    }


def fault_matrix(aws: EmbeddedAws, stack: Any, runner: FunctionRunner) -> list[dict]:
    store = DynamoDbAuditStore(aws.client("dynamodb"), stack.outputs["AuditTableName"])
    capture = SnsCapture(aws, stack.topic_arn)
    rows = []
    for case, service, action, code, times in FAULTS:
        event = costly_linear_lr_event(f"fault-{uuid.uuid4().hex[:8]}")
        job = tuning_jobs.create_tuning_job_for_event(aws, event)
        inject_faults(service, action, code, times)
        try:
            invocation = runner.invoke_async(event)
        finally:
            clear_faults()
        event_id = event["detail"]["eventID"]
        recorded = store.get(event_id) is not None
        dead = in_queue(aws, stack.outputs["FailedInvocationQueueUrl"], event_id)
        rows.append(
            {
                "fault": f"{case} ({service} {action} {code} x{times})",
                "attempts": invocation.attempts,
                "recorded": int(recorded),
                "dead-lettered": int(dead),
                "lost": int(not (recorded or dead)),
                "job": tuning_jobs.tuning_job_status(aws, job),
                "alerts": len([n for n in capture.receive() if job in (n.subject or "")]),
            }
        )
    return rows


def burst(aws: EmbeddedAws, stack: Any, runner: FunctionRunner, count: int) -> dict:
    store = DynamoDbAuditStore(aws.client("dynamodb"), stack.outputs["AuditTableName"])
    events = [clean_event(f"burst-{n}") for n in range(count)]
    start = time.perf_counter()
    failed = sum(not runner.run(event).succeeded for event in events)
    seconds = time.perf_counter() - start
    recorded = sum(store.get(e["detail"]["eventID"]) is not None for e in events)
    return {
        "events in": count,
        "recorded": recorded,
        "failed invocations": failed,
        "lost": count - recorded,
        "seconds": round(seconds, 1),
        "per second": round(count / seconds, 1),
    }


def table(rows: list[dict]) -> list[str]:
    keys = list(rows[0])
    return [
        "| " + " | ".join(keys) + " |",
        "| " + " | ".join("---" for _ in keys) + " |",
        *("| " + " | ".join(str(row[k]) for k in keys) + " |" for row in rows),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=10_000, help="distinct events in the burst")
    parser.add_argument("--copies", type=int, default=8, help="concurrent deliveries of one event")
    parser.add_argument("--write", type=Path, help="write the page here (e.g. docs/reliability.md)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hpo-guardrail-reliability-"))
    with EmbeddedAws() as aws, aws.environment():
        stack = deploy_template(aws, StackParameters(mode="enforce", budget_cap_usd=1000))
        runner = FunctionRunner.for_stack(aws, stack, workdir / "code", echo=open(os.devnull, "w"))  # noqa: SIM115
        duplicates = duplicates_at_once(aws, stack, runner, workdir, args.copies)
        faults = fault_matrix(aws, stack, runner)
        burst_figures = burst(aws, stack, runner, args.burst)
    lines = [
        "# Reliability",
        "",
        f"Produced by `.venv/bin/python bench/reliability.py --write docs/reliability.md` on "
        f"{datetime.now(UTC).date().isoformat()} ({platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}), against the template deployed into the embedded AWS, the function run "
        "as Lambda runs it. The test suite holds the same promises on smaller numbers.",
        "",
        f"## The same event delivered {args.copies} times at once",
        "",
        f"{args.copies} processes run the handler on one costly, misconfigured event at the same moment "
        "(Lambda runs duplicate deliveries side by side). The audit record's claim lets one act.",
        "",
        *table([duplicates]),
        "",
        "## Faults at each step",
        "",
        "Each fault is injected into the emulator for one costly, misconfigured job's event, which is then "
        "invoked asynchronously as EventBridge invokes the function: up to 3 attempts, then the on-failure "
        "queue. An event is lost when it is neither recorded nor in the on-failure queue.",
        "",
        *table(faults),
        "",
        "Without its audit record the guardrail does not act (the record comes first, so nothing it does is "
        "unrecorded): when the table is down, the event waits in the on-failure queue, which has an alarm, "
        "to be sent again. A stop that is denied is tried on each of the 3 attempts; the last one's alert "
        "says it failed.",
        "",
        f"## A burst of {args.burst:,} distinct events",
        "",
        "Well-configured jobs (no findings, one audit record each), run one after another through the deployed "
        "function's warm execution environment against the emulator.",
        "",
        *table([burst_figures]),
        "",
    ]
    page = "\n".join(lines)
    print(page)
    if args.write:
        args.write.write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()
