"""OrganizationAccounts: every page of ListAccounts, ACTIVE accounts only (a suspended or closing account can
neither run tuning jobs nor have its role assumed)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from hpo_guardrail.adapters.clients import AwsCallFailed
from hpo_guardrail.adapters.organizations import NoAccounts, OrganizationAccounts
from hpo_guardrail.cli.options import aws_failure


def _account(account_id: str, state: str, *, field: str = "State") -> dict:
    """An account as ListAccounts lists it: with State (Status is retired on 2026-09-09), or the older field."""
    return {
        "Id": account_id,
        "Arn": f"arn:aws:organizations::999999999999:account/o-a1b2c3d4e5/{account_id}",
        "Email": f"{account_id}@example.org",
        "Name": account_id,
        field: state,
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": datetime(2026, 1, 1, tzinfo=UTC),
    }


def _client():
    return boto3.client(
        "organizations", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def test_active_accounts_of_every_page_in_order():
    client = _client()
    with Stubber(client) as stub:
        first = [_account("111111111111", "ACTIVE"), _account("222222222222", "SUSPENDED")]
        stub.add_response("list_accounts", {"Accounts": first, "NextToken": "page-2"}, {})
        second = [_account("333333333333", "PENDING_CLOSURE"), _account("444444444444", "ACTIVE")]
        stub.add_response("list_accounts", {"Accounts": second}, {"NextToken": "page-2"})

        assert OrganizationAccounts(client).active() == ["111111111111", "444444444444"]


def test_the_retired_status_field_is_read_where_state_is_missing_and_state_wins_when_both_are_there():
    client = _client()
    with Stubber(client) as stub:
        both = {**_account("555555555555", "SUSPENDED"), "Status": "ACTIVE"}  # State says suspended
        accounts = [_account("111111111111", "ACTIVE", field="Status"), both, _account("666666666666", "CLOSED")]
        stub.add_response("list_accounts", {"Accounts": accounts}, {})

        assert OrganizationAccounts(client).active() == ["111111111111"]


def test_no_active_account_is_an_error_not_an_empty_sweep():
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("list_accounts", {"Accounts": [_account("555555555555", "SUSPENDED")]}, {})

        with pytest.raises(NoAccounts, match="no ACTIVE account") as refused:
            OrganizationAccounts(client).active()
    assert aws_failure(refused.value) == str(refused.value)  # the CLI's one line, exit 2


def test_a_refusal_is_one_line_naming_the_call():
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("list_accounts", "AccessDeniedException", "You don't have permissions to access this.")

        with pytest.raises(AwsCallFailed, match="AWS refused ListAccounts: AccessDeniedException"):
            OrganizationAccounts(client).active()
