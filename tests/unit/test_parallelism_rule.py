"""parallelism: Bayesian search with a large parallel share of its training jobs."""

from __future__ import annotations

import jsonpatch
import pytest

from rules.findings import Severity
from rules.policy import Policy
from tests.builders import tuning_request
from tests.unit.rules_harness import run_rule

PATH = "/HyperParameterTuningJobConfig/ResourceLimits/MaxParallelTrainingJobs"


def job(parallel: int, max_jobs: int | None = 20, strategy: str = "Bayesian") -> dict:
    return tuning_request(strategy=strategy, max_jobs=max_jobs, max_parallel=parallel)


@pytest.mark.parametrize("parallel, flagged", [(4, False), (5, False), (6, True)])
def test_more_than_a_quarter_in_parallel_is_flagged(parallel, flagged):
    assert bool(run_rule("parallelism", job(parallel))) is flagged


def test_rounds_are_the_evidence_and_the_patch_proposes_a_quarter():
    raw = job(10)
    (finding,) = run_rule("parallelism", raw)
    assert finding.severity is Severity.LOW
    assert (finding.evidence["rounds"], finding.evidence["parallel_share"]) == (2, 0.5)
    assert "2 rounds" in finding.message and "only 1 time in between" in finding.message
    assert (finding.evidence["suggested_max_parallel_jobs"], finding.evidence["suggested_rounds"]) == (5, 4)
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
    (finding,) = run_rule("parallelism", job(11), policy)
    assert finding.evidence["suggested_max_parallel_jobs"] == 10


def test_unset_job_count_uses_the_policys_default():
    assert not run_rule("parallelism", job(100, max_jobs=None))  # 100 of 750
    (finding,) = run_rule("parallelism", job(100, max_jobs=None), Policy(default_max_training_jobs=200))
    assert finding.evidence["training_jobs"] == 200 and "default quota" in str(finding.evidence["job_count_basis"])
