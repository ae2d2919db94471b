"""What importing the evaluation core loads, in a fresh interpreter: the CloudTrail path (parse, policy, rules,
cost, decision) needs neither the review of finished jobs nor PyYAML for the packaged default policy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CLOUDTRAIL_PATH = (
    "rules.assessment",
    "rules.checks",
    "rules.cost",
    "rules.decision",
    "rules.engine",
    "rules.events",
    "rules.parsing",
    "rules.policy",
    "rules.policy_file",
    "rules.prices",
)
ROOT = Path(__file__).resolve().parents[2]
# Needed for SageMaker's state-change events only (a finished job's review).
STATE_CHANGE_ONLY = ("rules.review", "rules.review_inputs", "rules.review_pace")


def _loaded_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(run.stdout.strip().splitlines()[-1]))


def test_the_cloudtrail_path_loads_no_review_module():
    loaded = _loaded_after("\n".join(f"import {module}" for module in CLOUDTRAIL_PATH))
    assert set(CLOUDTRAIL_PATH) <= loaded
    assert loaded.isdisjoint(STATE_CHANGE_ONLY)


def test_evaluating_an_event_under_the_default_policy_loads_no_yaml_and_no_review_module():
    loaded = _loaded_after(
        "from datetime import date\n"
        "from rules.assessment import assess\n"
        "from rules.events import read_event\n"
        "from rules.policy_file import default_policy\n"
        "from tests.builders import costly_linear_lr_event\n"
        "call = read_event(costly_linear_lr_event('import-cost'))\n"
        "today = date(2026, 11, 30)\n"
        "evaluation, decision = assess(call.request, default_policy(), today=today, context=call.context)\n"
        "assert evaluation.findings and decision.action.value == 'notify'\n"
    )
    assert "yaml" not in loaded
    assert loaded.isdisjoint(STATE_CHANGE_ONLY)
