"""In-process checks of the pieces the CLI is built from: lines, YAML, request shapes, colour."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys

import pytest

from hpo_guardrail.adapters.request_shapes import create_request_from, request_from_cloudtrail, validation_problems
from hpo_guardrail.cli import build_parser
from hpo_guardrail.linting import output
from hpo_guardrail.linting.scan import with_progress
from hpo_guardrail.linting.source_lines import SourceLines, parse_document
from hpo_guardrail.linting.text import use_colour
from hpo_guardrail.reporting import render
from tests.builders import cloudtrail_casing, tuning_request
from tests.cli.conftest import describe_response, misconfigured_request


def test_member_lines_are_found_in_either_casing_and_prefer_the_range_name():
    request = misconfigured_request()
    text = json.dumps(cloudtrail_casing(request), indent=2)
    lines = text.splitlines()
    lines_of = SourceLines(text)
    scaling = ["HyperParameterTuningJobConfig", "ParameterRanges", "ContinuousParameterRanges", "0", "ScalingType"]
    assert lines[lines_of.line_of(scaling) - 1].strip() == '"scalingType": "Linear"'
    # alpha has no ScalingType: the line of its Name is what a reader looks for.
    missing = ["HyperParameterTuningJobConfig", "ParameterRanges", "ContinuousParameterRanges", "1", "ScalingType"]
    assert lines[lines_of.line_of(missing) - 1].strip() == '"name": "alpha",'
    assert lines[lines_of.line_of_range("max_depth") - 1].strip() == '"name": "max_depth",'
    assert SourceLines('{"a": [1,').line_of(["a"]) is None, "text the composer cannot read has no lines"


def test_yaml_reads_off_as_a_string_as_yaml_1_2_does():
    document = parse_document("TrainingJobEarlyStoppingType: Off\nEnabled: true\nMinValue: 0.001\n", yaml_allowed=True)
    assert document == {"TrainingJobEarlyStoppingType": "Off", "Enabled": True, "MinValue": 0.001}


def test_describe_response_keeps_only_create_request_members_and_numbers_become_strings():
    request = tuning_request("shaped")
    described = describe_response(request)
    described["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"] = [
        {"Name": "lr", "MinValue": 0.001, "MaxValue": 1, "ScalingType": "Logarithmic"}
    ]
    created = create_request_from(described)
    assert set(created) == {"HyperParameterTuningJobName", "HyperParameterTuningJobConfig", "TrainingJobDefinition"}
    assert created["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"][0] == {
        "Name": "lr",
        "MinValue": "0.001",
        "MaxValue": "1",
        "ScalingType": "Logarithmic",
    }
    assert validation_problems(created) == []
    assert request_from_cloudtrail(cloudtrail_casing(request)) == request


def test_botocore_validation_names_the_bad_member():
    request = tuning_request("bad-limits")
    request["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxParallelTrainingJobs"] = "two"
    (problem,) = validation_problems(request)
    assert "HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs" in problem


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color():
    assert use_colour(_Terminal(), environ={}) is True
    assert use_colour(_Terminal(), environ={"NO_COLOR": "1"}) is False
    assert use_colour(io.StringIO(), environ={}) is False
    assert use_colour(io.StringIO(), "always", environ={"NO_COLOR": "1"}) is True
    assert use_colour(_Terminal(), "never", environ={}) is False


def test_progress_bar_draws_only_on_a_terminal():
    jobs = [("job-a", "arn-a"), ("job-b", "arn-b")]
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        assert list(with_progress(jobs, stream)) == jobs, "every job is read, bar or not"
    assert "2/2" in terminal.getvalue() and "job-b" in terminal.getvalue()
    assert pipe.getvalue() == ""


def _choices(command: str, option: str) -> tuple[str, ...]:
    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    (action,) = [a for a in commands.choices[command]._actions if option in a.option_strings]
    return tuple(action.choices or ())


@pytest.mark.parametrize(
    ("command", "formats"), [("lint", output.FORMATS), ("scan", output.FORMATS), ("report", render.FORMATS)]
)
def test_each_command_offers_exactly_the_formats_its_writer_knows(command, formats):
    # The parser repeats the lists so that building it imports no writer; this keeps the copies honest.
    assert _choices(command, "--format") == formats


def test_building_the_parser_loads_neither_the_aws_sdk_nor_the_engine():
    probe = "import sys\nfrom hpo_guardrail.cli import build_parser\nbuild_parser()\nprint(*sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    heavy = {"boto3", "botocore", "moto", "pydantic", "rich", "jsonpatch", "rules"} | {
        f"hpo_guardrail.{package}" for package in ("enforce", "linting", "reporting", "tools", "embedded")
    }
    assert sorted(m for m in loaded if any(m == h or m.startswith(f"{h}.") for h in heavy)) == []
