"""STS: the account whose credentials the CLI runs with."""

from __future__ import annotations

from typing import Any

from hpo_guardrail.adapters.clients import aws_call

PERMISSIONS = ("sts:GetCallerIdentity",)


def caller_account(client: Any) -> str:
    """The account id of the caller's credentials (GetCallerIdentity); raises AwsCallFailed."""
    with aws_call():
        return str(client.get_caller_identity()["Account"])
