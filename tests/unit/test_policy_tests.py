"""Declarative policy tests (hpo_guardrail/linting/policy_tests.py): the file format, its errors, the comparison
of expected and actual, and the example of docs/policy.md ("Testing your policy") run as written."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from hpo_guardrail.cli import build_parser
from hpo_guardrail.linting.policy_tests import (
    PACKAGED_TESTS,
    UnusableTestFile,
    load_test_file,
    run_tests,
    text_report,
)

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Testing your policy"
_NAMED_BLOCK = re.compile(r"```yaml\n# (?P<name>\S+)\n(?P<body>.*?)```", re.S)
REQUEST = """
        HyperParameterTuningJobName: {name}
        HyperParameterTuningJobConfig:
          Strategy: Bayesian
          ResourceLimits: {{MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 2}}
          ParameterRanges:
            ContinuousParameterRanges:
              - {{Name: learning_rate, MinValue: "0.0001", MaxValue: "1.0", ScalingType: {scaling}}}
        TrainingJobDefinition:
          ResourceConfig: {{InstanceType: ml.m5.xlarge, InstanceCount: 1, VolumeSizeInGB: 50}}
          StoppingCondition: {{MaxRuntimeInSeconds: 3600}}"""


def _docs_example(target: Path) -> dict[str, str]:
    """Write the files the section shows (each block whose first line names its file) under `target`."""
    page = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    section = page[page.index(SECTION) : page.index("\n## ", page.index(SECTION) + 1)]
    files = {m["name"]: f"# {m['name']}\n{m['body']}" for m in _NAMED_BLOCK.finditer(section)}
    for name, text in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text, encoding="utf-8")
    return files


def _write(tmp_path: Path, text: str, name: str = "t.hpo-test.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _one_case(expect: str, *, scaling: str = "Linear", policy: str = "packaged", extra: str = "") -> str:
    request = REQUEST.format(name="lr-sweep", scaling=scaling)
    return (
        f"policy: {policy}\ntoday: 2026-12-01\n{extra}cases:\n  - name: the case\n    input:\n      request:"
        f"{request}\n    expect:\n" + "".join(f"      {line}\n" for line in expect.strip().splitlines())
    )


def test_the_docs_example_passes_as_written_and_fails_as_the_docs_show(tmp_path):
    files = _docs_example(tmp_path)
    assert set(files) == {
        "platform-policy.yaml",
        "policy-tests/platform.hpo-test.yaml",
        "policy-tests/requests/untagged.yaml",
    }
    run = run_tests([], cwd=tmp_path)  # the default: policy-tests/
    assert run.exit_code() == 0, text_report(run)
    assert [c.result for c in run.cases] == ["passed"] * 6
    # Every kind of expectation the docs explain is used by the example, so none is shown untested.
    test = load_test_file(tmp_path / "policy-tests/platform.hpo-test.yaml", "platform")
    used = {key for case in test.cases for key in case.expect.model_fields_set}
    assert used >= {"findings", "findings_exactly", "absent", "suppressed", "cost", "decision", "mode", "scope"}

    # The failure the docs show, after someone raised the defaults' cap: the same lines, in the same order.
    policy = tmp_path / "platform-policy.yaml"
    policy.write_text(policy.read_text().replace("budget_cap_usd: 1000\n", "budget_cap_usd: 20000\n", 1))
    run = run_tests([], cwd=tmp_path)
    assert run.exit_code() == 1
    page = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    shown = page[page.index("FAILED policy-tests/platform.hpo-test.yaml") :].split("\n\n")[0]
    assert shown in text_report(run)


def test_the_docs_example_fails_once_its_exemption_has_expired(tmp_path):
    _docs_example(tmp_path)
    tests = tmp_path / "policy-tests/platform.hpo-test.yaml"
    tests.write_text(tests.read_text().replace("today: 2026-12-01", "today: 2027-04-01"))
    run = run_tests([], cwd=tmp_path)
    assert run.exit_code() == 1
    (failed,) = [c for c in run.cases if c.result == "failed"]
    assert failed.case == "the scaling benchmark keeps its linear scale until the exemption expires"
    report = text_report(run)
    assert "    - log-scale by exemption scaling-benchmark: expected set aside\n    + nothing set aside\n" in report
    assert "  decision\n    - notify\n    + stop: enforce mode" in report


def test_without_today_the_day_the_tests_run_judges_exemptions(tmp_path):
    _docs_example(tmp_path)
    tests = tmp_path / "policy-tests/platform.hpo-test.yaml"
    tests.write_text(re.sub(r"today: 2026-12-01[^\n]*\n", "", tests.read_text()))
    before = run_tests([], cwd=tmp_path, now=lambda: datetime(2027, 3, 31, tzinfo=UTC))
    after = run_tests([], cwd=tmp_path, now=lambda: datetime(2027, 4, 1, tzinfo=UTC))
    assert (before.exit_code(), after.exit_code()) == (0, 1)


def test_at_least_and_exactly(tmp_path):
    # The linear learning rate gives exactly one finding: log-scale, high.
    at_least = _one_case("findings: [log-scale]\ndecision: notify")
    assert run_tests([str(_write(tmp_path, at_least))], cwd=tmp_path).exit_code() == 0
    exactly = _one_case("findings_exactly: [{rule: log-scale, parameter: learning_rate, severity: high}]")
    assert run_tests([str(_write(tmp_path, exactly))], cwd=tmp_path).exit_code() == 0
    # Nothing is found on a log scale: "at least log-scale" fails, "exactly none" passes.
    run = run_tests([str(_write(tmp_path, _one_case("findings: [log-scale]", scaling="Logarithmic")))], cwd=tmp_path)
    (case,) = run.cases
    assert case.result == "failed"
    assert [(d.what, d.expected, d.actual) for d in case.differences] == [
        ("findings (at least)", ["log-scale: expected, not found"], ["no findings"])
    ]
    none = _one_case("findings_exactly: []\ndecision: allow", scaling="Logarithmic")
    assert run_tests([str(_write(tmp_path, none))], cwd=tmp_path).exit_code() == 0
    # A pattern's severity must match too; absent is the opposite of findings.
    wrong = _one_case("findings: [{rule: log-scale, severity: critical}]\nabsent: [{rule: log-scale, severity: high}]")
    (case,) = run_tests([str(_write(tmp_path, wrong))], cwd=tmp_path).cases
    assert [(d.what, d.expected, d.actual) for d in case.differences] == [
        (
            "findings (at least)",
            ["log-scale (severity critical): expected, not found"],
            ["log-scale (parameter learning_rate, severity high): found"],
        ),
        (
            "absent findings",
            ["log-scale (severity high): expected absent"],
            ["log-scale (parameter learning_rate, severity high): found"],
        ),
    ]


def test_cost_bounds_mode_cap_and_scope(tmp_path):
    # 20 jobs x 1 h x ml.m5.xlarge at the bundled $0.23/h.
    passing = _one_case(
        "cost: {min_usd: 4.6, max_usd: 4.6}\nmode: enforce\nbudget_cap_usd: 3\nscope: defaults\ndecision: stop",
        extra="stack: {mode: enforce, budget_cap_usd: 3}\n",
    )
    assert run_tests([str(_write(tmp_path, passing))], cwd=tmp_path).exit_code() == 0
    failing = _one_case("cost: {min_usd: 5}\nmode: enforce\nbudget_cap_usd: 3\ndecision: stop")
    (case,) = run_tests([str(_write(tmp_path, failing))], cwd=tmp_path).cases
    assert [(d.what, d.expected, d.actual) for d in case.differences] == [
        ("cost", ["worst case at least $5.00"], ["worst case $4.60"]),
        ("decision", ["stop"], ["notify: worst case $4.60 < cap $1,000.00, misconfigured (log-scale)"]),
        ("mode", ["enforce"], ["mode monitor, from the built-in default"]),
        ("budget_cap_usd", ["$3.00"], ["budget cap $1,000.00, from the built-in default"]),
    ]
    unknown = _one_case("cost: unknown")
    (case,) = run_tests([str(_write(tmp_path, unknown))], cwd=tmp_path).cases
    assert case.differences[0].actual == ["$4.60, every price known"]


def test_a_case_may_set_its_own_stack_over_the_files(tmp_path):
    text = _one_case("decision: stop", extra="stack: {mode: monitor, budget_cap_usd: 3}\n").replace(
        "    expect:", "    stack: {mode: enforce}\n    expect:"
    )
    (case,) = run_tests([str(_write(tmp_path, text))], cwd=tmp_path).cases
    assert case.result == "passed"  # enforce from the case, the $3 cap from the file: costly and misconfigured


def test_the_callers_environment_plays_no_part(tmp_path, monkeypatch):
    monkeypatch.setenv("GUARDRAIL_MODE", "enforce")
    monkeypatch.setenv("BUDGET_CAP_USD", "1")
    monkeypatch.setenv("GUARDRAIL_POLICY", str(tmp_path / "no-such-policy.yaml"))
    text = _one_case("decision: notify\nmode: monitor\nbudget_cap_usd: 1000")
    assert run_tests([str(_write(tmp_path, text))], cwd=tmp_path).exit_code() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _one_case("findings: [log-scal]"),
            "line 18, at cases.0.expect.findings.0.rule: unknown rule 'log-scal' (known: budget-cap,",
        ),
        (
            _one_case("findings: [log-scale]\nfindings_exactly: []"),
            "at cases.0.expect: give findings (at least these) or findings_exactly (exactly these), not both",
        ),
        (_one_case("decision: halt"), "at cases.0.expect.decision: Input should be 'none', 'notify' or 'stop'"),
        (_one_case("cost: {min_usd: 5, max_usd: 1}"), "at cases.0.expect.cost: min_usd 5 is above max_usd 1"),
        (_one_case("cost: lots"), "write `cost: unknown` or bounds such as `cost: {max_usd: 1000}`"),
        (_one_case("scope: nlp"), "at cases.0.expect.scope: the policy has no scope 'nlp' (its scopes: defaults)"),
        (
            _one_case("suppressed: [{rule: log-scale, exemption: bench}]"),
            "the policy has no exemption 'bench' (its exemptions: none)",
        ),
        (_one_case("decision: none\nmood: calm"), "line 19, at cases.0.expect.mood: unknown key 'mood'"),
        (_one_case("{}", policy="ssm:/hpo/policy"), "at policy: a policy test reads a policy file (or `packaged`)"),
        (_one_case("{}", policy="missing.yaml"), "at policy: invalid policy"),
        (_one_case("{}", extra="context: {principal: alice}\n"), "at context.principal: --principal 'alice' is not"),
        (_one_case("{}", extra="stack: {mode: sometimes}\n"), "at stack.mode: Input should be 'monitor' or 'enforce'"),
        (_one_case("{}", extra="prices: live\n"), "at prices: Input should be 'bundled'"),
        ("policy: packaged\ncases: []\n", "at cases: List should have at least 1 item"),
        ("", "empty: a test file names a `policy` and its `cases`"),
        ("policy: [unclosed\n", "line 2: not valid YAML"),
    ],
)
def test_an_unusable_test_file_is_an_error_naming_the_field(tmp_path, text, message):
    path = _write(tmp_path, text)
    run = run_tests([str(path)], cwd=tmp_path)
    assert run.exit_code() == 2
    (file,) = run.files
    assert file.error is not None and file.error.startswith("invalid test file t.hpo-test.yaml")
    assert message in file.error
    assert not file.cases  # no case of an unusable file runs


def test_a_broken_policy_is_named_with_its_line(tmp_path):
    _write(tmp_path, "version: 1\ndefaults:\n  mode: sometimes\n", "policy.yaml")
    run = run_tests([str(_write(tmp_path, _one_case("{}", policy="policy.yaml")))], cwd=tmp_path)
    (file,) = run.files
    assert "invalid policy" in (file.error or "") and "line 3, at defaults.mode" in (file.error or "")


def test_an_input_that_cannot_be_used_is_an_error_not_a_failure(tmp_path):
    event = (ROOT / "events/06-failed-call.json").read_text()
    _write(tmp_path, event, "failed-call.json")
    _write(tmp_path, '{"HyperParameterTuningJobName": "x", "Tags": [{"Key": "team", "Value": "cv"}]}', "bad.json")
    text = (
        "policy: packaged\ncases:\n"
        "  - {name: missing file, input: {file: nope.json}, expect: {}}\n"
        "  - {name: failed call, input: {file: failed-call.json}, expect: {}}\n"
        "  - {name: malformed, input: {file: bad.json}, expect: {}}\n"
    )
    run = run_tests([str(_write(tmp_path, text))], cwd=tmp_path)
    assert run.exit_code() == 2
    reasons = [c.reason or "" for c in run.cases]
    assert [c.result for c in run.cases] == ["error"] * 3
    assert reasons[0] == "the input cannot be used: nope.json: no such file"
    assert reasons[1].startswith("the input was skipped, as the guardrail skips it: the call failed")
    assert reasons[2].startswith("the input cannot be used: invalid create-request at HyperParameterTuningJobConfig")


def test_a_team_that_contradicts_the_requests_tag_is_an_error(tmp_path):
    text = _one_case("{}", extra="context: {team: nlp}\n").replace(
        "          StoppingCondition: {MaxRuntimeInSeconds: 3600}",
        "          StoppingCondition: {MaxRuntimeInSeconds: 3600}\n        Tags: [{Key: team, Value: vision}]",
    )
    (case,) = run_tests([str(_write(tmp_path, text))], cwd=tmp_path).cases
    assert case.result == "error"
    assert "tagged team=vision, but --team says nlp" in (case.reason or "")


def test_an_eventbridge_event_keeps_its_own_account_unless_the_case_gives_one(tmp_path):
    shutil.copy(ROOT / "events/02-classic-linear-learning-rate.json", tmp_path / "event.json")
    _write(
        tmp_path,
        "version: 1\nscopes:\n  - {name: prod, match: {accounts: ['123456789012']}, mode: enforce}\n",
        "policy.yaml",
    )
    text = (
        "policy: policy.yaml\ncases:\n"
        "  - {name: the record's account, input: {file: event.json}, expect: {scope: prod, mode: enforce}}\n"
        "  - name: another account\n    input: {file: event.json}\n    context: {account: '210987654321'}\n"
        "    expect: {scope: defaults, mode: monitor}\n"
    )
    run = run_tests([str(_write(tmp_path, text))], cwd=tmp_path)
    assert run.exit_code() == 0, text_report(run)


def test_directories_are_searched_for_test_files_and_other_names_are_left_alone(tmp_path):
    nested = tmp_path / "policy-tests" / "teams"
    nested.mkdir(parents=True)
    _write(nested, _one_case("decision: notify"), "nlp.hpo-test.yaml")
    _write(nested, "not: a test\n", "notes.yaml")
    run = run_tests([], cwd=tmp_path)
    assert [f.file for f in run.files] == ["policy-tests/teams/nlp.hpo-test.yaml"]
    assert run.exit_code() == 0


def test_the_shipped_tests_name_only_the_packaged_policy_and_files_beside_them():
    (shipped,) = sorted(PACKAGED_TESTS.glob("*.hpo-test.yaml"))
    document = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    assert document["policy"] == "packaged"
    for case in document["cases"]:
        if "file" in case["input"]:
            assert (PACKAGED_TESTS / case["input"]["file"]).is_file(), case["name"]


def test_the_command_is_registered_with_its_options():
    args = build_parser().parse_args(["test", "--packaged", "--format", "json", "a.hpo-test.yaml"])
    assert (args.paths, args.packaged, args.format) == (["a.hpo-test.yaml"], True, "json")
    assert build_parser().parse_args(["test"]).paths == []


def test_load_test_file_names_a_missing_file(tmp_path):
    with pytest.raises(UnusableTestFile, match=re.escape("invalid test file gone.hpo-test.yaml: no such file")):
        load_test_file(tmp_path / "gone.hpo-test.yaml", "gone.hpo-test.yaml")


_TWO_TUNERS = """from sagemaker.estimator import Estimator
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

est = Estimator("img", "role", instance_count=1, instance_type="ml.m5.xlarge", max_run=3600)
ranges = {"learning_rate": ContinuousParameter(0.0001, 1.0)}
small = HyperparameterTuner(est, "loss", ranges, max_jobs=10, max_parallel_jobs=2, max_runtime_in_seconds=86400)
logged = HyperparameterTuner(
    est,
    "loss",
    {"learning_rate": ContinuousParameter(0.0001, 1.0, scaling_type="Logarithmic")},
    max_jobs=10,
    max_parallel_jobs=2,
    max_runtime_in_seconds=86400,
)
"""


def _sdk_case(sdk: str, expect: str, tuner: str = "") -> str:
    return (
        f"policy: packaged\ncases:\n  - name: sdk code\n    input: {{sdk: {sdk}{tuner}}}\n    expect:\n      {expect}\n"
    )


def test_a_case_reads_sdk_code_as_lint_does(tmp_path):
    shutil.copy(ROOT / "tests/data/sdk/xgboost_builtin.py", tmp_path / "train.py")
    passing = _sdk_case("train.py", "findings_exactly: [log-scale, positive-min, runtime-unbounded]")
    run = run_tests([str(_write(tmp_path, passing))], cwd=tmp_path)
    assert run.exit_code() == 0, text_report(run)
    (case,) = run.cases
    assert case.report.kind.value == "sdk-code" and case.report.where == "line 29"
    (failing,) = run_tests([str(_write(tmp_path, _sdk_case("train.py", "findings_exactly: []")))], cwd=tmp_path).cases
    assert failing.result == "failed"


def test_an_sdk_case_names_its_tuner_when_the_file_has_several(tmp_path):
    (tmp_path / "two.py").write_text(_TWO_TUNERS, encoding="utf-8")
    unnamed = run_tests([str(_write(tmp_path, _sdk_case("two.py", "findings: []")))], cwd=tmp_path)
    (case,) = unnamed.cases
    assert case.result == "error"
    assert case.reason == (
        "the input cannot be used: two.py has 2 tuners (1 at line 6, 2 at line 7): name the one this case tests "
        "with `tuner: N`"
    )
    first = run_tests([str(_write(tmp_path, _sdk_case("two.py", "findings: [log-scale]", ", tuner: 1")))])
    second = run_tests([str(_write(tmp_path, _sdk_case("two.py", "absent: [log-scale]", ", tuner: 2")))])
    assert first.exit_code() == 0 and second.exit_code() == 0, text_report(first) + text_report(second)
    (third,) = run_tests([str(_write(tmp_path, _sdk_case("two.py", "findings: []", ", tuner: 3")))]).cases
    assert third.result == "error" and "two.py has 2 tuners: there is no tuner 3" in third.reason


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("{sdk: train.json}", "`sdk` is a .py script or an .ipynb notebook"),
        ("{file: r.json, tuner: 1}", "`tuner` picks a tuner of an `sdk` input"),
        ("{sdk: train.py, tuner: 0}", "greater than or equal to 1"),
    ],
)
def test_an_unusable_sdk_input_is_named(tmp_path, given, reason):
    text = f"policy: packaged\ncases:\n  - name: c\n    input: {given}\n    expect:\n      findings: []\n"
    with pytest.raises(UnusableTestFile, match=re.escape(reason)):
        load_test_file(_write(tmp_path, text), "t")
