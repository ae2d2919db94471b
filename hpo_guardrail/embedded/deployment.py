"""Deploying template.yaml into the embedded AWS: what `sam package` and `sam deploy` do, offline.

The function code is zipped and uploaded to an S3 bucket in the emulator, CodeUri is rewritten to the
S3 URI, the SAM transform runs locally (aws-sam-translator, as the CloudFormation service would run it),
and the result is created as a CloudFormation stack in the emulator.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from hpo_guardrail.embedded import moto_extensions
from hpo_guardrail.embedded.emulator import EmbeddedAws, patched_environ

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

# What the Makefile's build-GuardrailFunction copies into the artifact, minus the emulator itself.
FUNCTION_CODE_DIRS = ("rules", "hpo_guardrail", "functions")
_EXCLUDED_FROM_CODE = ("hpo_guardrail/embedded",)
_EXCLUDED_NAMES = ("__pycache__",)
_EXCLUDED_SUFFIXES = (".pyc", ".pyo")

_SERVERLESS_FUNCTION = "AWS::Serverless::Function"
_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
_FINAL_FAILURE_STATES = ("CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED")


class DeploymentError(RuntimeError):
    """The stack did not reach CREATE_COMPLETE."""


@dataclass(frozen=True)
class StackParameters:
    """The template's parameters, with its defaults."""

    mode: str = "monitor"
    budget_cap_usd: float = 1000
    notification_email: str = ""
    alert_email_teams: tuple[str, ...] = ()
    log_retention_days: int = 90
    policy_parameter_name: str = ""
    policy_cache_seconds: int = 300
    security_hub_export: bool = False
    organization_id: str = ""  # set: the central stack of an organization (its bus, the member role)
    member_role_name: str = "HpoGuardrailMember"
    snap_start: bool = False  # Lambda SnapStart for the guardrail and Stop button functions' published versions

    def as_cloudformation(self) -> list[dict[str, str]]:
        """The parameters as CreateStack takes them."""
        return [{"ParameterKey": key, "ParameterValue": value} for key, value in self.as_template_values().items()]

    def as_template_values(self) -> dict[str, str]:
        """The parameters by template name, as strings (CloudFormation passes every value as a string)."""
        values = {
            "Mode": self.mode,
            "BudgetCapUsd": _number(self.budget_cap_usd),
            "NotificationEmail": self.notification_email,
            "AlertEmailTeams": ",".join(self.alert_email_teams),
            "LogRetentionDays": str(self.log_retention_days),
            "PolicyParameterName": self.policy_parameter_name,
            "PolicyCacheSeconds": str(self.policy_cache_seconds),
            "SecurityHubExport": "Enabled" if self.security_hub_export else "Disabled",
            "SnapStart": "Enabled" if self.snap_start else "Disabled",
        }
        if self.organization_id:
            # Unset, the template's own default decides (a template copy may default to an organization).
            values |= {"OrganizationId": self.organization_id, "MemberRoleName": self.member_role_name}
        return values


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class DeployedStack:
    """A stack of template.yaml created in the embedded AWS, with what the flow needs to find."""

    stack_name: str
    parameters: StackParameters
    outputs: dict[str, str]
    function_name: str  # the guardrail function's name
    function_arn: str  # what its rules invoke: the ARN of its alias (of the function, without one)
    topic_arn: str
    rule_name: str
    undelivered_event_queue_url: str
    failed_invocation_queue_url: str
    code_s3_uri: str
    skipped_resource_types: tuple[str, ...] = field(default=())


def package_function_code(source_root: Path = REPO_ROOT, artifact_dir: Path | None = None) -> bytes:
    """Zip the function's code: a built artifact dir if given, else rules/, hpo_guardrail/, functions/.

    Entries are sorted and timestamps fixed, so the same code gives the same zip (and CodeSha256).
    """
    if artifact_dir is not None:
        files = sorted(_code_files(artifact_dir, [artifact_dir]))
        root = artifact_dir
    else:
        files = sorted(_code_files(source_root, [source_root / name for name in FUNCTION_CODE_DIRS]))
        root = source_root
    if not files:
        raise DeploymentError(f"no function code found under {root}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _code_files(root: Path, tops: list[Path]) -> Iterator[Path]:
    for top in tops:
        if not top.is_dir():
            continue
        for path in top.rglob("*"):
            relative = path.relative_to(root).as_posix()
            if (
                path.is_file()
                and not any(part in _EXCLUDED_NAMES for part in path.parts)
                and not path.name.endswith(_EXCLUDED_SUFFIXES)
                and not any(relative == e or relative.startswith(e + "/") for e in _EXCLUDED_FROM_CODE)
            ):
                yield path


def deploy_template(
    aws: EmbeddedAws,
    parameters: StackParameters | None = None,
    *,
    stack_name: str | None = None,
    template_path: Path = TEMPLATE_PATH,
    source_root: Path = REPO_ROOT,
    artifact_dir: Path | None = None,
    timeout_s: float = 60.0,
) -> DeployedStack:
    """Package, transform and create template.yaml as a stack in the emulator; wait for CREATE_COMPLETE."""
    parameters = parameters or StackParameters()
    stack_name = stack_name or f"hpo-guardrail-{parameters.mode}-{uuid.uuid4().hex[:8]}"
    code = package_function_code(source_root, artifact_dir)
    code_s3_uri = _upload_code(aws, code)
    template = yaml_parse(template_path.read_text(encoding="utf-8"))
    _point_functions_at(template, code_s3_uri)
    transformed = transform_template(aws, template, parameters)
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(transformed),
        Parameters=parameters.as_cloudformation(),
        Capabilities=_CAPABILITIES,
    )
    stack = _wait_for_create_complete(cloudformation, stack_name, timeout_s)
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    # The output names the function as its rules invoke it, NAME:ALIAS (template.yaml AutoPublishAlias): the stack
    # keeps the function's name (its log group, its configuration) and the ARN the rules target.
    function_name, _, alias = outputs["GuardrailFunctionName"].partition(":")
    function_arn = aws.client("lambda").get_function_configuration(FunctionName=function_name)["FunctionArn"]
    if alias:
        function_arn = f"{function_arn}:{alias}"
    return DeployedStack(
        stack_name=stack_name,
        parameters=parameters,
        outputs=outputs,
        function_name=function_name,
        function_arn=function_arn,
        topic_arn=outputs["NotificationTopicArn"],
        rule_name=outputs["TuningJobRuleName"],
        undelivered_event_queue_url=outputs["UndeliveredEventQueueUrl"],
        failed_invocation_queue_url=outputs["FailedInvocationQueueUrl"],
        code_s3_uri=code_s3_uri,
        skipped_resource_types=skipped_resource_types(transformed, parameters.as_template_values()),
    )


def transform_template(aws: EmbeddedAws, template: dict[str, Any], parameters: StackParameters) -> dict[str, Any]:
    """Apply the SAM transform locally, with managed policies looked up in the emulator's IAM."""
    values: dict[str, Any] = {
        **parameters.as_template_values(),
        "AWS::Region": aws.region,
        "AWS::AccountId": aws.account_id,
        "AWS::Partition": "aws",
    }
    # The translator reads the region from boto3's default session even when AWS::Region is given.
    with patched_environ({"AWS_DEFAULT_REGION": aws.region}):
        transformed: dict[str, Any] = transform(template, values, ManagedPolicyLoader(aws.client("iam")))
    return transformed


def _upload_code(aws: EmbeddedAws, code: bytes) -> str:
    # Like `sam package`: a bucket of artifacts, the object keyed by the content's hash.
    bucket = f"embedded-sam-artifacts-{aws.account_id}"
    key = f"guardrail/{hashlib.sha256(code).hexdigest()}.zip"
    s3 = aws.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=code)
    return f"s3://{bucket}/{key}"


def _point_functions_at(template: dict[str, Any], code_s3_uri: str) -> None:
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") != _SERVERLESS_FUNCTION:
            continue
        properties = resource.setdefault("Properties", {})
        code_uri = properties.get("CodeUri", template.get("Globals", {}).get("Function", {}).get("CodeUri"))
        if not (isinstance(code_uri, str) and code_uri.startswith("s3://")):
            properties["CodeUri"] = code_s3_uri


def _wait_for_create_complete(cloudformation: Any, stack_name: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        stack: dict[str, Any] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return stack
        if status in _FINAL_FAILURE_STATES or time.monotonic() > deadline:
            events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
            reasons = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                for e in events
                if e.get("ResourceStatusReason")
            ]
            raise DeploymentError(f"stack {stack_name} is {status}: {'; '.join(reasons) or 'no reason given'}")
        time.sleep(0.2)


def skipped_resource_types(template: dict[str, Any], values: dict[str, Any] | None = None) -> tuple[str, ...]:
    """Resource types of a (transformed) template that the stack would create, given the parameter `values`,
    and that the emulator's CloudFormation does not create. A resource whose Condition is false is no part of
    the stack in AWS either (the Slack channel of a stack deployed without Slack ids)."""
    conditions = TemplateConditions(template, values or {})
    types = {
        resource["Type"]
        for resource in template.get("Resources", {}).values()
        if "Condition" not in resource or conditions.holds(resource["Condition"])
    }
    return tuple(sorted(t for t in types if not moto_extensions.creates_resource_type(t)))


NO_VALUE: Any = object()  # AWS::NoValue, rendered: the property or list item is left out


class TemplateConditions:
    """A template's Conditions for given parameter values: Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition,
    Ref to a parameter and Fn::Join over those; `render` decides Fn::If and leaves AWS::NoValue out.

    Lenient (the deployment's use): anything else counts as true, so a resource the evaluator cannot decide is
    still reported when the emulator cannot create it. Strict (the template tests'): anything else raises."""

    def __init__(self, template: dict[str, Any], values: dict[str, Any], *, strict: bool = False) -> None:
        self._conditions = template.get("Conditions", {})
        defaults = {name: spec.get("Default", "") for name, spec in template.get("Parameters", {}).items()}
        self._values = {**defaults, **values}
        self._strict = strict

    def holds(self, name: str) -> bool:
        if self._strict and name not in self._conditions:
            raise ValueError(f"no condition {name}")
        return bool(self._truth(self._conditions.get(name, True)))

    def _truth(self, node: Any) -> Any:
        if not isinstance(node, dict) or len(node) != 1:
            if self._strict and not isinstance(node, bool):
                raise ValueError(f"cannot decide {node!r}")
            return node if isinstance(node, bool) else True
        ((function, argument),) = node.items()
        if function == "Fn::Equals":
            return self._value(argument[0]) == self._value(argument[1])
        if function == "Fn::Not":
            return not self._truth(argument[0])
        if function == "Fn::And":
            return all(self._truth(part) for part in argument)
        if function == "Fn::Or":
            return any(self._truth(part) for part in argument)
        if function == "Condition":
            return self.holds(argument)
        if self._strict:
            raise ValueError(f"cannot decide {function}")
        return True

    def _value(self, node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Ref"}:
            if self._strict and node["Ref"] not in self._values:
                raise ValueError(f"no parameter {node['Ref']}")
            value = self._values.get(node["Ref"], "")
            return ",".join(value) if isinstance(value, list) else str(value)
        if isinstance(node, dict) and set(node) == {"Fn::Join"}:
            separator, parts = node["Fn::Join"]
            values = [self._value(part) for part in (parts if isinstance(parts, list) else [parts])]
            return separator.join(str(v) for v in values)
        if self._strict and not isinstance(node, str):
            raise ValueError(f"cannot compare {node!r}")
        return str(node)

    def render(self, node: Any) -> Any:
        """`node` as CloudFormation creates it: every Fn::If decided, every AWS::NoValue left out; other
        intrinsic functions (Ref to a resource, Fn::Sub, Fn::GetAtt) are left as written."""
        if isinstance(node, list):
            return [item for item in (self.render(item) for item in node) if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if node == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        if set(node) == {"Fn::If"}:
            condition, when_true, when_false = node["Fn::If"]
            return self.render(when_true if self.holds(condition) else when_false)
        rendered = {key: self.render(value) for key, value in node.items()}
        return {key: value for key, value in rendered.items() if value is not NO_VALUE}
