"""`hpo-guardrail demo`: the template deployed into the embedded AWS emulator, every sample event replayed."""

from __future__ import annotations

import argparse

NAME = "demo"
HELP = "deploy the template into an embedded AWS emulator and replay every sample event"
DESCRIPTION = (
    "Runs on 127.0.0.1 with no AWS account: deploys template.yaml into an emulator "
    "(enforce mode), sends each event in events/ through the real EventBridge rule, and prints "
    "the findings, decisions, actions and the alerts as received."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo takes no options."""


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 when every step worked, 1 otherwise."""
    # Imported here: the emulator (moto) is a development dependency, not part of the Lambda.
    from hpo_guardrail.embedded.demo import main as demo_main

    return int(demo_main() or 0)
