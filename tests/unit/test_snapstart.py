"""hpo_guardrail.snapstart: the warm-up runs before Lambda's snapshot, `random` is seeded again after each restore,
and nothing happens where the runtime's hooks library is absent (outside Lambda)."""

from __future__ import annotations

import logging
import random
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from hpo_guardrail import snapstart

Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class FakeRuntimeHooks(ModuleType):
    """snapshot_restore_py as the Lambda Python runtime has it: register_* record (callable, args, kwargs); the
    runtime runs before-snapshot hooks in the reverse order of registration, after-restore hooks in order."""

    def __init__(self) -> None:
        super().__init__(snapstart.RUNTIME_HOOKS_MODULE)
        self.before: list[Hook] = []
        self.after: list[Hook] = []

    def register_before_snapshot(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        self.before.append((func, args, kwargs))
        return func

    def register_after_restore(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        self.after.append((func, args, kwargs))
        return func

    def snapshot(self) -> None:
        while self.before:
            func, args, kwargs = self.before.pop()
            func(*args, **kwargs)

    def restore(self) -> None:
        for func, args, kwargs in self.after:
            func(*args, **kwargs)


@pytest.fixture
def runtime(monkeypatch) -> Iterator[FakeRuntimeHooks]:
    hooks = FakeRuntimeHooks()
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS_MODULE, hooks)
    yield hooks


def test_the_warm_up_runs_before_the_snapshot_not_at_registration(runtime):
    warmed: list[str] = []
    snapstart.prepare_snapshots(lambda: warmed.append("clients, policy, prices"))
    assert warmed == [], "registering runs nothing: an on-demand cold start keeps its lazy first event"
    runtime.snapshot()
    assert warmed == ["clients, policy, prices"]


def test_a_failed_warm_up_is_logged_and_the_snapshot_is_still_taken(runtime, caplog):
    def warm() -> None:
        raise ConnectionError("ssm unreachable")

    snapstart.prepare_snapshots(warm)
    with caplog.at_level(logging.WARNING, logger=snapstart.__name__):
        runtime.snapshot()  # a hook that raises would fail the version's publication
    (record,) = caplog.records
    assert "warm-up before the snapshot failed" in record.getMessage()
    assert record.exc_info is not None and "ssm unreachable" in str(record.exc_info[1])


def test_random_is_seeded_again_after_each_restore(runtime):
    snapstart.prepare_snapshots(lambda: None)
    runtime.snapshot()
    random.seed(1234)  # the state every environment would resume with
    in_the_snapshot = random.getstate()
    runtime.restore()
    first = random.getstate()
    random.setstate(in_the_snapshot)
    runtime.restore()
    second = random.getstate()
    assert first != in_the_snapshot and second != in_the_snapshot and first != second


def test_the_hooks_are_registered_once_each(runtime):
    snapstart.prepare_snapshots(lambda: None)
    assert len(runtime.before) == 1 and len(runtime.after) == 1
    (func, args, _), (restore, _, _) = runtime.before[0], runtime.after[0]
    assert callable(func) and len(args) == 1 and restore is snapstart.reseed_random


def test_outside_lambda_nothing_is_registered_and_nothing_runs(monkeypatch):
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS_MODULE, None)  # import raises ImportError
    warmed: list[bool] = []
    snapstart.prepare_snapshots(lambda: warmed.append(True))
    assert warmed == []
