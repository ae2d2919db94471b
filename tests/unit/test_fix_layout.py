"""linting/layout.py: a change made where its member stands, the rest of the text untouched."""

from __future__ import annotations

import json

import pytest
import yaml

from hpo_guardrail.linting.layout import LayoutError, changes, edit_text
from hpo_guardrail.linting.source_lines import Yaml12Loader


def _json(text: str, after: dict) -> str:
    return edit_text(text, json.loads(text), after, yaml_text=False, read_back=json.loads)


def _yaml(text: str, after: dict) -> str:
    before = yaml.load(text, Loader=Yaml12Loader)
    return edit_text(text, before, after, yaml_text=True, read_back=lambda t: yaml.load(t, Loader=Yaml12Loader))


@pytest.mark.parametrize(
    "removed, expected",
    [
        ("A", '{\n  "B": 2,\n  "C": 3\n}\n'),
        ("B", '{\n  "A": 1,\n  "C": 3\n}\n'),
        ("C", '{\n  "A": 1,\n  "B": 2\n}\n'),
    ],
)
def test_a_json_member_is_removed_with_its_comma_and_nothing_else(removed, expected):
    text = '{\n  "A": 1,\n  "B": 2,\n  "C": 3\n}\n'
    after = {k: v for k, v in json.loads(text).items() if k != removed}

    assert _json(text, after) == expected


def test_a_one_line_json_object_gets_its_new_member_on_the_same_line():
    text = '{"Limits": {"MaxParallelTrainingJobs": 2}, "Name": "x"}'

    edited = _json(text, {"Limits": {"MaxParallelTrainingJobs": 2, "MaxNumberOfTrainingJobs": 9}, "Name": "x"})

    assert edited == '{"Limits": {"MaxParallelTrainingJobs": 2, "MaxNumberOfTrainingJobs": 9}, "Name": "x"}'


def test_yaml_members_added_at_two_depths_land_inside_their_own_mappings():
    text = "Config:\n  Limits:\n    MaxParallelTrainingJobs: 2   # two at a time\n# the end\n"

    edited = _yaml(
        text, {"Config": {"Limits": {"MaxParallelTrainingJobs": 2, "MaxRuntimeInSeconds": 7200}, "Early": "Off"}}
    )

    assert edited == (
        "Config:\n  Limits:\n    MaxParallelTrainingJobs: 2   # two at a time\n    MaxRuntimeInSeconds: 7200\n"
        '  Early: "Off"\n# the end\n'
    )


def test_yaml_strings_that_read_as_numbers_or_booleans_are_quoted():
    text = "Range: {Name: lr, MinValue: 0.1}\n"

    edited = _yaml(text, {"Range": {"Name": "lr", "MinValue": "1e-05"}})

    assert edited == 'Range: {Name: lr, MinValue: "1e-05"}\n'


def test_a_member_is_found_in_any_key_casing():
    text = '{\n  "resourceLimits": {\n    "maxParallelTrainingJobs": 10\n  }\n}\n'
    before = {"ResourceLimits": {"MaxParallelTrainingJobs": 10}}
    after = {"ResourceLimits": {"MaxParallelTrainingJobs": 4}}

    def read_back(edited: str) -> dict:
        raw = json.loads(edited)["resourceLimits"]
        return {"ResourceLimits": {"MaxParallelTrainingJobs": raw["maxParallelTrainingJobs"]}}

    assert edit_text(text, before, after, yaml_text=False, read_back=read_back) == text.replace("10", "4")


def test_an_array_that_changes_length_is_replaced_whole_in_json_and_refused_in_a_yaml_block():
    assert _json('{"Tags": [{"Key": "a", "Value": "1"}], "N": 1}', {"Tags": [], "N": 1}) == '{"Tags": [], "N": 1}'
    with pytest.raises(LayoutError):  # the caller then writes the whole request
        _yaml("Tags:\n  - {Key: a, Value: '1'}\n", {"Tags": []})


def test_changes_are_member_by_member():
    assert changes({"A": {"B": 1, "C": [1, 2]}}, {"A": {"B": 2, "C": [1, 3], "D": True}}) == [
        changes({"B": 1}, {"B": 2}, ("A",))[0],
        changes([1, 2], [1, 3], ("A", "C"))[0],
        changes({}, {"D": True}, ("A",))[0],
    ]
