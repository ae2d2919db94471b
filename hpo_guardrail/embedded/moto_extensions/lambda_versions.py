"""Lambda: published versions and aliases as CloudFormation creates them, a function's SnapStart setting, and
invocations addressed to an alias.

What AWS does (CloudFormation resource reference and Lambda API reference):
- AWS::Lambda::Version publishes a version of the function's current code and configuration: Ref gives the
  version's ARN, Fn::GetAtt Version its number and FunctionArn the function's ARN. SAM's AutoPublishAlias makes one
  and an AWS::Lambda::Alias that names it.
- AWS::Lambda::Alias: Ref gives the alias ARN (arn:...:function:NAME:ALIAS), which EventBridge targets,
  AWS::Lambda::Permission and IAM policies take, and which Invoke takes as FunctionName (also as NAME:ALIAS).
- A function's SnapStart ({"ApplyOn": "PublishedVersions" | "None"}) is kept, and GetFunctionConfiguration
  reports it: a published version of a function with ApplyOn PublishedVersions has OptimizationStatus On (its
  snapshot), $LATEST has Off (SnapStart serves published versions only).
- An invocation records what it addressed: the alias (or version) ARN when the caller named one.

moto publishes versions from CloudFormation but gives them neither a Ref nor attributes, has no alias resource,
and reports every function's SnapStart as off. The function runner (embedded/lambda_runtime.py) reads the SnapStart
setting to initialise a version as Lambda does before it takes the snapshot.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

from hpo_guardrail.embedded.moto_extensions.cfn_resource import ExtensionResource

SNAPSTART_PUBLISHED_VERSIONS = "PublishedVersions"
_LATEST = "$LATEST"


class LambdaVersionResource(ExtensionResource):
    """AWS::Lambda::Version: publishes a version; Ref the version's ARN, GetAtt Version and FunctionArn."""

    def __init__(self, physical_resource_id: str, version: str, function_arn: str) -> None:
        super().__init__(physical_resource_id)
        self.version = version
        self.function_arn = function_arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Version"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Version", "FunctionArn")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Version":
            return self.version
        if attribute_name == "FunctionArn":
            return self.function_arn
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create(
        cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str
    ) -> LambdaVersionResource:
        backend = lambda_backends[account_id][region_name]
        published = backend.publish_version(str(properties["FunctionName"]), str(properties.get("Description", "")))
        if published is None:
            raise ValueError(f"cannot publish a version of {properties['FunctionName']}")
        unqualified = str(published.function_arn).rsplit(":", 1)[0]
        return cls(str(published.function_arn), str(published.version), unqualified)

    def delete(self, account_id: str, region_name: str) -> None:
        """SAM retains published versions (DeletionPolicy Retain); CloudFormation leaves them in Lambda."""


class LambdaAliasResource(ExtensionResource):
    """AWS::Lambda::Alias: a name for one version of a function; Ref gives the alias ARN."""

    def __init__(self, physical_resource_id: str, name: str, function_name: str) -> None:
        super().__init__(physical_resource_id)
        self.name = name
        self.function_name = function_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "AliasArn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "AliasArn":
            return self.physical_resource_id
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create(
        cls, resource_name: str, properties: dict[str, Any], account_id: str, region_name: str
    ) -> LambdaAliasResource:
        backend = lambda_backends[account_id][region_name]
        function_name = str(properties["FunctionName"]).split(":function:", 1)[-1]
        alias = backend.create_alias(
            name=str(properties["Name"]),
            function_name=function_name,
            function_version=str(properties["FunctionVersion"]),
            description=str(properties.get("Description", "")),
            routing_config=properties.get("RoutingConfig"),  # type: ignore[arg-type]
        )
        return cls(str(alias.arn), str(properties["Name"]), function_name)

    def delete(self, account_id: str, region_name: str) -> None:
        lambda_backends[account_id][region_name].delete_alias(self.name, self.function_name)


def invoked_arn(function: LambdaFunction, addressed: str, qualifier: str | None) -> str:
    """The ARN an invocation addressed: the function's ARN, qualified by the alias or version the caller named
    (in FunctionName as NAME:QUALIFIER or a qualified ARN, or in the Qualifier parameter); $LATEST is the
    function itself."""
    unqualified = str(function.function_arn)
    if str(getattr(function, "version", _LATEST)) != _LATEST:
        unqualified = unqualified.rsplit(":", 1)[0]
    named = addressed.split(":function:", 1)[-1]
    if ":" in named:
        qualifier = named.split(":", 1)[1]
    return unqualified if not qualifier or qualifier == _LATEST else f"{unqualified}:{qualifier}"


def extend_lambda_versions() -> None:
    """Keep a function's SnapStart and report it per version (moto reports it off for every function)."""
    original_create = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    original_init = LambdaFunction.__init__
    original_configuration = LambdaFunction.get_configuration

    def init(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.snap_start_apply_on = str((spec.get("SnapStart") or {}).get("ApplyOn", "None"))  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: type[LambdaFunction],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaFunction:
        function: LambdaFunction = original_create(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        snap_start = cloudformation_json["Properties"].get("SnapStart") or {}
        function.snap_start_apply_on = str(snap_start.get("ApplyOn", "None"))  # type: ignore[attr-defined]
        return function

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        configuration: dict[str, Any] = original_configuration(self, on_create)
        apply_on = str(getattr(self, "snap_start_apply_on", "None"))
        published = str(configuration.get("Version", _LATEST)) != _LATEST
        on = apply_on == SNAPSTART_PUBLISHED_VERSIONS and published
        configuration["SnapStart"] = {"ApplyOn": apply_on, "OptimizationStatus": "On" if on else "Off"}
        return configuration

    LambdaFunction.__init__ = init  # type: ignore[method-assign]
    LambdaFunction.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign,assignment,arg-type]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
