"""Malformed files are errors with exit 2 that say what is wrong, never a traceback; so are malformed events
for the Lambda (rejected, naming the reason), and every JSON the CLI writes is strict JSON."""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path

import pytest

from hpo_guardrail.cli.lint import run_lint
from hpo_guardrail.enforce.service import GuardrailService
from hpo_guardrail.enforce.settings import Settings
from hpo_guardrail.linting.inputs import LintOptions
from rules.events import read_event
from rules.parsing import InvalidRequest
from rules.policy_file import PolicyError, parse_policy
from tests.builders import cloudtrail_event, continuous, tuning_request
from tests.unit.fakes import FakeJobs, FakeNotifier


def strict_json(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def lint(tmp_path: Path, *paths: str, stdin: io.StringIO | None = None, fmt: str = "json", policy: str | None = None):
    options = LintOptions(paths=list(paths), output_format=fmt, prices="bundled", policy=policy)
    stdout, stderr = io.StringIO(), io.StringIO()
    environ = {"HPO_GUARDRAIL_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    status = run_lint(options, stdin=stdin or io.StringIO(), stdout=stdout, stderr=stderr, environ=environ)
    return status, stdout.getvalue(), stderr.getvalue()


def _deep_json(depth: int) -> str:
    return '{"HyperParameterTuningJobName": "deep", "x": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(
    "name, content, why",
    [
        ("bad-utf8.json", b'{"HyperParameterTuningJobName": "\xff\xfe"}', "UTF-8"),
        ("deep.json", _deep_json(5_000).encode(), "nested"),
        ("long-int.json", b'{"HyperParameterTuningJobName": "x", "n": ' + b"9" * 5_000 + b"}", "digits"),
        ("lone-surrogate.json", b'{"HyperParameterTuningJobName": "x\\ud800"}', "surrogate"),
        ("deep.yaml", ("a: " + "[" * 3_000 + "]" * 3_000 + "\n").encode(), "nest"),
        ("long-int.yaml", b"HyperParameterTuningJobName: x\nn: " + b"9" * 5_000 + b"\n", "digits"),
    ],
)
def test_a_malformed_file_is_an_error_with_exit_2(tmp_path, name, content, why):
    (tmp_path / name).write_bytes(content)
    status, stdout, stderr = lint(tmp_path, str(tmp_path / name))
    assert status == 2
    assert why in stderr
    strict_json(stdout)


def test_invalid_utf8_on_stdin_is_an_error_with_exit_2(tmp_path):
    stdin = io.TextIOWrapper(io.BytesIO(b'{"HyperParameterTuningJobName": "\xff"}'), encoding="utf-8")
    status, _, stderr = lint(tmp_path, "-", stdin=stdin)  # type: ignore[arg-type]
    assert status == 2 and "UTF-8" in stderr


def test_an_oversized_file_is_an_error_with_exit_2(tmp_path):
    path = tmp_path / "huge.json"
    path.write_text('{"HyperParameterTuningJobName": "' + "x" * 11_000_000 + '"}', encoding="utf-8")
    status, _, stderr = lint(tmp_path, str(path))
    assert status == 2 and "too large" in stderr


def test_a_yaml_alias_bomb_is_an_error_with_exit_2(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\nHyperParameterTuningJobName: x\n", encoding="utf-8")
    status, _, stderr = lint(tmp_path, str(path))
    assert status == 2 and "too large" in stderr


def test_a_deeply_nested_policy_is_a_policy_error_naming_the_reason():
    text = "version: 1\nscopes: " + "[" * 3_000 + "]" * 3_000 + "\n"
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "deep-policy.yaml")
    assert "nested" in raised.value.reason


def test_a_policy_alias_bomb_is_a_policy_error():
    lines = ["x0: &x0 [a, a, a, a, a, a, a, a, a, a]"]
    lines += [f"x{i}: &x{i} [*x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}]" for i in range(1, 12)]
    with pytest.raises(PolicyError) as raised:
        parse_policy("\n".join(lines) + "\n", "bomb-policy.yaml")
    assert "too large" in raised.value.reason


def test_a_deeply_nested_policy_file_makes_lint_exit_2(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nscopes: " + "[" * 3_000 + "]" * 3_000 + "\n", encoding="utf-8")
    request = tmp_path / "r.json"
    request.write_text(json.dumps(tuning_request()), encoding="utf-8")
    status, _, stderr = lint(tmp_path, str(request), policy=str(policy))
    assert status == 2 and "nested" in stderr


def _nest(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize(
    "mutate, why",
    [
        (lambda e: e["detail"]["requestParameters"].__setitem__("extra", _nest(200)), "nested"),
        (lambda e: e["detail"].__setitem__("userAgent", "x\ud800"), "surrogate"),
        (lambda e: e["detail"].__setitem__("padding", list(range(300_000))), "too large"),
    ],
)
def test_the_lambda_rejects_a_hostile_event_naming_the_reason(mutate, why):
    event = cloudtrail_event()
    mutate(event)
    with pytest.raises(InvalidRequest) as raised:
        read_event(event)
    assert why in str(raised.value)
    jobs, notifier = FakeJobs(), FakeNotifier()
    outcome = GuardrailService(Settings(), jobs, notifier).handle(event)
    assert outcome.status == "rejected" and why in (outcome.reason or "")


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_output_is_strict_json(tmp_path, fmt):
    request = tuning_request(continuous_ranges=[continuous("learning_rate", "1e-300", "1e300", "Linear")])
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    status, stdout, _ = lint(tmp_path, str(path), fmt=fmt)
    assert status in (0, 1)
    strict_json(stdout)


def test_the_json_writers_refuse_non_finite_numbers(tmp_path):
    from hpo_guardrail.linting import output

    with pytest.raises(ValueError):
        output.write_json({"x": float("inf")}, io.StringIO())


@pytest.mark.parametrize("envelope", [True, False])
def test_a_record_with_its_keys_in_the_other_casing_is_linted_as_the_guardrail_reads_it(tmp_path, envelope):
    """CloudTrail's record keys are read in either casing (rules/parsing.py); lint must not then fail to find the
    request parameters it was given (a traceback before)."""
    event = cloudtrail_event(tuning_request("cased", continuous_ranges=[continuous("lr", "0.0001", "1.0", "Linear")]))
    record = event["detail"]
    record["RequestParameters"] = record.pop("requestParameters")
    path = tmp_path / "cased.json"
    path.write_text(json.dumps(event if envelope else record), encoding="utf-8")
    status, stdout, stderr = lint(tmp_path, str(path))
    assert status == 1, stderr
    (job,) = strict_json(stdout)
    assert job["job_name"] == "cased" and any(f["rule"] == "log-scale" for f in job["findings"])


def test_a_device_that_never_ends_is_too_large_not_read_forever(tmp_path):
    status, _, stderr = lint(tmp_path, "/dev/zero")  # a size of 0 to stat, and no end
    assert status == 2 and "too large" in stderr


def test_long_runs_of_blank_lines_in_json_are_read_in_one_pass(tmp_path):
    """JSON allows any whitespace between tokens; the check that a key's colon sits on its own line must not try
    every line break of a run again (200,000 blank lines took over a minute when it did)."""
    event = cloudtrail_event(tuning_request("blank", continuous_ranges=[continuous("lr", "0.0001", "1.0", "Linear")]))
    text = json.dumps(event, indent=2).replace('"detail": {', '"detail": {' + "\n" * 200_000, 1)
    path = tmp_path / "blank.json"
    path.write_text(text, encoding="utf-8")
    status, stdout, _ = lint(tmp_path, str(path))
    (job,) = strict_json(stdout)
    assert status == 1 and job["job_name"] == "blank"
    assert all(f["line"] is None or f["line"] > 200_000 for f in job["findings"]), "lines counted past the blanks"


@pytest.mark.parametrize("seed", range(3))
def test_the_colon_on_a_later_line_check_answers_as_the_plain_pattern_did(seed):
    from hpo_guardrail.linting import source_lines

    plain = re.compile("\n[ \t\r\n]*:")  # the first form: right, but quadratic on long blank runs
    chance = random.Random(seed)
    for _ in range(3_000):
        text = "".join(chance.choice(' \t\r\n:{}"a,') for _ in range(chance.randint(0, 40)))
        found = any("\n" in m.group() for m in source_lines._BLANKS_BEFORE_COLON.finditer(text))
        assert found == bool(plain.search(text)), repr(text)
