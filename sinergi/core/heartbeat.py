"""Heartbeat rows of long-running processes (ProcessHeartbeat). Operational bookkeeping, not audited: a row per
process, rewritten every few seconds. Never raises: a heartbeat that cannot be written (database down) is
simply missed, and the lease logic treats a long silence as a dead process."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.db import connection
from django.utils import timezone

from .models import ProcessHeartbeat

log = logging.getLogger("sinergi.loop")
_pending_errors: dict[str, tuple[str, int]] = {}  # name -> (last error, count) not yet written (database down)


def beat(*, name: str, kind: str, task_id: str | None = None) -> None:
    now = timezone.now()
    fields = {"beat_at": now, "kind": kind, "pid": os.getpid(), "host": socket.gethostname()[:120]}
    if task_id is not None:
        fields["task_id"] = task_id
    try:
        n = ProcessHeartbeat.objects.filter(name=name).update(**fields)
        if not n:
            ProcessHeartbeat.objects.get_or_create(name=name, defaults={**fields, "started_at": now})
        pending = _pending_errors.pop(name, None)
        if pending is not None:
            record_error(name=name, kind=kind, error=pending[0], transient=False, count=pending[1])
    except Exception as exc:  # noqa: BLE001
        log.debug("heartbeat of %s not written: %s", name, exc)


def record_error(*, name: str, kind: str, error: str, transient: bool, count: int = 1) -> None:
    from .metrics import LOOP_ERRORS

    LOOP_ERRORS.labels(loop=kind, transient=str(transient).lower()).inc()
    now = timezone.now()
    try:
        from django.db.models import F

        n = ProcessHeartbeat.objects.filter(name=name).update(errors=F("errors") + count, last_error=error[:2000],
                                                              last_error_at=now)
        if not n:
            ProcessHeartbeat.objects.create(name=name, kind=kind, pid=os.getpid(), host=socket.gethostname()[:120],
                                            started_at=now, beat_at=now, errors=count, last_error=error[:2000],
                                            last_error_at=now)
    except Exception:  # noqa: BLE001 - database down: write it with the next successful beat
        prev = _pending_errors.get(name, ("", 0))
        _pending_errors[name] = (error, prev[1] + count)


def forget(*, name: str) -> None:
    try:
        ProcessHeartbeat.objects.filter(name=name).delete()
    except Exception:  # noqa: BLE001
        pass


class BeatThread(threading.Thread):
    """Beats every `every` seconds in the background (a task worker beats also while a long task runs)."""

    def __init__(self, *, name: str, kind: str, every: float = 5.0, chore=None, chore_every: float = 0.0) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{name}")
        self.beat_name, self.kind, self.every = name, kind, every
        self.task_id = ""
        self.chore, self.chore_every = chore, chore_every  # e.g. releasing tasks of dead workers
        self._stop = threading.Event()

    def run(self) -> None:
        import time

        last_chore = 0.0
        try:
            while not self._stop.is_set():
                beat(name=self.beat_name, kind=self.kind, task_id=self.task_id)
                if self.chore is not None and time.monotonic() - last_chore >= self.chore_every:
                    last_chore = time.monotonic()
                    try:
                        self.chore()
                    except Exception as exc:  # noqa: BLE001 - database away: next time
                        log.warning("%s: %s", self.beat_name, exc)
                        connection.close()
                self._stop.wait(self.every)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
