"""An AWS Organization in the embedded AWS: a management account, OUs and member accounts.

Built through the Organizations API of the management account, as a platform team would, so the
emulator holds it the way AWS does: `aws:PrincipalOrgID` conditions, service-managed StackSets and
`scan --org` all read it. moto gives each created account a random 12-digit id; the names map to them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hpo_guardrail.embedded.emulator import EmbeddedAws

MANAGEMENT = "management"


@dataclass(frozen=True)
class EmulatedOrganization:
    """An organization the emulator holds: its id, root, and accounts and OUs by name."""

    organization_id: str
    root_id: str
    management_account_id: str
    accounts: Mapping[str, str]  # name -> account id; the management account is MANAGEMENT
    organizational_units: Mapping[str, str]  # name -> OU id

    def account_id(self, name: str) -> str:
        """The id of the account created under `name`."""
        if name not in self.accounts:
            raise KeyError(f"no account named {name!r} in the organization (accounts: {sorted(self.accounts)})")
        return self.accounts[name]

    def ou_id(self, name: str) -> str:
        """The id of the OU created under `name`."""
        if name not in self.organizational_units:
            raise KeyError(f"no OU named {name!r} in the organization (OUs: {sorted(self.organizational_units)})")
        return self.organizational_units[name]


def unused_account_id() -> str:
    """A fresh 12-digit account id for a management account (one organization per management account)."""
    return "9" + "".join(secrets.choice("0123456789") for _ in range(11))


def build_organization(
    aws: EmbeddedAws,
    *,
    organizational_units: Sequence[str] = (),
    accounts: Mapping[str, str | None],
    management_account_id: str | None = None,
) -> EmulatedOrganization:
    """Create an organization (all features) in a management account, OUs under its root, and member
    accounts: `accounts` maps each name to the OU it goes into (None: the root)."""
    if MANAGEMENT in accounts:
        raise ValueError(f"{MANAGEMENT!r} names the management account; give member accounts other names")
    unknown = {ou for ou in accounts.values() if ou is not None} - set(organizational_units)
    if unknown:
        raise ValueError(f"accounts name OUs that are not created: {sorted(unknown)}")
    management = aws.in_account(management_account_id or unused_account_id())
    organizations = management.client("organizations")
    organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
    root_id = organizations.list_roots()["Roots"][0]["Id"]
    ou_ids = {
        name: organizations.create_organizational_unit(ParentId=root_id, Name=name)["OrganizationalUnit"]["Id"]
        for name in organizational_units
    }
    account_ids = {MANAGEMENT: management.account_id}
    for name, ou in accounts.items():
        status = organizations.create_account(AccountName=name, Email=f"{name}@example.org")["CreateAccountStatus"]
        account_ids[name] = status["AccountId"]
        if ou is not None:
            organizations.move_account(
                AccountId=status["AccountId"], SourceParentId=root_id, DestinationParentId=ou_ids[ou]
            )
    return EmulatedOrganization(
        organization_id=organization["Id"],
        root_id=root_id,
        management_account_id=management.account_id,
        accounts=account_ids,
        organizational_units=ou_ids,
    )


def move_account(aws: EmbeddedAws, organization: EmulatedOrganization, account: str, to_ou: str | None) -> None:
    """Move a member account (by name) into an OU (by name; None: the root), as the management account."""
    organizations = aws.client("organizations", account=organization.management_account_id)
    account_id = organization.account_id(account)
    parent = organizations.list_parents(ChildId=account_id)["Parents"][0]["Id"]
    destination = organization.root_id if to_ou is None else organization.ou_id(to_ou)
    organizations.move_account(AccountId=account_id, SourceParentId=parent, DestinationParentId=destination)
