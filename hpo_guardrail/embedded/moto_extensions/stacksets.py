"""CloudFormation StackSets: service-managed targets and automatic deployment, as AWS does them.

moto deploys a service-managed StackSet's instances to the accounts directly under the OUs named at
CreateStackInstances, and then forgets the OUs. AWS (a) deploys to every account under the target OUs,
nested OUs included, but never to the organization's management account; (b) with AutoDeployment
enabled, remembers the target OUs and regions, deploys to an account that is created in or moved into
one of them, and removes the account's instances when it leaves them (unless
RetainStacksOnAccountRemoval). That is how a new member account gets the guardrail's member role and
forwarder without anybody acting, so the emulator does both.

Scope: StackSets administered by the management account (moto has no CallAs=DELEGATED_ADMIN); the
instances' stacks are created at once, with the StackSet's parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from moto.cloudformation.models import StackInstance, StackInstances, StackSet, cloudformation_backends
from moto.cloudformation.responses import CloudFormationResponse
from moto.organizations.models import OrganizationsBackend

_PARTITION = "aws"
_SERVICE_MANAGED = "SERVICE_MANAGED"
# Per StackSet ARN: the OUs and regions its instances were created for.
_DEPLOYMENT_TARGETS: dict[str, dict[str, set[str]]] = {}


def extend_stacksets() -> None:
    original_create_stack_set = CloudFormationResponse.create_stack_set
    original_create_stack_instances = StackSet.create_stack_instances
    original_create_instances = StackInstances.create_instances
    original_move_account = OrganizationsBackend.move_account
    original_create_account = OrganizationsBackend.create_account

    def create_stack_set(self: CloudFormationResponse) -> Any:
        result = original_create_stack_set(self)
        auto_deployment = self._get_param("AutoDeployment") or {}
        stackset = self.cloudformation_backend.describe_stack_set(self._get_param("StackSetName"))
        # An attribute of the StackSet, so DescribeStackSet shows it as AWS does.
        setattr(  # noqa: B010
            stackset,
            "auto_deployment",
            {
                "Enabled": _true(auto_deployment.get("Enabled")),
                "RetainStacksOnAccountRemoval": _true(auto_deployment.get("RetainStacksOnAccountRemoval")),
            },
        )
        return result

    def create_stack_instances(
        self: StackSet,
        accounts: list[str],
        regions: list[str],
        deployment_targets: dict[str, Any] | None,
        parameters: list[dict[str, Any]],
    ) -> str:
        if self.permission_model == _SERVICE_MANAGED and deployment_targets:
            targets = _targets(self)
            targets["ous"].update(deployment_targets.get("OrganizationalUnitIds", []))
            targets["regions"].update(regions)
        return str(original_create_stack_instances(self, accounts, regions, deployment_targets, parameters))

    def create_instances(
        self: StackInstances,
        accounts: list[str],
        regions: list[str],
        parameters: list[dict[str, Any]] | None,
        deployment_targets: dict[str, Any],
        permission_model: str,
    ) -> list[dict[str, Any]]:
        if permission_model != _SERVICE_MANAGED:
            return list(
                original_create_instances(self, accounts, regions, parameters, deployment_targets, permission_model)
            )
        organization = self.org_backend
        member_accounts = {
            account
            for ou_id in deployment_targets.get("OrganizationalUnitIds", [])
            for account in _accounts_under(organization, ou_id)
        }
        return _deploy(self, sorted(member_accounts), regions, parameters)

    def move_account(self: OrganizationsBackend, **kwargs: Any) -> None:
        original_move_account(self, **kwargs)
        _reconcile_account(self, kwargs["AccountId"])

    def create_account(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
        status: dict[str, Any] = original_create_account(self, **kwargs)
        _reconcile_account(self, status["CreateAccountStatus"]["AccountId"])
        return status

    CloudFormationResponse.create_stack_set = create_stack_set  # type: ignore[method-assign]
    StackSet.create_stack_instances = create_stack_instances  # type: ignore[method-assign]
    StackInstances.create_instances = create_instances  # type: ignore[method-assign]
    OrganizationsBackend.move_account = move_account  # type: ignore[method-assign]
    OrganizationsBackend.create_account = create_account  # type: ignore[method-assign]


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _targets(stackset: StackSet) -> dict[str, set[str]]:
    """The OUs and regions a service-managed StackSet deploys to (what automatic deployment follows)."""
    return _DEPLOYMENT_TARGETS.setdefault(stackset.arn, {"ous": set(), "regions": set()})


def _auto_deployment(stackset: StackSet) -> dict[str, bool] | None:
    auto: dict[str, bool] | None = getattr(stackset, "auto_deployment", None)
    return auto


def _accounts_under(organization: OrganizationsBackend, ou_id: str) -> Iterator[str]:
    """Every account under an OU, nested OUs included, except the management account."""
    management = organization.org.master_account_id if organization.org is not None else None
    ou_ids = {ou_id}
    while True:
        children = {ou.id for ou in organization.ou if getattr(ou, "parent_id", None) in ou_ids} - ou_ids
        if not children:
            break
        ou_ids |= children
    for account in organization.accounts:
        if account.parent_id in ou_ids and account.id != management and account.status == "ACTIVE":
            yield account.id


def _deploy(
    instances: StackInstances, accounts: list[str], regions: list[str] | set[str], parameters: Any
) -> list[dict[str, Any]]:
    new_instances = []
    for region in sorted(regions):
        for account in accounts:
            if instances.get_instance(account, region) is not None:
                continue  # CreateStackInstances is idempotent per account and region
            new_instances.append(
                StackInstance(
                    account_id=account,
                    region_name=region,
                    stackset_id=instances.stackset_id,
                    stack_name=instances.stack_name,
                    name=instances.stackset_name,
                    template=instances.template,
                    parameters=cast(Any, parameters or instances.parameters),  # moto takes a list or a dict
                    permission_model=_SERVICE_MANAGED,
                )
            )
    instances.stack_instances += new_instances
    return [instance.to_dict() for instance in new_instances]


def _reconcile_account(organization: OrganizationsBackend, account_id: str) -> None:
    """Automatic deployment after an account joined or moved: deploy where its OUs are now targeted,
    remove instances where they no longer are (unless the StackSet retains them)."""
    if organization.org is None:
        return
    for stackset in _auto_deployed_stacksets(organization.org.master_account_id):
        targets = _targets(stackset)
        targeted = any(account_id in set(_accounts_under(organization, ou)) for ou in targets["ous"])
        if targeted:
            _deploy(stackset.instances, [account_id], targets["regions"], stackset.parameters)
        elif not (_auto_deployment(stackset) or {}).get("RetainStacksOnAccountRemoval", False):
            stackset.instances.delete([account_id], sorted(targets["regions"]))


def _auto_deployed_stacksets(management_account_id: str) -> Iterator[StackSet]:
    for backend in list(cloudformation_backends[management_account_id].values()):
        for stackset in list(backend.stacksets.values()):
            auto = _auto_deployment(stackset)
            if (
                stackset.status == "ACTIVE"
                and stackset.permission_model == _SERVICE_MANAGED
                and auto
                and auto["Enabled"]
            ):
                yield stackset
