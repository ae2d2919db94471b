"""`hpo-guardrail scan`: evaluate the InProgress tuning jobs of an account and region."""

from __future__ import annotations

import argparse
import sys

from hpo_guardrail.cli.options import add_evaluation_options, delivered, evaluation_options

# environment.DEFAULT_MEMBER_ROLE_NAME (the template's MemberRoleName default), repeated so that building the
# parser imports no pydantic; a test compares them.
DEFAULT_MEMBER_ROLE_NAME = "HpoGuardrailMember"

NAME = "scan"
HELP = "evaluate the InProgress tuning jobs of an account and region, or of every account of an organization"
DESCRIPTION = (
    "Lists InProgress tuning jobs, describes each (and reads its tags) and evaluates it as the "
    "guardrail would: catches jobs created before the guardrail was deployed and events CloudTrail could not "
    "forward. With --org or --accounts, in every account (through its member role) and region named. Same "
    "formats and exit codes as lint, and 3 when some account or region could not be scanned."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where and as whom, which jobs, --notify, and the evaluation options."""
    parser.add_argument("--region", help="region to scan (default: the AWS profile's, else us-east-1)")
    parser.add_argument("--profile", help="AWS named profile (for the jobs and for live prices)")
    parser.add_argument("--name-contains", metavar="TEXT", help="only jobs whose name contains TEXT")
    across = parser.add_argument_group("across the organization")
    across.add_argument(
        "--org",
        action="store_true",
        help="scan every ACTIVE account of the organization (Organizations ListAccounts: run it as the management "
        "account or a delegated administrator)",
    )
    across.add_argument(
        "--accounts", metavar="ID,ID", type=_comma_list, default=(), help="scan these accounts (comma-separated)"
    )
    across.add_argument(
        "--regions",
        metavar="R1,R2",
        type=_comma_list,
        default=(),
        help="with --org or --accounts: the regions to scan in each account (default: the current region)",
    )
    across.add_argument(
        "--member-role-name",
        metavar="NAME",
        default=DEFAULT_MEMBER_ROLE_NAME,
        help=f"the role assumed in each other account (default: {DEFAULT_MEMBER_ROLE_NAME}, the stack's "
        "MemberRoleName); your own account is read with your own credentials",
    )
    parser.add_argument(
        "--notify", action="store_true", help="send an alert per job with findings, as the guardrail does"
    )
    parser.add_argument("--topic-arn", metavar="ARN", help="SNS topic for --notify (default: NOTIFY_TOPIC_ARN)")
    add_evaluation_options(parser)


def _comma_list(text: str) -> tuple[str, ...]:
    """A comma-separated list, without blanks ("a, b," -> ("a", "b"))."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


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
        org=args.org,
        accounts=args.accounts,
        regions=args.regions,
        member_role_name=args.member_role_name,
        **evaluation_options(args),
    )
    # Imported here: building the parser loads no Powertools.
    from hpo_guardrail.observability import silenced

    with silenced():
        return delivered(lambda: run_scan(options, stdout=sys.stdout, stderr=sys.stderr), command=NAME)
