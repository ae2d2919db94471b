"""The composition root of the reconciliation function (template.yaml ReconcileFunction).

It runs as the guardrail function's own execution role (the member roles trust exactly that role), so it gets
the guardrail service as `composition.build_service` wires it, and in addition reads the jobs of every account
and region: `RECONCILE_ADAPTERS` declare what the role needs beyond the guardrail function's adapters, and a
test holds the template's ReconcilePolicy to them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime

from hpo_guardrail.adapters.clients import FUNCTION_CLIENT_CONFIG, function_client
from hpo_guardrail.adapters.member import MemberSessions
from hpo_guardrail.adapters.organizations import OrganizationAccounts
from hpo_guardrail.adapters.sagemaker import TuningJobReader
from hpo_guardrail.adapters.sts import caller_account
from hpo_guardrail.composition import build_service
from hpo_guardrail.enforce.reconcile import Reconciler, ReconcileSettings

# Beyond the guardrail function's adapters (composition.FUNCTION_ADAPTERS["GuardrailFunction"]); the ListAccounts
# grant is there only with an organization.
RECONCILE_ADAPTERS: tuple[type, ...] = (TuningJobReader, OrganizationAccounts)


def build_reconciler(environ: Mapping[str, str] = os.environ) -> Reconciler:
    """The guardrail service, the accounts (the organization's ACTIVE ones, or the home account), and a reader per
    account and region: the function's own session at home, the member role (a session named after this run)
    everywhere else."""
    service = build_service(environ)
    settings = service.settings
    reconcile = ReconcileSettings.from_environ(environ)
    home_account = settings.account_id or caller_account(function_client("sts"))
    sts = function_client("sts")
    members = MemberSessions(
        sts, settings.member_role_name, partition=sts.meta.partition, client_config=FUNCTION_CLIENT_CONFIG
    )

    def clock() -> datetime:
        return datetime.now(UTC)

    def accounts() -> list[str]:
        if not settings.watches_organization:
            return [home_account]
        return OrganizationAccounts(function_client("organizations")).active()

    def lister(account: str, region: str) -> TuningJobReader:
        if account == home_account:
            return TuningJobReader(function_client("sagemaker", region=region))
        run = f"reconciliation-{clock().strftime('%Y%m%dT%H%M%SZ')}"
        return TuningJobReader(members.client("sagemaker", account, region, event_id=run))

    return Reconciler(
        service,
        accounts=accounts,
        lister=lister,
        regions=reconcile.regions(settings.region),
        interval=reconcile.interval,
        home_account=home_account,
        clock=clock,
    )
