"""Compose the alert for one decision: an AWS Chatbot custom notification and a plain-text email.

Every value that came with the request (job, parameter and definition names, tags, the caller) is escaped
for its sink (hpo_guardrail/enforce/escaping.py). The chat message keeps within the limits of Chatbot,
Slack and Teams: the most severe findings in full, the rest counted by rule; the email has every finding,
and the audit record keeps them all.

Every alert says what to do next (`next_steps`: one function, per action) and carries the message
attributes `team`, `account`, `principal` and `role`, so a subscription filter policy can send it to the
team that owns the job (docs/alerts.md). Advice only the platform team can act on (a missing price) is in
the email's "For the platform team" part, never in the job owner's next steps.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from hpo_guardrail.enforce.escaping import attribute_value, chat_code, chat_text, cut, plain_text
from hpo_guardrail.enforce.evidence import evidence_in_words
from hpo_guardrail.enforce.outcome import StopOutcome, StopResult
from hpo_guardrail.enforce.ports import Alert
from rules.cost import CostEstimate
from rules.decision import Action, Decision, notified_findings
from rules.engine import Evaluation
from rules.findings import Finding, Severity, highest_severity
from rules.fixes import Fix
from rules.models import CallContext
from rules.policy import Mode

if TYPE_CHECKING:
    from hpo_guardrail.enforce.audit import AuditRecord, ReviewRecord

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

# Amazon SNS: SQS subscriptions with raw message delivery take at most 10 message attributes
# (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html).
SNS_RAW_DELIVERY_ATTRIBUTES = 10
# What an alert's attributes say when the event does not: SNS refuses an empty value.
NO_TEAM = "none"
NO_ROLE = "none"
UNKNOWN = "unknown"

# --- what the alert keeps to ----------------------------------------------------------------------
# The description fits one Slack section block (and so Chatbot's 8,000) with room to spare; title, description
# and next steps together stay under Slack's recommended 4,000 characters and far under Teams' 28 KB.
DESCRIPTION_BUDGET = min(CHATBOT_DESCRIPTION_LIMIT, SLACK_SECTION_TEXT_LIMIT) - 400
TITLE_BUDGET = SLACK_HEADER_TEXT_LIMIT
NEXT_STEPS_BUDGET = SLACK_RECOMMENDED_MESSAGE_LIMIT - DESCRIPTION_BUDGET - TITLE_BUDGET
NEXT_STEPS_SHOWN = 7
NEXT_STEP_BUDGET = 250
FIXES_IN_CHAT = 2
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


def _worst_case_words(cost: CostEstimate) -> str:
    """'worst case $3,825', 'worst case at least $3,825' (a price is unknown), or 'worst case unknown' (no price
    at all: a lower bound of $0 says nothing)."""
    # Whole dollars, except under $10, where rounding would say "$0" of a job that costs $0.40.
    usd = f"${cost.worst_case_usd:,.2f}" if cost.worst_case_usd < 10 else f"${cost.worst_case_usd:,.0f}"
    if cost.complete:
        return f"worst case {usd}"
    if cost.worst_case_usd > 0:
        return f"worst case at least {usd}"
    return "worst case unknown"


def _subject(job_name: str, headline: str, evaluation: Evaluation, carried: Carried) -> str:
    """Job, what happened and the worst case always fit (the job name is cut first); then as many rule ids
    as SNS's limit leaves room for.

    SNS refuses a subject with a line break or a control character, so the job name is plain text.
    """
    prefix = f"[{PRODUCT}] "
    happened = f" {headline} ({_worst_case_words(evaluation.cost)})"
    name_room = max(8, min(40, SUBJECT_LIMIT - len(prefix) - len(happened) - 2))
    head = prefix + cut(plain_text(job_name), name_room) + happened
    rules = list(carried.rule_ids)
    for shown in range(len(rules), 0, -1):
        rest = len(rules) - shown
        subject = f"{head}: " + ", ".join(rules[:shown]) + (f" +{rest} more" if rest else "")
        if len(subject) <= SUBJECT_LIMIT:
            return subject
    counted = f"{head} ({len(rules)} rules)"
    return counted if len(counted) <= SUBJECT_LIMIT else head[:SUBJECT_LIMIT]


def _cost_line(evaluation: Evaluation) -> str:
    """The worst case against the cap, saying when it is only a lower bound and why."""
    cost = evaluation.cost
    cap = f"cap ${evaluation.budget_cap_usd:,.2f}, from the {evaluation.policy.origin('budget_cap_usd')}"
    if cost.complete:
        return f"${cost.worst_case_usd:,.2f} ({cap})"
    unpriced = ", ".join(cost.unpriced_instance_types)
    if cost.worst_case_usd > 0:
        return f"at least ${cost.worst_case_usd:,.2f} ({cap}; no price known for {unpriced})"
    return f"unknown ({cap}; no price known for {unpriced})"


def _evidence_line(finding: Finding) -> str:
    return evidence_in_words(finding.evidence) or "-"


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


# --- next steps ---------------------------------------------------------------------------------

# SageMaker's rule for a tuning job name; only such a name goes into a command line as it is.
_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")
_LINT_EXPLAINED = "it applies the mechanical fixes and lists what needs a human"


@dataclass(frozen=True)
class NextStep:
    """One thing to do: `text` for the email (plain, one line per step), `chat` for the chat message (Chatbot
    client-markdown, escaped). The chat message keeps every essential step, then fixes and the docs as they fit;
    the email shows each fix with its finding instead of among the steps."""

    text: str
    chat: str
    kind: str = "step"  # "step" (essential), "fix" or "docs"

    @property
    def essential(self) -> bool:
        return self.kind == "step"


@dataclass(frozen=True)
class AlertOptions:
    """What the deployment adds to an alert: the policy as `lint --policy` reads it (only an SSM parameter is
    reachable from a laptop) and where docs/rules.md is published (else the path in the repository)."""

    policy_spec: str | None = None
    docs_url: str | None = None
    # The Stop button's function an alert's "Stop tuning job" button invokes (chat_stop.py, template.yaml
    # StopButtonFunction), and its region; None: no button.
    stop_function_name: str | None = None
    stop_function_region: str | None = None

    def lint_policy(self) -> str | None:
        return self.policy_spec if self.policy_spec and self.policy_spec.startswith("ssm:") else None

    def doc_link(self, doc: str) -> str:
        return f"{self.docs_url.rstrip('/')}/{doc}" if self.docs_url else doc


@dataclass(frozen=True)
class Carried:
    """What an alert carries of an evaluation: the findings at or above the policy's notify threshold (every
    finding when the job is, or in enforce mode would be, stopped), and the reconciled fixes that answer them
    (rules/fixes.py: they never contradict each other). `below` counts the findings under the threshold: they
    are in the audit record and the reports, not in the alert."""

    findings: tuple[Finding, ...]
    fixes: tuple[str, ...]
    below: int
    fix_of: tuple[Fix | None, ...]  # the reconciled fix answering each of `findings`, in the same order

    @classmethod
    def of(cls, evaluation: Evaluation, decision: Decision) -> Carried:
        findings = notified_findings(evaluation, decision)
        reconciled = evaluation.fixes  # computed once: reconcile() runs over every finding
        answering = {position: fix for fix in reconciled for position in fix.findings}
        positions = [next(i for i, f in enumerate(evaluation.findings) if f is finding) for finding in findings]
        fixes = tuple(dict.fromkeys(fix.text for fix in reconciled if set(positions).intersection(fix.findings)))
        return cls(
            findings=findings,
            fixes=fixes,
            below=len(evaluation.findings) - len(findings),
            fix_of=tuple(answering.get(position) for position in positions),
        )

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule for f in self.findings))

    @property
    def severity(self) -> Severity | None:
        return highest_severity(self.findings)


def _shell(value: str) -> str:
    return shlex.quote(plain_text(value))


def _lint_command(context: CallContext, region: str, options: AlertOptions, path: str, team: str | None = None) -> str:
    """`hpo-guardrail lint --fix` with the region, account and policy the guardrail used; every value quoted for a
    shell, since the region and account come from the event."""
    parts = ["hpo-guardrail", "lint", "--fix", "--region", _shell(region)]
    if context.account:
        parts += ["--account", _shell(context.account)]
    # The creator and the team, so principal and team scopes apply to the file as they did to the job.
    if context.principal_arn:
        parts += ["--principal", _shell(context.principal_arn)]
    if team:
        parts += ["--team", _shell(team)]
    if options.lint_policy():
        parts += ["--policy", _shell(str(options.lint_policy()))]
    return " ".join([*parts, path])


def _fixes(carried: Carried) -> list[str]:
    """The fixes to suggest: the evaluation's reconciled fixes that answer the findings the alert carries, most
    severe first, each once."""
    return list(carried.fixes)


def next_steps(
    context: CallContext,
    evaluation: Evaluation,
    decision: Decision,
    stop: StopOutcome | None,
    region: str,
    options: AlertOptions,
    carried: Carried | None = None,
    team: str | None = None,
) -> list[NextStep]:
    """What the job's owner can do now, for this action: after a stop, fix, lint, resubmit under a new name, read
    the rules' docs, or ask the policy's contact for an exemption; after a notification, what enforce mode would
    do and the same fix and lint. Platform-only advice (Finding.platform_note) is never a step here."""
    carried = carried or Carried.of(evaluation, decision)
    job = evaluation.request.job_name
    valid_name = _JOB_NAME.fullmatch(job) is not None
    file = f"{job}.json" if valid_name else "JOB.json"
    steps: list[NextStep] = []

    if decision.action is Action.STOP and stop is not None and stop.result is StopResult.FAILED:
        stop_command = (
            f"aws sagemaker stop-hyper-parameter-tuning-job --region {_shell(region)} "
            f"--hyper-parameter-tuning-job-name {_shell(job)}"
        )
        text = f"The stop failed and the job may still be running: stop it yourself with {stop_command}"
        steps.append(NextStep(text, f"The stop failed; stop the job yourself: `{chat_code(stop_command)}`"))
    elif decision.action is Action.NOTIFY:
        if decision.mode is Mode.MONITOR and decision.costly and decision.misconfigured:
            text = (
                "The job is still running. In enforce mode it would have been stopped: it is costly and "
                "misconfigured. Fix it before the policy moves to enforce."
            )
        elif decision.costly and decision.misconfigured:
            # Enforce mode, costly and misconfigured, yet only notified: a scan of running jobs found it
            # (`hpo-guardrail scan --notify` never stops a job).
            text = (
                "The job is still running: it is costly and misconfigured, which the guardrail stops when it sees "
                "the job created, but this alert comes from a scan of running jobs, which never stops one. Stop it "
                "yourself unless it must run; fix the request before the next run."
            )
        elif decision.mode is Mode.MONITOR:
            text = (
                "The job is still running, and enforce mode would not stop it either (it stops only jobs that are "
                "both costly and misconfigured); fix the request before the next run."
            )
        else:
            text = (
                "The job is still running: it is not both costly and misconfigured, so the guardrail does not stop "
                "it. Stop it yourself if the findings make the run useless; fix the request before the next run."
            )
        steps.append(NextStep(text, chat_text(text)))

    fixes = _fixes(carried)
    for fix in fixes:
        steps.append(NextStep(f"Fix: {plain_text(fix)}", chat_text(cut(plain_text(fix), NEXT_STEP_BUDGET)), "fix"))

    lint = _lint_command(context, region, options, "REQUEST.json", team)
    text = f"Fix the request file with {lint} ({_LINT_EXPLAINED})"
    if valid_name:
        describe = (
            f"aws sagemaker describe-hyper-parameter-tuning-job --region {_shell(region)} "
            f"--hyper-parameter-tuning-job-name {job} > {file}"
        )
        text += (
            f"; without the file, from the job itself: {describe} && "
            f"{_lint_command(context, region, options, file, team)} (writes {job}.request.json)"
        )
    steps.append(NextStep(text, f"Fix the request file: `{chat_code(lint)}` ({_LINT_EXPLAINED})"))

    if decision.action is Action.STOP and (stop is None or stop.result is not StopResult.NOT_FOUND):
        text = (
            f"Resubmit under a new name: tuning job names cannot be reused, so {plain_text(job)} stays taken "
            "(change HyperParameterTuningJobName in the fixed request)."
        )
        chat = f"Resubmit under a new name: `{chat_code(cut(job, 64))}` cannot be reused"
        steps.append(NextStep(text, chat))

    docs = list(dict.fromkeys((f.rule, f.doc) for f in carried.findings if f.doc))
    if docs:
        links = ", ".join(f"{rule}: {options.doc_link(str(doc))}" for rule, doc in docs)
        chat = chat_text(cut(f"Rule docs: {links}", NEXT_STEP_BUDGET))
        steps.append(NextStep(f"Why each rule matters and how to fix it: {links}", chat, "docs"))

    contact = evaluation.policy.contact
    rules = ", ".join(carried.rule_ids)
    who = plain_text(contact) if contact else "the team that owns the guardrail's policy (the policy names no contact)"
    text = (
        f"If the job must run as it is, ask {who} for an exemption: name the job, the rules ({rules}) and why; "
        "an exemption is declared in the policy with an owner and an expiry date."
    )
    chat_who = chat_text(cut(plain_text(contact), 120)) if contact else "the policy's owners (no contact given)"
    steps.append(NextStep(text, f"Exemption: ask {chat_who}, naming the job, the rules and why"))
    return steps


def _chat_next_steps(steps: list[NextStep]) -> list[str]:
    """The steps for the chat message, in order: every essential one, then the most severe findings' fixes (at
    most FIXES_IN_CHAT) and the docs while they fit NEXT_STEPS_BUDGET and NEXT_STEPS_SHOWN."""
    texts = [cut(step.chat, NEXT_STEP_BUDGET) for step in steps]
    keep = [step.essential for step in steps]
    room = NEXT_STEPS_BUDGET - sum(len(t) for t, k in zip(texts, keep, strict=True) if k)
    shown, fixes = sum(keep), 0
    for index, step in enumerate(steps):
        if keep[index] or shown >= NEXT_STEPS_SHOWN or len(texts[index]) > room:
            continue
        if step.kind == "fix" and fixes >= FIXES_IN_CHAT:
            continue
        keep[index], room, shown = True, room - len(texts[index]), shown + 1
        fixes += step.kind == "fix"
    return [text for text, kept in zip(texts, keep, strict=True) if kept]


def _fix_text(finding: Finding, fix: Fix | None) -> str:
    """The reconciled fix that answers a finding (its own suggestion when it has none), naming the other rules it
    answers too: one fix per change, never two that contradict each other."""
    if fix is None:
        return finding.fix
    others = [rule for rule in fix.rules if rule != finding.rule]
    return fix.text + (f" (this also answers {', '.join(others)})" if others else "")


def _below_threshold(evaluation: Evaluation, carried: Carried) -> list[str]:
    if not carried.below:
        return []
    threshold = evaluation.policy.explain("notify_min_severity")
    noun = "finding" if carried.below == 1 else "findings"
    return [f"({carried.below} more {noun} below the notify threshold, {threshold}: in the audit record, not here)"]


def _email_steps(
    context: CallContext,
    evaluation: Evaluation,
    decision: Decision,
    stop: StopOutcome | None,
    region: str,
    options: AlertOptions,
    carried: Carried,
    team: str | None,
) -> list[str]:
    """The steps for the email: the fixes stay with their findings, one step points there."""
    texts: list[str] = []
    for step in next_steps(context, evaluation, decision, stop, region, options, carried, team):
        if step.kind != "fix":
            texts.append(step.text)
        elif "Change the request" not in "".join(texts[-1:]):
            texts.append("Change the request as each finding's Fix below says (most severe first).")
    return texts


def _platform_notes(evaluation: Evaluation) -> list[str]:
    """Advice for the platform team, one line per distinct note (kept out of the owner's next steps)."""
    notes = dict.fromkeys(f"{_finding_label(f)}: {f.platform_note}" for f in evaluation.findings if f.platform_note)
    return list(notes)


def _created_by(context: CallContext) -> str:
    created_by = context.principal_arn or "unknown principal"
    if context.role_arn and context.role_arn not in created_by:
        created_by += f" (role {context.role_arn})"
    return created_by


def _email(
    context: CallContext,
    evaluation: Evaluation,
    decision: Decision,
    stop: StopOutcome | None,
    region: str,
    team: str | None,
    options: AlertOptions,
    carried: Carried,
) -> str:
    request = evaluation.request
    cost = evaluation.cost
    steps = _email_steps(context, evaluation, decision, stop, region, options, carried, team)
    lines = [
        f"{PRODUCT}: tuning job {request.job_name} {_headline(decision, stop)}",
        "",
        f"Job:         {request.job_name}",
        f"Team:        {team or 'none (no team tag)'}",
        f"Account:     {context.account or 'unknown'}",
        f"Region:      {region}",
        f"Created by:  {_created_by(context)}",
        f"Created at:  {context.event_time or 'unknown'}",
        f"Action:      {_action_line(decision, stop)}",
        f"Mode:        {decision.mode_words.removeprefix('mode ')}",
        f"Policy:      {evaluation.policy.version}, scope {_scope_chain(evaluation)}",
        f"Policy contact: {evaluation.policy.contact or 'none given (ask the platform team)'}",
        *[f"Exemption:   {note}" for note in _exemption_notes(evaluation)],
        "",
        "What to do next:",
        *[f"{n}. {text}" for n, text in enumerate(steps, 1)],
        "",
        f"Findings ({len(carried.findings)}):",
        *_below_threshold(evaluation, carried),
    ]
    for number, (finding, fix) in enumerate(zip(carried.findings, carried.fix_of, strict=True), start=1):
        lines += [
            "",
            f"{number}. [{finding.severity.value.upper()}] {_finding_label(finding)}",
            f"   {finding.message}",
            f"   Evidence: {_evidence_line(finding)}",
            f"   Fix: {_fix_text(finding, fix)}",
            *([f"   Docs: {options.doc_link(finding.doc)}"] if finding.doc else []),
        ]
    lines += [
        "",
        f"Worst-case cost: {_cost_line(evaluation)}",
        f"   How: {cost.describe()}",
    ]
    platform = _platform_notes(evaluation)
    if platform:
        lines += ["", "For the platform team (nothing the job's owner can do):", *[f"- {note}" for note in platform]]
    lines += [
        "",
        f"Console: {console_url(region, request.job_name)}",
        f"Event id: {context.event_id}",
        "",
        f"You receive this because you subscribed to the {PRODUCT} alert topic (alerts carry the attributes "
        "team, account, principal and role for subscription filter policies).",
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


def _chatbot(
    context: CallContext,
    evaluation: Evaluation,
    decision: Decision,
    stop: StopOutcome | None,
    region: str,
    team: str | None,
    options: AlertOptions,
    carried: Carried,
) -> dict[str, object]:
    request = evaluation.request
    cost = evaluation.cost
    icon = ":octagonal_sign:" if decision.action is Action.STOP else ":warning:"

    def value(text: object, budget: int = VALUE_BUDGET) -> str:
        return chat_text(cut(plain_text(text), budget))

    head = [
        f"*Action:* {value(_action_line(decision, stop), ACTION_BUDGET)} ({value(decision.mode_words)})",
        f"*Worst-case cost:* {value(_cost_line(evaluation))}",
        f"*Team:* {value(team or 'none (no team tag)', 64)} | *Account:* {value(context.account or 'unknown')} | "
        f"*Region:* {value(region)} | *Created by:* {value(context.principal_arn or 'unknown')}",
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
    rules = list(carried.rule_ids)
    return {
        "version": "1.0",
        "source": "custom",
        "id": context.event_id,
        "content": {
            "textType": "client-markdown",
            "title": cut(f"{icon} {PRODUCT}: tuning job `{job}` {_headline(decision, stop)}", TITLE_BUDGET),
            "description": _description(head, list(carried.findings), tail),
            # The job owner's steps only: platform notes stay in the email.
            "nextSteps": _chat_next_steps(
                next_steps(context, evaluation, decision, stop, region, options, carried, team)
            ),
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
                "team": attribute_value(team, absent=NO_TEAM),
                # What the Stop button's variables read (template.yaml StopTuningJobAction, chat_stop.py).
                "eventId": context.event_id,
                **(
                    {"stopFunction": options.stop_function_name, "stopRegion": options.stop_function_region}
                    if options.stop_function_name and options.stop_function_region
                    else {}
                ),
            },
        },
    }


def chatbot_size(chatbot: dict[str, object]) -> int:
    """The chat message's size as SNS carries it: JSON, in UTF-8 bytes."""
    return len(json.dumps(chatbot).encode("utf-8"))


def alert_attributes(
    context: CallContext, evaluation: Evaluation, decision: Decision, team: str | None, carried: Carried | None = None
) -> dict[str, str | list[str]]:
    """The message attributes subscription filter policies route on (docs/alerts.md): what happened (severity,
    action, rules) and whose job it is (team, account, principal, role). Values from the event are made valid
    for SNS (escaping.attribute_value); an absent one is "none" or "unknown", never empty."""
    carried = carried or Carried.of(evaluation, decision)
    severity = carried.severity
    attributes: dict[str, str | list[str]] = {
        "severity": severity.value if severity else "none",
        "action": decision.action.value,
        "rules": list(carried.rule_ids),
        "team": attribute_value(team, absent=NO_TEAM),
        "account": attribute_value(context.account, absent=UNKNOWN),
        "principal": attribute_value(context.principal_arn, absent=UNKNOWN),
        "role": attribute_value(role_name(context.role_arn), absent=NO_ROLE),
    }
    return attributes


def role_name(role_arn: str | None) -> str | None:
    """The role's name from its ARN (arn:aws:iam::123456789012:role/path/DataScientist -> DataScientist)."""
    if not role_arn or ":role/" not in role_arn:
        return None
    return role_arn.rsplit("/", 1)[-1] or None


def compose_alert(
    context: CallContext,
    evaluation: Evaluation,
    decision: Decision,
    stop: StopOutcome | None,
    region: str,
    *,
    team: str | None = None,
    options: AlertOptions | None = None,
) -> Alert:
    """The alert for one decision that notifies. `team` is the job's value of the policy's team tag."""
    options = options or AlertOptions()
    headline = _headline(decision, stop)
    carried = Carried.of(evaluation, decision)
    return Alert(
        subject=_subject(evaluation.request.job_name, headline, evaluation, carried),
        chatbot=_chatbot(context, evaluation, decision, stop, region, team, options, carried),
        email=_email(context, evaluation, decision, stop, region, team, options, carried),
        attributes=alert_attributes(context, evaluation, decision, team, carried),
    )


# The action attribute of the review's follow-up (docs/alerts.md): a subscription can take or leave reviews.
REVIEW_ACTION = "review"
REVIEW_FINDINGS_SHOWN = 5


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"


def _spend_words(review: ReviewRecord) -> str:
    bound = review.spend_bound
    spend = f"{bound} {_usd(review.spend_usd)}" if bound else _usd(review.spend_usd)
    worst = f" of a worst case of {_usd(review.worst_case_usd)}" if review.worst_case_usd is not None else ""
    spot = " (managed spot: its billed seconds at the on-demand rate, an upper bound)" if review.managed_spot else ""
    return f"{spend}{worst}{spot}"


def _best_words(review: ReviewRecord) -> str:
    best = review.best
    if best is None:
        return "none (no training job reported its objective)"
    tuned = ", ".join(f"{key}={value}" for key, value in sorted(best.hyperparameters.items()))
    return (
        f"{best.metric} {best.objective_value:g} ({best.objective_type or 'objective'}) from {best.name}, "
        f"training job {best.position} of {best.of}" + (f"; {tuned}" if tuned else "")
    )


def review_follow_up_alert(record: AuditRecord, review: ReviewRecord) -> Alert:
    """The one message after a tuning job finished, in the creation alert's thread (the same metadata.threadId: the
    job's ARN, else its name): its actual spend next to the worst case, its best objective and the review findings
    that say something (above info). It carries the creation alert's routing attributes, action "review"."""
    job = record.job_name or "unknown job"
    counts = review.training_jobs
    said = [f for f in review.findings if Severity(f.severity).rank > Severity.INFO.rank]
    shown = said[:REVIEW_FINDINGS_SHOWN]
    more = len(said) - len(shown) + review.findings_omitted

    def value(text: object, budget: int = VALUE_BUDGET) -> str:
        return chat_text(cut(plain_text(text), budget))

    title = f":mag: {PRODUCT}: tuning job `{chat_code(cut(job, 64))}` {review.job_status.lower()}: the review"
    lines = [
        f"*Actual spend:* {value(_spend_words(review), 300)}",
        f"*Training jobs:* {counts.launched} launched, {counts.completed} completed, {counts.failed} failed, "
        f"{counts.stopped} stopped",
        f"*Best:* {value(_best_words(review), 400)}",
    ]
    lines += [f"\u2022 *{value(f.severity)}* `{value(f.rule, 64)}`: {value(f.message, 500)}" for f in shown]
    if more > 0:
        lines.append(f"\u2026 and {more} more finding(s): see the audit record")
    if not said:
        lines.append("The review found nothing above info.")
    lines.append(f"*Account:* {value(record.account or 'unknown')} | *Region:* {value(record.region or 'unknown')}")
    lines.append(f"*Event id:* {value(record.event_id)}")
    chatbot: dict[str, object] = {
        "version": "1.0",
        "source": "custom",
        "id": f"{record.event_id}-review",
        "content": {
            "textType": "client-markdown",
            "title": cut(title, TITLE_BUDGET),
            "description": cut("\n".join(lines), DESCRIPTION_BUDGET),
        },
        "metadata": {
            # The creation alert's thread (_chatbot sets threadId to the job's ARN, or its name when there is none).
            "threadId": cut(record.job_arn or job, 256),
            "summary": value(f"{job}: reviewed after it {review.job_status.lower()}", SUMMARY_BUDGET),
            "eventType": "HpoGuardrailReview",
            "relatedResources": [record.job_arn] if record.job_arn else [],
            "additionalContext": {
                "account": record.account or "",
                "region": record.region or "",
                "action": REVIEW_ACTION,
                "eventId": record.event_id,
            },
        },
    }
    email_lines = [
        f"{PRODUCT}: tuning job {job} {review.job_status.lower()}: what it cost and taught",
        "",
        f"Job:           {job}",
        f"Where:         account {record.account or 'unknown'}, region {record.region or 'unknown'}",
        f"Actual spend:  {_spend_words(review)}",
        f"Training jobs: {counts.launched} launched, {counts.completed} completed, {counts.failed} failed, "
        f"{counts.stopped} stopped",
        f"Best:          {_best_words(review)}",
        "",
    ]
    for finding in said:
        email_lines.append(f"[{finding.severity}] {finding.rule}: {finding.message}")
        if finding.fix:
            email_lines.append(f"    advice: {finding.fix}")
    if review.findings_omitted:
        email_lines.append(f"({review.findings_omitted} less severe finding(s) not kept in the audit record)")
    if not said:
        email_lines.append("The review found nothing above info.")
    email_lines += ["", f"Event id:      {record.event_id} (the alert this follows)"]
    severities = [Severity(f.severity) for f in review.findings]
    severity = max(severities, key=lambda s: s.rank).value if severities else "none"
    return Alert(
        subject=cut(f"[{PRODUCT}] {cut(plain_text(job), 40)} {review.job_status.lower()}: review", SUBJECT_LIMIT),
        chatbot=chatbot,
        email=_within_bytes([plain_text(line) for line in email_lines], EMAIL_BUDGET_BYTES),
        attributes={
            "severity": severity,
            "action": REVIEW_ACTION,
            "rules": list(dict.fromkeys(f.rule for f in review.findings))[:KEYWORDS_SHOWN],
            "team": attribute_value(record.team, absent=NO_TEAM),
            "account": attribute_value(record.account, absent=UNKNOWN),
            "principal": attribute_value(record.principal_arn, absent=UNKNOWN),
            "role": attribute_value(role_name(record.role_arn), absent=NO_ROLE),
        },
    )
