"""`lint --fix`: the findings' patches applied, botocore's validator satisfied, nothing fixable left."""

from __future__ import annotations

import json

from hpo_guardrail.adapters.request_shapes import validation_problems
from tests.builders import cloudtrail_event, continuous, training_definition, tuning_request
from tests.cli.conftest import describe_response, misconfigured_request, write_json


def _fixable(report: dict) -> list[str]:
    return [f["rule"] for f in report["findings"] if f["patch"]]


def test_fix_rewrites_a_request_in_place_and_a_second_lint_finds_nothing_fixable(lint, tmp_path):
    path = write_json(tmp_path / "tuning.json", misconfigured_request())
    before = json.loads(path.read_text(encoding="utf-8"))

    fixed = lint("tuning.json", "--fix")
    again = lint("tuning.json", "--format", "json")

    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "fixed (3), written to tuning.json:" in fixed.stdout
    assert "add /HyperParameterTuningJobConfig/ParameterRanges/ContinuousParameterRanges/0/ScalingType" in fixed.stdout
    assert "no findings left" in fixed.stdout
    after = json.loads(path.read_text(encoding="utf-8"))
    ranges = after["HyperParameterTuningJobConfig"]["ParameterRanges"]
    assert [r.get("ScalingType") for r in ranges["ContinuousParameterRanges"]] == ["Logarithmic", "Logarithmic"]
    assert (
        ranges["IntegerParameterRanges"][0] | {"MinValue": "0"}
        == before["HyperParameterTuningJobConfig"]["ParameterRanges"]["IntegerParameterRanges"][0]
    )
    assert float(ranges["IntegerParameterRanges"][0]["MinValue"]) > 0
    assert after["TrainingJobDefinition"] == before["TrainingJobDefinition"], "only what the patches name changes"
    assert validation_problems(after) == []
    assert again.returncode == 0 and _fixable(again.json()[0]) == []


def test_fix_extracts_the_request_from_events_and_describe_responses_and_says_what_needs_a_human(lint, tmp_path):
    costly = tuning_request(
        "costly-unknown",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        max_jobs=100,
        definition=training_definition("ml.p5.48xlarge", 1, 36_000),  # no known price: unknown-price, no patch
    )
    write_json(tmp_path / "event.json", cloudtrail_event(costly))
    write_json(tmp_path / "describe.json", describe_response(misconfigured_request("described")))
    write_json(tmp_path / "record.json", cloudtrail_event(misconfigured_request("recorded"))["detail"])
    event_before = (tmp_path / "event.json").read_text(encoding="utf-8")

    fixed = lint("event.json", "describe.json", "--fix", "--format", "json")
    to_output = lint("record.json", "--fix", "--output", "fixed/record-request.json")
    relint = lint("event.request.json", "describe.request.json", "fixed/record-request.json", "--format", "json")

    assert fixed.returncode == 1, "unknown-price still needs a human"
    event_report, describe_report = fixed.json()
    assert (tmp_path / "event.json").read_text(encoding="utf-8") == event_before, "a recorded event is left alone"
    assert event_report["fix"]["output"] == "event.request.json"
    assert {a["rule"] for a in event_report["fix"]["applied"]} >= {"log-scale"}
    assert [f["rule"] for f in event_report["findings"]] == ["unknown-price"]
    assert describe_report["fix"]["output"] == "describe.request.json" and describe_report["findings"] == []
    assert to_output.returncode == 0, to_output.stdout + to_output.stderr
    assert "written to fixed/record-request.json" in to_output.stdout
    for name in ("event.request.json", "describe.request.json", "fixed/record-request.json"):
        request = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        assert "HyperParameterTuningJobArn" not in request and "hyperParameterTuningJobConfig" not in request
        assert validation_problems(request) == [], name
    assert [r["kind"] for r in relint.json()] == ["create-request"] * 3
    assert [_fixable(r) for r in relint.json()] == [[], [], []]


def test_fix_from_stdin_writes_the_request_to_stdout_and_the_report_to_stderr(lint):
    record = cloudtrail_event(misconfigured_request("piped"))["detail"]

    run = lint("-", "--fix", "--output", "-", stdin=json.dumps(record))

    assert run.returncode == 0, run.stderr
    request = json.loads(run.stdout)
    assert request["HyperParameterTuningJobName"] == "piped" and validation_problems(request) == []
    assert "<stdin>: piped (cloudtrail-record, us-east-1)" in run.stderr and "written to -" in run.stderr


def test_fix_keeps_a_yaml_config_as_written_and_reports_what_botocore_already_refused(lint, tmp_path):
    path = tmp_path / "hpo-search.yaml"
    original = (
        "HyperParameterTuningJobName: yaml-fix\n"
        "HyperParameterTuningJobConfig:\n"
        "  Strategy: Random\n"
        "  TrainingJobEarlyStoppingType: Off\n"
        "  ResourceLimits: {MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 2, MaxRuntimeInSeconds: 7200}\n"
        "  ParameterRanges:\n"
        "    ContinuousParameterRanges:\n"
        "      - {Name: learning_rate, MinValue: 0.00001, MaxValue: 0.1, ScalingType: Linear}\n"
        "TrainingJobDefinition:\n"
        "  ResourceConfig: {InstanceType: ml.m5.large, InstanceCount: 1, VolumeSizeInGB: 30}\n"
        "  StoppingCondition: {MaxRuntimeInSeconds: 3600}\n"
    )
    path.write_text(original, encoding="utf-8")

    run = lint("hpo-search.yaml", "--fix", "--format", "json")

    assert run.returncode == 0, run.stderr
    (report,) = run.json()
    assert [a["rule"] for a in report["fix"]["applied"]] == ["log-scale"]
    # A partial config (the training script adds the role and image): kept, and said so.
    assert any(
        'Missing required parameter in TrainingJobDefinition: "RoleArn"' in p
        for p in report["fix"]["botocore_problems"]
    )
    # Only the fixed value changes: the numbers stay as the author wrote them, `Off` stays unquoted.
    assert path.read_text(encoding="utf-8") == original.replace("ScalingType: Linear}", "ScalingType: Logarithmic}")
