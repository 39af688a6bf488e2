"""The one clock of Sinergi.

Everything that depends on the date or on the stage of the election (stage gates, check-in windows, alerts,
deadlines, the periodic tick, the daily report) reads the time here, never `timezone.now()` directly, so that
an exercise (latihan pra operasi) can move it.

Outside an exercise this is the wall clock (aware, UTC). Inside an exercise context (a request that entered the
exercise, an API call with the exercise header, the tick running for the exercise; see sinergi/core/sandbox.py
and docs/adr/0025-exercise-mode.md) it is the exercise clock:

    simulated = window start + (wall - started at) x speed, held within [window start, window end]

and frozen at the moment the exercise was stopped.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone


@dataclass(frozen=True)
class ExerciseClock:
    """What the clock needs to know about the current exercise (a snapshot: reading it never queries)."""

    exercise_id: int
    sim_start: datetime
    sim_end: datetime
    started_at: datetime
    speed: int
    database: str = ""
    frozen_at: datetime | None = None  # wall time the exercise stopped: the clock stays there
    title: str = ""

    def at(self, wall: datetime) -> datetime:
        """The simulated time at wall time `wall`."""
        if self.frozen_at is not None and wall > self.frozen_at:
            wall = self.frozen_at
        sim = self.sim_start + (wall - self.started_at) * self.speed
        return min(max(sim, self.sim_start), self.sim_end)

    def wall_for(self, sim: datetime) -> datetime:
        """The wall time at which the exercise clock shows `sim` (inverse of `at` inside the window)."""
        return self.started_at + (sim - self.sim_start) / self.speed

    @property
    def ended(self) -> bool:
        return self.at(timezone.now()) >= self.sim_end


_current: ContextVar[ExerciseClock | None] = ContextVar("sinergi_exercise", default=None)


def now() -> datetime:
    """The current time (aware, UTC) as the product should see it: simulated inside an exercise."""
    wall = timezone.now()
    clock = _current.get()
    return clock.at(wall) if clock is not None else wall


def localdate() -> date:
    """Today in the local time zone (settings.TIME_ZONE) by this clock."""
    return timezone.localtime(now()).date()


def wall_now() -> datetime:
    """The real time, also inside an exercise (audit timestamps, run records, session timeouts)."""
    return timezone.now()


def current_exercise() -> ExerciseClock | None:
    """The exercise whose context this code runs in, or None for the real operation."""
    return _current.get()


def set_exercise(clock: ExerciseClock | None):
    """Set the exercise context; returns the token for `reset_exercise`. Use sinergi.core.sandbox.enter, which
    also switches the database."""
    return _current.set(clock)


def reset_exercise(token) -> None:
    _current.reset(token)
