"""Compose the alert for one decision: an AWS Chatbot custom notification and a plain-text email.

Every value that came with the request (job, parameter and definition names, tags, the caller) is escaped
for its sink (hpo_guardrail/enforce/escaping.py). The chat message keeps within the limits of Chatbot,
Slack and Teams: the most severe findings in full, the rest counted by rule; the email has every finding,
and the audit record keeps them all.
"""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import quote

from hpo_guardrail.enforce.escaping import chat_code, chat_text, cut, plain_text
from hpo_guardrail.enforce.outcome import StopOutcome, StopResult
from hpo_guardrail.enforce.ports import Alert
from rules.decision import Action, Decision
from rules.engine import Evaluation
from rules.findings import Finding
from rules.models import CallContext

SUBJECT_LIMIT = 100  # SNS rejects longer email subjects
PRODUCT = "HPO Guardrail"

# --- documented limits --------------------------------------------------------------------------
# AWS Chatbot (Amazon Q Developer in chat applications) custom notifications: content.description holds at
# most 8,000 characters. https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
CHATBOT_DESCRIPTION_LIMIT = 8_000
# Slack: a section block's text holds at most 3,000 characters
# (https://api.slack.com/reference/block-kit/blocks#section); message text is truncated past 40,000 and Slack
# recommends at most 4,000 (https://api.slack.com/methods/chat.postMessage#truncating). A header block's
# text holds at most 150 (https://api.slack.com/reference/block-kit/blocks#header).
SLACK_SECTION_TEXT_LIMIT = 3_000
SLACK_RECOMMENDED_MESSAGE_LIMIT = 4_000
SLACK_HEADER_TEXT_LIMIT = 150
# Microsoft Teams: a posted message holds about 28 KB, markup included
# (https://learn.microsoft.com/en-us/connectors/teams/#known-issues-and-limitations).
TEAMS_MESSAGE_BYTES = 28_000
# Amazon SNS: a message, every protocol's body and the attributes together, is at most 256 KB (262,144 bytes)
# (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
SNS_MESSAGE_BYTES = 262_144

# --- what the alert keeps to ----------------------------------------------------------------------
# The description fits one Slack section block (and so Chatbot's 8,000); title, description and next steps
# together stay under Slack's recommended 4,000 characters and far under Teams' 28 KB.
DESCRIPTION_BUDGET = min(CHATBOT_DESCRIPTION_LIMIT, SLACK_SECTION_TEXT_LIMIT)
TITLE_BUDGET = SLACK_HEADER_TEXT_LIMIT
NEXT_STEPS_SHOWN = 3
NEXT_STEP_BUDGET = 250
VALUE_BUDGET = 200  # one value in a line of the chat message (a principal ARN, a scope chain)
ACTION_BUDGET = 600  # the action line: what happened and why (the decision's reason names rules and figures)
BULLET_BUDGET = 700  # one finding in the chat message
KEYWORDS_SHOWN = 10
KEYWORD_BUDGET = 64
SUMMARY_BUDGET = 300
# The chat message as JSON, within Teams' limit with room to spare for Chatbot's own markup.
CHATBOT_JSON_BUDGET = TEAMS_MESSAGE_BYTES // 2
# What the email may take of an SNS message: the rest is the chat message, the subject, the attributes and
# JSON's escaping of the email (a control character or a quote takes up to 6 bytes as JSON; most take 1).
EMAIL_BUDGET_BYTES = (SNS_MESSAGE_BYTES - CHATBOT_JSON_BUDGET - 16_384) // 2


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
    """Job, what happened and the worst case always fit; as many rule ids as SNS's limit leaves room for.

    SNS refuses a subject with a line break or a control character, so the job name is plain text.
    """
    at_least = "" if evaluation.cost.complete else "at least "
    job_name = cut(plain_text(job_name), 40)
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
    # Each line is one line: a value with a line break or a control character cannot forge another.
    return _within_bytes([plain_text(line) for line in lines], EMAIL_BUDGET_BYTES)


def _within_bytes(lines: list[str], budget: int) -> str:
    """The email's lines, cut to `budget` bytes of UTF-8 with a note when they do not fit (a request with
    hundreds of long names); the audit record keeps every finding."""
    text = "\n".join(lines) + "\n"
    if len(text.encode("utf-8")) <= budget:
        return text
    note = "\n[cut to fit an SNS message: every finding is in the audit record, and `hpo-guardrail lint` shows it]\n"
    room = budget - len(note.encode("utf-8"))
    kept = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    return kept[: kept.rfind("\n") + 1] + note


def _bullet(finding: Finding) -> str:
    line = f"- *{finding.severity.value.upper()}* `{chat_code(cut(_finding_label(finding), 300))}`: "
    return line + chat_text(cut(finding.message, BULLET_BUDGET - len(line)))


def _more(findings: list[Finding]) -> str:
    """e.g. 'and 24 more findings: 20 log-scale, 4 positive-min (every finding is in the email)'."""
    counted = ", ".join(f"{n} {rule}" for rule, n in Counter(f.rule for f in findings).most_common())
    noun = "finding" if len(findings) == 1 else "findings"
    return cut(f"_and {len(findings)} more {noun}: {chat_text(counted)} (every finding is in the email)_", 300)


def _description(head: list[str], findings: list[Finding], tail: list[str]) -> str:
    """Head, as many findings as fit (most severe first, each in full), a count of the rest, then the tail."""
    ordered = sorted(findings, key=lambda f: f.severity.rank, reverse=True)  # stable: the rules' order in a tie
    room = DESCRIPTION_BUDGET - len("\n".join([*head, *tail])) - SUMMARY_BUDGET - 2
    shown: list[str] = []
    for finding in ordered:
        bullet = _bullet(finding)
        if len(bullet) + 1 > room:
            break
        shown.append(bullet)
        room -= len(bullet) + 1
    rest = ordered[len(shown) :]
    lines = [*head, *shown, *([_more(rest)] if rest else []), *tail]
    description = "\n".join(lines)
    while len(description) > DESCRIPTION_BUDGET and len(lines) > 1:  # only when the head alone is too long
        lines.pop(len(lines) - len(tail) - 1 if len(lines) > len(tail) + 1 else 0)
        description = "\n".join(lines)
    return cut(description, DESCRIPTION_BUDGET)


def _next_steps(findings: list[Finding]) -> list[str]:
    """The fixes of the most severe findings, at most NEXT_STEPS_SHOWN, each within NEXT_STEP_BUDGET."""
    ordered = sorted(findings, key=lambda f: f.severity.rank, reverse=True)
    fixes = list(dict.fromkeys(f.fix for f in ordered))
    steps = [chat_text(cut(fix, NEXT_STEP_BUDGET)) for fix in fixes[:NEXT_STEPS_SHOWN]]
    if len(fixes) > NEXT_STEPS_SHOWN:
        steps.append(f"{len(fixes) - NEXT_STEPS_SHOWN} more fixes: see the email")
    return steps


def _chatbot(
    context: CallContext, evaluation: Evaluation, decision: Decision, stop: StopOutcome | None, region: str
) -> dict[str, object]:
    request = evaluation.request
    cost = evaluation.cost
    icon = ":octagonal_sign:" if decision.action is Action.STOP else ":warning:"
    qualifier = "" if cost.complete else "at least "

    def value(text: object, budget: int = VALUE_BUDGET) -> str:
        return chat_text(cut(plain_text(text), budget))

    head = [
        f"*Action:* {value(_action_line(decision, stop), ACTION_BUDGET)}",
        f"*Worst-case cost:* {qualifier}${cost.worst_case_usd:,.2f} (cap ${evaluation.budget_cap_usd:,.2f})",
        f"*Account:* {value(context.account or 'unknown')} | *Region:* {value(region)} | "
        f"*Created by:* {value(context.principal_arn or 'unknown')}",
        # The scope names are the policy's text, escaped; the " < " between them is ours, and a '<' followed by a
        # space starts no Slack link, so it is shown as it is.
        f"*Policy scope:* {' < '.join(value(scope, 64) for scope in ('defaults', *evaluation.policy.scopes[:8]))}",
        *[f"*Exemption:* {value(note)}" for note in _exemption_notes(evaluation)[:5]],
    ]
    # A bare URL: Chatbot's client-markdown renders it as a link in Slack and Teams alike. The job name in it
    # is percent-encoded; the region is escaped like any text.
    tail = [f"*Console:* {chat_text(cut(console_url(region, request.job_name), 600))}"]
    job = chat_code(cut(request.job_name, 64))
    related = [context.job_arn] if context.job_arn else []
    rules = list(evaluation.rule_ids)
    return {
        "version": "1.0",
        "source": "custom",
        "id": context.event_id,
        "content": {
            "textType": "client-markdown",
            "title": cut(f"{icon} {PRODUCT}: tuning job `{job}` {_headline(decision, stop)}", TITLE_BUDGET),
            "description": _description(head, list(evaluation.findings), tail),
            "nextSteps": _next_steps(list(evaluation.findings)),
            "keywords": [
                chat_text(cut(k, KEYWORD_BUDGET))
                for k in [*rules, decision.action.value, context.account or region][:KEYWORDS_SHOWN]
            ],
        },
        "metadata": {
            "threadId": cut(context.job_arn or request.job_name, 256),
            "summary": chat_text(
                cut(f"{plain_text(request.job_name)}: {', '.join(rules)} ({decision.action.value})", SUMMARY_BUDGET)
            ),
            "eventType": "HpoGuardrailDecision",
            "relatedResources": related,
            "additionalContext": {
                "account": context.account or "",
                "region": region,
                "worstCaseUsd": f"{cost.worst_case_usd:.2f}",
                "action": decision.action.value,
                "policyVersion": evaluation.policy.version,
                "policyScope": cut(evaluation.policy.scope, 256),
            },
        },
    }


def chatbot_size(chatbot: dict[str, object]) -> int:
    """The chat message's size as SNS carries it: JSON, in UTF-8 bytes."""
    return len(json.dumps(chatbot).encode("utf-8"))


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
