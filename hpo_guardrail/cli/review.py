"""`hpo-guardrail review JOB_NAME`: the post-run review of a finished tuning job, with the caller's credentials."""

from __future__ import annotations

import argparse
import sys

from hpo_guardrail.cli.options import SEVERITY_CHOICES, add_prices_option, delivered

NAME = "review"
HELP = "review a finished tuning job: actual spend against the worst case, range edges, wasted trials, budget fit"
DESCRIPTION = (
    "Describes a Completed, Stopped or Failed tuning job, reads its training jobs "
    "(ListTrainingJobsForHyperParameterTuningJob, DescribeTrainingJob) and reviews it as the guardrail does "
    "when the job finishes: actual spend next to the worst case the guardrail estimates for the job, the best "
    "training job at a range's edge, trials wasted in the top decade of a wide linear range, where in the "
    "budget the best came, failed and stopped training jobs. "
    "Exit codes: 0 nothing reaches --fail-on (by default: every finding is context, info), 1 a finding does "
    "(default: low or above), 2 the review could not run: no such job, a job not finished yet, an invalid "
    "policy, or an AWS failure (one line on stderr)."
)
# linting.review.REVIEW_FORMATS and DEFAULT_FAIL_ON, repeated so that building the parser imports no review code;
# a test compares them.
FORMAT_CHOICES = ("text", "json")
DEFAULT_FAIL_ON = "low"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The job, where and as whom, the policy, the prices, the format and the failure threshold."""
    parser.add_argument("job_name", metavar="JOB_NAME", help="the tuning job's name (HyperParameterTuningJobName)")
    parser.add_argument("--region", help="the job's region (default: the AWS profile's, else us-east-1)")
    parser.add_argument("--profile", help="AWS named profile (for the job and for live prices)")
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file (or ssm:/parameter/name) whose log-scale settings and scopes apply; default: "
        "GUARDRAIL_POLICY, else the packaged default policy",
    )
    parser.add_argument("--format", choices=FORMAT_CHOICES, default="text", help="report format (default: text)")
    add_prices_option(parser)
    parser.add_argument(
        "--fail-on",
        choices=SEVERITY_CHOICES,
        default=DEFAULT_FAIL_ON,
        metavar="SEVERITY",
        help="exit 1 when a review finding is at least this severe: low (default: the review has something to "
        "say; info findings such as the spend are context), info, medium, high, critical, or never",
    )


def run(args: argparse.Namespace) -> int:
    """Review with the parsed command line, reporting on the process's standard streams."""
    # Imported here: building the parser needs neither boto3 nor the review code.
    from hpo_guardrail.linting.review import ReviewOptions, run_review
    from hpo_guardrail.observability import silenced

    options = ReviewOptions(
        job_name=args.job_name,
        region=args.region,
        profile=args.profile,
        policy=args.policy,
        output_format=args.format,
        fail_on=args.fail_on,
        prices=args.prices,
    )
    with silenced():
        return delivered(lambda: run_review(options, stdout=sys.stdout, stderr=sys.stderr), command=NAME)
