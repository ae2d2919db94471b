"""A log-natured name pattern must name a family of hyperparameters: one that matches arbitrary names (the
empty name, or made-up ones such as 'qqq' and 'zqxjkv') is refused when the policy is loaded."""

from __future__ import annotations

import pytest

from rules.policy import ARBITRARY_NAME_PROBES, DEFAULT_LOG_NATURED_NAMES, Policy
from rules.policy_file import PolicyError, parse_policy


def load(*patterns: str):
    items = "".join("  - '" + p.replace("'", "''") + "'\n" for p in patterns)
    return parse_policy("version: 1\nlog_natured_names:\n" + items, "policy.yaml")


@pytest.mark.parametrize("pattern", ["...", ".", ".*", "", r"\w+", "[a-z]", "x?", "^$", "^.{3,}$", "(?i)Q"])
def test_a_pattern_matching_arbitrary_names_is_refused_naming_it_and_its_line(pattern):
    with pytest.raises(PolicyError) as raised:
        load("learning[_-]?rate", pattern)
    error = raised.value
    assert error.path == "log_natured_names.1" and error.line == 4
    assert repr(pattern) in error.reason and "log-natured" in error.reason


def test_the_yaml_list_of_three_dots_is_refused():
    with pytest.raises(PolicyError, match=r"'\.\.\.' matches the made-up name 'qqq'"):
        parse_policy("log_natured_names: [...]\n")


def test_the_default_patterns_and_real_name_families_pass():
    assert not any(Policy().is_log_natured_name(probe) for probe in ARBITRARY_NAME_PROBES)
    document = load(*DEFAULT_LOG_NATURED_NAMES, "temperature", "^k$", "(^|_)gamma($|_)", "momentum")
    assert len(document.log_natured_names) == len(DEFAULT_LOG_NATURED_NAMES) + 4


def test_an_effective_policy_refuses_them_too():
    with pytest.raises(ValueError, match="matches the empty name"):
        Policy(log_natured_names=(".*",))
