"""The JSON Patch applier behind --fix: RFC 6902 add, replace and remove, with RFC 6901 escapes."""

from __future__ import annotations

import pytest

from hpo_guardrail.linting.json_patch import PatchError, apply_patch, escape_segment, split_pointer


def test_add_sets_a_new_member_and_overwrites_an_existing_one():
    document = {"Range": {"Name": "lr"}}
    patched = apply_patch(
        document,
        [
            {"op": "add", "path": "/Range/ScalingType", "value": "Linear"},
            {"op": "add", "path": "/Range/ScalingType", "value": "Logarithmic"},
        ],
    )
    assert patched == {"Range": {"Name": "lr", "ScalingType": "Logarithmic"}}
    assert document == {"Range": {"Name": "lr"}}, "the input is never changed"


def test_add_inserts_into_arrays_by_index_and_appends_with_dash():
    patched = apply_patch(
        {"a": [1, 3]}, [{"op": "add", "path": "/a/1", "value": 2}, {"op": "add", "path": "/a/-", "value": 4}]
    )
    assert patched == {"a": [1, 2, 3, 4]}


def test_replace_and_remove_need_the_target_to_exist():
    document = {"Limits": {"Max": 10}, "List": ["x", "y"]}
    patched = apply_patch(
        document,
        [
            {"op": "replace", "path": "/Limits/Max", "value": 5},
            {"op": "remove", "path": "/List/0"},
            {"op": "replace", "path": "/List/0", "value": "z"},
        ],
    )
    assert patched == {"Limits": {"Max": 5}, "List": ["z"]}
    with pytest.raises(PatchError, match="no member 'Min' to replace") as error:
        apply_patch(document, [{"op": "replace", "path": "/Limits/Min", "value": 1}])
    assert error.value.path == "/Limits/Min"
    with pytest.raises(PatchError, match="out of range"):
        apply_patch(document, [{"op": "remove", "path": "/List/2"}])


def test_tilde_escapes_address_members_with_slashes_and_tildes():
    document = {"StaticHyperParameters": {"a/b": "1", "c~d": "2", "~1": "3"}}
    assert split_pointer("/StaticHyperParameters/a~1b") == ["StaticHyperParameters", "a/b"]
    # "~01" is "~1" (a tilde, then 1), not "/": the RFC's order of unescaping.
    assert split_pointer("/x/~01") == ["x", "~1"]
    patched = apply_patch(
        document,
        [
            {"op": "replace", "path": "/StaticHyperParameters/a~1b", "value": "10"},
            {"op": "remove", "path": "/StaticHyperParameters/c~0d"},
            {"op": "replace", "path": "/StaticHyperParameters/" + escape_segment("~1"), "value": "30"},
        ],
    )
    assert patched == {"StaticHyperParameters": {"a/b": "10", "~1": "30"}}


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"op": "move", "from": "/a", "path": "/b"}, "unsupported operation 'move'"),
        ({"op": "add", "path": "/a"}, "add needs a value"),
        ({"op": "add", "path": "a", "value": 1}, "starts with '/'"),
        ({"op": "add", "path": "/missing/x", "value": 1}, "no member 'missing' on the way"),
        ({"op": "add", "path": "/list/01", "value": 1}, "not an array index"),
        ({"op": "add", "path": "/text/x", "value": 1}, "not an object or array"),
    ],
)
def test_operations_that_cannot_apply_say_why(operation, message):
    with pytest.raises(PatchError, match=message):
        apply_patch({"a": 1, "list": [0], "text": "abc"}, [operation])


def test_an_empty_pointer_replaces_the_whole_document():
    assert apply_patch({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}]) == {"b": 2}
