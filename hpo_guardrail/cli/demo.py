"""`hpo-guardrail demo`: the template deployed into the embedded AWS emulator, every sample event replayed;
with --org, the organization-wide deployment over several emulated accounts and regions."""

from __future__ import annotations

import argparse

NAME = "demo"
HELP = "deploy the template into an embedded AWS emulator and replay every sample event (--org: an organization)"
DESCRIPTION = (
    "Runs on 127.0.0.1 with no AWS account: deploys template.yaml into an emulator "
    "(enforce mode), sends each event in events/ through the real EventBridge rule, and prints "
    "the findings, decisions, actions and the alerts as received. With --org: an organization with a "
    "management account, the tooling account with the central stack and two workload accounts in two "
    "regions, deployed through the StackSets of org/; a job stopped through a member role, one only "
    "alerted, a forged event rejected and an alerted job stopped through the Stop button's payload."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--org runs the organization-wide demo instead of the single-account one."""
    parser.add_argument(
        "--org",
        action="store_true",
        help="the organization-wide deployment: central stack, member roles and forwarders through StackSets",
    )


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 when every step worked, 1 otherwise."""
    # Imported here: the emulator (moto) is a development dependency, not part of the Lambda.
    if getattr(args, "org", False):
        from hpo_guardrail.embedded.demo_org import main as org_demo_main

        return int(org_demo_main() or 0)
    from hpo_guardrail.embedded.demo import main as demo_main

    return int(demo_main() or 0)
