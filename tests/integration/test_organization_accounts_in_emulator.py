"""OrganizationAccounts against the emulator: ListAccounts answers the management account and a delegated
administrator with the organization's ACTIVE accounts, and refuses any other member, as AWS does."""

from __future__ import annotations

import pytest

from hpo_guardrail.adapters.clients import AwsCallFailed
from hpo_guardrail.adapters.organizations import OrganizationAccounts
from hpo_guardrail.embedded.moto_extensions.organizations import STACKSETS_PRINCIPAL
from hpo_guardrail.embedded.organization import build_organization

pytestmark = pytest.mark.emulator


def test_the_management_account_and_a_delegated_administrator_list_the_active_accounts_a_member_cannot(
    embedded_aws,
):
    org = build_organization(
        embedded_aws,
        organizational_units=("Platform", "Workloads"),
        accounts={"tooling": "Platform", "workload-a": "Workloads", "workload-b": "Workloads"},
    )
    management = embedded_aws.client("organizations", account=org.management_account_id)
    management.register_delegated_administrator(
        AccountId=org.account_id("tooling"), ServicePrincipal=STACKSETS_PRINCIPAL
    )
    expected = set(org.accounts.values())

    as_management = OrganizationAccounts(management).active()
    as_tooling = OrganizationAccounts(embedded_aws.client("organizations", account=org.account_id("tooling"))).active()

    assert set(as_management) == set(as_tooling) == expected
    member = OrganizationAccounts(embedded_aws.client("organizations", account=org.account_id("workload-a")))
    with pytest.raises(AwsCallFailed, match="AccessDeniedException"):
        member.active()
