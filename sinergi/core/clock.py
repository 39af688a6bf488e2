"""The one clock of Sinergi.

Everything that depends on the date or on the stage of the election (stage gates, check-in windows, alerts,
deadlines, the periodic tick, the daily report) reads the time here, never `timezone.now()` directly, so that
an exercise (latihan pra operasi) can move it.

Today this is the wall clock (aware, UTC). The exercise mode extends it with a simulated clock for the
records of a running exercise.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current time (aware, UTC) as the product should see it."""
    return timezone.now()
