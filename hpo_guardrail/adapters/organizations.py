"""AWS Organizations: the accounts `scan --org` and the scheduled reconciliation go through."""

from __future__ import annotations

from typing import Any, ClassVar

from hpo_guardrail.adapters.clients import AwsCallFailed, aws_call

# ListAccounts' Account.State (botocore organizations model: PENDING_ACTIVATION | ACTIVE | SUSPENDED |
# PENDING_CLOSURE | CLOSED). The older Account.Status "will be retired on September 9, 2026" (the same model), so
# State is read first and Status only where an older endpoint still answers with it alone. Only an active
# account can run tuning jobs or have its member role assumed.
ACTIVE = "ACTIVE"


class NoAccounts(AwsCallFailed):
    """ListAccounts answered, but with no active account: a sweep over it would cover nothing and look done
    (the CLI says so in one line and exits 2; the reconciliation counts it and reconciles its own account)."""


class OrganizationAccounts:
    """The organization's accounts, over an injected boto3 Organizations client (of the management account or
    a delegated administrator: ListAccounts is answered nowhere else)."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("organizations:ListAccounts",)

    def __init__(self, client: Any) -> None:
        self._client = client

    def active(self) -> list[str]:
        """The ids of the ACTIVE accounts, through every page, in the order Organizations lists them; raises
        AwsCallFailed, and NoAccounts when none is active (an organization has at least its management account)."""
        accounts: list[str] = []
        with aws_call():
            for page in self._client.get_paginator("list_accounts").paginate():
                accounts.extend(str(a["Id"]) for a in page.get("Accounts", []) if _state(a) == ACTIVE)
        if not accounts:
            raise NoAccounts("Organizations ListAccounts listed no ACTIVE account: nothing would be covered")
        return accounts


def _state(account: dict[str, Any]) -> str | None:
    state = account.get("State") or account.get("Status")
    return str(state) if state is not None else None
