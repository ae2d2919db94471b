"""The Lambda's door: read the event, evaluate, decide, record, act (service, audit, alerts, ports).

What other folders may rely on is exported here: the audit record the reports read, and the alert
and notifier the weekly summary goes out through. The modules inside are this folder's own business.

The exports load when first asked for (PEP 562): `lint` imports enforce.evaluator and enforce.policy_source,
and importing this package must not build the audit record's models for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord
    from hpo_guardrail.enforce.escaping import chat_text, plain_text
    from hpo_guardrail.enforce.outcome import FindingSummary, Status, StopResult
    from hpo_guardrail.enforce.ports import Alert, NotificationFailed, Notifier

_EXPORTS = {
    "ActionRecord": "audit",
    "AuditRecord": "audit",
    "chat_text": "escaping",
    "plain_text": "escaping",
    "FindingSummary": "outcome",
    "Status": "outcome",
    "StopResult": "outcome",
    "Alert": "ports",
    "NotificationFailed": "ports",
    "Notifier": "ports",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
