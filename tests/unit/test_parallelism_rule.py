"""parallelism: Bayesian search with a large parallel share of its training jobs."""

from __future__ import annotations

import math

import jsonpatch
import pytest

from rules.findings import Severity
from rules.policy import Policy
from tests.builders import tuning_request
from tests.unit.rules_harness import run_rule

PATH = "/HyperParameterTuningJobConfig/ResourceLimits/MaxParallelTrainingJobs"


def job(parallel: int, max_jobs: int | None = 20, strategy: str = "Bayesian") -> dict:
    return tuning_request(strategy=strategy, max_jobs=max_jobs, max_parallel=parallel)


@pytest.mark.parametrize("parallel, flagged", [(4, False), (5, False), (7, True), (10, True)])
def test_more_than_a_quarter_in_parallel_is_flagged(parallel, flagged):
    assert bool(run_rule("parallelism", job(parallel))) is flagged


def test_a_share_above_the_threshold_with_as_many_rounds_is_left_alone():
    """6 of 20 jobs run in 4 rounds, as 5 do: lowering it would change nothing the optimiser sees."""
    assert not run_rule("parallelism", job(6))
    (finding,) = run_rule("parallelism", job(7))  # 3 rounds
    assert (finding.evidence["rounds"], finding.evidence["suggested_rounds"]) == (3, 4)


@pytest.mark.parametrize(
    "jobs, parallel, suggested, rounds",
    [(20, 10, 5, 4), (30, 8, 6, 5), (30, 15, 6, 5), (10, 10, 2, 5), (100, 40, 25, 4), (13, 13, 3, 5)],
)
def test_the_patch_proposes_the_fewest_parallel_jobs_for_the_rounds_of_the_threshold(jobs, parallel, suggested, rounds):
    """30 jobs at a quarter: 7 in parallel would take 5 rounds (7, 7, 7, 7, 2); 6 take 5 even rounds."""
    raw = job(parallel, max_jobs=jobs)
    (finding,) = run_rule("parallelism", raw)
    evidence = finding.evidence
    assert (evidence["suggested_max_parallel_jobs"], evidence["suggested_rounds"]) == (suggested, rounds)
    assert evidence["suggested_rounds"] > evidence["rounds"]
    assert f"Set MaxParallelTrainingJobs to {suggested}: {rounds} rounds instead of {finding.evidence['rounds']}" in (
        finding.fix
    )
    patched = jsonpatch.apply_patch(raw, [op.as_json() for op in finding.patch])
    assert not run_rule("parallelism", patched)
    # No fewer parallel jobs give as many rounds, and the patched value is the one the fix names.
    assert suggested == 1 or math.ceil(jobs / (suggested - 1)) > rounds


def test_rounds_are_the_evidence_and_the_patch_proposes_a_quarter():
    raw = job(10)
    (finding,) = run_rule("parallelism", raw)
    assert finding.severity is Severity.LOW
    assert (finding.evidence["rounds"], finding.evidence["parallel_share"]) == (2, 0.5)
    assert "2 rounds" in finding.message and "only 1 time in between" in finding.message
    assert (finding.evidence["suggested_max_parallel_jobs"], finding.evidence["suggested_rounds"]) == (5, 4)
    assert "learns from results 3 times instead of 1" in finding.fix and "2.0 times the wall clock" in finding.fix
    operations = [op.as_json() for op in finding.patch]
    assert operations == [{"op": "add", "path": PATH, "value": 5}]
    assert not run_rule("parallelism", jsonpatch.apply_patch(raw, operations))
    assert "Random" in finding.fix


@pytest.mark.parametrize("parallel", [20, 30])
def test_everything_at_once_learns_nothing(parallel):
    (finding,) = run_rule("parallelism", job(parallel))
    assert finding.severity is Severity.MEDIUM and finding.evidence["rounds"] == 1
    assert finding.evidence["parallel_share"] == 1.0
    assert "nothing is learnt" in finding.message


@pytest.mark.parametrize("strategy", ["Random", "Hyperband", "Grid"])
def test_only_bayesian_is_flagged(strategy):
    assert not run_rule("parallelism", job(10, strategy=strategy))


@pytest.mark.parametrize("jobs, flagged", [(9, False), (10, True)])
def test_small_tuning_jobs_are_left_alone(jobs, flagged):
    assert bool(run_rule("parallelism", job(jobs, max_jobs=jobs))) is flagged


def test_share_comes_from_the_policy():
    policy = Policy(rule_settings={"parallelism": {"max_parallel_share": 0.5}})
    assert not run_rule("parallelism", job(10), policy)
    assert not run_rule("parallelism", job(19), policy)  # 2 rounds, as with 10
    (finding,) = run_rule("parallelism", job(20), policy)
    assert finding.evidence["suggested_max_parallel_jobs"] == 10


def test_unset_job_count_uses_the_policys_default():
    assert not run_rule("parallelism", job(100, max_jobs=None))  # 100 of 750
    (finding,) = run_rule("parallelism", job(100, max_jobs=None), Policy(default_max_training_jobs=200))
    assert finding.evidence["training_jobs"] == 200 and "default quota" in str(finding.evidence["job_count_basis"])
