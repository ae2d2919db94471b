"""`hpo-guardrail review JOB_NAME` against the embedded AWS: finished tuning jobs that ran their training jobs in
the emulator (moto_extensions/training_jobs.py), reviewed with the caller's credentials."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from hpo_guardrail.embedded.moto_extensions import TrainingJobRun
from tests.builders import continuous, integer, tuning_request
from tests.cli.conftest import CliRun, run_cli, write_json

pytestmark = pytest.mark.emulator

# The bundled on-demand price of ml.m5.xlarge in us-east-1 (rules/data/training_prices.json); every run here
# says --prices bundled so that the figures do not depend on the emulated Price List.
M5_XLARGE_USD_PER_HOUR = 0.23


def unique(prefix: str) -> str:
    """A job name of this test's own: the emulator is shared with every other test in the session."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _review(embedded_aws: Any, tmp_path: Path, *args: str) -> CliRun:
    return run_cli("review", *args, cwd=tmp_path, env=embedded_aws.environment_variables())


def _create(embedded_aws: Any, request: dict[str, Any]) -> str:
    embedded_aws.client("sagemaker").create_hyper_parameter_tuning_job(**request)
    return str(request["HyperParameterTuningJobName"])


def wide_linear_request(name: str, **kwargs: Any) -> dict[str, Any]:
    """learning_rate over four decades on a Linear scale: what the `log-scale` rule flags at creation."""
    return tuning_request(
        name, continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")], max_jobs=20, **kwargs
    )


def edge_and_wasted_runs() -> list[TrainingJobRun]:
    """20 training jobs (validation:auc, Maximize): 18 land in the top decade 0.1 .. 1 and do worse than the two
    below it; the best, 15th of 20, sits at the lower edge (0.00011 of 0.0001 .. 1)."""
    runs = [
        TrainingJobRun(
            {"learning_rate": f"{0.1 + 0.05 * i:.4f}"}, objective_value=0.60 + 0.005 * i, billable_seconds=600
        )
        for i in range(18)
    ]
    runs.insert(3, TrainingJobRun({"learning_rate": "0.004"}, objective_value=0.90, billable_seconds=600))
    runs.insert(14, TrainingJobRun({"learning_rate": "0.00011"}, objective_value=0.93, billable_seconds=900))
    return runs


def test_a_job_with_its_best_at_a_range_edge_and_wasted_linear_trials_has_those_findings_and_exits_1(
    embedded_aws, tmp_path
):
    job = _create(embedded_aws, wide_linear_request(unique("review-edge")))
    embedded_aws.run_tuning_job(job, edge_and_wasted_runs(), "Completed")

    text = _review(embedded_aws, tmp_path, job, "--prices", "bundled")
    as_json = _review(embedded_aws, tmp_path, job, "--prices", "bundled", "--format", "json")

    assert text.returncode == 1, text.stderr
    assert text.stderr == ""
    lines = text.stdout.splitlines()
    assert lines[0] == f"Tuning job {job}: Completed (account {embedded_aws.account_id}, region {embedded_aws.region})"
    assert any(line.startswith("  actual spend $") and "against a worst case of $" in line for line in lines)
    assert any(
        "best objective: validation:auc 0.93 (Maximize)" in line and "training job 15 of 20" in line for line in lines
    )
    assert any(line.startswith("[medium] review-range-edge:") and "lower edge" in line for line in lines)
    assert any(line.startswith("[high] review-wasted-trials:") and "18 of 20" in line for line in lines)
    assert "to act on" in lines[-1]

    assert as_json.returncode == 1, as_json.stderr
    report = as_json.json()
    findings = {f["rule"]: f for f in report["review"]["findings"]}
    assert findings["review-range-edge"]["severity"] == "medium"
    assert findings["review-range-edge"]["parameter"] == "learning_rate"
    assert findings["review-wasted-trials"]["severity"] == "high"
    assert report["has_something_to_say"] is True
    assert report["best_objective"] == {
        "metric": "validation:auc",
        "value": 0.93,
        "type": "Maximize",
        "training_job": report["review"]["best"]["name"],
        "position": 15,
        "of": 20,
    }


def test_a_clean_job_exits_0_and_says_there_is_nothing_to_act_on(embedded_aws, tmp_path):
    request = tuning_request(
        unique("review-clean"),
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Logarithmic")],
        integer_ranges=[integer("max_depth", "3", "10", "Linear")],
        max_jobs=10,
    )
    job = _create(embedded_aws, request)
    # The best (0.9) is the 6th of 10, in the middle of both ranges; the runners-up are too.
    middle = [("0.002", "6", 0.80), ("0.003", "7", 0.82), ("0.0015", "5", 0.78), ("0.004", "6", 0.81)]
    runs = [
        TrainingJobRun({"learning_rate": lr, "max_depth": depth}, objective_value=auc, billable_seconds=300)
        for lr, depth, auc in (*middle, ("0.0025", "6", 0.83), ("0.003", "6", 0.90), *middle)
    ]
    embedded_aws.run_tuning_job(job, runs, "Completed")

    run = _review(embedded_aws, tmp_path, job, "--prices", "bundled")

    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1].startswith("nothing to act on: the ")
    assert "[info] review-spend:" in run.stdout
    assert "[medium]" not in run.stdout and "[low]" not in run.stdout and "[high]" not in run.stdout


def test_a_job_still_in_progress_exits_2_with_one_line(embedded_aws, tmp_path):
    job = _create(embedded_aws, wide_linear_request(unique("review-running")))

    run = _review(embedded_aws, tmp_path, job, "--prices", "bundled")

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (
        f"hpo-guardrail review: error: job {job} is InProgress: the review runs on a finished job "
        "(Completed, Stopped, Failed)\n"
    )


def test_a_missing_job_exits_2_with_one_line(embedded_aws, tmp_path):
    missing = unique("review-missing")

    run = _review(embedded_aws, tmp_path, missing, "--region", embedded_aws.region, "--format", "json")

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (
        f"hpo-guardrail review: error: no tuning job named {missing} in {embedded_aws.region} "
        "(as these credentials see it)\n"
    )


def test_250_training_jobs_are_all_reviewed_through_the_pages(embedded_aws, tmp_path):
    request = tuning_request(
        unique("review-many"),
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Logarithmic")],
        max_jobs=250,
        max_parallel=10,
    )
    job = _create(embedded_aws, request)
    # learning_rate cycles through the middle of the range; the best is the 200th; billable 100 + i % 50 seconds.
    values = ("0.001", "0.002", "0.003", "0.004", "0.005")
    runs = [
        TrainingJobRun(
            {"learning_rate": values[i % 5]},
            objective_value=0.95 if i == 199 else 0.5 + (i % 7) / 100,
            billable_seconds=100 + i % 50,
        )
        for i in range(250)
    ]
    embedded_aws.run_tuning_job(job, runs, "Completed")

    run = _review(embedded_aws, tmp_path, job, "--prices", "bundled", "--format", "json")

    assert run.returncode in (0, 1), run.stderr
    review = run.json()["review"]
    assert review["counts"]["launched"] == 250 and review["counts"]["completed"] == 250
    assert review["best"]["position"] == 200 and review["best"]["of"] == 250
    billable = sum(100 + i % 50 for i in range(250))
    assert review["spend"]["definitions"][0]["billable_seconds"] == billable, "every page's training jobs counted"
    assert run.json()["actual_spend_usd"] == round(billable / 3600 * M5_XLARGE_USD_PER_HOUR, 2)


def test_json_carries_the_actual_spend_next_to_the_worst_case_lint_estimates_for_the_same_job(embedded_aws, tmp_path):
    request = wide_linear_request(unique("review-json"))
    job = _create(embedded_aws, request)
    embedded_aws.run_tuning_job(job, edge_and_wasted_runs(), "Completed")
    write_json(tmp_path / "request.json", request)

    run = _review(embedded_aws, tmp_path, job, "--prices", "bundled", "--format", "json")
    (linted,) = run_cli(
        "lint", "request.json", "--prices", "bundled", "--region", embedded_aws.region, "--format", "json", cwd=tmp_path
    ).json()

    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["job_name"] == job and report["status"] == "Completed"
    assert report["account"] == embedded_aws.account_id and report["region"] == embedded_aws.region
    assert report["job_arn"].endswith(f":hyper-parameter-tuning-job/{job}")
    assert report["prices"] == "bundled"
    # 19 training jobs of 600 s and one of 900 s on one ml.m5.xlarge.
    expected = round((19 * 600 + 900) / 3600 * M5_XLARGE_USD_PER_HOUR, 2)
    assert report["actual_spend_usd"] == expected and report["actual_spend_complete"] is True
    assert report["review"]["spend"]["usd"] == pytest.approx(expected, abs=0.01)
    # The worst case is the evaluation lint and scan make of the same configuration, not a figure of its own.
    assert report["worst_case_usd"] == linted["cost"]["worst_case_usd"] > 0
    assert report["review"]["spend"]["worst_case_usd"] == report["worst_case_usd"]
    assert report["share_of_worst_case"] == round(report["actual_spend_usd"] / report["worst_case_usd"], 4)
    assert report["policy_version"] == linted["policy_version"]


def test_the_policy_a_job_falls_under_by_its_tags_decides_which_ranges_are_wide(embedded_aws, tmp_path):
    job = _create(embedded_aws, wide_linear_request(unique("review-scope"), tags={"team": "research"}))
    embedded_aws.run_tuning_job(job, edge_and_wasted_runs(), "Completed")
    (tmp_path / "policy.yaml").write_text(
        "scopes:\n"
        "  - name: research\n"
        "    match: {teams: [research]}\n"
        "    rules: {log-scale: {min_ratio: 1.0e+9, hinted_min_ratio: 1.0e+9}}\n",
        encoding="utf-8",
    )

    run = _review(embedded_aws, tmp_path, job, "--prices", "bundled", "--format", "json", "--policy", "policy.yaml")

    assert run.returncode == 1, run.stderr
    report = run.json()
    assert report["team"] == "research" and report["scope"] == "research", "tags come from ListTags"
    rules = {f["rule"] for f in report["review"]["findings"]}
    assert "review-wasted-trials" not in rules, "the scope's log-scale ratios say the range is not wide"
    assert "review-range-edge" in rules


def test_fail_on_never_exits_0_and_a_bad_policy_exits_2(embedded_aws, tmp_path):
    job = _create(embedded_aws, wide_linear_request(unique("review-failon")))
    embedded_aws.run_tuning_job(job, edge_and_wasted_runs(), "Completed")
    (tmp_path / "bad.yaml").write_text("defaults:\n  budget_cap_usd: -1\n", encoding="utf-8")

    never = _review(embedded_aws, tmp_path, job, "--prices", "bundled", "--fail-on", "never")
    high = _review(embedded_aws, tmp_path, job, "--prices", "bundled", "--fail-on", "high")
    bad = _review(embedded_aws, tmp_path, job, "--prices", "bundled", "--policy", "bad.yaml")

    assert never.returncode == 0 and "review-wasted-trials" in never.stdout
    assert high.returncode == 1 and "at or above --fail-on high" in high.stdout
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("hpo-guardrail review: error: invalid policy bad.yaml")


def test_a_failed_job_that_launched_no_training_jobs_is_reviewed_and_says_nothing_was_learnt(embedded_aws, tmp_path):
    job = _create(embedded_aws, wide_linear_request(unique("review-failed")))
    embedded_aws.run_tuning_job(job, [], "Failed", failure_reason="ClientError: no such image")

    run = _review(embedded_aws, tmp_path, job, "--prices", "bundled", "--format", "json")

    assert run.returncode == 1, run.stderr
    report = run.json()
    assert report["status"] == "Failed" and report["best_objective"] is None
    assert report["actual_spend_usd"] == 0 and report["worst_case_usd"] > 0
    (no_results,) = [f for f in report["review"]["findings"] if f["rule"] == "review-no-results"]
    assert no_results["severity"] == "high" and "launched no training jobs" in no_results["message"]
