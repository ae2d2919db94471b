"""The one reader of EventBridge events: a create call to evaluate, or the reason there is nothing to evaluate.

The deployed rule delivers CloudTrail's CreateHyperParameterTuningJob records wrapped in an EventBridge
envelope; the Lambda, `lint` and the emulator's helpers all read them here, so an event is judged the
same way wherever it turns up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rules.limits import EVENT_LIMITS, check_document
from rules.models import TuningJobCall
from rules.parsing import InvalidRequest, SkippedCall, describe_validation_error, read_cloudtrail_record

CLOUDTRAIL_SOURCE = "aws.sagemaker"
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
STATE_CHANGE_DETAIL_TYPE = "SageMaker HyperParameter Tuning Job State Change"


class AccountMismatch(InvalidRequest):
    """The envelope's account is not the account the CloudTrail record was delivered to (recipientAccountId).

    EventBridge writes the envelope; CloudTrail writes the record. A forged or mis-aggregated event can
    carry one account outside and another inside, and acting on either could stop a job elsewhere, so the
    event is rejected rather than trusted.
    """


class _Envelope(BaseModel):
    """The EventBridge envelope fields the guardrail reads; the rest is EventBridge's business."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str | None = None
    account: str | None = None
    region: str | None = None
    time: datetime | None = None  # ISO 8601, as EventBridge writes it
    source: str
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any]


def event_id_of(event: object) -> str | None:
    """The CloudTrail event id of an event, else its EventBridge id (None when it has neither)."""
    if isinstance(event, Mapping):
        detail = event.get("detail")
        if isinstance(detail, Mapping) and isinstance(detail.get("eventID"), str):
            return str(detail["eventID"])
        if isinstance(event.get("id"), str):
            return str(event["id"])
    return None


def read_event(event: object) -> TuningJobCall | SkippedCall:
    """The create call an EventBridge event reports, or why it is skipped; raises InvalidRequest naming the field.

    Skipped: events of another source or detail type (SageMaker's own state-change events carry no
    request), calls of another API, and failed calls (no job exists).
    """
    if not isinstance(event, Mapping):
        raise InvalidRequest(f"expected a JSON object, got {type(event).__name__}")
    # Before pydantic or anything else walks it: nesting, size and valid Unicode.
    check_document(event, EVENT_LIMITS)
    source, detail_type = event.get("source"), event.get("detail-type")
    if detail_type == STATE_CHANGE_DETAIL_TYPE:
        return SkippedCall(
            kind="unrelated",
            reason="a state-change event carries no request (scan reads live jobs)",
            event_id=event_id_of(event),
        )
    if source != CLOUDTRAIL_SOURCE or detail_type != CLOUDTRAIL_DETAIL_TYPE:
        return SkippedCall(
            kind="unrelated",
            reason=f"not a SageMaker CloudTrail event (source {source!r}, detail-type {detail_type!r})",
            event_id=event_id_of(event),
        )
    if not isinstance(event.get("detail"), Mapping):
        raise InvalidRequest("missing or not an object", "detail")
    try:
        envelope = _Envelope.model_validate(event)
    except ValidationError as error:
        raise describe_validation_error(error) from None
    # Account and region come from the CloudTrail record (recipientAccountId, awsRegion), never from the
    # envelope: a forwarded or aggregated event may carry another account there, so the two must agree.
    recipient = _recipient_account(envelope.detail)
    if envelope.account is not None and recipient is not None and envelope.account != recipient:
        raise AccountMismatch(
            f"the envelope's account {envelope.account} is not the CloudTrail record's recipientAccountId "
            f"{recipient}: a forged or mis-aggregated event, not acted on",
            "account",
        )
    return read_cloudtrail_record(envelope.detail)


def _recipient_account(detail: Mapping[str, Any]) -> str | None:
    """detail.recipientAccountId (either key casing) as text, or None when the record has none."""
    for key in ("recipientAccountId", "RecipientAccountId"):
        value = detail.get(key)
        if value is not None:
            return str(value)
    return None
