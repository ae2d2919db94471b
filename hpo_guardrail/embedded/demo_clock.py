"""The demo's clock: the deployed functions see the time the sample events say, not the day the demo runs.

The sample events carry fixed times (CloudTrail's eventTime). Run with the machine's clock, a function
handling an event from last month would find the job a month old: the cost a stop avoids (the unspent part
of the worst case) would shrink with every day the demo is run, and reach $0. So each event is handled at a
fixed moment after its own time (`HANDLED_AFTER`), and the weekly reporter runs when its schedule would,
on the Monday after the last sample week: the demo prints the same figures whenever it runs.

Only the emulated functions' own modules (the deployed code, run in this process by the FunctionRunner)
see the pinned time, and only while they handle an invocation; the emulator and everything else keep the
machine's clock. Product code is not told: it reads `datetime.now` as it does in Lambda.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TextIO

from hpo_guardrail.embedded.deployment import DeployedStack
from hpo_guardrail.embedded.emulator import EmbeddedAws
from hpo_guardrail.embedded.lambda_runtime import FunctionRunner, LambdaContext

# How long after the API call the demo's function handles its event (CloudTrail hands calls to EventBridge
# within minutes).
HANDLED_AFTER = timedelta(minutes=1)
# The reporter's schedule: cron(0 7 ? * MON *), in UTC.
REPORT_HOUR_UTC = 7

_REAL_DATETIME = datetime


class DemoClock:
    """A clock that stands still at a moment the demo sets (timezone-aware, UTC)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the demo's clock needs a timezone-aware moment")
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def handling(self, event: dict[str, Any]) -> None:
        """Stand at HANDLED_AFTER after the event's time (CloudTrail's eventTime, else the envelope's)."""
        moment = event_time(event)
        if moment is not None:
            self.set(moment + HANDLED_AFTER)

    def reporting(self, week_starts: datetime) -> None:
        """Stand where the weekly schedule runs for the ISO week starting at `week_starts`: the next Monday."""
        self.set(week_starts.astimezone(UTC) + timedelta(weeks=1, hours=REPORT_HOUR_UTC))


def event_time(event: dict[str, Any]) -> datetime | None:
    """When the call happened: CloudTrail's eventTime, else the envelope's time; None when neither is given."""
    detail = event.get("detail")
    when = (detail.get("eventTime") if isinstance(detail, dict) else None) or event.get("time")
    if not when:
        return None
    moment = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _PinnedMeta(type):
    # A datetime made anywhere is an instance of the pinned class, and the other way round.
    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, _REAL_DATETIME)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _REAL_DATETIME)


def _pinned_datetime(clock: DemoClock) -> type[datetime]:
    class PinnedDatetime(_REAL_DATETIME, metaclass=_PinnedMeta):
        """datetime, except that now() and utcnow() read the demo's clock (and return plain datetimes)."""

        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            moment = clock.now()
            return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)

        @classmethod
        def utcnow(cls) -> datetime:  # type: ignore[override]
            return clock.now().astimezone(UTC).replace(tzinfo=None)

    return PinnedDatetime


@contextmanager
def _pinned_modules(code_dir: Path, pinned: type[datetime]) -> Iterator[None]:
    """Point the `datetime` name of every module loaded from `code_dir` at `pinned`, then back."""
    roots = (str(code_dir), str(code_dir.resolve()))
    swapped = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if path.startswith(roots) and module.__dict__.get("datetime") is _REAL_DATETIME:
            module.__dict__["datetime"] = pinned
            swapped.append(module)
    try:
        yield
    finally:
        for module in swapped:
            module.__dict__["datetime"] = _REAL_DATETIME


class PinnedClockRunner(FunctionRunner):
    """A FunctionRunner whose function reads the time from a DemoClock while it handles an invocation."""

    clock: DemoClock | None = None

    @classmethod
    def at(
        cls,
        clock: DemoClock,
        aws: EmbeddedAws,
        stack: DeployedStack,
        workdir: Path,
        *,
        echo: TextIO | None = None,
        function_name: str | None = None,
    ) -> PinnedClockRunner:
        """A runner of the stack's function (or another of its functions) that reads the time from `clock`."""
        runner = cls.for_stack(aws, stack, workdir, echo=echo, function_name=function_name)
        assert isinstance(runner, PinnedClockRunner)
        runner.clock = clock
        return runner

    def _loaded_handler(self) -> Callable[[dict[str, Any], LambdaContext], Any]:
        handler = super()._loaded_handler()
        clock = self.clock
        if clock is None:
            return handler
        pinned = _pinned_datetime(clock)

        def at_the_demos_time(event: dict[str, Any], context: LambdaContext) -> Any:
            # After the cold start: the function's modules are loaded (and in sys.modules) by now.
            with _pinned_modules(self.code_dir, pinned):
                return handler(event, context)

        return at_the_demos_time
