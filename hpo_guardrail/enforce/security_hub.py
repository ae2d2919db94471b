"""Findings in AWS Security Finding Format (ASFF), so security teams see them in Security Hub."""

from __future__ import annotations

from typing import Any

from hpo_guardrail.enforce.alerts import console_url
from hpo_guardrail.enforce.escaping import cut, plain_text
from rules.decision import Decision
from rules.engine import Evaluation
from rules.findings import Finding, Severity
from rules.models import CallContext

SCHEMA_VERSION = "2018-10-08"
GENERATOR = "hpo-guardrail"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices"
SEVERITY_LABELS = {
    Severity.INFO: "INFORMATIONAL",
    Severity.LOW: "LOW",
    Severity.MEDIUM: "MEDIUM",
    Severity.HIGH: "HIGH",
    Severity.CRITICAL: "CRITICAL",
}
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 1024


def product_arn(region: str, account: str) -> str:
    """The account's default product: where a customer imports its own findings."""
    return f"arn:aws:securityhub:{region}:{account}:product/{account}/default"


def _finding(
    finding: Finding, context: CallContext, evaluation: Evaluation, decision: Decision, region: str, now: str
) -> dict[str, Any]:
    job = evaluation.request.job_name
    account = context.account or ""
    resource_id = context.job_arn or f"arn:aws:sagemaker:{region}:{account}:hyper-parameter-tuning-job/{job.lower()}"
    title = f"{job}: {finding.rule}{' ' + finding.parameter if finding.parameter else ''}"
    subject = f"/{finding.parameter}" if finding.parameter else ""
    if finding.definition:
        subject = f"/{finding.definition}{subject}"
    return {
        "SchemaVersion": SCHEMA_VERSION,
        # Stable per job, rule and parameter: a later evaluation of the same job updates the finding.
        "Id": f"{resource_id}/{finding.rule}{subject}",
        "ProductArn": product_arn(region, account),
        "GeneratorId": f"{GENERATOR}/{finding.rule}",
        "AwsAccountId": account,
        "Types": [FINDING_TYPE],
        "CreatedAt": context.event_time or now,
        "UpdatedAt": now,
        "Severity": {"Label": SEVERITY_LABELS[finding.severity]},
        # Plain text in the console: names from the request lose their control and direction characters.
        "Title": cut(plain_text(title), TITLE_LIMIT),
        "Description": cut(plain_text(finding.message), DESCRIPTION_LIMIT),
        "Remediation": {"Recommendation": {"Text": cut(plain_text(finding.fix), 512)}},
        "SourceUrl": console_url(region, job),
        "ProductFields": {
            "hpo-guardrail/rule": finding.rule,
            "hpo-guardrail/decision": decision.action.value,
            "hpo-guardrail/policy": evaluation.policy.version,
            "hpo-guardrail/scope": evaluation.policy.scope,
            "hpo-guardrail/worst-case-usd": f"{evaluation.cost.worst_case_usd:.2f}",
            "hpo-guardrail/event-id": context.event_id,
        },
        "Resources": [
            {
                "Type": "Other",
                "Id": resource_id,
                "Partition": "aws",
                "Region": region,
                "Details": {"Other": {"JobName": job, "CreatedBy": context.principal_arn or "unknown"}},
            }
        ],
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    }


def asff_findings(
    context: CallContext, evaluation: Evaluation, decision: Decision, region: str, now: str
) -> list[dict[str, Any]]:
    """One ASFF finding per guardrail finding of the evaluation."""
    return [_finding(f, context, evaluation, decision, region, now) for f in evaluation.findings]
