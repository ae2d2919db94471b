"""SNS: publish checks real SNS makes, and a mailbox for email subscribers."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from moto.sns.exceptions import InvalidParameterValue
from moto.sns.models import SNSBackend, Subscription, Topic

from hpo_guardrail.embedded.moto_extensions.sns_filter_policies import extend_sns_filter_policies

SNS_SENDER = "no-reply@sns.amazonaws.com"
_DEFAULT_EMAIL_SUBJECT = "AWS Notification Message"
_EMAIL_FOOTER = (
    "\n\n--\n"
    "If you wish to stop receiving notifications from this topic, please click or visit the link below "
    "to unsubscribe:\n"
    "https://sns.{region}.amazonaws.com/unsubscribe.html?SubscriptionArn={subscription_arn}&Endpoint={endpoint}"
    "\n\n"
    "Please do not reply directly to this email. If you have any questions or comments regarding this "
    "email, please contact us at https://aws.amazon.com/support"
)


@dataclass(frozen=True)
class DeliveredEmail:
    """An email SNS would have sent to an `email` (or `email-json`) subscriber."""

    recipient: str
    sender: str
    subject: str
    body: str
    topic_arn: str
    message_id: str
    protocol: str

    def as_received(self) -> str:
        """The email as a mail client shows it: headers, a blank line, the body."""
        return f"From: {self.sender}\nTo: {self.recipient}\nSubject: {self.subject}\n\n{self.body}"


class Mailbox:
    """Every email the emulated SNS delivered, in order. Safe to use from the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._emails: list[DeliveredEmail] = []

    def deliver(self, email: DeliveredEmail) -> None:
        """Store one delivered email."""
        with self._lock:
            self._emails.append(email)

    def emails(self, *, recipient: str | None = None, topic_arn: str | None = None) -> list[DeliveredEmail]:
        """Delivered emails, oldest first, optionally only those to `recipient` or from `topic_arn`."""
        with self._lock:
            return [
                email
                for email in self._emails
                if (recipient is None or email.recipient == recipient)
                and (topic_arn is None or email.topic_arn == topic_arn)
            ]

    def clear(self) -> None:
        """Forget every delivered email."""
        with self._lock:
            self._emails.clear()


MAILBOX = Mailbox()
_EMAIL_PROTOCOLS = ("email", "email-json")


def extend_sns() -> None:
    extend_sns_filter_policies()
    original_publish = Subscription.publish

    def publish_to_subscriber(
        self: Subscription,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        if self.protocol not in _EMAIL_PROTOCOLS:
            original_publish(
                self,
                message,
                message_id,
                subject=subject,
                message_attributes=message_attributes,
                group_id=group_id,
                deduplication_id=deduplication_id,
                message_structure=message_structure,
            )
            return
        # moto drops messages to email subscribers; the mailbox keeps them so the demo and the tests
        # can read the email as the recipient would.
        _deliver_email(self, message, message_id, subject, message_attributes, message_structure)

    Subscription.publish = publish_to_subscriber  # type: ignore[method-assign]

    original_backend_publish = SNSBackend.publish

    def publish_checked(self: SNSBackend, message: str, arn: str | None, *args: Any, **kwargs: Any) -> str:
        _check_subject(kwargs.get("subject"))
        if kwargs.get("message_structure") == "json":
            _check_message_structure(message)
        return original_backend_publish(self, message, arn, *args, **kwargs)

    SNSBackend.publish = publish_checked  # type: ignore[method-assign]


def _deliver_email(
    subscription: Subscription,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None,
    message_structure: str | None,
) -> None:
    matcher = subscription._filter_policy_matcher
    if matcher is not None and not matcher.matches(message_attributes, message):
        return
    if message_structure == "json":
        # moto picks the key named after the protocol (`email`), else `default`, as SNS does.
        message = subscription._parse_message_structure(message, subscription.protocol)
    topic: Topic = subscription.topic
    if subscription.protocol == "email-json":
        body = json.dumps(subscription.get_post_data(message, message_id, subject), indent=2)
    else:
        body = message + _EMAIL_FOOTER.format(
            region=topic.sns_backend.region_name,
            subscription_arn=subscription.arn,
            endpoint=subscription.endpoint,
        )
    display_name = topic.display_name or "AWS Notifications"
    MAILBOX.deliver(
        DeliveredEmail(
            recipient=subscription.endpoint,
            sender=f"{display_name} <{SNS_SENDER}>",
            subject=subject or _DEFAULT_EMAIL_SUBJECT,
            body=body,
            topic_arn=topic.arn,
            message_id=message_id,
            protocol=subscription.protocol,
        )
    )


def _check_subject(subject: str | None) -> None:
    # SNS rejects a subject that is not printable ASCII or contains line breaks (moto checks only the
    # length). An em dash or an emoji in a subject works here and fails in AWS unless this is checked.
    if subject is None:
        return
    if not subject or not all(" " <= ch <= "~" for ch in subject):
        raise InvalidParameterValue(
            "Invalid parameter: Subject (must be ASCII text without line breaks or control characters)"
        )


def _check_message_structure(message: str) -> None:
    # With MessageStructure=json SNS requires a JSON object with a `default` string entry, and string
    # values for every protocol; moto only fails later, per subscriber, and accepts non-strings.
    try:
        structured = json.loads(message)
    except json.JSONDecodeError as not_json:
        raise InvalidParameterValue(
            "Invalid parameter: Message Structure - JSON message body failed to parse"
        ) from not_json
    if not isinstance(structured, dict) or "default" not in structured:
        raise InvalidParameterValue("Invalid parameter: Message Structure - No default entry in JSON message body")
    if not all(isinstance(value, str) for value in structured.values()):
        raise InvalidParameterValue(
            "Invalid parameter: Message Structure - every protocol's message must be a JSON string"
        )
