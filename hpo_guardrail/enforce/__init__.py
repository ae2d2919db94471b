"""The Lambda's door: read the event, evaluate, decide, record, act (service, audit, alerts, ports).

What other folders may rely on is exported here: the audit record the reports read, and the alert
and notifier the weekly summary goes out through. The modules inside are this folder's own business.
"""

from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord
from hpo_guardrail.enforce.escaping import chat_text, plain_text
from hpo_guardrail.enforce.outcome import FindingSummary, Status, StopResult
from hpo_guardrail.enforce.ports import Alert, NotificationFailed, Notifier

__all__ = [
    "ActionRecord",
    "Alert",
    "AuditRecord",
    "FindingSummary",
    "NotificationFailed",
    "Notifier",
    "Status",
    "StopResult",
    "chat_text",
    "plain_text",
]
