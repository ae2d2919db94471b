"""S3: the report bucket's properties from the template and its TLS-only policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

from hpo_guardrail.embedded.moto_extensions.cfn_resource import ExtensionResource

# What the emulator knows about every request: it stands in for S3's HTTPS endpoint, although clients
# reach it over plain HTTP on the loopback interface.
_S3_REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def extend_s3() -> None:
    original_create: Callable[..., FakeBucket] = FakeBucket.create_from_cloudformation_json

    def create_bucket_with_properties(
        cls: Any,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeBucket:
        # moto applies only BucketEncryption and Tags from a template; versioning, the public access
        # block, ownership controls and lifecycle rules are dropped, and the report bucket has them all.
        bucket = original_create(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        _apply_bucket_properties(bucket, cloudformation_json.get("Properties", {}), account_id, region_name)
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create_bucket_with_properties)  # type: ignore[method-assign, assignment, arg-type]

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        # moto ignores a bucket policy's Bool conditions and so applies the TLS-only Deny to every
        # request: each GetObject and PutObject would fail with 403. Conditions the emulator can
        # evaluate are evaluated here; a statement whose condition does not hold does not apply.
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        applicable = [
            _without_known_conditions(statement)
            for statement in (statements if isinstance(statements, list) else [statements])
            if _conditions_hold(statement.get("Condition", {})) is not False
        ]
        return IAMPolicy(json.dumps({**document, "Statement": applicable})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def _s3_backend(account_id: str, region_name: str) -> Any:
    return s3_backends[account_id][get_partition(region_name)]


def _apply_bucket_properties(bucket: FakeBucket, properties: dict[str, Any], account_id: str, region: str) -> None:
    backend = _s3_backend(account_id, region)
    if "VersioningConfiguration" in properties:
        backend.put_bucket_versioning(bucket.name, properties["VersioningConfiguration"]["Status"])
    if "PublicAccessBlockConfiguration" in properties:
        flags = {k: str(v).lower() == "true" for k, v in properties["PublicAccessBlockConfiguration"].items()}
        backend.put_public_access_block(bucket.name, flags)
    if "OwnershipControls" in properties:
        backend.put_bucket_ownership_controls(
            bucket.name, properties["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
        )
    if "LifecycleConfiguration" in properties:
        rules = [_lifecycle_rule(rule) for rule in properties["LifecycleConfiguration"]["Rules"]]
        backend.put_bucket_lifecycle_configuration(bucket.name, rules)


_LIFECYCLE_PROPERTIES = {
    "Id",
    "Status",
    "Prefix",
    "ExpirationInDays",
    "NoncurrentVersionExpiration",
    "AbortIncompleteMultipartUpload",
}


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A lifecycle rule as the template writes it, in the API's shape (what moto's backend takes)."""
    unknown = set(rule) - _LIFECYCLE_PROPERTIES
    if unknown:
        raise NotImplementedError(f"lifecycle rule properties not emulated: {', '.join(sorted(unknown))}")
    converted: dict[str, Any] = {
        "ID": rule.get("Id"),
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpiration" in rule:
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return converted


def _conditions_hold(condition: dict[str, Any]) -> bool | None:
    """Whether a statement's Bool conditions hold for an emulator request; None if it has none or others."""
    if set(condition) != {"Bool"}:
        return None
    for key, expected in condition["Bool"].items():
        actual = _S3_REQUEST_CONTEXT.get(key)
        allowed = [str(value).lower() for value in (expected if isinstance(expected, list) else [expected])]
        if actual not in allowed:
            return False
    return True


def _without_known_conditions(statement: dict[str, Any]) -> dict[str, Any]:
    if _conditions_hold(statement.get("Condition", {})):
        return {name: value for name, value in statement.items() if name != "Condition"}
    return statement


class S3BucketPolicyResource(ExtensionResource):
    """AWS::S3::BucketPolicy, which moto skips: the report bucket's TLS-only policy."""

    def __init__(self, physical_resource_id: str, bucket: str) -> None:
        super().__init__(physical_resource_id)
        self.bucket = bucket

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create(
        cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str
    ) -> S3BucketPolicyResource:
        bucket = properties["Bucket"]
        policy = json.dumps(properties["PolicyDocument"]).encode()
        _s3_backend(account_id, region_name).put_bucket_policy(bucket, policy)
        return cls(resource_name, bucket)

    def delete(self, account_id: str, region_name: str) -> None:
        _s3_backend(account_id, region_name).delete_bucket_policy(self.bucket)
