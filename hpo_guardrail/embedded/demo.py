"""`hpo-guardrail demo`: the whole guardrail working, with no AWS account.

Starts the embedded AWS on 127.0.0.1, deploys template.yaml into it in enforce mode, and replays every
sample event in events/ through the deployed EventBridge rule into the function. Prints what the
function found and did for each event, then one alert email and one Chatbot message as received, and
the status of every job the guardrail stopped, read back from the emulator. Then the audit report of the run
(report.html and report.md beside the function log) and one run of the weekly reporter function
(demo_report.py). It ends with one alerted job reviewed (demo_review.py): the job runs its training jobs and
finishes, its Completed state-change event goes through the deployed state-change rule, and the review shows its
best value at a range edge, its wasted linear trials and its actual spend next to its worst case.

The demo is deterministic: each function sees the time its sample event says (demo_clock.py), so the cost a
stop avoids does not change with the day it runs. A queue subscribed with a filter policy on `team` shows one
alert routed to the team that owns the job. When it ends, only the report (and the function log) it points
to are left in its temporary folder.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from hpo_guardrail.embedded import tuning_jobs
from hpo_guardrail.embedded.demo_clock import DemoClock, PinnedClockRunner
from hpo_guardrail.embedded.demo_report import print_audit_report, run_weekly_reporter, sample_weeks
from hpo_guardrail.embedded.demo_review import REVIEWED_JOB, creation_event_id, review_one_job
from hpo_guardrail.embedded.deployment import REPO_ROOT, DeployedStack, StackParameters, deploy_template
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.event_bus import deliver
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation
from hpo_guardrail.embedded.moto_extensions import PRICE_LIST_CALLS
from hpo_guardrail.embedded.sns_capture import SnsCapture, SnsNotification
from hpo_guardrail.reporting.figures import ReportPeriod
from rules.events import read_event
from rules.models import TuningJobCall

EVENTS_DIR = REPO_ROOT / "events"
DEMO_PARAMETERS = StackParameters(mode="enforce", budget_cap_usd=1000, notification_email="ml-platform@example.com")
# The team whose queue receives its jobs' alerts by a subscription filter policy (events/04 is tagged team=nlp).
DEMO_TEAM = "nlp"
TEAM_TAG = "team"  # the packaged policy's team_tag_key
# What the demo leaves in its folder: what it points to.
KEPT_FILES = ("report.html", "report.md", "function.log")
_STOPPED_STATUSES = ("Stopping", "Stopped")
_MISSING = "-"
_RULE = "=" * 78


class DemoFailed(RuntimeError):
    """A step of the demo did not do what it should."""


@dataclass
class EventReplay:
    """What happened to one sample event."""

    file: str
    job_created: str | None
    invocations: list[Invocation] = field(default_factory=list)
    price_list_calls: int = 0  # GetProducts calls the function made for this event
    team: str | None = None  # the job's team tag

    def notified(self) -> list[str]:
        """The SNS message ids of the alerts this event caused."""
        return [
            str(i.result["actions"]["notify"])
            for i in self.invocations
            if i.succeeded and isinstance(i.result, dict) and (i.result.get("actions") or {}).get("notify")
        ]


def _team_of(event: dict[str, Any]) -> str | None:
    try:
        call = read_event(event)
    except (ValueError, TypeError):
        return None
    return call.request.tags.get(TEAM_TAG) if isinstance(call, TuningJobCall) else None


def main(argv: Sequence[str] = ()) -> int:
    """Run the demo; 0 when every step worked, 1 otherwise. `argv` may name another --events directory."""
    parser = argparse.ArgumentParser(prog="hpo-guardrail demo", description=__doc__)
    parser.add_argument("--events", type=Path, default=EVENTS_DIR, help="directory of sample events")
    # Not sys.argv: the `hpo-guardrail` command has parsed that already and calls main() without it.
    args = parser.parse_args(list(argv))
    out = sys.stdout
    try:
        run_demo(args.events, out)
    except Exception as failure:
        print(f"\nDEMO FAILED: {type(failure).__name__}: {failure}", file=out)
        return 1
    return 0


def run_demo(events_dir: Path, out: TextIO) -> None:
    """Deploy, replay every event file in `events_dir`, print the results; raises DemoFailed on a bad step.

    Everything it made in its temporary folder is removed at the end, except the files it points to."""
    event_files = sorted(events_dir.glob("*.json"))
    if not event_files:
        raise DemoFailed(f"no sample events in {events_dir}")
    workdir = Path(tempfile.mkdtemp(prefix="hpo-guardrail-demo-"))
    try:
        _run(event_files, workdir, out)
    finally:
        clean_up(workdir)


def _run(event_files: list[Path], workdir: Path, out: TextIO) -> None:
    events = [json.loads(path.read_text(encoding="utf-8")) for path in event_files]
    weeks = sample_weeks(events)
    clock = DemoClock(_week_start(weeks[0]))
    log_path = workdir / "function.log"
    with EmbeddedAws() as aws, log_path.open("w", encoding="utf-8") as function_log:
        where = f"{aws.endpoint_url} (account {aws.account_id}, {aws.region})"
        print(f"Embedded AWS on {where}; no AWS account is used.", file=out)
        stack = deploy_template(aws, DEMO_PARAMETERS)
        _print_stack(stack, out)
        capture = SnsCapture(aws, stack.topic_arn)
        team_filter = {TEAM_TAG: [DEMO_TEAM]}
        team_queue = SnsCapture(aws, stack.topic_arn, queue_name=f"{DEMO_TEAM}-team-alerts", filter_policy=team_filter)
        runner = PinnedClockRunner.at(clock, aws, stack, workdir / "code", echo=function_log)
        print(f"Function logs (Powertools JSON, EMF metrics): {log_path}", file=out)
        print(
            "Clock: each event is handled a minute after its own time, so the figures are the same on any day\n",
            file=out,
        )
        replays = [
            _replay(aws, runner, clock, path, index, len(event_files), out) for index, path in enumerate(event_files, 1)
        ]
        _print_alerts(replays, capture, stack, out)
        _print_stopped_jobs(aws, replays, out)
        print_audit_report(aws, stack, weeks, workdir, out, now=clock.now())
        reporter_name = stack.outputs["ReporterFunctionName"]
        reporter = PinnedClockRunner.at(
            clock, aws, stack, workdir / "code", echo=function_log, function_name=reporter_name
        )
        clock.reporting(_week_start(weeks[-1]))
        run_weekly_reporter(aws, stack, reporter, capture, weeks[-1], out, _print_chatbot)
        _print_team_queue(team_queue, team_filter, replays, out)
        failed = [r.file for r in replays for i in r.invocations if not i.succeeded]
        if failed:
            raise DemoFailed(f"the function failed on {', '.join(failed)} (see {log_path})")
        results = [i.result for r in replays for i in r.invocations if isinstance(i.result, dict)]
        reviewed = creation_event_id(results)
        if reviewed is None:
            raise DemoFailed(f"no sample event created {REVIEWED_JOB}, the job the demo reviews")
        review_one_job(aws, runner, clock, stack, capture, reviewed, out)
    print(f"\nKept in {workdir}: {', '.join(KEPT_FILES)}; the rest of the demo's files are removed.", file=out)


def _week_start(week: str) -> datetime:
    return datetime.fromisoformat(ReportPeriod.iso_week(week).since.replace("Z", "+00:00"))


def clean_up(workdir: Path, kept: Sequence[str] = KEPT_FILES) -> None:
    """Remove what a demo made in `workdir` (the functions' code, anything else), keeping the files named `kept`;
    the folder too when nothing is kept."""
    for entry in workdir.iterdir():
        if entry.name in kept and entry.is_file():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if not any(workdir.iterdir()):
        workdir.rmdir()


def _print_stack(stack: DeployedStack, out: TextIO) -> None:
    parameters = stack.parameters
    print(
        f"Deployed template.yaml as stack {stack.stack_name}: mode {parameters.mode}, "
        f"budget cap ${parameters.budget_cap_usd:,.0f}, alerts to {parameters.notification_email}",
        file=out,
    )
    print(
        f"  function {stack.function_name}\n  rule     {stack.rule_name}\n  topic    {stack.topic_arn}",
        file=out,
    )
    skipped = ", ".join(stack.skipped_resource_types) or "none"
    print(f"  resource types the emulator did not create: {skipped}", file=out)


def _replay(
    aws: EmbeddedAws, runner: FunctionRunner, clock: DemoClock, path: Path, index: int, total: int, out: TextIO
) -> EventReplay:
    event = json.loads(path.read_text(encoding="utf-8"))
    job = tuning_jobs.create_tuning_job_for_event(aws, event)
    created = f"{job} (created in the emulator: {tuning_jobs.tuning_job_status(aws, job)})" if job else None
    api_calls_before = PRICE_LIST_CALLS.count
    clock.handling(event)
    replay = EventReplay(file=path.name, job_created=job, invocations=deliver(aws, runner, event), team=_team_of(event))
    replay.price_list_calls = PRICE_LIST_CALLS.count - api_calls_before
    print(f"[{index}/{total}] {path.name}", file=out)
    if not replay.invocations:
        event_name = (event.get("detail") or {}).get("eventName", _MISSING)
        print(f"  job        {created or _MISSING}", file=out)
        print(f"  delivered  no: the rule does not match {event_name}, the function was not invoked\n", file=out)
    for invocation in replay.invocations:
        _print_invocation(invocation, created, replay.price_list_calls, out)
    return replay


def _print_invocation(invocation: Invocation, created: str | None, price_list_calls: int, out: TextIO) -> None:
    if invocation.error is not None:
        print(f"  FAILED     {invocation.error.error_type}: {invocation.error.error_message}", file=out)
        print(
            f"             after {invocation.attempts} attempt(s); record sent to the OnFailure queue\n",
            file=out,
        )
        return
    result: dict[str, Any] = invocation.result if isinstance(invocation.result, dict) else {}
    reason = f" ({result['reason']})" if result.get("reason") else ""
    print(f"  job        {created or result.get('job_name') or _MISSING}", file=out)
    print(f"  status     {result.get('status', _MISSING)}{reason}", file=out)
    findings = result.get("findings") or []
    if not findings:
        print("  findings   none", file=out)
    for number, finding in enumerate(findings):
        label = "findings" if number == 0 else ""
        severity = str(finding.get("severity", _MISSING)).upper()
        parameter = f" ({finding['parameter']})" if finding.get("parameter") else ""
        print(f"  {label:<10} {severity:<8} {finding.get('rule', _MISSING)}{parameter}", file=out)
    for number, price in enumerate(result.get("prices") or []):
        print(f"  {'prices' if number == 0 else '':<10} {price}", file=out)
    if result.get("status") == "evaluated":
        print(f"  price api  {price_list_calls} GetProducts call(s) for this event", file=out)
    print(f"  worst case {_usd(result)}", file=out)
    print(f"  decision   {result.get('decision') or _MISSING}", file=out)
    actions = result.get("actions") or {}
    print(f"  stop       {actions.get('stop') or _MISSING}", file=out)
    print(f"  notify     {_notified(actions.get('notify'))}\n", file=out)


def _usd(result: dict[str, Any]) -> str:
    amount = result.get("worst_case_usd")
    if not isinstance(amount, int | float):
        return _MISSING
    prefix = "at least " if result.get("cost_complete") is False else ""
    return f"{prefix}${amount:,.2f}"


def _notified(message_id: Any) -> str:
    return f"SNS message {message_id}" if message_id else _MISSING


def _print_alerts(replays: list[EventReplay], capture: SnsCapture, stack: DeployedStack, out: TextIO) -> None:
    message_ids = [message_id for r in replays for message_id in r.notified()]
    if not message_ids:
        print("No alerts were published.", file=out)
        return
    chosen = _most_telling_alert(replays) or message_ids[0]
    emails = capture.emails(recipient=stack.parameters.notification_email)
    notifications = capture.receive()
    email = _find(emails, chosen, lambda e: e.message_id)
    chatbot = _find(notifications, chosen, lambda n: n.message_id)
    if email is None or chatbot is None:
        raise DemoFailed(f"SNS message {chosen} did not reach the email subscriber and the queue")
    print(f"{_RULE}\nThe email as received ({len(emails)} alert email(s) in all)\n{_RULE}", file=out)
    print(email.as_received(), file=out)
    print(f"\n{_RULE}\nThe Chatbot message as received (SNS `default`, for Slack or Teams)\n{_RULE}", file=out)
    _print_chatbot(chatbot, out)


def _most_telling_alert(replays: list[EventReplay]) -> str | None:
    # The alert for a job that was stopped shows the most: findings, cost and the action taken.
    for replay in replays:
        for invocation in replay.invocations:
            result = invocation.result if isinstance(invocation.result, dict) else {}
            actions = result.get("actions") or {}
            if result.get("decision") == "stop" and actions.get("notify"):
                return str(actions["notify"])
    return None


def _find(items: Sequence[Any], message_id: str, key: Any) -> Any:
    return next((item for item in items if key(item) == message_id), None)


def _print_chatbot(notification: SnsNotification, out: TextIO) -> None:
    print(f"Subject: {notification.subject or _MISSING}", file=out)
    attributes = ", ".join(f"{k}={v}" for k, v in sorted(notification.message_attributes.items()))
    print(f"Message attributes: {attributes or _MISSING}", file=out)
    try:
        print(json.dumps(notification.message_json(), indent=2), file=out)
    except json.JSONDecodeError:
        print(notification.message, file=out)


def _print_stopped_jobs(aws: EmbeddedAws, replays: list[EventReplay], out: TextIO) -> None:
    stopped = sorted(
        {
            str(i.result["job_name"])
            for r in replays
            for i in r.invocations
            if isinstance(i.result, dict)
            and str((i.result.get("actions") or {}).get("stop") or "").startswith("stopped")
        }
    )
    print(f"\n{_RULE}\nTuning jobs the guardrail stopped (DescribeHyperParameterTuningJob)\n{_RULE}", file=out)
    if not stopped:
        print("none", file=out)
        return
    for job in stopped:
        status = tuning_jobs.tuning_job_status(aws, job)
        print(f"{job}: {status}", file=out)
        if status not in _STOPPED_STATUSES:
            raise DemoFailed(f"{job} was reported stopped but the emulator says {status}")


def _print_team_queue(
    queue: SnsCapture, team_filter: dict[str, list[str]], replays: list[EventReplay], out: TextIO
) -> None:
    """What the team's queue received: exactly the alerts of its team's jobs (and no weekly summary)."""
    print(f"\n{_RULE}\nOne alert routed to its team (an SQS queue subscribed with a filter policy)\n{_RULE}", file=out)
    print(f"Queue           {queue.queue_arn}", file=out)
    print(f"Filter policy   {json.dumps(team_filter)} (FilterPolicyScope MessageAttributes)", file=out)
    received = queue.receive()
    expected = {message_id for r in replays if r.team == DEMO_TEAM for message_id in r.notified()}
    all_alerts = sum(len(r.notified()) for r in replays)
    print(f"Received        {len(received)} of the {all_alerts} alerts (and not the weekly summary):", file=out)
    for notification in received:
        attributes = notification.message_attributes
        who = ", ".join(f"{name}={attributes.get(name, _MISSING)}" for name in ("team", "account", "principal", "role"))
        print(f"                {notification.subject}\n                {who}", file=out)
    if {n.message_id for n in received} != expected or not expected:
        raise DemoFailed(f"the {DEMO_TEAM} team's queue did not receive exactly the alerts of its team's jobs")
    jobs = ", ".join(sorted(str(r.job_created) for r in replays if r.team == DEMO_TEAM and r.notified()))
    print(f"Expected        the alert of every job tagged {TEAM_TAG}={DEMO_TEAM} ({jobs}): exactly that", file=out)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
