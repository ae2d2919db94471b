"""`hpo-guardrail lint`, run as installed: inputs of every kind, the three formats, exit codes, policies."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest

from rules.checks import all_rules
from tests.builders import ACCOUNT, cloudtrail_event, continuous, integer, tuning_request
from tests.cli.conftest import clean_request, describe_response, line_number, misconfigured_request, write_json

ANSI = re.compile(r"\x1b\[")


def test_text_report_shows_findings_with_lines_skips_failed_calls_and_exits_1(lint, tmp_path):
    bad = write_json(tmp_path / "tuning-bad.json", misconfigured_request())
    write_json(tmp_path / "tuning-clean.json", clean_request())
    write_json(tmp_path / "failed-call.json", cloudtrail_event(error_code="ValidationException"))

    run = lint("tuning-bad.json", "tuning-clean.json", "failed-call.json")

    assert run.returncode == 1
    out = run.stdout
    assert "tuning-bad.json: churn-linear-lr (create-request, us-east-1)" in out
    learning_rate_line = line_number(bad, '"ScalingType": "Linear"', after='"learning_rate"')
    assert re.search(rf"HIGH\s+log-scale\s+learning_rate\s+line {learning_rate_line}\b", out)
    assert re.search(r"HIGH\s+positive-min\s+max_depth", out)
    assert "fix: Set ScalingType to Logarithmic for 'learning_rate'" in out
    assert "(automatic with --fix)" in out
    unwrapped = " ".join(out.split())
    # Each setting says where it came from: nothing set GUARDRAIL_MODE, BUDGET_CAP_USD or a policy here.
    assert "worst case $4.60 (budget cap $1,000.00, from the built-in default)" in unwrapped
    assert (
        "the guardrail would notify (mode monitor, from the built-in default): worst case $4.60 < cap $1,000.00"
        in unwrapped
    )
    assert "tuning-clean.json: churn-clean (create-request, us-east-1)\n  no findings" in out
    assert "failed-call.json: skipped: the call failed, so no job exists: ValidationException" in out
    assert out.rstrip().endswith("3 inputs: 2 evaluated, 3 findings (2 high, 1 medium), 1 skipped, 0 errors")
    assert not ANSI.search(out), "no colours when stdout is not a terminal"
    assert run.stderr == ""


def test_json_report_recognises_every_input_kind(lint, tmp_path):
    request = misconfigured_request("lr-everywhere")
    event = cloudtrail_event(request, event_id="evt-json")
    write_json(tmp_path / "request.json", request)
    write_json(tmp_path / "event.json", event)
    write_json(tmp_path / "record.json", event["detail"])
    write_json(tmp_path / "describe.json", describe_response(request))
    write_json(tmp_path / "other-api.json", cloudtrail_event(event_name="CreateTrainingJob")["detail"])

    run = lint("request.json", "event.json", "record.json", "describe.json", "other-api.json", "--format", "json")

    assert run.returncode == 1, run.stderr
    reports = run.json()
    assert [r["path"] for r in reports] == [
        "request.json",
        "event.json",
        "record.json",
        "describe.json",
        "other-api.json",
    ]
    assert [r.get("kind") for r in reports] == [
        "create-request",
        "eventbridge-event",
        "cloudtrail-record",
        "describe-response",
        "cloudtrail-record",
    ]
    evaluated = reports[:4]
    for report in evaluated:
        assert report["status"] == "evaluated"
        assert report["job_name"] == "lr-everywhere"
        assert [(f["rule"], f["parameter"]) for f in report["findings"]] == [
            ("log-scale", "learning_rate"),
            ("positive-min", "max_depth"),
            ("log-scale", "alpha"),
        ]
        finding = report["findings"][0]
        assert set(finding) >= {"rule", "severity", "parameter", "message", "evidence", "fix", "patch", "doc", "line"}
        assert finding["doc"] == "docs/rules.md#log-scale"
        assert finding["patch"][0]["op"] == "add" and finding["patch"][0]["path"].endswith("/0/ScalingType")
        assert set(report["cost"]) >= {"worst_case_usd", "basis", "complete"}
        assert report["cost"]["worst_case_usd"] == pytest.approx(4.6) and report["cost"]["complete"] is True
        assert report["decision"] == {
            "action": "notify",
            "reason": "worst case $4.60 < cap $1,000.00, misconfigured (log-scale, positive-min)",
            "mode": "monitor",
            "mode_origin": "built-in default",
            "costly": False,
            "misconfigured": True,
        }
        assert report["settings"] == {
            "mode": {"value": "monitor", "origin": "built-in default"},
            "budget_cap_usd": {"value": 1000.0, "origin": "built-in default"},
            "unknown_price": {"value": "by-family", "origin": "built-in default"},
            "notify_min_severity": {"value": "low", "origin": "built-in default"},
        }
        assert report["scope"] == "defaults" and report["suppressed"] == []
        assert report["policy_version"].startswith("sha256:")
    assert evaluated[1]["account"] == ACCOUNT and evaluated[0]["account"] is None
    # Lines point into each file's own layout: the event nests the request two levels down.
    assert evaluated[1]["findings"][0]["line"] > evaluated[0]["findings"][0]["line"]
    assert reports[4] == {
        "path": "other-api.json",
        "status": "skipped",
        "kind": "cloudtrail-record",
        "reason": "not a CreateHyperParameterTuningJob call (sagemaker.amazonaws.com CreateTrainingJob)",
    }


def test_sarif_report_puts_each_finding_on_its_line(lint, tmp_path):
    path = write_json(tmp_path / "configs" / "hpo-churn.json", misconfigured_request())
    write_json(tmp_path / "configs" / "hpo-failed.json", cloudtrail_event(error_code="ValidationException"))

    (tmp_path / "policy.yaml").write_text(
        "exemptions:\n"
        "  - {name: depth-study, match: {job_names: [churn-*]}, rules: [positive-min], reason: on purpose,\n"
        "     owner: ml@example.com, expires: 2099-01-01}\n",
        encoding="utf-8",
    )

    run = lint(
        "configs/hpo-churn.json",
        "configs/hpo-failed.json",
        "--format",
        "sarif",
        "--docs-url",
        "https://x.test/repo/",
        "--policy",
        "policy.yaml",
    )

    assert run.returncode == 1, run.stderr
    log = run.json()
    assert log["version"] == "2.1.0" and "sarif-schema-2.1.0" in log["$schema"]
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "hpo-guardrail"
    assert [r["id"] for r in driver["rules"]] == [rule.id for rule in all_rules()]
    for rule in driver["rules"]:
        assert rule["helpUri"] == f"https://x.test/repo/docs/rules.md#{rule['id']}"
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
    results = {(r["ruleId"], r["properties"]["parameter"]): r for r in sarif_run["results"]}
    assert set(results) == {("log-scale", "learning_rate"), ("positive-min", "max_depth"), ("log-scale", "alpha")}
    expected_lines = {
        # the member the patch sets, where it exists; else the range's Name
        ("log-scale", "learning_rate"): line_number(path, '"ScalingType": "Linear"', after='"learning_rate"'),
        ("positive-min", "max_depth"): line_number(path, '"MinValue": "0"', after='"max_depth"'),
        ("log-scale", "alpha"): line_number(path, '"Name": "alpha"'),
    }
    for key, result in results.items():
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "configs/hpo-churn.json"
        assert physical["region"]["startLine"] == expected_lines[key], key
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert "Fix: " in result["message"]["text"]
    assert results[("log-scale", "learning_rate")]["level"] == "error"  # high
    assert results[("positive-min", "max_depth")]["suppressions"] == [
        {"kind": "external", "justification": "policy exemption depth-study"}
    ]
    assert "suppressions" not in results[("log-scale", "learning_rate")]
    assert results[("log-scale", "alpha")]["level"] == "warning"  # medium
    (invocation,) = sarif_run["invocations"]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "note" and "hpo-failed.json: skipped: the call failed" in note["message"]["text"]
    assert urlparse(driver["rules"][0]["helpUri"]).scheme == "https"


def test_exit_0_when_nothing_is_found_and_stdin_takes_a_cloudtrail_record(lint):
    record = cloudtrail_event(clean_request("from-stdin"))["detail"]

    run = lint("-", "--format", "json", stdin=json.dumps(record))

    assert run.returncode == 0, run.stderr
    (report,) = run.json()
    assert report["path"] == "<stdin>" and report["kind"] == "cloudtrail-record" and report["findings"] == []
    assert report["decision"]["action"] == "none"


def test_unreadable_and_malformed_inputs_exit_2_naming_the_file_and_field(lint, tmp_path):
    (tmp_path / "broken.json").write_text('{"HyperParameterTuningJobName": "x",\n', encoding="utf-8")
    request = tuning_request("bad-min", continuous_ranges=[continuous("learning_rate", "tiny", "0.1")])
    write_json(tmp_path / "wrong-shape.json", request)
    event = cloudtrail_event(tuning_request("no-limits"))
    del event["detail"]["requestParameters"]["hyperParameterTuningJobConfig"]["resourceLimits"]
    write_json(tmp_path / "wrong-event.json", event)
    write_json(tmp_path / "package.json", {"name": "not-a-tuning-job"})
    write_json(tmp_path / "tuning-bad.json", misconfigured_request())

    run = lint("broken.json", "wrong-shape.json", "wrong-event.json", "package.json", "missing.json", "tuning-bad.json")

    assert run.returncode == 2, "an unusable input outranks findings"
    errors = run.stderr.splitlines()
    assert errors == [
        "hpo-guardrail: broken.json: not valid JSON: "
        "Expecting property name enclosed in double quotes (line 2, column 1)",
        "hpo-guardrail: wrong-shape.json: invalid create-request at "
        "HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue: 'tiny' is not a number",
        # the field as the file spells it (CloudTrail's lowerCamelCase), down to the missing member
        "hpo-guardrail: wrong-event.json: invalid eventbridge-event at "
        "detail.requestParameters.hyperParameterTuningJobConfig.ResourceLimits: Field required",
        "hpo-guardrail: package.json: unrecognised input: not a CreateHyperParameterTuningJob request, CloudTrail "
        "record, EventBridge event or DescribeHyperParameterTuningJob response (top-level keys: name)",
        "hpo-guardrail: missing.json: no such file",
    ]
    assert "tuning-bad.json: churn-linear-lr" in run.stdout, "the other inputs are still reported"
    assert "6 inputs: 1 evaluated, 3 findings (2 high, 1 medium), 0 skipped, 5 errors" in run.stdout


def test_wrong_usage_and_a_bad_policy_exit_2(lint, tmp_path):
    write_json(tmp_path / "a.json", clean_request("a"))
    write_json(tmp_path / "b.json", clean_request("b"))
    (tmp_path / "policy.yaml").write_text("version: 1\ndefaults:\n  budget_cap_usd: -5\n", encoding="utf-8")

    usage = lint("a.json", "b.json", "--fix", "--output", "out.json")
    policy = lint("a.json", "--policy", "policy.yaml")
    unknown_option = lint("a.json", "--fail-on", "severe")

    assert usage.returncode == 2 and "--output needs exactly one input" in usage.stderr
    assert policy.returncode == 2
    assert "invalid policy policy.yaml, line 3, at defaults.budget_cap_usd" in policy.stderr
    assert unknown_option.returncode == 2 and "invalid choice: 'severe'" in unknown_option.stderr


def test_globs_recurse_and_yaml_configs_are_read(lint, tmp_path):
    write_json(tmp_path / "configs" / "team-a" / "tuning-a.json", misconfigured_request("glob-a"))
    write_json(tmp_path / "configs" / "team-b" / "nested" / "tuning-b.json", clean_request("glob-b"))
    write_json(tmp_path / "configs" / "notes.txt", {"ignored": True})
    (tmp_path / "configs" / "tuning-c.yaml").write_text(
        "# a YAML config: numbers and Off as people write them\n"
        "HyperParameterTuningJobName: yaml-c\n"
        "HyperParameterTuningJobConfig:\n"
        "  Strategy: Random\n"
        "  TrainingJobEarlyStoppingType: Off\n"
        "  ResourceLimits: {MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 2, MaxRuntimeInSeconds: 7200}\n"
        "  ParameterRanges:\n"
        "    ContinuousParameterRanges:\n"
        "      - Name: learning_rate\n"
        "        MinValue: 0.00001\n"
        "        MaxValue: 0.1\n"
        "        ScalingType: Linear\n"
        "TrainingJobDefinition:\n"
        "  ResourceConfig: {InstanceType: ml.m5.large, InstanceCount: 1, VolumeSizeInGB: 30}\n"
        "  StoppingCondition: {MaxRuntimeInSeconds: 3600}\n",
        encoding="utf-8",
    )

    run = lint("configs/**/*.json", "configs/*.yaml", "configs/**/missing-*.json", "--format", "json")

    assert run.returncode == 2
    assert run.stderr == "hpo-guardrail: configs/**/missing-*.json: no file matches this pattern\n"
    by_path = {r["path"]: r for r in run.json()}
    assert set(by_path) == {
        "configs/team-a/tuning-a.json",
        "configs/team-b/nested/tuning-b.json",
        "configs/tuning-c.yaml",
        "configs/**/missing-*.json",
    }
    yaml_report = by_path["configs/tuning-c.yaml"]
    assert yaml_report["job_name"] == "yaml-c"
    (finding,) = yaml_report["findings"]
    assert finding["rule"] == "log-scale" and finding["line"] == 12  # the ScalingType line


def test_fail_on_sets_the_severity_that_fails(lint, tmp_path):
    # Only a medium finding: alpha spans five decades on Auto.
    write_json(
        tmp_path / "medium.json",
        tuning_request(
            "medium-only", continuous_ranges=[continuous("alpha", "0.001", "100", "Auto")], max_runtime_seconds=36_000
        ),
    )

    assert lint("medium.json", "--fail-on", "high").returncode == 0
    assert lint("medium.json", "--fail-on", "medium").returncode == 1


POLICY = f"""
version: 1
team_tag_key: team
scopes:
  - name: research
    match: {{teams: [research]}}
    rules:
      log-scale: {{enabled: false}}
  - name: sandbox-account
    match: {{accounts: ["{ACCOUNT}"]}}
    budget_cap_usd: 1
"""


def test_a_policy_scope_changes_the_outcome(lint, tmp_path):
    request = tuning_request(
        "research-lr",
        continuous_ranges=[continuous("learning_rate", "0.0001", "1.0", "Linear")],
        integer_ranges=[integer("max_depth", "3", "10", "Linear")],
        max_runtime_seconds=36_000,
        tags={"team": "research"},
    )
    write_json(tmp_path / "research.json", request)
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")

    default = lint("research.json", "--format", "json")
    team = lint("research.json", "--format", "json", "--policy", "policy.yaml")
    account = lint("research.json", "--format", "json", "--account", ACCOUNT, env={"GUARDRAIL_POLICY": "policy.yaml"})

    assert default.returncode == 1 and [f["rule"] for f in default.json()[0]["findings"]] == ["log-scale"]
    assert team.returncode == 0, "the research scope turns log-scale off"
    (team_report,) = team.json()
    assert team_report["findings"] == [] and team_report["scope"] == "research"
    (account_report,) = account.json()
    assert account.returncode == 1
    assert account_report["scopes"] == ["defaults", "sandbox-account", "research"]
    rules = [f["rule"] for f in account_report["findings"]]
    assert rules[0] == "budget-cap" and "log-scale" not in rules
    assert account_report["cost"]["budget_cap_usd"] == 1
