"""One reconciled set of fixes per evaluation (rules/fixes.py): fixes never contradict each other, and never
leave a tuning job that cannot complete one training job."""

from __future__ import annotations

import json
import re

import jsonpatch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.events import read_event
from rules.findings import Finding, PatchOperation, Severity
from rules.fixes import PARALLEL_JOBS, TRAINING_JOBS, TUNING_RUNTIME, UPPER_LIMITS, reconcile
from rules.models import TuningJobCall
from rules.parsing import read_request
from rules.policy import Policy
from tests.builders import continuous, training_definition, tuning_request
from tests.conftest import EVENTS_DIR
from tests.unit.rules_harness import run_engine, run_rule

DAY = 86_400


def _finding(rule: str, *ops: PatchOperation, severity: Severity = Severity.HIGH, parameter: str | None = None):
    return Finding(
        rule=rule, severity=severity, message=f"{rule} found", fix=f"{rule}'s own fix", patch=ops, parameter=parameter
    )


def _set(path: str, value) -> PatchOperation:
    return PatchOperation(op="add", path=path, value=value)


def _request(training_seconds: int = DAY):
    return read_request(tuning_request(definition=training_definition("ml.m5.xlarge", 1, training_seconds)))


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def test_the_demo_costly_job_gets_one_runtime_limit_and_its_budget_problem_stays_for_a_person():
    # events/04: 2 x ml.p3.16xlarge for up to 24 h per training job, 10 in parallel, a $1,000 cap. budget-cap
    # used to propose MaxRuntimeInSeconds 6393 while runtime-unbounded proposed 2592000.
    call = read_event(json.loads((EVENTS_DIR / "04-costly-misconfigured.json").read_text(encoding="utf-8")))
    assert isinstance(call, TuningJobCall)
    evaluation = run_engine_request(call.request)

    runtime_fixes = [f for f in evaluation.fixes for op in f.patch if op.path == TUNING_RUNTIME]
    assert len(runtime_fixes) == 1
    (runtime_fix,) = runtime_fixes
    assert runtime_fix.rules == ("runtime-unbounded",)
    assert all(op.value >= DAY for op in runtime_fix.patch if op.path == TUNING_RUNTIME)
    (budget,) = [f for f in evaluation.findings if f.rule == "budget-cap"]
    budget_fix = evaluation.fix_for(budget)
    assert budget_fix is not None and not budget_fix.automatic, "no mechanical fix keeps one training job under cap"
    assert "one training job alone may cost $1,351.30" in budget_fix.text
    assert "6393" not in budget_fix.text
    # Every finding is answered by exactly one fix.
    answered = sorted(i for fix in evaluation.fixes for i in fix.findings)
    assert answered == list(range(len(evaluation.findings)))


def run_engine_request(request):
    from rules.engine import evaluate

    return evaluate(request, Policy(budget_cap_usd=1000), region="us-east-1")


def test_two_rules_setting_one_limit_merge_into_the_lowest_value_and_the_other_says_which_fix_answers_it():
    findings = (
        _finding("budget-cap", _set(TUNING_RUNTIME, 200_000), severity=Severity.CRITICAL),
        _finding("runtime-unbounded", _set(TUNING_RUNTIME, 2_592_000), severity=Severity.MEDIUM),
    )

    (fix,) = reconcile(findings, _request())

    assert fix.patch == (_set(TUNING_RUNTIME, 200_000),)
    assert fix.rules == ("budget-cap", "runtime-unbounded") and fix.findings == (0, 1)
    assert fix.text.startswith("Set ResourceLimits.MaxRuntimeInSeconds to 200,000")
    assert fix.superseded == (
        "runtime-unbounded proposed ResourceLimits.MaxRuntimeInSeconds 2,592,000; 200,000 answers budget-cap and "
        "runtime-unbounded",
    )


def test_a_runtime_shorter_than_one_training_job_is_never_proposed_and_the_finding_says_why():
    findings = (
        _finding("budget-cap", _set(TUNING_RUNTIME, 6393), severity=Severity.CRITICAL),
        _finding("runtime-unbounded", _set(TUNING_RUNTIME, 2_592_000), severity=Severity.MEDIUM),
    )

    budget, runtime = reconcile(findings, _request(DAY))

    assert budget.patch == () and budget.findings == (0,)
    assert "Not applied automatically: setting ResourceLimits.MaxRuntimeInSeconds to 6,393 s would end the" in (
        budget.text
    )
    assert "86,400 s" in budget.text
    assert runtime.patch == (_set(TUNING_RUNTIME, 2_592_000),) and runtime.text == "runtime-unbounded's own fix"


def test_conflicting_values_keep_the_more_severe_finding_and_name_it_in_the_other():
    scaling = "/HyperParameterTuningJobConfig/ParameterRanges/ContinuousParameterRanges/0/ScalingType"
    findings = (
        _finding("positive-min", _set(scaling, "Linear"), parameter="lr", severity=Severity.HIGH),
        _finding("log-scale", _set(scaling, "Logarithmic"), parameter="lr", severity=Severity.MEDIUM),
    )

    kept, dropped = reconcile(findings, _request())

    assert kept.patch == (_set(scaling, "Linear"),) and kept.rules == ("positive-min",)
    assert dropped.patch == () and dropped.rules == ("log-scale",)
    assert "conflicts with the fix for positive-min lr" in dropped.text


def test_a_finding_with_two_operations_is_refused_whole_when_one_of_them_conflicts():
    spot = (
        _set("/TrainingJobDefinition/EnableManagedSpotTraining", True),
        _set("/TrainingJobDefinition/StoppingCondition", {"MaxRuntimeInSeconds": DAY}),
    )
    wait = _set("/TrainingJobDefinition/StoppingCondition/MaxWaitTimeInSeconds", DAY)
    findings = (_finding("spot", *spot), _finding("other", wait, severity=Severity.LOW))

    first, second = reconcile(findings, _request())

    assert first.patch == spot
    assert second.patch == () and "StoppingCondition" in second.text


def test_evaluation_fixes_answer_every_finding_of_a_real_evaluation():
    raw = tuning_request(
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=None,
        max_parallel=10,
        definition=training_definition("ml.p3.16xlarge", 2, DAY),
    )
    evaluation = run_engine(raw)

    assert {rule for fix in evaluation.fixes for rule in fix.rules} == set(evaluation.rule_ids)
    for finding in evaluation.findings:
        fix = evaluation.fix_for(finding)
        assert fix is not None and finding.rule in fix.rules


# --- properties --------------------------------------------------------------------------------------------

POINTERS = (
    TUNING_RUNTIME,
    TRAINING_JOBS,
    PARALLEL_JOBS,
    "/HyperParameterTuningJobConfig/TrainingJobEarlyStoppingType",
    "/HyperParameterTuningJobConfig/StrategyConfig",
    "/HyperParameterTuningJobConfig/StrategyConfig/HyperbandStrategyConfig/MaxResource",
    "/HyperParameterTuningJobConfig/ParameterRanges/ContinuousParameterRanges/0/ScalingType",
    "/TrainingJobDefinition/StoppingCondition",
    "/TrainingJobDefinition/StoppingCondition/MaxWaitTimeInSeconds",
)


@st.composite
def operations(draw) -> PatchOperation:
    path = draw(st.sampled_from(POINTERS))
    if draw(st.integers(0, 9)) == 0:
        return PatchOperation(op="remove", path=path)
    if path in UPPER_LIMITS:
        value = draw(st.integers(1, 3_000_000))
    else:
        value = draw(st.sampled_from(["Auto", "Off", "Linear", "Logarithmic", 1, 2]))
    return PatchOperation(op=draw(st.sampled_from(["add", "replace"])), path=path, value=value)


@st.composite
def finding_lists(draw) -> tuple[Finding, ...]:
    count = draw(st.integers(0, 8))
    found = []
    for index in range(count):
        ops = tuple(draw(st.lists(operations(), min_size=0, max_size=3, unique_by=lambda op: op.path)))
        severity = draw(st.sampled_from(list(Severity)))
        found.append(_finding(f"rule-{index}", *ops, severity=severity))
    return tuple(sorted(found, key=lambda f: -f.severity.rank))


@settings(max_examples=300, deadline=None)
@given(finding_lists(), st.integers(120, 28 * DAY))
def test_no_two_reconciled_fixes_touch_one_member_and_every_finding_is_answered_once(findings, training_seconds):
    request = _request(training_seconds)

    fixes = reconcile(findings, request)

    for i, fix in enumerate(fixes):
        assert len({op.path for op in fix.patch}) == len(fix.patch), "one operation per member"
        others = [op.path for other in fixes[i + 1 :] for op in other.patch]
        for op in fix.patch:
            assert not any(_overlap(op.path, other) for other in others), (op.path, others)
    assert sorted(i for fix in fixes for i in fix.findings) == list(range(len(findings)))
    for fix in fixes:
        for op in fix.patch:
            if op.path == TUNING_RUNTIME and op.op != "remove":
                assert op.value >= max(120, training_seconds), "a tuning job must outlast one training job"
            for position in fix.findings:
                asked = {o.path: o for o in findings[position].patch}
                if op.path not in asked:
                    continue
                if op.path in UPPER_LIMITS and op.op != "remove":
                    assert op.value <= asked[op.path].value, "the merged limit answers every rule that asked"
                else:
                    # add and replace both set the member; what counts is removed or not, and the value.
                    assert (op.op == "remove") == (asked[op.path].op == "remove")
                    assert op.op == "remove" or op.value == asked[op.path].value


@st.composite
def costly_requests(draw) -> tuple[dict, float]:
    training = draw(st.integers(600, 4 * DAY))
    tuning = draw(st.one_of(st.none(), st.integers(120, 40 * DAY)))
    raw = tuning_request(
        continuous_ranges=[continuous("learning_rate", "0.0001", draw(st.sampled_from(["0.001", "1.0"])), "Linear")],
        strategy=draw(st.sampled_from(["Bayesian", "Random"])),
        max_jobs=draw(st.one_of(st.none(), st.integers(1, 500))),
        max_parallel=draw(st.integers(1, 50)),
        max_runtime_seconds=tuning,
        definition=training_definition(
            draw(st.sampled_from(["ml.m5.xlarge", "ml.g5.xlarge", "ml.p3.16xlarge", "ml.p4d.24xlarge"])),
            draw(st.integers(1, 4)),
            training,
        ),
    )
    return raw, draw(st.sampled_from([10.0, 100.0, 1000.0, 50_000.0]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(costly_requests())
def test_applying_every_automatic_fix_of_an_evaluation_never_leaves_a_job_shorter_than_a_training_job(case):
    raw, cap = case
    evaluation = run_engine(raw, Policy(budget_cap_usd=cap))

    patch = [op.as_json() for fix in evaluation.fixes for op in fix.patch]
    fixed = jsonpatch.apply_patch(raw, patch)
    again = run_engine(fixed, Policy(budget_cap_usd=cap))

    touched = [op["path"] for op in patch]
    assert len(touched) == len(set(touched))
    had = "runtime-too-short" in evaluation.rule_ids
    assert had or "runtime-too-short" not in again.rule_ids


# --- the rules' own suggestions ---------------------------------------------------------------------------


def test_budget_cap_offers_a_tuning_runtime_only_when_a_training_job_can_still_finish():
    # 2 x ml.m5.xlarge for 1 h = $0.46 per job; 1,000 jobs, 10 in parallel: $460 > $100 cap.
    raw = tuning_request(max_jobs=1000, max_parallel=10, definition=training_definition("ml.m5.xlarge", 2, 3600))
    (finding,) = run_rule("budget-cap", raw, Policy(budget_cap_usd=100))
    assert finding.patch == (_set(TRAINING_JOBS, 217),)
    # 100 / (10 x $0.46/h) = 21.7 h: 21 rounds of 10 one-hour training jobs.
    assert "set ResourceLimits.MaxRuntimeInSeconds to 78260 or less (21 rounds of 10 training jobs" in finding.fix

    # 24-hour training jobs at $11.04 each, 10 in parallel: a $100 cap fits 9 jobs but not one round of 10.
    raw = tuning_request(max_jobs=1000, max_parallel=10, definition=training_definition("ml.m5.xlarge", 2, DAY))
    (finding,) = run_rule("budget-cap", raw, Policy(budget_cap_usd=100))
    assert finding.patch == (_set(TRAINING_JOBS, 9),)
    assert "MaxRuntimeInSeconds to" not in finding.fix


def test_budget_cap_says_no_limit_helps_when_one_training_job_alone_is_over_the_cap():
    raw = tuning_request(max_jobs=None, max_parallel=10, definition=training_definition("ml.p3.16xlarge", 2, DAY))

    (finding,) = run_rule("budget-cap", raw, Policy(budget_cap_usd=1000))

    assert finding.patch == ()
    assert finding.fix.startswith("No limit on the tuning job fixes this: one training job alone may cost $1,351.30")
    assert "ask the policy's owner for a higher cap" in finding.fix


def test_runtime_unbounded_never_proposes_less_than_one_training_job_even_when_the_policy_asks():
    raw = tuning_request(max_jobs=100, max_parallel=10, definition=training_definition("ml.m5.xlarge", 1, DAY))
    policy = Policy(rule_settings={"runtime-unbounded": {"proposed_max_runtime_hours": 2}})

    (finding,) = run_rule("runtime-unbounded", raw, policy)

    assert finding.patch == (_set(TUNING_RUNTIME, DAY),)


def test_over_the_cap_budget_cap_and_runtime_unbounded_advise_the_same_runtime_limit():
    # 1000 training jobs, 10 in parallel, ml.m5.xlarge for up to 24 h each, a $1,000 cap: budget-cap offers the
    # runtime that fits the cap, and runtime-unbounded used to propose 30 days beside it.
    request = tuning_request(
        "long-cheap",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Logarithmic")],
        max_jobs=1000,
        max_parallel=10,
        definition=training_definition("ml.m5.xlarge", 1, DAY),
    )
    evaluation = run_engine(request, Policy(budget_cap_usd=1000))
    (budget,) = [f for f in evaluation.findings if f.rule == "budget-cap"]
    (unbounded,) = [f for f in evaluation.findings if f.rule == "runtime-unbounded"]
    offered = int(re.search(r"MaxRuntimeInSeconds to (\d+) or less", budget.fix).group(1))
    (proposal,) = [op.value for op in unbounded.patch if op.path == TUNING_RUNTIME]

    assert DAY <= proposal == offered < 2_592_000
    runtime_fixes = [op.value for fix in evaluation.fixes for op in fix.patch if op.path == TUNING_RUNTIME]
    assert runtime_fixes == [offered]
