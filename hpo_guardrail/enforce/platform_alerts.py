"""Alerts for the platform team about the guardrail itself (not about a tuning job): a policy it cannot use."""

from __future__ import annotations

import hashlib

from hpo_guardrail.enforce.ports import Alert

PRODUCT = "HPO Guardrail"


def policy_problem_key(spec: str, problem: str) -> str:
    """One key per broken policy version: the platform team hears about each once, not on every event."""
    digest = hashlib.sha256(f"{spec}\n{problem}".encode()).hexdigest()[:24]
    return f"notice#policy-error#{digest}"


def policy_problem_alert(spec: str, problem: str, fallback: str, region: str) -> Alert:
    """The alert that the configured policy cannot be used and which policy the guardrail evaluates with."""
    where = spec or "the packaged default policy"
    summary = (
        f"The guardrail cannot use its policy ({where}): {problem}. Until it is fixed, every tuning job is "
        f"evaluated with {fallback}, and each decision records that."
    )
    steps = [
        "Fix the policy (hpo-guardrail lint --policy FILE checks a policy file before it is published).",
        "Nothing needs redeploying: the function reads the policy again within its cache time.",
    ]
    return Alert(
        subject=f"[{PRODUCT}] Policy error: evaluating with {fallback}"[:100],
        chatbot={
            "version": "1.0",
            "source": "custom",
            "content": {
                "textType": "client-markdown",
                "title": f"{PRODUCT}: policy error ({region})",
                "description": summary,
                "nextSteps": steps,
            },
            "metadata": {"additionalContext": {"kind": "policy-error"}},
        },
        email="\n".join([f"{PRODUCT}: policy error", "", summary, "", *[f"- {step}" for step in steps]]),
        attributes={"severity": "high", "action": "policy-error", "audience": "platform"},
    )
