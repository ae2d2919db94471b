"""The demo's ending: one alerted job runs its training jobs, finishes, and the guardrail reviews it.

The classic linear learning rate job (events/02) runs a fixed list of training jobs in the emulator, as a Random
search over 0.0001 .. 1.0 on a linear scale would have run them: most land in the top decade (0.1 .. 1.0) and do
worse than the few below, and the best sits at the lower edge. The job finishes Completed; SageMaker's state-change
event goes through the deployed state-change rule to the function, which reviews the job once, attaches the review
to the job's audit record and posts one follow-up in the creation alert's thread. The demo prints that review,
read back from the audit table, and the follow-up as received.

Everything is fixed (names, values, billable seconds, times), so the figures are the same on every run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TextIO

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from hpo_guardrail.embedded.demo_clock import DemoClock
from hpo_guardrail.embedded.deployment import DeployedStack
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner
from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS, TrainingJobRun
from hpo_guardrail.embedded.sns_capture import SnsCapture
from hpo_guardrail.enforce.audit import AuditRecord, ReviewRecord

# The sample job the demo reviews (events/02-classic-linear-learning-rate.json), created 2026-11-26T09:30:00Z.
REVIEWED_JOB = "resnet-lr-linear"
REVIEWED_RULES = ("review-range-edge", "review-wasted-trials")
_TRAINING_SECONDS = 2400  # each training job bills 40 minutes of its one ml.g4dn.xlarge
_FIRST_START = datetime.fromisoformat("2026-11-26T09:31:00+00:00")
# (learning_rate, momentum, validation:auc): 16 of 20 in the top decade of 0.0001 .. 1.0, all worse than the four
# below it; the best (0.912) at 0.00012, within 5% of the range's width from its lower edge on either scale.
_TRIALS = (
    ("0.8123", "0.91", 0.702),
    ("0.3377", "0.87", 0.741),
    ("0.00012", "0.9", 0.912),
    ("0.5512", "0.93", 0.716),
    ("0.1893", "0.88", 0.768),
    ("0.9402", "0.92", 0.694),
    ("0.0713", "0.89", 0.861),
    ("0.4271", "0.86", 0.733),
    ("0.6649", "0.94", 0.709),
    ("0.2536", "0.9", 0.752),
    ("0.0341", "0.91", 0.874),
    ("0.7288", "0.87", 0.698),
    ("0.1244", "0.93", 0.781),
    ("0.3962", "0.88", 0.737),
    ("0.0021", "0.92", 0.889),
    ("0.8817", "0.9", 0.691),
    ("0.5075", "0.89", 0.722),
    ("0.2208", "0.95", 0.759),
    ("0.6034", "0.86", 0.713),
    ("0.1561", "0.91", 0.774),
)
_RULE = "=" * 78


class DemoReviewFailed(RuntimeError):
    """The review at the end of the demo did not do what it should."""


def training_job_runs(job_name: str = REVIEWED_JOB) -> list[TrainingJobRun]:
    """The 20 training jobs, two at a time (the job's MaxParallelTrainingJobs), each 40 billable minutes."""
    runs = []
    for index, (learning_rate, momentum, auc) in enumerate(_TRIALS):
        start = _FIRST_START + timedelta(seconds=(index // 2) * (_TRAINING_SECONDS + 60))
        runs.append(
            TrainingJobRun(
                {"learning_rate": learning_rate, "momentum": momentum},
                objective_value=auc,
                billable_seconds=_TRAINING_SECONDS,
                creation_time=start,
                start_time=start,
                end_time=start + timedelta(seconds=_TRAINING_SECONDS),
                name=f"{job_name}-{index + 1:03d}-demo",
            )
        )
    return runs


def finished_at() -> datetime:
    """When the reviewed job finishes: when its last training job ends."""
    return max(run.end_time for run in training_job_runs() if run.end_time is not None)


def review_one_job(
    aws: EmbeddedAws,
    runner: FunctionRunner,
    clock: DemoClock,
    stack: DeployedStack,
    capture: SnsCapture,
    creation_event_id: str,
    out: TextIO,
    *,
    job_name: str = REVIEWED_JOB,
) -> ReviewRecord:
    """Run the job's training jobs, finish it, deliver its Completed state change through the deployed rule, and
    print the review the function attached to the job's audit record (`creation_event_id`)."""
    print(f"\n{_RULE}\nThe job finishes: the guardrail reviews what it cost and taught\n{_RULE}", file=out)
    capture.receive()  # what came before (the weekly summary) is not the review's
    end = finished_at()
    event_ids = aws.run_tuning_job(job_name, training_job_runs(job_name), "Completed", end_time=end)
    print(
        f"{job_name} ran {len(_TRIALS)} training jobs in the emulator and finished Completed at "
        f"{end.isoformat().replace('+00:00', 'Z')};",
        file=out,
    )
    print("SageMaker's state-change event went through the deployed state-change rule to the function.", file=out)
    clock.set(end + timedelta(minutes=1))
    results = []
    for event_id in event_ids:
        for queued in ASYNC_INVOCATIONS.take_event(event_id):
            if queued.function_arn == runner.function_arn:
                invocation = runner.invoke_async(queued.event)
                if not invocation.succeeded:
                    raise DemoReviewFailed(f"the function failed on the state change: {invocation.error}")
                results.append(invocation.result)
    if len(results) != 1:
        raise DemoReviewFailed(f"the state-change rule invoked the function {len(results)} times, not once")
    record = DynamoDbAuditStore(aws.client("dynamodb"), stack.outputs["AuditTableName"]).get(creation_event_id)
    if record is None or record.review is None:
        raise DemoReviewFailed(f"no review on the audit record of event {creation_event_id}")
    _print_review(record, record.review, out)
    follow_ups = [n for n in capture.receive() if n.message_attributes.get("action") == "review"]
    if len(follow_ups) != 1:
        raise DemoReviewFailed(f"{len(follow_ups)} review follow-up(s) published, not one")
    (follow_up,) = follow_ups
    thread = follow_up.message_json()["metadata"]["threadId"]
    print(f"\nFollow-up        {follow_up.subject}", file=out)
    print(f"                 in the creation alert's thread (threadId {thread})", file=out)
    return record.review


def _print_review(record: AuditRecord, review: ReviewRecord, out: TextIO) -> None:
    counts = review.training_jobs
    when = f"{review.trigger} at {review.reviewed_at}"
    print(f"Reviewed         {when}, on the record of event {record.event_id}", file=out)
    print(
        f"Training jobs    {counts.launched} launched, {counts.completed} completed, {counts.failed} failed",
        file=out,
    )
    worst = f"${review.worst_case_usd:,.2f}" if review.worst_case_usd is not None else "unknown"
    print(f"Actual spend     ${review.spend_usd:,.2f} next to a worst case of {worst} estimated at creation", file=out)
    if review.best is not None:
        tuned = ", ".join(f"{k}={v}" for k, v in sorted(review.best.hyperparameters.items()))
        print(
            f"Best             {review.best.metric} {review.best.objective_value:g} ({tuned}), "
            f"training job {review.best.position} of {review.best.of}",
            file=out,
        )
    shown = [f for f in review.findings if f.rule in REVIEWED_RULES]
    for finding in shown:
        print(f"{finding.severity.upper():<8} {finding.rule}: {finding.message}", file=out)
        print(f"         advice: {finding.fix}", file=out)
    if {f.rule for f in shown} != set(REVIEWED_RULES):
        raise DemoReviewFailed(f"the review should find {', '.join(REVIEWED_RULES)}; it found {_rules(review)}")


def _rules(review: ReviewRecord) -> str:
    return ", ".join(sorted(review.rule_severities)) or "nothing"


def creation_event_id(results: list[dict[str, Any]]) -> str | None:
    """The event id of the reviewed job's creation record, among the function's results."""
    return next((str(r["event_id"]) for r in results if r.get("job_name") == REVIEWED_JOB), None)
