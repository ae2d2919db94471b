"""Compose the alert for one decision: an AWS Chatbot custom notification and a plain-text email."""

from __future__ import annotations

from urllib.parse import quote

from hpo_guardrail.enforce.outcome import StopOutcome, StopResult
from hpo_guardrail.enforce.ports import Alert
from rules.decision import Action, Decision
from rules.engine import Evaluation
from rules.findings import Finding
from rules.models import CallContext

SUBJECT_LIMIT = 100  # SNS rejects longer email subjects
PRODUCT = "HPO Guardrail"


def console_url(region: str, job_name: str) -> str:
    """The SageMaker console page of a tuning job."""
    return (
        f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/hyper-tuning-jobs/{quote(job_name)}"
    )


def _headline(decision: Decision, stop: StopOutcome | None) -> str:
    if decision.action is Action.STOP and stop is not None and stop.result is StopResult.STOPPED:
        return "stopped"
    if decision.action is Action.STOP:
        return "stop attempted"
    return "needs attention"


def _subject(job_name: str, headline: str, evaluation: Evaluation) -> str:
    """Job, what happened and the worst case always fit; as many rule ids as SNS's limit leaves room for."""
    at_least = "" if evaluation.cost.complete else "at least "
    head = f"[{PRODUCT}] {job_name} {headline} (worst case {at_least}${evaluation.cost.worst_case_usd:,.0f}): "
    rules = list(evaluation.rule_ids)
    for shown in range(len(rules), 0, -1):
        rest = len(rules) - shown
        subject = head + ", ".join(rules[:shown]) + (f" +{rest} more" if rest else "")
        if len(subject) <= SUBJECT_LIMIT:
            return subject
    return (head.rstrip(": ") + f" ({len(rules)} rules)")[:SUBJECT_LIMIT]


def _evidence_line(finding: Finding) -> str:
    parts = [f"{key}={value}" for key, value in finding.evidence.items() if value is not None]
    return ", ".join(parts)


def _finding_label(finding: Finding) -> str:
    where = finding.parameter or ""
    if finding.definition:
        where = f"{finding.definition}/{where}" if where else finding.definition
    return f"{finding.rule}" + (f" ({where})" if where else "")


def _scope_chain(evaluation: Evaluation) -> str:
    return " < ".join(("defaults", *evaluation.policy.scopes))


def _exemption_notes(evaluation: Evaluation) -> list[str]:
    """One line per exemption that matched the job: what it set aside, or that it has expired."""
    notes = []
    for exemption in evaluation.policy.exemptions:
        if exemption.active:
            covered = [s.finding.rule for s in evaluation.suppressed if s.exemption == exemption.name]
            what = f"set aside {', '.join(dict.fromkeys(covered))}" if covered else "nothing to set aside"
        else:
            what = "no longer applies"
        notes.append(f"{exemption.describe()} - {what}")
    return notes


def _action_line(decision: Decision, stop: StopOutcome | None) -> str:
    if decision.action is Action.STOP and stop is not None:
        return f"{stop.summary()} - {decision.reason}"
    return f"notified only - {decision.reason}"


def _email(
    context: CallContext, evaluation: Evaluation, decision: Decision, stop: StopOutcome | None, region: str
) -> str:
    request = evaluation.request
    cost = evaluation.cost
    created_by = context.principal_arn or "unknown principal"
    if context.role_arn and context.role_arn not in created_by:
        created_by += f" (role {context.role_arn})"
    lines = [
        f"{PRODUCT}: tuning job {request.job_name} {_headline(decision, stop)}",
        "",
        f"Job:         {request.job_name}",
        f"Account:     {context.account or 'unknown'}",
        f"Region:      {region}",
        f"Created by:  {created_by}",
        f"Created at:  {context.event_time or 'unknown'}",
        f"Action:      {_action_line(decision, stop)}",
        f"Mode:        {decision.mode.value}",
        f"Policy:      {evaluation.policy.version}, scope {_scope_chain(evaluation)}",
        *[f"Exemption:   {note}" for note in _exemption_notes(evaluation)],
        "",
        f"Findings ({len(evaluation.findings)}):",
    ]
    for number, finding in enumerate(evaluation.findings, start=1):
        lines += [
            "",
            f"{number}. [{finding.severity.value.upper()}] {_finding_label(finding)}",
            f"   {finding.message}",
            f"   Evidence: {_evidence_line(finding)}",
            f"   Fix: {finding.fix}",
        ]
    qualifier = "" if cost.complete else "at least "
    lines += [
        "",
        f"Worst-case cost: {qualifier}${cost.worst_case_usd:,.2f} (cap ${evaluation.budget_cap_usd:,.2f})",
        f"   How: {cost.describe()}",
        "",
        f"Console: {console_url(region, request.job_name)}",
        f"Event id: {context.event_id}",
        "",
        f"You receive this because you subscribed to the {PRODUCT} alert topic.",
    ]
    return "\n".join(lines) + "\n"


def _chatbot(
    context: CallContext, evaluation: Evaluation, decision: Decision, stop: StopOutcome | None, region: str
) -> dict[str, object]:
    request = evaluation.request
    cost = evaluation.cost
    icon = ":octagonal_sign:" if decision.action is Action.STOP else ":warning:"
    bullets = [f"- *{f.severity.value.upper()}* `{_finding_label(f)}`: {f.message}" for f in evaluation.findings]
    qualifier = "" if cost.complete else "at least "
    description = "\n".join(
        [
            f"*Action:* {_action_line(decision, stop)}",
            f"*Worst-case cost:* {qualifier}${cost.worst_case_usd:,.2f} (cap ${evaluation.budget_cap_usd:,.2f})",
            f"*Account:* {context.account or 'unknown'} | *Region:* {region} | "
            f"*Created by:* {context.principal_arn or 'unknown'}",
            f"*Policy scope:* {_scope_chain(evaluation)}",
            *[f"*Exemption:* {note}" for note in _exemption_notes(evaluation)],
            *bullets,
            # A bare URL: Chatbot's client-markdown renders it as a link in Slack and Teams alike.
            f"*Console:* {console_url(region, request.job_name)}",
        ]
    )
    next_steps = list(dict.fromkeys(f.fix for f in evaluation.findings))
    related = [context.job_arn] if context.job_arn else []
    return {
        "version": "1.0",
        "source": "custom",
        "id": context.event_id,
        "content": {
            "textType": "client-markdown",
            "title": f"{icon} {PRODUCT}: tuning job `{request.job_name}` {_headline(decision, stop)}",
            "description": description,
            "nextSteps": next_steps,
            "keywords": [*evaluation.rule_ids, decision.action.value, context.account or region],
        },
        "metadata": {
            "threadId": context.job_arn or request.job_name,
            "summary": f"{request.job_name}: {', '.join(evaluation.rule_ids)} ({decision.action.value})",
            "eventType": "HpoGuardrailDecision",
            "relatedResources": related,
            "additionalContext": {
                "account": context.account or "",
                "region": region,
                "worstCaseUsd": f"{cost.worst_case_usd:.2f}",
                "action": decision.action.value,
                "policyVersion": evaluation.policy.version,
                "policyScope": evaluation.policy.scope,
            },
        },
    }


def compose_alert(
    context: CallContext, evaluation: Evaluation, decision: Decision, stop: StopOutcome | None, region: str
) -> Alert:
    """The alert for one decision that notifies."""
    headline = _headline(decision, stop)
    severity = evaluation.severity
    return Alert(
        subject=_subject(evaluation.request.job_name, headline, evaluation),
        chatbot=_chatbot(context, evaluation, decision, stop, region),
        email=_email(context, evaluation, decision, stop, region),
        attributes={
            "severity": severity.value if severity else "none",
            "action": decision.action.value,
            "rules": list(evaluation.rule_ids),
        },
    )
