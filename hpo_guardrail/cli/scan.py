"""`hpo-guardrail scan`: evaluate the InProgress tuning jobs of an account and region."""

from __future__ import annotations

import argparse
import sys

from hpo_guardrail.cli.options import add_evaluation_options, delivered, evaluation_options

NAME = "scan"
HELP = "evaluate the InProgress tuning jobs of an account and region"
DESCRIPTION = (
    "Lists InProgress tuning jobs, describes each (and reads its tags) and evaluates it as the "
    "guardrail would: catches jobs created before the guardrail was deployed and events CloudTrail could not "
    "forward. Same formats and exit codes as lint."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where and as whom, which jobs, --notify, and the evaluation options."""
    parser.add_argument("--region", help="region to scan (default: the AWS profile's, else us-east-1)")
    parser.add_argument("--profile", help="AWS named profile (for the jobs and for live prices)")
    parser.add_argument("--name-contains", metavar="TEXT", help="only jobs whose name contains TEXT")
    parser.add_argument(
        "--notify", action="store_true", help="send an alert per job with findings, as the guardrail does"
    )
    parser.add_argument("--topic-arn", metavar="ARN", help="SNS topic for --notify (default: NOTIFY_TOPIC_ARN)")
    add_evaluation_options(parser)


def run(args: argparse.Namespace) -> int:
    """Scan with the parsed command line, reporting on the process's standard streams."""
    # Imported here: building the parser needs neither boto3 nor the evaluation code.
    from hpo_guardrail.linting.scan import ScanOptions, run_scan

    options = ScanOptions(
        region=args.region,
        profile=args.profile,
        name_contains=args.name_contains,
        notify=args.notify,
        topic_arn=args.topic_arn,
        **evaluation_options(args),
    )
    # Imported here: building the parser loads no Powertools.
    from hpo_guardrail.observability import silenced

    with silenced():
        return delivered(lambda: run_scan(options, stdout=sys.stdout, stderr=sys.stderr), command=NAME)
