"""`lint --fix` changes only the fixed values, and never leaves a job that cannot complete a training job."""

from __future__ import annotations

import difflib
import json
import shlex

import yaml

from hpo_guardrail.adapters.request_shapes import request_from_cloudtrail
from tests.builders import continuous, training_definition, tuning_request
from tests.cli.conftest import run_cli
from tests.conftest import EVENTS_DIR, REPO_ROOT

COMMENTED_YAML = """\
# Tuning config for the churn model (owned by the growth team).
# Reviewed 2026-11-02: keep Bayesian, the search space is small.
HyperParameterTuningJobName: churn-xgb-sweep
HyperParameterTuningJobConfig:
  Strategy: Bayesian   # learns between rounds
  TrainingJobEarlyStoppingType: Off
  ResourceLimits:
    MaxNumberOfTrainingJobs: 40
    MaxParallelTrainingJobs: 4
  HyperParameterTuningJobObjective: {Type: Maximize, MetricName: "validation:auc"}
  ParameterRanges:
    ContinuousParameterRanges:
      # eta: XGBoost's learning rate
      - Name: eta
        MinValue: '0.001'
        MaxValue: "0.5"
        ScalingType: Linear
      - {Name: subsample, MinValue: 0.5, MaxValue: 1.0, ScalingType: Linear}
    IntegerParameterRanges:
    - Name: max_depth
      MinValue: 3
      MaxValue: 10
TrainingJobDefinition:
  AlgorithmSpecification:
    TrainingImage: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1
    TrainingInputMode: File
  RoleArn: arn:aws:iam::123456789012:role/SageMakerExecution
  OutputDataConfig: {S3OutputPath: "s3://ml-artifacts/churn/"}

  ResourceConfig:
    InstanceType: ml.m5.xlarge
    InstanceCount: 1
    VolumeSizeInGB: 30
  StoppingCondition:
    MaxRuntimeInSeconds: 3600   # one hour is plenty
"""


def _diff(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_a_one_field_fix_of_a_commented_yaml_config_is_a_one_line_diff(tmp_path):
    path = tmp_path / "tuning-churn.yaml"
    path.write_text(COMMENTED_YAML, encoding="utf-8")

    run = run_cli("lint", "tuning-churn.yaml", "--fix", "--format", "json", cwd=tmp_path)

    assert run.returncode == 0, run.stdout + run.stderr
    assert [a["rule"] for a in run.json()[0]["fix"]["applied"]] == ["log-scale"]
    assert _diff(COMMENTED_YAML, path.read_text(encoding="utf-8")) == [
        "-        ScalingType: Linear\n",
        "+        ScalingType: Logarithmic\n",
    ]


def test_a_json_request_keeps_its_indentation_and_key_order_and_untouched_lines_byte_for_byte(tmp_path):
    request = tuning_request(
        "churn-json",
        continuous_ranges=[continuous("learning_rate", "0.0001", "0.1", "Linear"), continuous("dropout", "0.1", "0.5")],
        max_runtime_seconds=7200,
    )
    # The author's order, not the API's: the training definition first, the name last.
    request = {key: request[key] for key in ("TrainingJobDefinition", "HyperParameterTuningJobConfig")} | {
        "HyperParameterTuningJobName": "churn-json"
    }
    text = json.dumps(request, indent=4) + "\n"
    (tmp_path / "tuning.json").write_text(text, encoding="utf-8")

    run = run_cli("lint", "tuning.json", "--fix", cwd=tmp_path)

    assert run.returncode == 0, run.stdout + run.stderr
    assert _diff(text, (tmp_path / "tuning.json").read_text(encoding="utf-8")) == [
        '-                    "ScalingType": "Linear"\n',
        '+                    "ScalingType": "Logarithmic"\n',
    ]


def test_a_member_added_to_a_json_object_takes_its_siblings_indentation(tmp_path):
    # Costly: budget-cap proposes a MaxNumberOfTrainingJobs the request does not have yet.
    request = tuning_request(
        "costly-json", max_jobs=None, max_parallel=2, definition=training_definition("ml.g5.xlarge", 1, 3600)
    )
    text = json.dumps(request, indent="\t") + "\n"
    (tmp_path / "tuning.json").write_text(text, encoding="utf-8")

    (tmp_path / "policy.yaml").write_text(
        "version: 1\ndefaults:\n  rules: {early-stopping: {enabled: false}, spot: {enabled: false}}\n", encoding="utf-8"
    )

    run = run_cli(
        "lint",
        "tuning.json",
        "--fix",
        "--prices",
        "bundled",
        "--policy",
        "policy.yaml",
        "--format",
        "json",
        cwd=tmp_path,
    )

    after = (tmp_path / "tuning.json").read_text(encoding="utf-8")
    assert "budget-cap" in [a["rule"] for a in run.json()[0]["fix"]["applied"]], run.stdout
    assert _diff(text, after) == [
        '-\t\t\t"MaxParallelTrainingJobs": 2\n',
        '+\t\t\t"MaxParallelTrainingJobs": 2,\n',
        '+\t\t\t"MaxNumberOfTrainingJobs": 710\n',
    ]


def _costly_demo_request(tmp_path):
    event = json.loads((EVENTS_DIR / "04-costly-misconfigured.json").read_text(encoding="utf-8"))
    request = request_from_cloudtrail(event["detail"]["requestParameters"])
    path = tmp_path / "tuning-llm.json"
    path.write_text(json.dumps(request, indent=2) + "\n", encoding="utf-8")
    return path


def test_fix_on_the_costly_demo_job_keeps_a_training_job_completable_and_leaves_the_budget_to_a_person(tmp_path):
    path = _costly_demo_request(tmp_path)

    run = run_cli("lint", path.name, "--fix", "--prices", "bundled", cwd=tmp_path)

    assert run.returncode == 1, run.stdout + run.stderr
    assert "no findings left" not in run.stdout
    assert "needs a human (1):" in run.stdout and "budget-cap" in run.stdout
    assert "one training job alone may cost $1,351.30" in " ".join(run.stdout.split())
    written = json.loads(path.read_text(encoding="utf-8"))
    tuning_limit = written["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxRuntimeInSeconds"]
    assert tuning_limit >= written["TrainingJobDefinition"]["StoppingCondition"]["MaxRuntimeInSeconds"]
    again = run_cli("lint", path.name, "--prices", "bundled", "--format", "json", cwd=tmp_path)
    assert [f["rule"] for f in again.json()[0]["findings"]] == ["budget-cap"]


def test_the_shipped_fix_hook_refuses_a_job_that_cannot_complete_a_training_job(tmp_path):
    (hook,) = [h for h in yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text()) if "--fix" in h["entry"]]
    entry = shlex.split(hook["entry"])
    assert entry[0] == "hpo-guardrail"
    short = tuning_request(
        "short-limit", max_runtime_seconds=6393, definition=training_definition("ml.m5.large", 1, 86_400)
    )
    (tmp_path / "tuning-short.json").write_text(json.dumps(short, indent=2) + "\n", encoding="utf-8")
    costly = _costly_demo_request(tmp_path)

    run = run_cli(*entry[1:], *hook.get("args", []), "tuning-short.json", costly.name, cwd=tmp_path)

    assert run.returncode != 0, "pre-commit would let the commit through"
    assert "runtime-too-short" in run.stdout and "budget-cap" in run.stdout
