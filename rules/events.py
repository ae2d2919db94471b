"""The one reader of EventBridge events: a create call to evaluate, or the reason there is nothing to evaluate,
and SageMaker's own tuning job state changes.

The deployed rule delivers CloudTrail's CreateHyperParameterTuningJob records wrapped in an EventBridge
envelope; the Lambda, `lint` and the emulator's helpers all read them here, so an event is judged the
same way wherever it turns up. The second rule delivers "SageMaker HyperParameter Tuning Job State Change"
events (`read_state_change`): they carry no request, only which job changed state; the guardrail describes the
job for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rules.limits import EVENT_LIMITS, check_document
from rules.models import TuningJobCall
from rules.parsing import InvalidRequest, SkippedCall, describe_validation_error, read_cloudtrail_record

CLOUDTRAIL_SOURCE = "aws.sagemaker"
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
STATE_CHANGE_DETAIL_TYPE = "SageMaker HyperParameter Tuning Job State Change"
# HyperParameterTuningJobStatus (botocore's sagemaker 2017-07-24 model): every value a state-change event may carry.
TUNING_JOB_STATUSES = ("InProgress", "Completed", "Failed", "Stopped", "Stopping", "Deleting", "DeleteFailed")
# The states the guardrail's state-change rule asks for (template.yaml): InProgress (a job whose creation event may
# never have come) and the three terminal ones (the review).
STATE_CHANGE_RULE_STATUSES = ("InProgress", "Completed", "Stopped", "Failed")
# HyperParameterTuningJobName and HyperParameterTuningJobArn (botocore's model: the name's pattern; the ARN's
# pattern arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:hyper-parameter-tuning-job/.*, at most 256 characters).
_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}", re.ASCII)
_JOB_ARN = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:(?P<region>[a-z0-9\-]+):(?P<account>[0-9]{12}):hyper-parameter-tuning-job/(?P<name>.+)",
    re.ASCII,
)
_ACCOUNT = re.compile(r"[0-9]{12}", re.ASCII)
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+", re.ASCII)


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


class TuningJobStateChange(BaseModel):
    """A "SageMaker HyperParameter Tuning Job State Change" event as the guardrail acts on it: which job, in which
    account and region, is now in which state. Account and region are the job ARN's, which the envelope must match.

    The event's detail (AWS's example in "Events that Amazon SageMaker AI sends to Amazon EventBridge") holds the
    job's name, ARN, status, TrainingJobDefinition, counters and tags as a map; the guardrail describes the job for
    its configuration and keeps only the tags from the event (DescribeHyperParameterTuningJob returns none).
    """

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(min_length=1, description="the EventBridge event id (a state change has no CloudTrail id)")
    time: str = Field(description="the envelope's time, ISO 8601")
    account: str
    region: str
    job_name: str
    job_arn: str
    status: str
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value not in TUNING_JOB_STATUSES:
            raise ValueError(f"unknown HyperParameterTuningJobStatus {value!r}; expected one of {TUNING_JOB_STATUSES}")
        return value

    @property
    def finished(self) -> bool:
        """Completed, Stopped or Failed: the job runs no more training jobs and can be reviewed."""
        return self.status in ("Completed", "Stopped", "Failed")

    def tag_list(self) -> list[dict[str, str]]:
        """The tags as ListTags gives them ({Key, Value}), which team scopes and exemptions match on."""
        return [{"Key": key, "Value": value} for key, value in sorted(self.tags.items())]


def is_state_change(event: object) -> bool:
    """Whether an event is SageMaker's tuning job state change (by its source and detail type; read it with
    `read_state_change`)."""
    return (
        isinstance(event, Mapping)
        and event.get("detail-type") == STATE_CHANGE_DETAIL_TYPE
        and event.get("source") == CLOUDTRAIL_SOURCE
    )


def read_state_change(event: object) -> TuningJobStateChange:
    """The state change an EventBridge event reports; raises InvalidRequest naming the field, AccountMismatch when
    the envelope's account (or region) is not the job ARN's.

    Strict, like a CloudTrail event: the envelope must carry its id, account, region and time (EventBridge always
    writes them), the detail the job's name, ARN and status, and the name must be the ARN's.
    """
    if not isinstance(event, Mapping):
        raise InvalidRequest(f"expected a JSON object, got {type(event).__name__}")
    check_document(event, EVENT_LIMITS)
    if event.get("source") != CLOUDTRAIL_SOURCE or event.get("detail-type") != STATE_CHANGE_DETAIL_TYPE:
        raise InvalidRequest(
            f"not a SageMaker tuning job state change (source {event.get('source')!r}, "
            f"detail-type {event.get('detail-type')!r})",
            "detail-type",
        )
    envelope_id = _text(event, "id")
    account = _text(event, "account")
    if not _ACCOUNT.fullmatch(account):
        raise InvalidRequest(f"{account!r} is not a 12-digit account id", "account")
    region = _text(event, "region")
    if not _REGION.fullmatch(region):
        raise InvalidRequest(f"{region!r} is not an AWS region", "region")
    time = _text(event, "time")
    try:
        datetime.fromisoformat(time.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{time!r} is not an ISO 8601 time", "time") from None
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise InvalidRequest("missing or not an object", "detail")
    name = _text(detail, "HyperParameterTuningJobName", "detail.")
    if not _JOB_NAME.fullmatch(name):
        raise InvalidRequest(f"{name!r} is not a tuning job name", "detail.HyperParameterTuningJobName")
    arn = _text(detail, "HyperParameterTuningJobArn", "detail.")
    parts = _JOB_ARN.fullmatch(arn) if len(arn) <= 256 else None
    if parts is None:
        raise InvalidRequest(f"{arn!r} is not a tuning job ARN", "detail.HyperParameterTuningJobArn")
    # Tuning job names are case-insensitive (API reference), and the ARN may spell the name in lower case.
    if parts["name"].lower() != name.lower():
        raise InvalidRequest(f"the ARN {arn} names another job than {name}", "detail.HyperParameterTuningJobArn")
    # EventBridge writes the envelope; SageMaker writes the detail. An event whose envelope names another account
    # (or region) than the job's ARN is forged or mis-aggregated: acting on it could act on another account's job.
    if parts["account"] != account:
        raise AccountMismatch(
            f"the envelope's account {account} is not the job ARN's account {parts['account']}: a forged or "
            "mis-aggregated event, not acted on",
            "account",
        )
    if parts["region"] != region:
        raise AccountMismatch(
            f"the envelope's region {region} is not the job ARN's region {parts['region']}: not acted on", "region"
        )
    status = _text(detail, "HyperParameterTuningJobStatus", "detail.")
    tags = detail.get("Tags", {})
    if not isinstance(tags, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise InvalidRequest("not a map of tag keys to values", "detail.Tags")
    try:
        return TuningJobStateChange(
            event_id=envelope_id,
            time=time,
            account=account,
            region=region,
            job_name=name,
            job_arn=arn,
            status=status,
            tags=dict(tags),
        )
    except ValidationError as error:
        raise InvalidRequest(
            str(error.errors()[0]["msg"]).removeprefix("Value error, "), "detail.HyperParameterTuningJobStatus"
        ) from None


def _text(document: Mapping[str, Any], key: str, prefix: str = "") -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidRequest("missing or not a non-empty string", f"{prefix}{key}")
    return value


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
