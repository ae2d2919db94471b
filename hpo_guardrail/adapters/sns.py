"""SNS: one publish per alert, per-protocol bodies (Chatbot JSON by default, plain text by email)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from hpo_guardrail.enforce.ports import Alert, NotificationFailed


def message_attributes(attributes: dict[str, str | list[str]]) -> dict[str, dict[str, str]]:
    """SNS message attributes; lists become String.Array so filter policies can match any element.

    SNS refuses the whole message when a value is empty, so an empty String is left out rather than sent:
    the alert still goes out, and a filter on that attribute does not match it."""
    out: dict[str, dict[str, str]] = {}
    for name, value in attributes.items():
        if value == "":
            continue
        if isinstance(value, list):
            out[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        else:
            out[name] = {"DataType": "String", "StringValue": value}
    return out


class SnsNotifier:
    """Notifier over an injected boto3 SNS client and a topic ARN."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("sns:Publish", "kms:GenerateDataKey", "kms:Decrypt")

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, alert: Alert) -> str:
        message = {"default": json.dumps(alert.chatbot), "email": alert.email}
        try:
            response = self._client.publish(
                TopicArn=self._topic_arn,
                Subject=alert.subject,
                Message=json.dumps(message),
                MessageStructure="json",
                MessageAttributes=message_attributes(alert.attributes),
            )
        except (ClientError, BotoCoreError) as error:
            raise NotificationFailed(str(error)) from error
        return str(response["MessageId"])
