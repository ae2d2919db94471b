"""`hpo-guardrail review JOB_NAME`: the post-run review of a finished tuning job, with the caller's credentials.

Describes the job and reads its tags (TuningJobReader), reads its training jobs (TrainingJobReader), and
reviews it through `enforce.review_job.review_finished_job`, the same orchestration the guardrail function
runs on a state-change event, with the price book `--prices` chooses and the policy `--policy` names.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from hpo_guardrail.adapters.clients import AwsCallFailed, cli_client, session
from hpo_guardrail.adapters.sagemaker import TrainingJobReader, TuningJobReader
from hpo_guardrail.enforce.escaping import terminal_text
from hpo_guardrail.enforce.evaluator import utc_now
from hpo_guardrail.enforce.ports import JobNotFound
from hpo_guardrail.enforce.review_job import FINISHED_STATUSES, JobNotFinished, ReviewedJob, review_finished_job
from hpo_guardrail.linting.evaluation import account_evaluation
from hpo_guardrail.linting.output import write_json
from hpo_guardrail.linting.results import fail_on_level
from rules.findings import Severity
from rules.parsing import InvalidRequest

# What the caller's credentials need (docs/cli.md): Describe and ListTags of the tuning job, the training jobs'
# List and Describe; the account comes from the job's ARN, so no sts:GetCallerIdentity.
PERMISSIONS = (
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:ListTags",
    *TrainingJobReader.PERMISSIONS,
)
REVIEW_FORMATS = ("text", "json")
# Info findings are context (the spend, where the best came); from low on the review has something to say.
DEFAULT_FAIL_ON = Severity.LOW.value


@dataclass(frozen=True)
class ReviewOptions:
    """The options of `hpo-guardrail review`."""

    job_name: str
    region: str | None = None
    profile: str | None = None
    policy: str | None = None
    output_format: str = "text"
    fail_on: str = DEFAULT_FAIL_ON
    prices: str = "auto"


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z") if moment is not None else None


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"


def review_json(reviewed: ReviewedJob, prices: str) -> dict[str, Any]:
    """The JSON report (docs/cli.md): the job's identity, the headline figures and the review as recorded."""
    review, spend = reviewed.review, reviewed.review.spend
    evaluation = reviewed.assessment.evaluation
    best = review.best
    return {
        "job_name": reviewed.job_name,
        "job_arn": reviewed.job_arn,
        "account": reviewed.account,
        "region": reviewed.region,
        "team": reviewed.team,
        "status": review.status.value,
        "created": _time(reviewed.created),
        "ended": _time(reviewed.ended),
        "actual_spend_usd": round(spend.usd, 2),
        "actual_spend_complete": spend.complete,
        "actual_spend_upper_bound": spend.upper_bound,
        "worst_case_usd": spend.worst_case_usd,
        "worst_case_complete": spend.worst_case_complete,
        "worst_case_source": reviewed.worst_case_source,
        "worst_case_basis": reviewed.worst_case.describe(),
        "share_of_worst_case": round(spend.share_of_worst_case, 4) if spend.share_of_worst_case is not None else None,
        "best_objective": None
        if best is None or review.objective is None
        else {
            "metric": best.metric,
            "value": best.objective_value,
            "type": review.objective.type.value,
            "training_job": best.name,
            "position": best.position,
            "of": best.of,
        },
        "has_something_to_say": review.has_something_to_say,
        "policy_version": evaluation.policy_version,
        "scope": evaluation.policy.scope,
        "prices": prices,
        "review": review.model_dump(mode="json"),
    }


def review_text(reviewed: ReviewedJob, fail_on: Severity | None) -> list[str]:
    """The text report: a heading (job, account and region, status, spend against the worst case, best
    objective), the review's own lines, and a closing line counting the findings that decide the exit code."""
    review, spend = reviewed.review, reviewed.review.spend
    evaluation = reviewed.assessment.evaluation
    where = ", ".join(
        part
        for part in (
            f"account {reviewed.account}" if reviewed.account else None,
            f"region {reviewed.region}",
            f"team {reviewed.team}" if reviewed.team else None,
        )
        if part
    )
    ran = " .. ".join(t for t in (_time(reviewed.created), _time(reviewed.ended)) if t)
    lines = [
        f"Tuning job {reviewed.job_name}: {review.status.value} ({where})",
        *([f"  arn: {reviewed.job_arn}"] if reviewed.job_arn else []),
        *([f"  ran: {ran}"] if ran else []),
    ]
    headline = f"  actual spend {'at least ' if not spend.complete else ''}{_usd(spend.usd)}"
    if spend.worst_case_usd is not None:
        at_least = "at least " if not spend.worst_case_complete else ""
        headline += f" against a worst case of {at_least}{_usd(spend.worst_case_usd)}"
        share = spend.share_of_worst_case
        headline += f" ({share:.1%})" if share is not None else ""
    lines.append(headline)
    if review.best is not None and review.objective is not None:
        lines.append(
            f"  best objective: {review.best.metric} {review.best.objective_value:.6g} "
            f"({review.objective.type.value}) from {review.best.name}, training job {review.best.position} "
            f"of {review.best.of}"
        )
    else:
        lines.append("  best objective: none (no training job reported one)")
    lines.append(f"  worst case: {reviewed.worst_case_source}: {reviewed.worst_case.describe()}")
    lines.append(f"  policy {evaluation.policy_version}, scope {evaluation.policy.scope}")
    lines.append("")
    lines.extend(review.lines())
    lines.append("")
    above = [f for f in review.findings if f.severity.rank > Severity.INFO.rank]
    if above:
        counts = {s: sum(f.severity is s for f in above) for s in reversed(Severity)}
        spelled = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
        lines.append(f"{len(above)} finding(s) to act on ({spelled}); {len(review.findings) - len(above)} for context")
    else:
        lines.append(f"nothing to act on: the {len(review.findings)} finding(s) are context (info)")
    if fail_on is not None and fail_on is not Severity.LOW:
        reaching = sum(f.severity.rank >= fail_on.rank for f in review.findings)
        lines.append(f"{reaching} finding(s) at or above --fail-on {fail_on.value}")
    # Job names, hyperparameter values and failure reasons come from whoever ran the job.
    return [terminal_text(line) for line in lines]


def exit_code(reviewed: ReviewedJob, fail_on: Severity | None) -> int:
    """1 when a finding reaches `fail_on` (default low: the review has something to say), else 0."""
    if fail_on is not None and any(f.severity.rank >= fail_on.rank for f in reviewed.review.findings):
        return 1
    return 0


def run_review(
    options: ReviewOptions,
    *,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str] = os.environ,
    open_session: Callable[..., Any] = session,
    clock: Callable[[], datetime] = utc_now,
    pricing_client: Any = None,
) -> int:
    """Review the job; 0 nothing reaches --fail-on, 1 something does, 2 the review could not run (one line).

    `pricing_client` (tests) stands in for the Price List client of --prices live.
    """

    def error(message: str) -> int:
        stderr.write(terminal_text(f"hpo-guardrail review: error: {message}") + "\n")
        return 2

    region = options.region or "the configured region"
    try:
        if options.output_format not in REVIEW_FORMATS:
            raise ValueError(f"--format must be one of {', '.join(REVIEW_FORMATS)}, not {options.output_format!r}")
        fail_on = fail_on_level(options.fail_on)
        judged = account_evaluation(
            policy=options.policy,
            prices=options.prices,
            profile=options.profile,
            region=options.region,
            open_session=open_session,
            environ=environ,
            pricing_client=pricing_client,
            clock=clock,
        )
        prices, aws, region, evaluator = judged.prices, judged.aws, judged.region, judged.evaluator
        sagemaker = cli_client("sagemaker", aws_session=aws, region=region)
        jobs = TuningJobReader(sagemaker)
        description = jobs.describe(options.job_name)
        status = description.get("HyperParameterTuningJobStatus")
        if status not in FINISHED_STATUSES:
            # Said before the tags and training jobs are read: there is nothing to review yet.
            raise JobNotFinished(options.job_name, str(status))
        arn = description.get("HyperParameterTuningJobArn")
        tags = jobs.tags(arn) if isinstance(arn, str) else []
        reviewed = review_finished_job(
            description, TrainingJobReader(sagemaker), evaluator, prices.book, region=region, tags=tags
        )
    except JobNotFound:
        return error(f"no tuning job named {options.job_name} in {region} (as these credentials see it)")
    except JobNotFinished as problem:
        return error(str(problem))
    except InvalidRequest as problem:
        where = f" at {problem.path}" if problem.path else ""
        return error(f"cannot read the tuning job {options.job_name}{where}: {problem.reason}")
    except (ValueError, AwsCallFailed) as problem:
        return error(str(problem))
    if options.output_format == "json":
        write_json(review_json(reviewed, prices.choice.mode), stdout)
    else:
        stdout.write("\n".join(review_text(reviewed, fail_on)) + "\n")
    for note in prices.notes():
        stderr.write(f"hpo-guardrail review: warning: {note}\n")
    return exit_code(reviewed, fail_on)
