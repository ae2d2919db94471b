"""What the deployed topic published, as its subscribers receive it.

A queue subscribed to the topic receives the SNS envelope (Subject, Message, MessageAttributes); with
MessageStructure=json that Message is the `default` entry, the AWS Chatbot custom notification. Email
subscribers receive the `email` entry; the emulator keeps those in its mailbox.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.moto_extensions import MAILBOX, DeliveredEmail


@dataclass(frozen=True)
class SnsNotification:
    """One SNS notification as an SQS subscriber (without raw delivery) receives it."""

    message_id: str
    topic_arn: str
    subject: str | None
    message: str
    message_attributes: dict[str, str]
    envelope: dict[str, Any]

    def message_json(self) -> Any:
        """The message parsed as JSON (the Chatbot notification, for the guardrail's alerts)."""
        return json.loads(self.message)

    @classmethod
    def from_envelope(cls, envelope: dict[str, Any]) -> SnsNotification:
        """Read the envelope SNS wraps around a message for an SQS subscriber."""
        attributes = {name: str(value.get("Value")) for name, value in envelope.get("MessageAttributes", {}).items()}
        return cls(
            message_id=envelope["MessageId"],
            topic_arn=envelope["TopicArn"],
            subject=envelope.get("Subject"),
            message=envelope["Message"],
            message_attributes=attributes,
            envelope=envelope,
        )


class SnsCapture:
    """A queue subscribed to a topic, read back as notifications; plus the topic's delivered emails."""

    def __init__(
        self,
        aws: EmbeddedAws,
        topic_arn: str,
        *,
        queue_name: str | None = None,
        filter_policy: dict[str, Any] | None = None,
    ) -> None:
        """Subscribe a new queue to the topic; with `filter_policy` (FilterPolicyScope MessageAttributes) it
        receives only the messages whose attributes the policy accepts, as a team's queue would."""
        self.topic_arn = topic_arn
        self.filter_policy = filter_policy
        self._sqs = aws.client("sqs")
        name = queue_name or f"sns-capture-{uuid.uuid4().hex[:12]}"
        self.queue_url: str = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        # The policy a real queue needs before SNS may deliver to it.
        self._sqs.set_queue_attributes(
            QueueUrl=self.queue_url, Attributes={"Policy": json.dumps(allow_topic(queue_arn, topic_arn))}
        )
        attributes = (
            {"FilterPolicyScope": "MessageAttributes", "FilterPolicy": json.dumps(filter_policy)}
            if filter_policy
            else {}
        )
        self.queue_arn: str = queue_arn
        self.subscription_arn: str = aws.client("sns").subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes, ReturnSubscriptionArn=True
        )["SubscriptionArn"]

    def receive(self) -> list[SnsNotification]:
        """Every notification delivered since the last call, oldest first (they are removed)."""
        notifications: list[SnsNotification] = []
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return notifications
            for message in messages:
                notifications.append(SnsNotification.from_envelope(json.loads(message["Body"])))
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def emails(self, recipient: str | None = None) -> list[DeliveredEmail]:
        """Emails the topic delivered (to `recipient`, if given), oldest first."""
        return MAILBOX.emails(recipient=recipient, topic_arn=self.topic_arn)


def allow_topic(queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """A queue policy that lets one SNS topic, and nothing else, send to the queue."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
