"""The alert's "Stop tuning job" button: the payload it sends, the reply the channel shows, the follow-up message.

An AWS Chatbot custom action (template.yaml, StopTuningJobAction) is attached to the guardrail's custom
notifications and shown only on alerts that notified without stopping. Pressed, it runs

    lambda invoke --function-name $fn --region $rg --payload {"hpoGuardrail":"stop","eventId":"$id"}

with the variables taken from the alert's metadata.additionalContext (alerts.py). `$fn` is the Stop button's own
function (functions/stop_button/app.py, template.yaml StopButtonFunction), the one entry point for stops: it
accepts nothing but this payload, and the chat channel's role may invoke it and nothing else. The guardrail
function, which EventBridge invokes, rejects a stop request as a malformed event. Chatbot passes nothing about
the person who pressed the button: the audit record says the stop came from the chat channel, and when. The
function answers with a `ChatStopReply`, which Chatbot shows in the channel, and posts one follow-up in the
alert's thread when it stopped the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hpo_guardrail.enforce.alerts import NO_ROLE, NO_TEAM, PRODUCT, SUBJECT_LIMIT, UNKNOWN, role_name
from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord
from hpo_guardrail.enforce.escaping import attribute_value, chat_code, chat_text, cut, plain_text
from hpo_guardrail.enforce.ports import Alert
from rules.findings import Severity

# The key that marks an invocation as the button's (an EventBridge event never has it).
CHAT_REQUEST_KEY = "hpoGuardrail"
# What the audit record's stop says when a person asked for it from the chat channel.
CHAT_CHANNEL = "chat channel"
# The follow-up message's action in the audit record: sent once, even when the button is pressed again.
FOLLOW_UP = "chat-follow-up"
# The custom action's command (template.yaml holds the same text; a test compares them). AWS Chatbot allows
# at most 100 characters of CommandText (Chatbot API reference, CustomActionDefinition: "Length Constraints:
# Minimum length of 1. Maximum length of 100"), so the function's name and region are variables, not literals.
BUTTON_COMMAND = 'lambda invoke --function-name $fn --region $rg --payload {"hpoGuardrail":"stop","eventId":"$id"}'
COMMAND_TEXT_LIMIT = 100
# An event id as the guardrail records it: a CloudTrail or EventBridge id (a uuid), or a fallback digest.
EVENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


# Why the guardrail function rejects a stop request (it evaluates EventBridge events only).
NOT_AN_EVENT = (
    f"a stop request ({CHAT_REQUEST_KEY!r} key) is not an EventBridge event: the guardrail function takes events "
    "only; send stop requests to the Stop button's function (stack output StopButtonFunctionName)"
)


def is_chat_request(event: object) -> bool:
    """Whether an invocation is the button's (or claims to be): it then never goes down the event path."""
    return isinstance(event, Mapping) and CHAT_REQUEST_KEY in event


class ChatStopRequest(BaseModel):
    """The payload the button sends: stop the job of the alert with this event id."""

    # Built when the first stop request is read (defer_build): only the Stop button's function reads them.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    action: Literal["stop"] = Field(alias=CHAT_REQUEST_KEY)
    event_id: str = Field(alias="eventId", pattern=EVENT_ID_PATTERN)

    @classmethod
    def read(cls, payload: object) -> ChatStopRequest:
        """The request, or ValueError naming what is wrong (one line per problem)."""
        try:
            return cls.model_validate(payload)
        except ValidationError as error:
            problems = [
                f"{'.'.join(str(part) for part in problem['loc']) or 'payload'}: {problem['msg']}"
                for problem in error.errors()
            ]
            raise ValueError("not a stop request: " + "; ".join(problems)) from None


class ChatStopStatus(StrEnum):
    STOPPED = "stopped"  # this press stopped the job
    ALREADY_STOPPED = "already-stopped"  # an earlier press, or the enforced stop, did
    REFUSED = "refused"  # nothing was done: the reply says why
    FAILED = "failed"  # the stop was tried and failed: recorded; pressing again tries again


class ChatStopReply(BaseModel):
    """What the function answers the button with; Chatbot shows it in the channel."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    status: ChatStopStatus
    message: str
    event_id: str | None = None
    job_name: str | None = None
    account: str | None = None
    region: str | None = None
    cost_avoided_usd: float | None = None

    @classmethod
    def about(cls, status: ChatStopStatus, message: str, record: AuditRecord | None = None) -> ChatStopReply:
        if record is None:
            return cls(status=status, message=message)
        stop = record.actions.get("stop")
        return cls(
            status=status,
            message=message,
            event_id=record.event_id,
            job_name=record.job_name,
            account=record.account,
            region=record.region,
            cost_avoided_usd=stop.cost_avoided_usd if stop is not None else None,
        )


def _severity(record: AuditRecord) -> str:
    severities = [Severity(f.severity) for f in record.findings]
    return max(severities, key=lambda s: s.rank).value if severities else "none"


def _cost_words(action: ActionRecord) -> str:
    if action.cost_avoided_usd is None:
        return "unknown (the request or its start time is not in the audit record)"
    return f"${action.cost_avoided_usd:,.2f} (the part of the worst case not yet spent)"


def follow_up_alert(record: AuditRecord, action: ActionRecord) -> Alert:
    """The one message in the alert's thread (the same metadata.threadId) saying the job was stopped from the
    chat channel, with the cost avoided; it carries the alert's routing attributes, action "stop"."""
    job = record.job_name or "unknown job"
    summary = action.stop_outcome().summary()
    where = f"account {record.account or 'unknown'}, region {record.region or 'unknown'}"

    def value(text: object, budget: int = 200) -> str:
        return chat_text(cut(plain_text(text), budget))

    title = f":octagonal_sign: {PRODUCT}: tuning job `{chat_code(cut(job, 64))}` stopped from the {CHAT_CHANNEL}"
    description = "\n".join(
        [
            f"*Action:* {value(summary)} at {value(action.at)}, asked for from the {CHAT_CHANNEL}",
            f"*Cost avoided:* {value(_cost_words(action), 300)}",
            f"*Account:* {value(record.account or 'unknown')} | *Region:* {value(record.region or 'unknown')}",
            f"*Event id:* {value(record.event_id)}",
        ]
    )
    chatbot: dict[str, object] = {
        "version": "1.0",
        "source": "custom",
        "id": f"{record.event_id}-{FOLLOW_UP}",
        "content": {"textType": "client-markdown", "title": cut(title, 150), "description": description},
        "metadata": {
            # The alert's thread: alerts.py sets threadId to the job's ARN, or its name when there is none.
            "threadId": cut(record.job_arn or job, 256),
            "summary": value(f"{job}: stopped from the {CHAT_CHANNEL}", 300),
            "eventType": "HpoGuardrailDecision",
            "relatedResources": [record.job_arn] if record.job_arn else [],
            "additionalContext": {
                "account": record.account or "",
                "region": record.region or "",
                "action": "stop",
                "eventId": record.event_id,
            },
        },
    }
    email = "\n".join(
        plain_text(line)
        for line in [
            f"{PRODUCT}: tuning job {job} stopped from the {CHAT_CHANNEL}",
            "",
            f"Job:           {job}",
            f"Where:         {where}",
            f"Action:        {summary}, asked for from the {CHAT_CHANNEL} at {action.at}",
            f"Cost avoided:  {_cost_words(action)}",
            f"Event id:      {record.event_id} (the alert this follows)",
        ]
    )
    rules = list(dict.fromkeys(f.rule for f in record.findings))
    return Alert(
        subject=cut(f"[{PRODUCT}] {cut(plain_text(job), 40)} stopped from the {CHAT_CHANNEL}", SUBJECT_LIMIT),
        chatbot=chatbot,
        email=email + "\n",
        attributes={
            "severity": _severity(record),
            "action": "stop",
            "rules": rules,
            "team": attribute_value(record.team, absent=NO_TEAM),
            "account": attribute_value(record.account, absent=UNKNOWN),
            "principal": attribute_value(record.principal_arn, absent=UNKNOWN),
            "role": attribute_value(role_name(record.role_arn), absent=NO_ROLE),
        },
    )
