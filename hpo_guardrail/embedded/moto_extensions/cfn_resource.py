"""The base of the CloudFormation resource types added to the emulator."""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel


class ExtensionResource(CloudFormationModel):
    """Shared plumbing for the resource types added here: a physical id and no attributes.

    A subclass says how to create itself from the template's Properties in `create`; moto's longer
    CloudFormation signature is adapted here once.
    """

    def __init__(self, physical_resource_id: str) -> None:
        self.physical_resource_id = physical_resource_id

    @classmethod
    def create(cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Any:
        """Create the resource in the emulator's backends from the template's Properties."""
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        return cls.create(resource_name, cloudformation_json["Properties"], account_id, region_name)

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        """Undo what create did (moto calls this when the stack is deleted)."""

    def is_created(self) -> bool:
        return True
