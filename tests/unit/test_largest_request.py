"""The largest request SageMaker accepts (tests/builders.py, `largest_request`) is evaluated exactly as it was
before the evaluation was made faster: the same findings in the same order, fixes, cost and decision.

tests/data/largest_request_evaluation.json was written by the code before those changes; the digest covers every
field of every finding and fix and the decision, so any change to a message shows.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from rules.assessment import assess
from rules.events import read_event
from rules.models import TuningJobCall
from rules.policy_file import default_policy
from rules.prices import BundledPrices
from tests.builders import (
    LARGEST_DEFINITIONS,
    LARGEST_RANGES,
    LARGEST_STATIC,
    cloudtrail_event,
    largest_request,
)

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "largest_request_evaluation.json"


def _evaluated() -> dict[str, object]:
    call = read_event(cloudtrail_event(largest_request(), event_id="largest"))
    assert isinstance(call, TuningJobCall)
    evaluation, decision = assess(
        call.request, default_policy(), today=date(2026, 11, 30), context=call.context, prices=BundledPrices()
    )
    everything = json.dumps(
        [
            [finding.model_dump(mode="json") for finding in evaluation.findings],
            [fix.model_dump(mode="json") for fix in evaluation.fixes],
            decision.model_dump(mode="json"),
        ],
        sort_keys=True,
    )
    return {
        "findings": [
            " ".join(part or "-" for part in (f.rule, f.severity.value, f.definition, f.parameter))
            for f in evaluation.findings
        ],
        "worst_case_usd": evaluation.cost.worst_case_usd,
        "action": decision.action.value,
        "policy_version": evaluation.policy_version,
        "sha256": hashlib.sha256(everything.encode()).hexdigest(),
    }


def test_the_largest_request_is_at_sagemakers_limits():
    call = read_event(cloudtrail_event(largest_request()))
    assert isinstance(call, TuningJobCall)
    definitions = call.request.definitions
    assert len(definitions) == LARGEST_DEFINITIONS
    assert {len(d.ranges) + len(d.categorical) for d in definitions} == {LARGEST_RANGES}
    assert {d.static_hyperparameter_count for d in definitions} == {LARGEST_STATIC}


def test_the_largest_request_gives_the_recorded_findings_fixes_cost_and_decision():
    assert _evaluated() == json.loads(GOLDEN.read_text(encoding="utf-8"))
