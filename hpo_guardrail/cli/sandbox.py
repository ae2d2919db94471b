"""`hpo-guardrail sandbox`: the stack in the embedded AWS, running until Ctrl-C; `sandbox deliver` feeds it events,
`sandbox subscribe-queue` and `sandbox receive` give a team a queue of its own alerts."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

NAME = "sandbox"
HELP = "run the stack in an embedded AWS on 127.0.0.1 until Ctrl-C; `sandbox deliver FILE` sends it an event"
DESCRIPTION = (
    "`hpo-guardrail sandbox` deploys template.yaml into an embedded AWS (no account needed), prints the "
    "export line that points the AWS CLI, boto3 and hpo-guardrail at it, and runs the guardrail function "
    "for every event its rule delivers until Ctrl-C. In a second terminal, after that export line, "
    "`hpo-guardrail sandbox deliver events/04-costly-misconfigured.json` plays CloudTrail for a recorded "
    "event (--undeliverable: EventBridge cannot reach the function, so the event ends in the dead-letter "
    "queue, for `hpo-guardrail redrive`)."
)
_DEFAULT_STACK_NAME = "hpo-guardrail-sandbox"  # embedded.sandbox.DEFAULT_STACK_NAME (a test compares them)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`sandbox [options]` starts the sandbox; `sandbox deliver FILE... [options]` talks to a running one."""
    parser.set_defaults(sandbox_action="start")
    parser.add_argument(
        "--stack-name", default=_DEFAULT_STACK_NAME, help=f"the stack's name (default: {_DEFAULT_STACK_NAME})"
    )
    parser.add_argument(
        "--mode", choices=("monitor", "enforce"), default="enforce", help="the stack's Mode (default: enforce)"
    )
    parser.add_argument("--budget-cap-usd", type=float, default=1000.0, help="the stack's BudgetCapUsd (default: 1000)")
    parser.add_argument("--port", type=int, default=0, help="the emulator's port on 127.0.0.1 (default: a free one)")
    actions = parser.add_subparsers(dest="sandbox_action", metavar="deliver|subscribe-queue|receive")
    deliver = actions.add_parser("deliver", help="put recorded EventBridge events on the running sandbox's bus")
    deliver.add_argument("files", nargs="+", type=Path, metavar="FILE", help="EventBridge event files (events/*.json)")
    deliver.add_argument(
        "--undeliverable",
        action="store_true",
        help="make every attempt to deliver the events to the function fail (as in an outage), so that they land "
        "in the rule's dead-letter queue",
    )
    deliver.add_argument(
        "--lambda-error",
        default="TooManyRequestsException",
        metavar="CODE",
        help="the error each attempt meets with --undeliverable (default: TooManyRequestsException; "
        "ResourceNotFoundException and AccessDeniedException are not retried)",
    )
    deliver.add_argument(
        "--wait", type=float, default=30.0, help="seconds to wait for the guardrail's audit record (default: 30)"
    )
    deliver.add_argument("--stack-name", dest="deliver_stack_name", help="the sandbox's stack (default: as above)")
    subscribe = actions.add_parser(
        "subscribe-queue",
        help="create an SQS queue and subscribe it to the running sandbox's alert topic with a filter policy",
    )
    subscribe.add_argument("queue", metavar="QUEUE", help="the queue's name, e.g. nlp-alerts")
    subscribe.add_argument(
        "--filter-policy",
        required=True,
        metavar="JSON",
        help='an SNS filter policy on the message attributes, e.g. \'{"team": ["nlp"]}\' (docs/alerts.md)',
    )
    subscribe.add_argument("--stack-name", dest="subscribe_stack_name", help="the sandbox's stack (default: as above)")
    receive = actions.add_parser("receive", help="print and delete the alerts waiting in a sandbox queue")
    receive.add_argument("queue", metavar="QUEUE", help="the queue's name")


def run(args: argparse.Namespace) -> int:
    """Start the sandbox (0 on Ctrl-C), or deliver events to it (0 delivered, 2 no sandbox or a bad file)."""
    if args.sandbox_action == "deliver":
        return _deliver(args)
    if args.sandbox_action == "subscribe-queue":
        return _subscribe_queue(args)
    if args.sandbox_action == "receive":
        return _receive(args)
    from hpo_guardrail.embedded.deployment import StackParameters
    from hpo_guardrail.embedded.sandbox import serve

    parameters = StackParameters(mode=args.mode, budget_cap_usd=args.budget_cap_usd)
    stop = threading.Event()
    # `kill PID` ends it as Ctrl-C does (a shell's background job ignores SIGINT).
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with (
        tempfile.TemporaryDirectory(prefix="hpo-guardrail-sandbox-") as workdir,
        contextlib.suppress(KeyboardInterrupt),
    ):
        serve(parameters, stack_name=args.stack_name, port=args.port, workdir=Path(workdir), out=sys.stdout, stop=stop)
    return 0


def _deliver(args: argparse.Namespace) -> int:
    from hpo_guardrail.embedded.sandbox import SandboxError, deliver_event, sandbox_at, stack_outputs

    stack_name = args.deliver_stack_name or args.stack_name
    try:
        aws = sandbox_at(os.environ.get("AWS_ENDPOINT_URL"))
        outputs = stack_outputs(aws, stack_name)
        for path in args.files:
            delivery = deliver_event(
                aws, outputs, path, undeliverable=args.lambda_error if args.undeliverable else None, wait_s=args.wait
            )
            job = f" (job {delivery.job_name})" if delivery.job_name else ""
            print(f"{path}: event {delivery.event_id}{job}: {delivery.summary}", flush=True)
    except SandboxError as error:
        print(f"hpo-guardrail sandbox deliver: {error}", file=sys.stderr)
        return 2
    return 0


def _subscribe_queue(args: argparse.Namespace) -> int:
    from hpo_guardrail.embedded.sandbox import SandboxError, sandbox_at, stack_outputs, subscribe_queue

    try:
        policy = json.loads(args.filter_policy)
    except json.JSONDecodeError as error:
        print(f"hpo-guardrail sandbox subscribe-queue: --filter-policy is not JSON: {error}", file=sys.stderr)
        return 2
    if not isinstance(policy, dict) or not policy:
        print("hpo-guardrail sandbox subscribe-queue: --filter-policy must be a JSON object", file=sys.stderr)
        return 2
    try:
        aws = sandbox_at(os.environ.get("AWS_ENDPOINT_URL"))
        outputs = stack_outputs(aws, args.subscribe_stack_name or args.stack_name)
        subscription = subscribe_queue(aws, outputs, args.queue, policy)
    except SandboxError as error:
        print(f"hpo-guardrail sandbox subscribe-queue: {error}", file=sys.stderr)
        return 2
    print(f"{args.queue}: subscribed with the filter policy {json.dumps(subscription.filter_policy)}")
    print(f"  queue {subscription.queue_url}")
    print(f"  subscription {subscription.subscription_arn}")
    return 0


def _receive(args: argparse.Namespace) -> int:
    from hpo_guardrail.embedded.sandbox import SandboxError, receive_alerts, sandbox_at

    try:
        alerts = receive_alerts(sandbox_at(os.environ.get("AWS_ENDPOINT_URL")), args.queue)
    except SandboxError as error:
        print(f"hpo-guardrail sandbox receive: {error}", file=sys.stderr)
        return 2
    print(f"{args.queue}: {len(alerts)} alert{'' if len(alerts) == 1 else 's'}")
    for alert in alerts:
        attributes = ", ".join(f"{k}={v}" for k, v in sorted(alert.message_attributes.items()) if k != "rules")
        print(f"  {alert.subject}")
        print(f"    {attributes}")
    return 0
