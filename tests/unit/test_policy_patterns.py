"""Policy-supplied name patterns run on a linear-time engine (RE2): no pattern can stall the function."""

from __future__ import annotations

import time

import pytest

from rules.policy import DEFAULT_LOG_NATURED_NAMES, Policy
from rules.policy_file import PolicyError, parse_policy

EXPONENTIAL = "^(a+)+$"  # backtracking engines take time doubling with each extra 'a'


def test_a_catastrophic_pattern_answers_in_linear_time():
    policy = Policy(log_natured_names=(EXPONENTIAL,))
    name = "a" * 26 + "!"  # Python's re: about 3 s here, 6 s with one more 'a'
    started = time.perf_counter()
    assert policy.is_log_natured_name(name) is False
    assert policy.is_log_natured_name("a" * 200) is True
    assert time.perf_counter() - started < 0.5


def test_the_same_pattern_loaded_from_a_policy_file_is_harmless():
    document = parse_policy(f"log_natured_names:\n  - '{EXPONENTIAL}'\n")
    assert document.log_natured_names == [EXPONENTIAL]


@pytest.mark.parametrize(
    "pattern, why",
    [
        ("(unclosed", "not a regular expression"),
        (r"(a)\1", "not a regular expression"),  # backreferences have no linear-time match: RE2 refuses them
        ("(?=lookahead)", "not a regular expression"),
    ],
)
def test_a_pattern_re2_cannot_run_fails_at_load_naming_the_item_and_its_line(pattern, why):
    text = "version: 1\nlog_natured_names:\n  - learning_rate\n  - '" + pattern.replace("'", "''") + "'\n"
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "policy.yaml")
    error = raised.value
    assert why in error.reason
    assert error.path == "log_natured_names.1"
    assert error.line == 4


@pytest.mark.parametrize(
    "name, expected",
    [
        ("learning_rate", True),
        ("LearningRate", True),
        ("lr", True),
        ("base_lr", True),
        ("clr", False),
        ("eta", True),
        ("theta", False),
        ("L2", True),
        ("n_estimators", True),
        ("num_leaves", True),
        ("hidden-units", True),
        ("dropout", False),
        ("eps", True),
        ("c", True),
    ],
)
def test_the_default_names_still_match_as_before(name, expected):
    assert Policy().is_log_natured_name(name) is expected


def test_every_default_pattern_compiles_with_re2():
    import re2

    for pattern in DEFAULT_LOG_NATURED_NAMES:
        re2.compile(pattern)
