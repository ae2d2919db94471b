"""The demo's clock: the emulated function's modules read the pinned time, and nothing else does."""

from __future__ import annotations

import sys
import types
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hpo_guardrail.embedded.demo_clock import (
    HANDLED_AFTER,
    DemoClock,
    _pinned_datetime,
    _pinned_modules,
    event_time,
)

MOMENT = datetime(2026, 11, 26, 9, 31, tzinfo=UTC)


def test_the_pinned_datetime_reads_the_clock_and_stays_a_datetime():
    pinned = _pinned_datetime(DemoClock(MOMENT))
    assert pinned.now(UTC) == MOMENT and type(pinned.now(UTC)) is datetime
    assert pinned.now(timezone(timedelta(hours=1))) == MOMENT
    assert pinned.utcnow() == MOMENT.replace(tzinfo=None)
    assert isinstance(datetime.now(UTC), pinned) and isinstance(pinned.now(UTC), datetime)
    assert pinned.fromisoformat("2026-01-01T00:00:00+00:00") == datetime(2026, 1, 1, tzinfo=UTC)


def test_the_clock_stands_a_minute_after_each_event_and_on_monday_morning_for_the_report():
    clock = DemoClock(MOMENT)
    clock.handling({"time": "2026-11-26T09:30:00Z", "detail": {"eventTime": "2026-11-26T09:40:00Z"}})
    assert clock.now() == datetime(2026, 11, 26, 9, 40, tzinfo=UTC) + HANDLED_AFTER
    clock.reporting(datetime(2026, 11, 23, tzinfo=UTC))
    assert clock.now() == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert event_time({"detail-type": "x"}) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 1, 1))


def test_only_modules_loaded_from_the_code_directory_see_the_pinned_time(tmp_path):
    inside = types.ModuleType("function_module_for_test")
    inside.__file__ = str(tmp_path / "functions" / "app.py")
    inside.datetime = datetime  # type: ignore[attr-defined]
    outside = types.ModuleType("host_module_for_test")
    outside.__file__ = "/elsewhere/host.py"
    outside.datetime = datetime  # type: ignore[attr-defined]
    sys.modules[inside.__name__], sys.modules[outside.__name__] = inside, outside
    pinned = _pinned_datetime(DemoClock(MOMENT))
    try:
        with _pinned_modules(tmp_path, pinned):
            assert inside.datetime.now(UTC) == MOMENT
            assert outside.datetime is datetime
        assert inside.datetime is datetime
    finally:
        del sys.modules[inside.__name__], sys.modules[outside.__name__]
