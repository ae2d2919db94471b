"""AWS Organizations: the accounts `scan --org` and the scheduled reconciliation go through."""

from __future__ import annotations

from typing import Any, ClassVar

from hpo_guardrail.adapters.clients import aws_call

# ListAccounts' Account.Status (botocore organizations model): ACTIVE | SUSPENDED | PENDING_CLOSURE. Only an
# active account can run tuning jobs or have its member role assumed.
ACTIVE = "ACTIVE"


class OrganizationAccounts:
    """The organization's accounts, over an injected boto3 Organizations client (of the management account or
    a delegated administrator: ListAccounts is answered nowhere else)."""

    PERMISSIONS: ClassVar[tuple[str, ...]] = ("organizations:ListAccounts",)

    def __init__(self, client: Any) -> None:
        self._client = client

    def active(self) -> list[str]:
        """The ids of the ACTIVE accounts, through every page, in the order Organizations lists them; raises
        AwsCallFailed."""
        accounts: list[str] = []
        with aws_call():
            for page in self._client.get_paginator("list_accounts").paginate():
                accounts.extend(str(a["Id"]) for a in page.get("Accounts", []) if a.get("Status") == ACTIVE)
        return accounts
