"""hpo_guardrail.snapstart: the warm-up runs before Lambda's snapshot, `random` is seeded again after each restore,
and nothing happens where the runtime's hooks library is absent (outside Lambda)."""

from __future__ import annotations

import logging
import random
import sys
from collections.abc import Iterator

import pytest

from hpo_guardrail import snapstart
from hpo_guardrail.embedded.lambda_runtime import SnapshotRestoreHooks


@pytest.fixture
def runtime(monkeypatch) -> Iterator[SnapshotRestoreHooks]:
    """snapshot_restore_py as the embedded Lambda runtime provides it (the runtime's ordering of the hooks)."""
    hooks = SnapshotRestoreHooks()
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS_MODULE, hooks.module())
    yield hooks


def test_the_warm_up_runs_before_the_snapshot_not_at_registration(runtime):
    warmed: list[str] = []
    snapstart.prepare_snapshots(lambda: warmed.append("clients, policy, prices"))
    assert warmed == [], "registering runs nothing: an on-demand cold start keeps its lazy first event"
    runtime.before_snapshot()
    assert warmed == ["clients, policy, prices"]


def test_a_failed_warm_up_is_logged_and_the_snapshot_is_still_taken(runtime, caplog):
    def warm() -> None:
        raise ConnectionError("ssm unreachable")

    snapstart.prepare_snapshots(warm)
    with caplog.at_level(logging.WARNING, logger=snapstart.__name__):
        runtime.before_snapshot()  # a hook that raises would fail the version's publication
    (record,) = caplog.records
    assert "warm-up before the snapshot failed" in record.getMessage()
    assert record.exc_info is not None and "ssm unreachable" in str(record.exc_info[1])


def test_random_is_seeded_again_after_each_restore(runtime):
    snapstart.prepare_snapshots(lambda: None)
    runtime.before_snapshot()
    random.seed(1234)  # the state every environment would resume with
    in_the_snapshot = random.getstate()
    runtime.after_restore()
    first = random.getstate()
    random.setstate(in_the_snapshot)
    runtime.after_restore()
    second = random.getstate()
    assert first != in_the_snapshot and second != in_the_snapshot and first != second


def test_the_hooks_are_registered_once_each(runtime):
    snapstart.prepare_snapshots(lambda: None)
    module = sys.modules[snapstart.RUNTIME_HOOKS_MODULE]
    before, after = module.get_before_snapshot(), module.get_after_restore()
    assert len(before) == 1 and len(after) == 1
    (func, args, _), (restore, _, _) = before[0], after[0]
    assert callable(func) and len(args) == 1 and restore is snapstart.reseed_random


def test_outside_lambda_nothing_is_registered_and_nothing_runs(monkeypatch):
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS_MODULE, None)  # import raises ImportError
    warmed: list[bool] = []
    snapstart.prepare_snapshots(lambda: warmed.append(True))
    assert warmed == []
