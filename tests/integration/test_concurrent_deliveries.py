"""The same event delivered to 8 invocations at once (Lambda runs duplicates side by side): one stop,
one alert, one record that says stopped. Each invocation is its own process, as Lambda's are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from hpo_guardrail.adapters.dynamodb import DynamoDbAuditStore
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
INVOCATIONS = 8
# Each process imports the handler and evaluates the request once (policy, rule catalogue and prices warm, as in
# a warm Lambda), then waits for the same moment, so the handlers really overlap.
INVOKE = """
import json, sys, time
from types import SimpleNamespace
import functions.guardrail.app as app
from rules.events import read_event
event, start_at, n = json.loads(open(sys.argv[1]).read()), float(sys.argv[2]), sys.argv[3]
call = read_event(event)
app.SERVICE.evaluator.assess(call.request, call.context)
context = SimpleNamespace(function_name="guardrail", memory_limit_in_mb=256, aws_request_id=f"req-{n}",
                          invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:guardrail")
time.sleep(max(0.0, start_at - time.time()))
try:
    result = app.lambda_handler(event, context)
except Exception as error:
    result = {"error": type(error).__name__, "message": str(error)}
print("RESULT " + json.dumps(result))
"""


def test_the_same_event_in_eight_processes_at_once_stops_once_and_alerts_once(
    embedded_aws, deploy_stack, function_runner, capture_sns, tuning_jobs, tmp_path
):
    from hpo_guardrail.embedded.moto_extensions import CALLS

    stack = deploy_stack(mode="enforce", budget_cap_usd=1000)
    alerts = capture_sns(stack.topic_arn)
    name = f"concurrent-{uuid.uuid4().hex[:8]}"
    event = cloudtrail_event(
        tuning_request(
            name,
            continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
            max_jobs=100,
            definition=training_definition("ml.p3.2xlarge", 1, 36_000),
        )
    )
    job = tuning_jobs.create_for_event(event)
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event), encoding="utf-8")
    environment = {**os.environ, **function_runner(stack).environment(), "PYTHONPATH": str(ROOT)}
    stops_before = CALLS.get(("sagemaker", "StopHyperParameterTuningJob"), 0)
    start_at = time.time() + 25  # every process has imported the handler and warmed up by then

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", INVOKE, str(event_file), str(start_at), str(n)],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for n in range(INVOCATIONS)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    results = [
        json.loads(line.removeprefix("RESULT "))
        for o in outputs
        for line in o.splitlines()
        if line.startswith("RESULT ")
    ]

    assert len(results) == INVOCATIONS, outputs
    evaluated = [r for r in results if r.get("status") == "evaluated"]
    assert len(evaluated) == 1, results
    assert evaluated[0]["actions"]["stop"] == "stopped (InProgress -> Stopping)"
    assert all(r.get("status") == "skipped" for r in results if r is not evaluated[0]), results
    assert CALLS.get(("sagemaker", "StopHyperParameterTuningJob"), 0) - stops_before == 1
    assert tuning_jobs.status(job) == "Stopping"
    assert len(alerts.receive()) == 1
    record = DynamoDbAuditStore(embedded_aws.client("dynamodb"), stack.outputs["AuditTableName"]).get(
        event["detail"]["eventID"]
    )
    assert record.actions["stop"].result == "stopped" and record.complete
