"""Small builders for audit records, and the report fixture whose figures the tests compute by hand."""

from __future__ import annotations

from datetime import date

from hpo_guardrail.enforce.audit import ActionRecord, AuditRecord
from hpo_guardrail.enforce.outcome import FindingSummary, Status
from hpo_guardrail.reporting.figures import ReportPeriod
from rules.policy import ExemptionStatus

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"


def principal(name: str, account: str = ACCOUNT_A) -> str:
    return f"arn:aws:sts::{account}:assumed-role/DataScientist/{name}"


def finding(rule: str, parameter: str | None = None, severity: str = "high") -> FindingSummary:
    return FindingSummary(rule=rule, severity=severity, parameter=parameter, message=f"{rule} found something")


def set_aside(rule: str, exemption: str) -> FindingSummary:
    return FindingSummary.model_validate({**finding(rule).model_dump(), "exemption": exemption})


def exemption(name: str, rules: tuple[str, ...], expires: date, active: bool) -> str:
    """An exemption as the audit record keeps it (the text rules/policy.py writes)."""
    status = ExemptionStatus(
        name=name, rules=rules, reason="agreed with finance", owner="ml-platform", expires=expires, active=active
    )
    return status.describe()


def evaluated(
    event_id: str,
    when: str,
    *,
    account: str = ACCOUNT_A,
    team: str | None = "vision",
    who: str = "alice",
    findings: tuple[FindingSummary, ...] = (),
    suppressed: tuple[FindingSummary, ...] = (),
    exemptions: tuple[str, ...] = (),
    worst_case: float = 100.0,
    cost_complete: bool = True,
    decision: str | None = None,
    notify: str | None = None,
    stop: str | None = None,
    cost_avoided: float | None = None,
) -> AuditRecord:
    """An evaluated job. decision defaults to notify with findings, none without; notify to sent."""
    decision = decision or ("notify" if findings else "none")
    actions: dict[str, ActionRecord] = {}
    if stop:
        actions["stop"] = ActionRecord(result=stop, at=when, cost_avoided_usd=cost_avoided)
    if decision != "none":
        actions["notify"] = ActionRecord(result=notify or "sent", at=when, message_id=f"msg-{event_id}")
    return AuditRecord(
        event_id=event_id,
        occurred_at=when,
        recorded_at=when,
        status=Status.EVALUATED,
        account=account,
        region="us-east-1",
        job_name=f"job-{event_id}",
        principal_arn=principal(who, account),
        team=team,
        mode="enforce",
        policy_version="sha256:test",
        exemptions=list(exemptions),
        findings=list(findings),
        suppressed=list(suppressed),
        worst_case_usd=worst_case,
        cost_complete=cost_complete,
        decision=decision,
        actions=actions,
    )


def not_evaluated(event_id: str, when: str, status: Status = Status.SKIPPED) -> AuditRecord:
    return AuditRecord.not_evaluated(
        status, event_id, f"{status.value} for a reason", when, occurred_at=when, raw_event={}
    )


# Three ISO weeks of November 2026: W45 starts Monday 2 November, W46 the 9th, W47 the 16th.
FIXTURE_PERIOD = ReportPeriod(since="2026-11-02T00:00:00Z", until="2026-11-22T23:59:59Z")


def fixture_records() -> list[AuditRecord]:
    """Eleven events: every status, stops with and without cost avoided, exemptions, two teams and accounts."""
    return [
        # W45
        evaluated(
            "r1",
            "2026-11-02T10:00:00Z",
            findings=(finding("log-scale", "lr"), finding("log-scale", "wd")),
            worst_case=120.0,
        ),
        evaluated(
            "r2",
            "2026-11-04T10:00:00Z",
            findings=(finding("budget-cap"), finding("log-scale", "lr")),
            worst_case=5000.0,
            decision="stop",
            stop="stopped",
            cost_avoided=4200.0,
        ),
        evaluated("r3", "2026-11-05T10:00:00Z", account=ACCOUNT_B, team="nlp", who="bob", worst_case=50.0),
        not_evaluated("r4", "2026-11-06T10:00:00Z"),
        # W46
        evaluated(
            "r5",
            "2026-11-09T10:00:00Z",
            account=ACCOUNT_B,
            team="nlp",
            who="bob",
            findings=(finding("positive-min", "lr"),),
            worst_case=300.0,
            cost_complete=False,
        ),
        evaluated(
            "r6",
            "2026-11-10T10:00:00Z",
            account=ACCOUNT_B,
            team="nlp",
            who="bob",
            findings=(finding("log-scale", "lr"),),
            worst_case=2000.0,
            decision="stop",
            stop="already-ended",
        ),
        not_evaluated("r7", "2026-11-11T10:00:00Z", Status.REJECTED),
        evaluated(
            "r8",
            "2026-11-12T10:00:00Z",
            team=None,
            who="carol",
            suppressed=(set_aside("budget-cap", "q4-big-run"),),
            exemptions=(exemption("q4-big-run", ("budget-cap",), date(2026, 12, 31), active=True),),
            worst_case=9000.0,
        ),
        # W47
        evaluated(
            "r9",
            "2026-11-16T10:00:00Z",
            findings=(finding("log-scale", "lr"),),
            worst_case=10000.0,
            decision="stop",
            stop="stopped",
            cost_avoided=9500.0,
            notify="failed",
        ),
        evaluated(
            "r10",
            "2026-11-20T10:00:00Z",
            who="dave",
            findings=(finding("budget-cap"),),
            exemptions=(exemption("old-exemption", ("budget-cap",), date(2026, 10, 31), active=False),),
            worst_case=1500.0,
        ),
        not_evaluated("r11", "2026-11-22T10:00:00Z"),
    ]
