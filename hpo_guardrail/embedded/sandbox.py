"""`hpo-guardrail sandbox`: the stack in the embedded AWS, kept running for a person to try things on.

`serve` starts the emulator on 127.0.0.1, deploys template.yaml into it, prints the variables that point
the AWS CLI, boto3 and `hpo-guardrail` at it, and then plays Lambda until stopped: every event the
deployed rule (or an asynchronous Invoke, as `hpo-guardrail redrive` makes) queues for the guardrail
function runs in it, and every alert the topic publishes is printed.

`deliver` runs in a second process, against that emulator: it plays CloudTrail for a recorded event (the
tuning job is created, the event put on the default bus with its own id), or, with `undeliverable`, an
EventBridge that cannot reach the function, so that the event ends in the rule's dead-letter queue.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError

from hpo_guardrail.embedded.deployment import DeployedStack, StackParameters, deploy_template
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, Invocation
from hpo_guardrail.embedded.moto_extensions import REPLAYED_EVENT_IDS_HEADER, UNDELIVERABLE_HEADER
from hpo_guardrail.embedded.sns_capture import SnsCapture, SnsNotification, allow_topic
from hpo_guardrail.embedded.tuning_jobs import create_tuning_job_for_event
from rules.events import event_id_of

DEFAULT_STACK_NAME = "hpo-guardrail-sandbox"
_POLL_S = 0.2
# Variables that would send the second terminal's AWS calls to a real account instead.
_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class SandboxError(RuntimeError):
    """The sandbox cannot do what was asked (no sandbox at the endpoint, an unreadable event)."""


# --- the sandbox itself ------------------------------------------------------------------------------


def serve(
    parameters: StackParameters,
    *,
    stack_name: str = DEFAULT_STACK_NAME,
    port: int = 0,
    workdir: Path,
    out: TextIO,
    stop: threading.Event | None = None,
) -> None:
    """Run the sandbox until `stop` is set (or KeyboardInterrupt); prints its variables, then each event."""
    stop = stop or threading.Event()
    with EmbeddedAws(port=port) as aws:
        stack = deploy_template(aws, parameters, stack_name=stack_name)
        runner = FunctionRunner.for_stack(aws, stack, workdir / "code")
        alerts = SnsCapture(aws, stack.topic_arn, queue_name=f"{stack_name}-alerts")
        _print_welcome(aws, stack, alerts, out)
        try:
            while not stop.is_set():
                for invocation in runner.deliver_queued():
                    _say(out, describe_invocation(invocation))
                for notification in alerts.receive():
                    _say(out, describe_alert(notification))
                stop.wait(_POLL_S)
        except KeyboardInterrupt:
            pass
        _say(out, "sandbox stopped; everything in it is gone")


def environment_lines(aws: EmbeddedAws, stack: DeployedStack) -> list[str]:
    """The shell lines that point a second terminal at the sandbox."""
    variables = {**aws.environment_variables(), "AUDIT_TABLE_NAME": stack.outputs["AuditTableName"]}
    return [
        "unset " + " ".join(_UNSET),
        "export " + " ".join(f"{name}={value}" for name, value in variables.items()),
    ]


def _print_welcome(aws: EmbeddedAws, stack: DeployedStack, alerts: SnsCapture, out: TextIO) -> None:
    parameters = stack.parameters
    lines = [
        f"HPO Guardrail sandbox: the embedded AWS on {aws.endpoint_url} (account {aws.account_id}, "
        f"{aws.region}); no AWS account is used.",
        f"Deployed template.yaml as stack {stack.stack_name} (mode {parameters.mode}, budget cap "
        f"${parameters.budget_cap_usd:,.0f}).",
        "",
        "In another terminal, point the AWS CLI, boto3 and hpo-guardrail at it:",
        "",
        *(f"  {line}" for line in environment_lines(aws, stack)),
        "",
        "Stack outputs:",
        *(f"  {key}  {value}" for key, value in sorted(stack.outputs.items())),
        f"  (alerts are also kept in the queue {alerts.queue_url})",
        "",
        "The guardrail function runs every event the rule delivers; alerts are printed as SNS sends them.",
        "Ctrl-C stops the sandbox, and everything in it goes.",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def describe_invocation(invocation: Invocation) -> str:
    """One line for one event the function ran: what it decided and did, or how it failed."""
    event_id = event_id_of(invocation.event) or "?"
    if invocation.error is not None:
        return (
            f"event {event_id}: the function failed ({invocation.error.error_type}: {invocation.error.error_message}) "
            f"after {invocation.attempts} attempts; Lambda kept it in the on-failure queue"
        )
    result = invocation.result if isinstance(invocation.result, dict) else {}
    job = result.get("job_name") or "-"
    findings = result.get("findings") or []
    actions = {name: outcome for name, outcome in (result.get("actions") or {}).items() if outcome}
    described = f"event {event_id} job {job}: {result.get('status', '?')}"
    if result.get("decision"):
        described += f", decision {result['decision']}, {len(findings)} finding" + ("" if len(findings) == 1 else "s")
    if result.get("reason"):
        described += f" ({result['reason']})"
    if actions:
        described += "; " + "; ".join(f"{name}: {outcome}" for name, outcome in actions.items())
    return described


def describe_alert(notification: SnsNotification) -> str:
    """One line for one alert the topic published: its subject and message attributes."""
    attributes = ", ".join(f"{name}={value}" for name, value in sorted(notification.message_attributes.items()))
    return f"alert: {notification.subject or '(no subject)'}" + (f" [{attributes}]" if attributes else "")


def _say(out: TextIO, line: str) -> None:
    out.write(f"[{datetime.now(UTC):%H:%M:%S}] {line}\n")
    out.flush()


# --- delivering an event to a running sandbox ------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What became of one event file put on the sandbox's bus."""

    path: Path
    event_id: str
    job_name: str | None
    matched: bool  # the stack's rule matches the event
    summary: str  # what the guardrail recorded, or where the event is


def sandbox_at(endpoint_url: str | None) -> EmbeddedAws:
    """The running sandbox at `endpoint_url` (AWS_ENDPOINT_URL); refuses anything but a loopback address."""
    if not endpoint_url:
        raise SandboxError(
            "AWS_ENDPOINT_URL is not set: start `hpo-guardrail sandbox` and run the export line it prints"
        )
    host = urlparse(endpoint_url).hostname or ""
    if host not in _LOOPBACK_HOSTS:
        raise SandboxError(
            f"AWS_ENDPOINT_URL is {endpoint_url}, not the sandbox on this machine: `sandbox deliver` creates tuning "
            "jobs and only talks to the embedded AWS on 127.0.0.1"
        )
    return EmbeddedAws.running_at(endpoint_url)


def stack_outputs(aws: EmbeddedAws, stack_name: str) -> dict[str, str]:
    """The sandbox stack's outputs; SandboxError when nothing answers or there is no such stack."""
    try:
        (stack,) = aws.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except Exception as error:
        raise SandboxError(f"no sandbox stack {stack_name} at {aws.endpoint_url}: {error}") from error
    return {output["OutputKey"]: str(output["OutputValue"]) for output in stack.get("Outputs", [])}


def deliver_event(
    aws: EmbeddedAws,
    outputs: dict[str, str],
    path: Path,
    *,
    undeliverable: str | None = None,
    wait_s: float = 30.0,
) -> Delivery:
    """Play CloudTrail for one recorded event: create its job, put it on the bus, wait for the audit record."""
    try:
        return _deliver_event(aws, outputs, path, undeliverable, wait_s)
    except (BotoCoreError, ClientError) as error:
        raise SandboxError(f"{path}: the sandbox at {aws.endpoint_url} refused: {error}") from error


def _deliver_event(
    aws: EmbeddedAws, outputs: dict[str, str], path: Path, undeliverable: str | None, wait_s: float
) -> Delivery:
    event = _read_event(path)
    event_id = str(event.get("id") or uuid.uuid4())
    event = {**event, "id": event_id}
    events = aws.client("events")
    pattern = events.describe_rule(Name=outputs["TuningJobRuleName"])["EventPattern"]
    if not events.test_event_pattern(EventPattern=pattern, Event=json.dumps(_envelope(aws, event)))["Result"]:
        return Delivery(path, event_id, None, False, "not delivered: the stack's rule does not match this event")
    job_name = create_tuning_job_for_event(aws, event)
    _put(aws, event, undeliverable)
    if undeliverable:
        queue = outputs["UndeliveredEventQueueUrl"].rsplit("/", 1)[-1]
        return Delivery(
            path,
            event_id,
            job_name,
            True,
            f"EventBridge could not deliver it ({undeliverable}, every retry): it waits in {queue}",
        )
    # The audit table is keyed by the CloudTrail record's id (the envelope's id for events without one).
    record_id = event_id_of(event) or event_id
    return Delivery(path, record_id, job_name, True, _await_record(aws, outputs["AuditTableName"], record_id, wait_s))


def _read_event(path: Path) -> dict[str, Any]:
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SandboxError(f"cannot read {path}: {error}") from error
    if not isinstance(event, dict) or not {"source", "detail-type", "detail"} <= set(event):
        raise SandboxError(f"{path} is not an EventBridge event (source, detail-type, detail)")
    return event


def _envelope(aws: EmbeddedAws, event: dict[str, Any]) -> dict[str, Any]:
    # TestEventPattern wants a whole envelope; the bus gives the event the emulator's account and region.
    return {
        "version": "0",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [],
        **event,
        "account": aws.account_id,
        "region": aws.region,
    }


def _put(aws: EmbeddedAws, event: dict[str, Any], undeliverable: str | None) -> None:
    entry: dict[str, Any] = {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
        "Resources": list(event.get("resources", [])),
        "EventBusName": "default",
    }
    if event.get("time"):
        entry["Time"] = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    headers = {REPLAYED_EVENT_IDS_HEADER: json.dumps([event["id"]])}
    if undeliverable:
        headers[UNDELIVERABLE_HEADER] = undeliverable
    events = aws.client("events")
    with _headers(events, headers):
        response = events.put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        raise SandboxError(f"the bus refused the event: {response['Entries'][0]}")


@contextmanager
def _headers(events_client: Any, headers: dict[str, str]) -> Iterator[None]:
    def add(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value

    handler_id = f"sandbox-headers-{uuid.uuid4().hex}"
    events_client.meta.events.register("before-sign.events.PutEvents", add, unique_id=handler_id)
    try:
        yield
    finally:
        events_client.meta.events.unregister("before-sign.events.PutEvents", unique_id=handler_id)


def _await_record(aws: EmbeddedAws, table: str, event_id: str, wait_s: float) -> str:
    from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore

    store = DynamoDbAuditStore(aws.client("dynamodb"), table)
    deadline = time.monotonic() + wait_s
    record = None
    while time.monotonic() < deadline:
        record = store.get(event_id)
        if record is not None and record.complete:
            break
        time.sleep(_POLL_S)
    if record is None:
        return f"no audit record after {wait_s:.0f} s: is the sandbox running? (its terminal shows what happened)"
    summary = f"recorded {record.status}"
    if record.decision:
        summary += f", decision {record.decision}, {len(record.findings)} finding" + (
            "" if len(record.findings) == 1 else "s"
        )
    if record.reason:
        summary += f" ({record.reason})"
    if record.actions:
        summary += "; " + ", ".join(f"{name} {action.result}" for name, action in record.actions.items())
    if not record.complete:
        summary += f"; still pending after {wait_s:.0f} s: {', '.join(record.pending())}"
    return summary


# --- a team's queue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSubscription:
    """A queue subscribed to the sandbox's alert topic with a filter policy."""

    queue_url: str
    subscription_arn: str
    filter_policy: dict[str, Any]


def subscribe_queue(
    aws: EmbeddedAws, outputs: dict[str, str], queue_name: str, filter_policy: dict[str, Any]
) -> QueueSubscription:
    """Create `queue_name` and subscribe it to the alert topic with `filter_policy` on the message attributes,
    as a platform team would in an account (the queue policy lets only that topic send to it)."""
    topic_arn = outputs.get("NotificationTopicArn")
    if not topic_arn:
        raise SandboxError("the sandbox stack has no NotificationTopicArn output")
    sqs, sns = aws.client("sqs"), aws.client("sns")
    try:
        queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = json.dumps(allow_topic(queue_arn, topic_arn))
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})
        subscription = sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"FilterPolicyScope": "MessageAttributes", "FilterPolicy": json.dumps(filter_policy)},
            ReturnSubscriptionArn=True,
        )
    except (BotoCoreError, ClientError) as error:
        raise SandboxError(f"cannot subscribe the queue {queue_name}: {error}") from error
    return QueueSubscription(str(queue_url), str(subscription["SubscriptionArn"]), filter_policy)


def receive_alerts(aws: EmbeddedAws, queue_name: str) -> list[SnsNotification]:
    """Every alert waiting in `queue_name` (as SNS delivered it, with its message attributes), deleted once read."""
    sqs = aws.client("sqs")
    try:
        queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        received: list[SnsNotification] = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return received
            for message in messages:
                received.append(SnsNotification.from_envelope(json.loads(message["Body"])))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    except (BotoCoreError, ClientError) as error:
        raise SandboxError(f"cannot read the queue {queue_name}: {error}") from error
