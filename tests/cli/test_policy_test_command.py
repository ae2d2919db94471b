"""`hpo-guardrail test` as a user runs it: the shipped tests of the default policy pass, a broken copy fails with
a readable diff, an unusable test file exits 2 (docs/policy.md, "Testing your policy")."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from hpo_guardrail.linting.policy_tests import PACKAGED_TESTS
from rules.checks import all_rules
from tests.cli.conftest import run_cli

SHIPPED = PACKAGED_TESTS / "default-policy.hpo-test.yaml"


def _broken_copy(tmp_path: Path) -> Path:
    """The shipped tests with two expectations the default policy does not meet."""
    target = tmp_path / "policy-tests"
    shutil.copytree(PACKAGED_TESTS, target)
    path = target / SHIPPED.name
    text = path.read_text(encoding="utf-8")
    # The linear learning rate is not stopped in monitor mode, and the clean job costs $4.60, not at most $1.
    text = text.replace(
        "      decision: notify\n      mode: monitor\n", "      decision: stop\n      mode: monitor\n", 1
    ).replace("cost: {min_usd: 4.6, max_usd: 4.6}", "cost: {max_usd: 1}", 1)
    path.write_text(text, encoding="utf-8")
    return target


def test_the_shipped_tests_of_the_default_policy_pass(tmp_path):
    # Under a developer's GUARDRAIL_MODE=enforce and a tiny cap the result is the same: the file sets the stack.
    run = run_cli("test", "--packaged", cwd=tmp_path, env={"GUARDRAIL_MODE": "enforce", "BUDGET_CAP_USD": "1"})
    assert run.returncode == 0, run.stdout + run.stderr
    cases = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))["cases"]
    assert f"{len(cases)} passed, 0 failed, 0 could not run" in run.stdout
    assert "FAILED" not in run.stdout
    # Every built-in rule is covered: each one's id starts the name of a trigger case and a non-trigger case,
    # but required-tags, which reports nothing until a policy names keys (the default names none; the example in
    # docs/policy.md triggers it, tests/unit/test_policy_tests.py runs that).
    names = [case["name"] for case in cases]
    for rule in all_rules():
        expected = 1 if rule.id == "required-tags" else 2
        assert sum(name.startswith(f"{rule.id} ") for name in names) >= expected, rule.id


def test_a_broken_copy_fails_with_a_diff_of_expected_and_actual(tmp_path):
    broken = _broken_copy(tmp_path)
    run = run_cli("test", cwd=tmp_path)  # no PATH: policy-tests/ in the current directory
    assert run.returncode == 1, run.stdout + run.stderr
    table = run.stdout.split("\n\n")[0]
    assert "a well-configured job passes without a notification" in table
    assert "FAILED  cost" in table
    assert "FAILED  decision" in table
    assert (
        "FAILED policy-tests/default-policy.hpo-test.yaml :: a costly misconfigured job is announced, not stopped, "
        "in monitor mode\n"
        "  decision\n"
        "    - stop\n"
        "    + notify: worst case $135,129.60 > cap $1,000.00 and misconfigured (log-scale); would stop in enforce "
        "mode\n"
    ) in run.stdout
    assert (
        "FAILED policy-tests/default-policy.hpo-test.yaml :: a well-configured job passes without a notification\n"
        "  cost\n"
        "    - worst case at most $1.00\n"
        "    + worst case $4.60\n"
    ) in run.stdout
    assert run.stdout.rstrip().endswith("33 passed, 2 failed, 0 could not run")
    assert broken.is_dir()


def test_a_missing_finding_and_an_unexpected_one_are_shown_as_a_set_difference(tmp_path):
    tests = tmp_path / "policy-tests"
    shutil.copytree(PACKAGED_TESTS, tests)
    (tests / SHIPPED.name).unlink()
    (tests / "team.hpo-test.yaml").write_text(
        "policy: packaged\n"
        "cases:\n"
        "  - name: linear learning rate\n"
        "    input: {file: requests/event-linear-learning-rate.json}\n"
        "    expect:\n"
        "      findings_exactly: [{rule: log-scale, parameter: learning_rate, severity: critical}, budget-cap]\n",
        encoding="utf-8",
    )
    run = run_cli("test", "--format", "json", cwd=tmp_path)
    assert run.returncode == 1
    (case,) = run.json()["cases"]
    assert case["differences"] == [
        {
            "what": "findings (exactly)",
            "expected": [
                "log-scale (parameter learning_rate, severity critical): expected, not found",
                "budget-cap: expected, not found",
            ],
            "actual": [
                "log-scale (parameter learning_rate, severity high): found, not expected",
                "reverse-log (parameter momentum, severity medium): found, not expected",
            ],
        }
    ]
    assert case["actual"]["decision"] == "notify"
    assert run.json()["exit_code"] == 1


def test_an_unreadable_test_file_exits_2_naming_the_file_line_and_field(tmp_path):
    (tmp_path / "bad.hpo-test.yaml").write_text(
        "policy: packaged\ncases:\n  - name: typo\n    input: {request: {}}\n    expect:\n      decision: halt\n",
        encoding="utf-8",
    )
    (tmp_path / "good.hpo-test.yaml").write_bytes(SHIPPED.read_bytes())
    shutil.copytree(PACKAGED_TESTS / "requests", tmp_path / "requests")
    run = run_cli("test", cwd=tmp_path)  # no policy-tests/: the current directory's *.hpo-test.yaml
    assert run.returncode == 2, run.stdout + run.stderr
    assert (
        "invalid test file bad.hpo-test.yaml, line 6, at cases.0.expect.decision: Input should be 'none', 'notify' "
        "or 'stop'"
    ) in run.stdout
    assert "good.hpo-test.yaml" in run.stdout and "0 failed" in run.stdout  # the usable file still ran

    not_utf8 = tmp_path / "binary"
    not_utf8.mkdir()
    (not_utf8 / "x.hpo-test.yaml").write_bytes(b"\xff\xfe\x00policy")
    run = run_cli("test", "binary", cwd=tmp_path)
    assert run.returncode == 2
    assert "invalid test file binary/x.hpo-test.yaml: not UTF-8 text" in run.stdout


def test_no_test_files_is_an_error_not_a_pass(tmp_path):
    run = run_cli("test", cwd=tmp_path)
    assert run.returncode == 2
    assert "no test files" in run.stdout
    (tmp_path / "empty").mkdir()
    run = run_cli("test", "empty", "missing.hpo-test.yaml", cwd=tmp_path)
    assert run.returncode == 2
    assert "no *.hpo-test.yaml file in this directory" in run.stdout
    assert "missing.hpo-test.yaml" in run.stdout and "no such file or directory" in run.stdout
