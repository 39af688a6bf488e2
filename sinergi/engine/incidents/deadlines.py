"""Legal deadlines: calendar days, working days (weekends and holidays skipped) or hours."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = ["DeadlineSpec", "add_working_days", "due_at", "remaining"]


@dataclass(frozen=True)
class DeadlineSpec:
    """``amount`` of ``unit`` ("hours", "days" or "working_days"), optionally extendable by ``extension``."""

    code: str
    amount: int
    unit: str = "days"
    extension: int = 0


def add_working_days(start: datetime, n: int, holidays: Collection[date] = (),
                     weekend: Collection[int] = (5, 6)) -> datetime:
    """``start`` moved forward by ``n`` working days, keeping the time of day.

    >>> add_working_days(datetime(2024, 11, 22, 10), 2).isoformat()  # Friday + 2 = Tuesday
    '2024-11-26T10:00:00'
    >>> add_working_days(datetime(2024, 11, 26, 10), 1, holidays={date(2024, 11, 27)}).isoformat()
    '2024-11-28T10:00:00'
    """
    d = start
    left = n
    while left > 0:
        d += timedelta(days=1)
        if d.weekday() in weekend or d.date() in holidays:
            continue
        left -= 1
    return d


def due_at(spec: DeadlineSpec, start: datetime, *, extended: bool = False, holidays: Collection[date] = (),
           weekend: Collection[int] = (5, 6)) -> datetime:
    """When the deadline falls.

    >>> due_at(DeadlineSpec("bawaslu", 3, "days", 2), datetime(2024, 11, 27, 9), extended=True).day
    2
    >>> due_at(DeadlineSpec("forward", 24, "hours"), datetime(2024, 11, 27, 9)).day
    28
    """
    amount = spec.amount + (spec.extension if extended else 0)
    if spec.unit == "hours":
        return start + timedelta(hours=amount)
    if spec.unit == "working_days":
        return add_working_days(start, amount, holidays, weekend)
    if spec.unit == "days":
        return start + timedelta(days=amount)
    raise ValueError(f"unknown deadline unit {spec.unit!r}")


def remaining(due: datetime, now: datetime) -> timedelta:
    """Time left (negative when overdue)."""
    return due - now
