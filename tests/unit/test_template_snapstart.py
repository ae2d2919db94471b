"""template.yaml's published versions, alias and SnapStart.

The guardrail function and the Stop button's function are invoked through their alias `live` (SAM's
AutoPublishAlias), so SnapStart, which serves published versions only, serves every invocation when the SnapStart
parameter turns it on. Everything that invokes them must name the alias, and every deployment that changes what the
functions run (code, a property, a parameter they read) must publish a new version for the alias to point at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from tests.unit.test_template_chat import BOTH as WITH_BOTH_CHANNELS
from tests.unit.test_template_organization import ORG, TRANSFORMED, _Deployment

ROOT = Path(__file__).resolve().parents[2]
ALIAS = "live"
ALIASED = ("GuardrailFunction", "StopButtonFunction")
# AWS::Lambda::Version Description: 0-256 characters (CloudFormation resource reference).
VERSION_DESCRIPTION_LIMIT = 256
# A Number parameter without MaxValue is assumed to be written with at most this many characters.
NUMBER_CHARACTERS = 12
# Properties that are no part of a published version: the role and its policies, the function-level concurrency,
# the event sources (they become other resources) and what says how to publish.
UNVERSIONED = {
    "Policies",
    "Role",
    "ReservedConcurrentExecutions",
    "Events",
    "EventInvokeConfig",
    "AutoPublishAlias",
    "AutoPublishAliasAllProperties",
    "VersionDescription",
}


def _template() -> dict[str, Any]:
    return yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))


def _referenced_parameters(node: Any, parameters: set[str]) -> Iterator[str]:
    """The template parameters a node reads (Ref, and ${Name} in Fn::Sub)."""
    if isinstance(node, list):
        for item in node:
            yield from _referenced_parameters(item, parameters)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and value in parameters:
                yield value
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                yield from (name for name in re.findall(r"\$\{([^}!.]+)\}", text) if name in parameters)
            if key == "Fn::If":
                yield from _referenced_parameters(value[1:], parameters)
            else:
                yield from _referenced_parameters(value, parameters)


def _longest_value(name: str, spec: dict[str, Any]) -> int:
    if "AllowedValues" in spec:
        return max(len(str(value)) for value in spec["AllowedValues"])
    if "MaxLength" in spec:
        return int(spec["MaxLength"])
    if spec["Type"] == "Number":
        return len(str(spec["MaxValue"])) if "MaxValue" in spec else NUMBER_CHARACTERS
    bounded = re.fullmatch(
        r"\^(?:\(|\$\|\^)?(?P<prefix>[^\[(]*)\[[^\]]+\]\{\d+,(?P<most>\d+)\}\)?\??\$", spec.get("AllowedPattern", "")
    )
    if bounded:
        return len(bounded["prefix"].replace("\\", "")) + int(bounded["most"])
    raise AssertionError(f"parameter {name} has no longest value: give it a MaxLength")


# --- the parameter ----------------------------------------------------------------------------------------------


def test_snapstart_is_a_parameter_off_by_default():
    spec = _template()["Parameters"]["SnapStart"]
    assert spec["Default"] == "Disabled" and spec["AllowedValues"] == ["Enabled", "Disabled"]
    assert "docs/operations.md" in spec["Description"], "the cost trade-off is documented where the parameter points"
    assert "## SnapStart" in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("value", "apply_on"), [("Enabled", "PublishedVersions"), ("Disabled", "None")])
def test_the_parameter_decides_snapstart_of_both_aliased_functions(value, apply_on):
    deployment = _Deployment({"SnapStart": value})
    for function in ALIASED:
        assert deployment.resources[function]["Properties"]["SnapStart"] == {"ApplyOn": apply_on}
    others = [n for n, p in deployment.of_type("AWS::Lambda::Function").items() if n not in ALIASED]
    assert others and all("SnapStart" not in deployment.resources[n]["Properties"] for n in others)


def test_snapstarts_limits_hold_for_the_aliased_functions():
    """SnapStart: Python 3.12 and later, no provisioned concurrency, no EFS, ephemeral storage of 512 MB at most
    (Lambda Developer Guide, "Improving startup performance with Lambda SnapStart", supported features)."""
    template = _template()
    runtime = template["Globals"]["Function"]["Runtime"]
    assert re.fullmatch(r"python3\.(1[2-9]|[2-9]\d)", runtime), runtime
    for function in ALIASED:
        properties = template["Resources"][function]["Properties"]
        assert "ProvisionedConcurrencyConfig" not in properties and "FileSystemConfigs" not in properties
        assert properties.get("EphemeralStorage", {"Size": 512})["Size"] <= 512


# --- published versions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", ALIASED)
def test_every_change_the_function_runs_publishes_a_version(function):
    template = _template()
    parameters = set(template["Parameters"])
    properties = template["Resources"][function]["Properties"]
    assert properties["AutoPublishAlias"] == ALIAS
    assert properties["AutoPublishAliasAllProperties"] is True, "a changed property as written publishes"
    versioned = {k: v for k, v in {**template["Globals"]["Function"], **properties}.items() if k not in UNVERSIONED}
    read = set(_referenced_parameters(versioned, parameters))
    described = set(_referenced_parameters(properties["VersionDescription"], parameters))
    assert read, "the test sees the parameters"
    assert read <= described, f"a change of {sorted(read - described)} would not publish a version"


@pytest.mark.parametrize("function", ALIASED)
def test_the_version_description_fits_for_the_longest_parameter_values(function):
    template = _template()
    text = template["Resources"][function]["Properties"]["VersionDescription"]["Fn::Sub"]
    longest = re.sub(r"\$\{([^}]+)\}", lambda m: "x" * _longest_value(m[1], template["Parameters"][m[1]]), text)
    assert len(longest) <= VERSION_DESCRIPTION_LIMIT, len(longest)


def test_the_transform_publishes_a_version_and_points_the_alias_at_it():
    for function in ALIASED:
        (version,) = [
            (n, r)
            for n, r in TRANSFORMED["Resources"].items()
            if r["Type"] == "AWS::Lambda::Version" and r["Properties"]["FunctionName"] == {"Ref": function}
        ]
        # A replaced version is deleted (SAM's default is Retain): old versions must not pile up, nor keep a billed
        # SnapStart snapshot cached.
        assert (version[1].get("DeletionPolicy"), version[1].get("UpdateReplacePolicy")) == ("Delete", "Delete")
        alias = TRANSFORMED["Resources"][f"{function}Alias{ALIAS}"]
        assert alias["Type"] == "AWS::Lambda::Alias"
        assert alias["Properties"] == {
            "FunctionName": {"Ref": function},
            "FunctionVersion": {"Fn::GetAtt": [version[0], "Version"]},
            "Name": ALIAS,
        }


# --- everything that invokes them names the alias ----------------------------------------------------------------


def _mentions(node: Any, logical_id: str) -> bool:
    """Whether the node refers to the function or to a resource SAM made of it (its version, its alias)."""
    return logical_id in json.dumps(node)


@pytest.mark.parametrize("deployment", [ORG, WITH_BOTH_CHANNELS], ids=["organization", "chat-channels"])
def test_every_invoker_names_the_alias(deployment):
    alias = {function: {"Ref": f"{function}Alias{ALIAS}"} for function in ALIASED}
    targets = [t for rule in deployment.of_type("AWS::Events::Rule").values() for t in rule.get("Targets", [])]
    lambda_targets = [t for t in targets if any(_mentions(t["Arn"], f) for f in ALIASED)]
    assert lambda_targets and all(t["Arn"] == alias["GuardrailFunction"] for t in lambda_targets)
    permissions = [
        p for p in deployment.of_type("AWS::Lambda::Permission").values() if any(_mentions(p, f) for f in ALIASED)
    ]
    assert permissions and all(p["FunctionName"] in alias.values() for p in permissions)
    for config in deployment.of_type("AWS::Lambda::EventInvokeConfig").values():
        if config["FunctionName"] in ({"Ref": f} for f in ALIASED):
            assert config["Qualifier"] == ALIAS, "the retries and on-failure queue of what is invoked"
    invoke_statements = [
        statement
        for name, resource in deployment.resources.items()
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")
        for statement in _statements_of(resource["Properties"])
        if "lambda:InvokeFunction" in json.dumps(statement.get("Action"))
        if any(_mentions(statement["Resource"], f) for f in ALIASED)
    ]
    assert invoke_statements or deployment is ORG, "the chat channel's role and guardrail invoke the button"
    for statement in invoke_statements:
        assert statement["Resource"] in alias.values(), statement


def _statements_of(properties: dict[str, Any]) -> list[dict[str, Any]]:
    documents = [properties["PolicyDocument"]] if "PolicyDocument" in properties else []
    documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
    return [s for document in documents for s in document["Statement"]]


def test_the_alerts_and_the_outputs_name_the_functions_by_their_alias():
    template = _template()
    for name, resource in template["Resources"].items():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if "STOP_BUTTON_FUNCTION_NAME" in variables:
            assert variables["STOP_BUTTON_FUNCTION_NAME"] == {"Fn::Sub": f"${{StopButtonFunction}}:{ALIAS}"}, name
    outputs = template["Outputs"]
    assert outputs["GuardrailFunctionName"]["Value"] == {"Fn::Sub": f"${{GuardrailFunction}}:{ALIAS}"}
    assert outputs["StopButtonFunctionName"]["Value"] == {"Fn::Sub": f"${{StopButtonFunction}}:{ALIAS}"}


def test_the_functions_alarms_count_every_version_and_alias():
    """AWS/Lambda metrics by FunctionName aggregate every version and alias of the function (Lambda Developer
    Guide, "Viewing metrics for Lambda functions", function dimensions), so the alarms stay on the function."""
    template = _template()
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::CloudWatch::Alarm" and properties.get("Namespace") == "AWS/Lambda":
            (dimension,) = properties["Dimensions"]
            assert dimension["Name"] == "FunctionName" and set(dimension["Value"]) == {"Ref"}, name
