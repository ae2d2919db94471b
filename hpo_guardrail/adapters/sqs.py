"""SQS: the queues that keep what could not be delivered, read as dead letters and emptied one by one.

Two kinds of message end up in the stack's queues, and a dead letter is read from either:

- EventBridge's dead-letter queue (`UndeliveredEventQueue`): the body is the event as the rule's target
  would have received it; EventBridge adds the message attributes RULE_ARN, TARGET_ARN, ERROR_CODE,
  ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS.
- Lambda's on-failure destination (`FailedInvocationQueue`): the body is an invocation record whose
  `requestPayload` is the event, `requestContext` names the function and the condition
  (RetriesExhausted, EventAgeExceeded), and `responsePayload` carries the function's error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from hpo_guardrail.adapters.clients import aws_call
from rules.events import event_id_of

EVENTBRIDGE_DEAD_LETTER = "eventbridge-dead-letter"
LAMBDA_ON_FAILURE = "lambda-on-failure"
UNRECOGNISED = "unrecognised"

_BATCH = 10  # the most messages one ReceiveMessage or ChangeMessageVisibilityBatch takes


@dataclass(frozen=True)
class DeadLetter:
    """One message of a dead-letter or on-failure queue: the event it holds and why it is there."""

    message_id: str
    receipt_handle: str
    kind: str  # EVENTBRIDGE_DEAD_LETTER, LAMBDA_ON_FAILURE or UNRECOGNISED
    event: dict[str, Any] | None  # the EventBridge event to deliver again (None: none could be read)
    function_arn: str | None  # the function the message says the event was for
    reason: str  # the error EventBridge or Lambda recorded ("" when none)
    sent_at: datetime | None  # when the message entered the queue
    problem: str = ""  # why the message cannot be sent again as it is ("" when it can)

    @property
    def event_id(self) -> str:
        """The CloudTrail event id (the audit table's key, by which the guardrail deduplicates), else the
        EventBridge event id, else ""."""
        return event_id_of(self.event) or ""

    @property
    def job_name(self) -> str:
        """The tuning job the CloudTrail record names, or "" when it names none."""
        detail = (self.event or {}).get("detail")
        parameters = detail.get("requestParameters") if isinstance(detail, dict) else None
        if not isinstance(parameters, dict):
            return ""
        name = parameters.get("hyperParameterTuningJobName", parameters.get("HyperParameterTuningJobName", ""))
        return name if isinstance(name, str) else ""


def read_dead_letter(message: dict[str, Any]) -> DeadLetter:
    """A ReceiveMessage message (with its attributes and message attributes) as a dead letter."""
    attributes = {
        name: str(value.get("StringValue", "")) for name, value in (message.get("MessageAttributes") or {}).items()
    }
    sent_at = _sent_at(message.get("Attributes", {}).get("SentTimestamp"))
    common = {"message_id": str(message["MessageId"]), "receipt_handle": str(message["ReceiptHandle"])}
    try:
        body = json.loads(message.get("Body", ""))
    except ValueError:
        return DeadLetter(
            **common,
            kind=UNRECOGNISED,
            event=None,
            function_arn=None,
            reason=_eventbridge_reason(attributes),
            sent_at=sent_at,
            problem="the message body is not JSON",
        )
    if isinstance(body, dict) and "requestContext" in body and "requestPayload" in body:
        return _on_failure_record(body, common, sent_at)
    if isinstance(body, dict) and "detail-type" in body and "detail" in body:
        return DeadLetter(
            **common,
            kind=EVENTBRIDGE_DEAD_LETTER,
            event=body,
            function_arn=_unqualified(attributes.get("TARGET_ARN")),
            reason=_eventbridge_reason(attributes),
            sent_at=sent_at,
        )
    return DeadLetter(
        **common,
        kind=UNRECOGNISED,
        event=None,
        function_arn=None,
        reason=_eventbridge_reason(attributes),
        sent_at=sent_at,
        problem="the message is neither an EventBridge event nor a Lambda invocation record",
    )


def _on_failure_record(body: dict[str, Any], common: dict[str, str], sent_at: datetime | None) -> DeadLetter:
    context = body.get("requestContext") or {}
    payload = body.get("requestPayload")
    response = body.get("responsePayload")
    parts = [str(context.get("condition", ""))]
    if isinstance(response, dict) and (response.get("errorType") or response.get("errorMessage")):
        parts.append(f"{response.get('errorType', 'Error')}: {response.get('errorMessage', '')}".strip())
    count = context.get("approximateInvokeCount")
    if count:
        parts.append(f"after {count} attempts")
    is_event = isinstance(payload, dict) and "detail-type" in payload and "detail" in payload
    return DeadLetter(
        **common,
        kind=LAMBDA_ON_FAILURE,
        event=payload if is_event else None,
        function_arn=_unqualified(context.get("functionArn")),
        reason=", ".join(part for part in parts if part),
        sent_at=sent_at,
        problem="" if is_event else "the invocation record's requestPayload is not an EventBridge event",
    )


def _eventbridge_reason(attributes: dict[str, str]) -> str:
    code, message = attributes.get("ERROR_CODE", ""), attributes.get("ERROR_MESSAGE", "")
    reason = f"{code}: {message}" if code and message else code or message
    condition, retries = attributes.get("EXHAUSTED_RETRY_CONDITION", ""), attributes.get("RETRY_ATTEMPTS", "")
    if condition:
        reason += f" ({condition}" + (f", {retries} retries" if retries else "") + ")"
    return reason.strip()


def _unqualified(function_arn: Any) -> str | None:
    """A function ARN without the `$LATEST` qualifier Lambda's records add (a version number stays)."""
    if not isinstance(function_arn, str) or not function_arn:
        return None
    return function_arn.removesuffix(":$LATEST")


def _sent_at(timestamp_ms: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp_ms) / 1000, tz=UTC)
    except (TypeError, ValueError):
        return None


class SqsDeadLetterQueue:
    """One queue of dead letters over an injected boto3 SQS client; every call raises AwsCallFailed."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = (
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
    )

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self.url = queue_url

    @classmethod
    def named(cls, client: Any, queue: str) -> SqsDeadLetterQueue:
        """The queue a URL, an ARN or a name gives (a name or ARN is looked up with GetQueueUrl)."""
        if queue.startswith(("https://", "http://")):
            return cls(client, queue)
        request: dict[str, str] = {"QueueName": queue}
        if queue.startswith("arn:"):
            parts = queue.split(":")
            if len(parts) != 6 or parts[2] != "sqs":
                raise ValueError(f"not an SQS queue ARN: {queue}")
            request = {"QueueName": parts[5], "QueueOwnerAWSAccountId": parts[4]}
        with aws_call():
            return cls(client, str(client.get_queue_url(**request)["QueueUrl"]))

    @property
    def name(self) -> str:
        """The queue's name (the last part of its URL)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    def receive(self, max_messages: int, visibility_timeout_s: int) -> list[DeadLetter]:
        """Up to `max_messages` (1-10) messages, hidden from other readers for `visibility_timeout_s`."""
        with aws_call():
            response = self._client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=max(1, min(_BATCH, max_messages)),
                VisibilityTimeout=visibility_timeout_s,
                WaitTimeSeconds=0,
                AttributeNames=["SentTimestamp"],
                MessageAttributeNames=["All"],
            )
        return [read_dead_letter(message) for message in response.get("Messages", [])]

    def delete(self, letter: DeadLetter) -> None:
        """Remove a message for good (once its event was delivered again)."""
        with aws_call():
            self._client.delete_message(QueueUrl=self.url, ReceiptHandle=letter.receipt_handle)

    def release(self, letters: list[DeadLetter]) -> None:
        """Make messages this reader holds visible again at once (they stay in the queue)."""
        for start in range(0, len(letters), _BATCH):
            entries = [
                {"Id": str(n), "ReceiptHandle": letter.receipt_handle, "VisibilityTimeout": 0}
                for n, letter in enumerate(letters[start : start + _BATCH])
            ]
            with aws_call():
                self._client.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)

    def depth(self) -> int:
        """The messages in the queue: visible, in flight and delayed (SQS's approximate counts)."""
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        with aws_call():
            attributes = self._client.get_queue_attributes(QueueUrl=self.url, AttributeNames=names)["Attributes"]
        return sum(int(attributes.get(name, 0)) for name in names)
