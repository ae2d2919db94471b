"""A rule target's dead-letter queue: where EventBridge puts an event it could not deliver."""

from __future__ import annotations

import json
from typing import Any

from moto.utilities.arns import parse_arn


def send_dead_letter(queue_arn: str, event: dict[str, Any], attributes: dict[str, str]) -> None:
    """Put an undeliverable event on an SQS dead-letter queue with EventBridge's message attributes."""
    from moto.sqs.models import sqs_backends

    queue = parse_arn(queue_arn)
    sqs_backends[queue.account][queue.region].send_message(
        queue_name=queue.resource_id,
        message_body=json.dumps(event),
        message_attributes={name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()},
    )
