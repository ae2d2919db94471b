"""The template deployed with and without SnapStart into the embedded AWS: the rules invoke the function's alias,
the alias runs a published version, and a version with SnapStart on is initialised as Lambda initialises it before
its snapshot (AWS_LAMBDA_INITIALIZATION_TYPE snap-start, the runtime's before-snapshot hooks) and resumed (the
after-restore hooks) before its first event; without SnapStart no hook runs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from hpo_guardrail.embedded.deployment import StackParameters, deploy_template
from hpo_guardrail.embedded.event_bus import deliver
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner
from hpo_guardrail.embedded.moto_extensions import ASYNC_INVOCATIONS
from tests.builders import cloudtrail_event

pytestmark = pytest.mark.emulator

# A handler that registers SnapStart's runtime hooks as the runtime's library takes them and reports what ran.
RECORDING_HANDLER = textwrap.dedent(
    """
    import os

    from snapshot_restore_py import register_after_restore, register_before_snapshot

    RAN = []
    INITIALIZATION_TYPE = os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]
    register_before_snapshot(RAN.append, "first registered, runs last")
    register_before_snapshot(RAN.append, "before snapshot")
    register_after_restore(RAN.append, "after restore")

    def lambda_handler(event, context):
        RAN.append("event")
        return {
            "ran": RAN,
            "initialization": INITIALIZATION_TYPE,
            "version": context.function_version,
            "invoked": context.invoked_function_arn,
        }
    """
)


def _deploy(embedded_aws, tmp_path: Path, snap_start: bool):
    handler = tmp_path / "functions" / "guardrail" / "app.py"
    handler.parent.mkdir(parents=True)
    handler.write_text(RECORDING_HANDLER)
    stack = deploy_template(embedded_aws, StackParameters(snap_start=snap_start), artifact_dir=tmp_path)
    return stack, FunctionRunner.for_stack(embedded_aws, stack, tmp_path / "environment")


def test_with_snapstart_the_rule_invokes_the_alias_of_a_version_initialised_for_its_snapshot(embedded_aws, tmp_path):
    stack, runner = _deploy(embedded_aws, tmp_path, snap_start=True)
    name, alias = stack.outputs["GuardrailFunctionName"].split(":")
    functions = embedded_aws.client("lambda")

    assert (name, alias) == (stack.function_name, "live")
    assert stack.function_arn.endswith(f":function:{name}:live")
    version = functions.get_alias(FunctionName=name, Name=alias)["FunctionVersion"]
    assert version != "$LATEST"
    assert functions.get_function_configuration(FunctionName=name, Qualifier=alias)["SnapStart"] == {
        "ApplyOn": "PublishedVersions",
        "OptimizationStatus": "On",
    }
    assert functions.get_function_configuration(FunctionName=name)["SnapStart"]["OptimizationStatus"] == "Off"
    (target,) = embedded_aws.client("events").list_targets_by_rule(Rule=stack.rule_name)["Targets"]
    assert target["Arn"] == stack.function_arn == runner.function_arn

    (invocation,) = deliver(embedded_aws, runner, cloudtrail_event())

    assert invocation.succeeded, invocation.logs
    assert invocation.result == {
        "ran": ["before snapshot", "first registered, runs last", "after restore", "event"],
        "initialization": "snap-start",
        "version": version,
        "invoked": stack.function_arn,
    }
    assert "Restore Duration" in invocation.logs and "Init Duration" not in invocation.logs


def test_without_snapstart_the_alias_runs_on_demand_and_no_hook_runs(embedded_aws, tmp_path):
    stack, runner = _deploy(embedded_aws, tmp_path, snap_start=False)
    functions = embedded_aws.client("lambda")
    assert functions.get_function_configuration(FunctionName=stack.function_name, Qualifier="live")["SnapStart"] == {
        "ApplyOn": "None",
        "OptimizationStatus": "Off",
    }

    (invocation,) = deliver(embedded_aws, runner, cloudtrail_event())

    assert invocation.result["ran"] == ["event"] and invocation.result["initialization"] == "on-demand"
    assert invocation.result["invoked"] == stack.function_arn
    assert "Init Duration" in invocation.logs


def test_an_asynchronous_invoke_of_the_alias_reaches_the_aliass_environment(embedded_aws, tmp_path):
    stack, runner = _deploy(embedded_aws, tmp_path, snap_start=False)
    event = cloudtrail_event()
    embedded_aws.client("lambda").invoke(
        FunctionName=stack.outputs["GuardrailFunctionName"], InvocationType="Event", Payload=json.dumps(event)
    )
    (queued,) = [q for q in ASYNC_INVOCATIONS.take_event(event["id"]) if q.function_arn.startswith(stack.function_arn)]
    assert queued.function_arn == stack.function_arn == runner.function_arn


def test_the_guardrail_with_snapstart_warms_up_before_its_snapshot_and_judges_after_restore(embedded_aws, tmp_path):
    """The real function: its warm-up (composition.warm_up) runs as the before-snapshot hook, the restored
    environment judges an event as any other, and nothing of the warm-up's sample reaches the audit table."""
    stack = deploy_template(embedded_aws, StackParameters(snap_start=True))
    runner = FunctionRunner.for_stack(embedded_aws, stack, tmp_path / "environment")
    event = cloudtrail_event()

    (invocation,) = deliver(embedded_aws, runner, event)

    assert invocation.succeeded, invocation.logs
    assert invocation.result["status"] == "evaluated" and invocation.result["event_id"] == event["detail"]["eventID"]
    assert "Restore Duration" in invocation.logs
    warmed = [json.loads(line) for line in invocation.logs.splitlines() if "Warmed up before the snapshot" in line]
    assert warmed and {"dynamodb", "pricing", "sagemaker", "sns"} <= set(warmed[0]["clients"]), invocation.logs
    audit = embedded_aws.client("dynamodb")
    table = stack.outputs["AuditTableName"]
    warm_up_record = audit.get_item(TableName=table, Key={"event_id": {"S": "00000000-0000-4000-8000-000000000001"}})
    assert "Item" not in warm_up_record, "the warm-up judged its sample in memory only"
