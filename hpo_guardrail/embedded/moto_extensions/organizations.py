"""Organizations: ListAccounts answered for a delegated administrator, as AWS answers it.

AWS answers ListAccounts "only from the organization's management account or by a member account that is a
delegated administrator for an AWS service" (Organizations API reference, ListAccounts); any other member gets
AccessDeniedException. moto keeps an organization in its management account's backend only, so a member account
(the tooling account that holds the central stack and administers the StackSets) sees no accounts at all, and it
knows no delegated administrator for CloudFormation StackSets. `scan --org` and the scheduled reconciliation run
as such an account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.organizations.models import FakeDelegatedAdministrator, OrganizationsBackend, organizations_backends

# The service principal a StackSets delegated administrator is registered for (CloudFormation user guide,
# "Register a delegated administrator": aws organizations register-delegated-administrator --service-principal
# member.org.stacksets.cloudformation.amazonaws.com).
STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"


class AccessDeniedException(JsonRESTError):
    code = 400

    def __init__(self) -> None:
        super().__init__("AccessDeniedException", "You don't have permissions to access this resource.")


def _management_backend(account_id: str) -> OrganizationsBackend | None:
    """The backend of the management account of the organization `account_id` is a member of, or None."""
    found = organizations_backends.master_accounts.get(account_id)
    if found is None:
        return None
    management, partition = found
    backend: OrganizationsBackend = organizations_backends[management][partition]
    return backend


def extend_organizations() -> None:
    if STACKSETS_PRINCIPAL not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
        FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(STACKSETS_PRINCIPAL)
    original: Callable[..., Any] = OrganizationsBackend.list_accounts

    def list_accounts(self: OrganizationsBackend, *args: Any, **kwargs: Any) -> Any:
        if self.org is not None:  # the management account itself
            return original(self, *args, **kwargs)
        management = _management_backend(self.account_id)
        if management is None or management is self:
            return original(self, *args, **kwargs)  # moto's own answer for an account outside any organization
        if not any(admin.account.id == self.account_id for admin in management.admins):
            raise AccessDeniedException()
        return original(management, *args, **kwargs)

    OrganizationsBackend.list_accounts = list_accounts  # type: ignore[method-assign, assignment]
