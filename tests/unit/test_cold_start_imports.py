"""What the guardrail function's cold start leaves out: modules only some events need are imported when used.

Timings are measured by bench/cold_start.py, never here; this holds the imports that make them, in a fresh
interpreter with the function's deployed environment (tracing on, as in Lambda)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "hpo-guardrail",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "GUARDRAIL_MODE": "enforce",
    "NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
    "AUDIT_TABLE_NAME": "audit",
    "PRICE_CACHE_TABLE_NAME": "prices",
    "LIVE_PRICES": "true",
    "SECURITY_HUB_EXPORT": "false",
    "GUARDRAIL_ACCOUNT_ID": "123456789012",
    "STOP_BUTTON_FUNCTION_NAME": "stop-button",
}
# Module prefix -> why the cold start must not import it.
LEFT_OUT = {
    "boto3": "the functions make botocore clients; boto3 adds resources and S3 transfers they never use",
    "aws_xray_sdk": "traces go to the X-Ray daemon through hpo_guardrail/adapters/xray.py",
    "rules.review": "only a finished job's state change is reviewed",
    "hpo_guardrail.enforce.review_job": "the same",
    "hpo_guardrail.enforce.security_hub": "Security Hub export is opt-in",
    "hpo_guardrail.reporting": "the weekly report is another function",
    "hpo_guardrail.linting": "the CLI's",
    "hpo_guardrail.embedded": "the emulator is not shipped",
}


# Records every module the interpreter is asked to find, found or not: a module that is not installed (the X-Ray SDK
# is not, any more) would otherwise leave no trace in sys.modules when something tries to import it.
ASKED = """
import sys, json
asked = []
class Asked:
    @staticmethod
    def find_spec(name, path=None, target=None):
        asked.append(name)
        return None
sys.meta_path.insert(0, Asked)
"""


def imported_at_cold_start(handler: str, extra: dict[str, str] | None = None) -> set[str]:
    script = f"{ASKED}\nimport {handler}\nprint(json.dumps(sorted(set(sys.modules) | set(asked))))"
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **DEPLOYED, **(extra or {})}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("handler", ["functions.guardrail.app", "functions.stop_button.app"])
def test_the_cold_start_leaves_out_what_only_some_events_need(handler):
    modules = imported_at_cold_start(handler)
    assert "hpo_guardrail.adapters.xray" in modules, "tracing is on, as deployed"
    found = {
        prefix: why
        for prefix, why in LEFT_OUT.items()
        if any(m == prefix or m.startswith(f"{prefix}.") for m in modules)
    }
    assert found == {}


def test_security_hub_export_is_imported_when_configured_and_used():
    modules = imported_at_cold_start("functions.guardrail.app", {"SECURITY_HUB_EXPORT": "true"})
    assert "hpo_guardrail.adapters.securityhub" in modules  # its client is made at once: every finding is exported
    assert "hpo_guardrail.enforce.security_hub" not in modules  # the findings' format: with the first export
