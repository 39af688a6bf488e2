"""Group commit for single-report intake under load.

Each stored report writes an audit event, and the audit chain is a single locked row: one report per
transaction caps intake at one commit (one disk flush) at a time, a few hundred per second. With group commit
on (setting or env SINERGI_INCIDENT_GROUP_COMMIT=1, for threaded WSGI servers), request threads hand their
validated report to one writer thread per process, which stores everything that arrived within a few
milliseconds in one transaction with one audit event per author listing the stored report ids
(services.report_store_group) and only then answers each request: a 2xx still means "stored", and retries with
the same key still get "duplicate". The lean API path (intake.py) hands over the API token unchecked: the writer
authenticates the whole group in one query.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from .models import Report
from .services import GroupEntry, GroupOutcome, ReportInput


def in_exercise() -> bool:
    from sinergi.core.clock import current_exercise

    return current_exercise() is not None


def enabled() -> bool:
    if in_exercise():  # writer threads run outside the exercise's context and database
        return False
    value = settings.SINERGI_INCIDENT_GROUP_COMMIT
    return str(value).lower() in ("1", "true", "yes", "on")


def writers() -> int:
    """Writer threads per process (SINERGI_INCIDENT_GROUP_WRITERS, default 2): while one group waits for its
    commit to reach the disk, the next one is already being inserted (the audit chain orders the commits)."""
    if connection.vendor == "sqlite":
        return 1  # one writer at a time anyway: a second thread would only wait for the lock
    value = settings.SINERGI_INCIDENT_GROUP_WRITERS
    return max(1, int(value))


class GroupWriter:
    def __init__(self, max_batch: int = 1000, max_wait: float = 0.002, enqueue_every: float = 0.5,
                 idle_close: float = 30.0):
        self.max_batch, self.max_wait, self.enqueue_every = max_batch, max_wait, enqueue_every
        self.idle_close = idle_close
        self.q: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._last_enqueue = 0.0
        self._last_group = 0.0
        self._enqueue_due = False

    def _ensure(self) -> None:
        n = writers()
        if len(self._threads) == n and all(t.is_alive() for t in self._threads):
            return
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < n:
                t = threading.Thread(target=self._loop, name="incident-group-commit", daemon=True)
                t.start()
                self._threads.append(t)

    def submit(self, entry: GroupEntry, timeout: float = 30) -> GroupOutcome:
        return self.submit_future(entry).result(timeout=timeout)

    def submit_future(self, entry: GroupEntry) -> Future:
        self._ensure()
        fut: Future = Future()
        self.q.put((entry, fut))
        return fut

    def _loop(self) -> None:
        from .services import processing_enqueue, processing_mode, report_store_group

        while True:
            if self._enqueue_due:  # trailing request: ask once more when intake pauses
                try:
                    first = self.q.get(timeout=self.enqueue_every)
                except queue.Empty:
                    self._enqueue(processing_enqueue)
                    connection.close()
                    continue
            else:
                try:  # the connection stays open while reports come in; closed after a quiet spell
                    first = self.q.get(timeout=self.idle_close)
                except queue.Empty:
                    connection.close()
                    continue
            items = [first]
            # Wait a little for company only when the first arrived alone; under load the queue is never empty.
            deadline = time.monotonic() + self.max_wait
            while len(items) < self.max_batch:
                try:
                    items.append(self.q.get_nowait())
                    continue
                except queue.Empty:
                    pass
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    items.append(self.q.get(timeout=left))
                except queue.Empty:
                    break
            # One connection for the writer's life, not one per group: opening a SQLite connection (functions,
            # pragmas) cost more than storing a group of reports. After a pause it is checked, and replaced if
            # the database went away meanwhile.
            if (connection.connection is not None and time.monotonic() - self._last_group > 1.0
                    and not connection.is_usable()):
                connection.close()
            try:
                outcomes = report_store_group(entries=[e for e, _ in items], enqueue=False)
            except Exception as exc:  # every waiting request gets the error (5xx): nothing is claimed stored
                connection.close()  # start the next group on a fresh connection
                for _, fut in items:
                    fut.set_exception(exc)
                continue
            if any(o.status == "accepted" for o in outcomes) and processing_mode() != "inline":
                self._enqueue_due = True
            if self._enqueue_due and time.monotonic() - self._last_enqueue >= self.enqueue_every:
                self._enqueue(processing_enqueue)
            self._last_group = time.monotonic()
            for (_, fut), out in zip(items, outcomes, strict=True):
                fut.set_result(out)

    def _enqueue(self, processing_enqueue) -> None:
        """Deferred processing is asked for at most every `enqueue_every` seconds (the task processes every
        pending report when it runs), and once more when intake pauses."""
        try:
            processing_enqueue()
            self._enqueue_due, self._last_enqueue = False, time.monotonic()
        except Exception:  # asked again after the next group; `incidents_process` also picks pending reports
            self._last_enqueue = time.monotonic()


_writer = GroupWriter()


def submit_entry(entry: GroupEntry) -> GroupOutcome:
    """Hand one report to this process' writer; returns once its group committed."""
    return _writer.submit(entry)


def submit_entry_future(entry: GroupEntry) -> Future:
    """As submit_entry, without blocking: the future resolves once the report's group committed (ASGI lane)."""
    return _writer.submit_future(entry)


def submit(*, actor, data: ReportInput) -> tuple[Report, bool]:
    """Group-committed equivalent of services.report_submit for an authenticated actor."""
    data.validate()
    out = _writer.submit(GroupEntry(data=data, actor=actor))
    if out.status == "refused":
        raise ValidationError({"category": "kategori atau kode TPS tidak dikenal"})
    return Report.objects.get(pk=out.report_id), out.status == "accepted"
