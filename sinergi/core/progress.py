"""Progress of long work: one call for the task code, shown on the task's page and on a terminal.

Task code (a plan run, an import, a recompute, a report, the dataset load) says how far it got with

    progress(run, done, total, step="Menghitung kelompok")

where `run` is its TaskRun (or None for work without a run record, e.g. the set-up steps of `sinergi up`).
Calls are cheap: the run row is written at most every PROGRESS_WRITE_INTERVAL_S seconds per run, and at once when
the step changes or the work completes, so calling it for every item of a 20,000-row import costs one UPDATE per
second. The pages read the row (bar, percent, step, time left; sinergi/templates/core/_progress.html and
static/js/progress.js, polled while the run is active). A terminal command installs a reporter
(`progress_reporter`) that sees every call and draws a bar (rich) or prints plain lines (sinergi/cli.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: at most one write of a run's progress per this many seconds (plus step changes and completion)
PROGRESS_WRITE_INTERVAL_S = 1.0

Reporter = Callable[[str, int, "int | None", str], None]
_reporters: ContextVar[tuple[Reporter, ...]] = ContextVar("sinergi_progress_reporters", default=())
_last: dict[int, tuple[float, str]] = {}
_lock = threading.Lock()


def progress(run: Any, done: int, total: int | None = None, step: str = "", *, label: str = "") -> None:
    """Record that `run` has done `done` of `total` items and is on `step` (throttled; never raises for the caller
    when the write fails — progress is best-effort and must not fail the work)."""
    done = max(0, int(done))
    total = None if total is None else max(0, int(total))
    step = str(step)[:200]
    notify(run, done, total, step, label=label)
    if run is None or getattr(run, "pk", None) is None:
        return
    now = time.monotonic()
    with _lock:
        last_at, last_step = _last.get(run.pk, (0.0, None))
        due = (now - last_at >= PROGRESS_WRITE_INTERVAL_S or step != last_step
               or (total is not None and done >= total))
        if due:
            _last[run.pk] = (now, step)
    if not due:
        return
    _write(run, done, total, step)


def notify(run: Any, done: int, total: int | None, step: str, *, label: str = "") -> None:
    """Pass a progress report to the reporters installed by the caller (a terminal), without writing the run."""
    for reporter in _reporters.get():
        try:
            reporter(label or (getattr(run, "kind", "") if run is not None else ""), done, total, step)
        except Exception:  # a broken terminal never stops the work
            pass


def _write(run, done: int, total: int | None, step: str) -> None:
    """UPDATE the run's progress columns. Inside a transaction (an import applying its rows atomically) the update
    stays invisible to the page until the commit, so on PostgreSQL it is also sent through a connection of its
    own (a short-lived thread, with a lock timeout so it never waits long on the work's own locks; after one such
    wait the run stops trying). On SQLite a second writer would wait for the work's transaction, so there the
    page sees the steps before and after the transaction."""
    from django.db import connection

    from .clock import wall_now

    fields = {"progress_done": done, "progress_total": total, "progress_step": step, "progress_at": wall_now()}
    for k, v in fields.items():
        setattr(run, k, v)
    if connection.in_atomic_block and connection.vendor == "postgresql" and run.pk not in _no_side_channel:
        ok: list[bool] = []
        t = threading.Thread(target=lambda: ok.append(_update(run.pk, fields, own_connection=True)), daemon=True)
        t.start()
        t.join(timeout=2.0)
        if not ok or not ok[0]:
            _no_side_channel.add(run.pk)
    _update(run.pk, fields)


_no_side_channel: set[int] = set()


def _update(pk: int, fields: dict, own_connection: bool = False) -> bool:
    import logging

    from django.db import DatabaseError, connection, transaction

    from .models import TaskRun

    try:
        if own_connection:
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL lock_timeout = '300ms'")
                TaskRun.objects.filter(pk=pk).update(**fields)
        else:
            TaskRun.objects.filter(pk=pk).update(**fields)
        return True
    except DatabaseError:
        logging.getLogger(__name__).info("progress of run %s not recorded here", pk, exc_info=True)
        return False
    finally:
        if own_connection:
            connection.close()


def forget(run) -> None:
    """Drop the throttle state of a finished run (RunRecorder calls it)."""
    with _lock:
        _last.pop(getattr(run, "pk", None), None)
        _no_side_channel.discard(getattr(run, "pk", None))


@contextmanager
def progress_reporter(reporter: Reporter) -> Iterator[None]:
    """Within the block, every progress() call is also passed to reporter(label, done, total, step)."""
    token = _reporters.set((*_reporters.get(), reporter))
    try:
        yield
    finally:
        _reporters.reset(token)


def steps(run: Any, names: list[str], *, label: str = "") -> Callable[[int], None]:
    """For work made of a few named steps: `at = steps(run, [...]); at(0); ...; at(len(names))` reports step i
    of n with its name (the last call, with i == n, marks the work complete)."""

    def at(i: int) -> None:
        progress(run, i, len(names), names[i] if i < len(names) else (names[-1] if names else ""), label=label)

    return at


def progress_data(run, now=None) -> dict[str, Any]:
    """What the pages show of a run's progress (the JSON the task page polls)."""
    from django.utils import formats, timezone

    from .clock import wall_now

    now = now or wall_now()
    left = run.progress_left_s(now)
    pct = run.progress_percent
    return {
        "id": run.pk, "status": run.status, "status_label": str(run.get_status_display()), "active": run.active,
        "done": run.progress_done, "total": run.progress_total, "percent": pct,
        "done_text": formats.number_format(run.progress_done, use_l10n=True, force_grouping=True),
        "total_text": (formats.number_format(run.progress_total, use_l10n=True, force_grouping=True)
                       if run.progress_total is not None else ""),
        "step": run.progress_step, "left_s": None if left is None else round(left, 1),
        "left_text": _left_text(left),
        "updated": formats.time_format(timezone.localtime(now), "H:i:s"),
    }


def _left_text(left: float | None) -> str:
    from django.utils.translation import gettext as _

    from .templatetags.sinergi_tags import duration

    if left is None:
        return ""
    if left < 60:
        return _("kurang dari 1 menit") if left >= 5 else _("beberapa detik")
    return duration(left / 60)
