"""Group commit for single-report intake under load.

Each stored report writes one audit event, and the audit chain is a single locked row: one report per
transaction caps intake at one commit (one disk flush) at a time, a few hundred per second. With group commit
on (setting or env SINERGI_INCIDENT_GROUP_COMMIT=1, for threaded WSGI servers), request threads hand their
validated report to one writer thread per process, which stores everything that arrived within a few
milliseconds in one transaction with one audit event (like the batch endpoint) and only then answers each
request: a 2xx still means "stored", and retries with the same key still get "duplicate".
"""

from __future__ import annotations

import os
import queue
import threading
import time
from concurrent.futures import Future

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from .models import Report


def enabled() -> bool:
    value = getattr(settings, "SINERGI_INCIDENT_GROUP_COMMIT", os.environ.get("SINERGI_INCIDENT_GROUP_COMMIT", ""))
    return str(value).lower() in ("1", "true", "yes", "on")


class GroupWriter:
    def __init__(self, max_batch: int = 1000, max_wait: float = 0.004):
        self.max_batch, self.max_wait = max_batch, max_wait
        self.q: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="incident-group-commit", daemon=True)
                self._thread.start()

    def submit(self, *, actor, data, timeout: float = 30) -> tuple[Report, bool]:
        data.validate()
        self._ensure()
        fut: Future = Future()
        self.q.put((actor, data, fut))
        return fut.result(timeout=timeout)

    def _loop(self) -> None:
        from .services import report_submit_batch

        while True:
            items = [self.q.get()]
            deadline = time.monotonic() + self.max_wait
            while len(items) < self.max_batch:
                left = deadline - time.monotonic()
                try:
                    items.append(self.q.get(timeout=left) if left > 0 else self.q.get_nowait())
                except queue.Empty:
                    break
            close_old_connections()
            by_actor: dict[int | None, list] = {}
            for item in items:
                by_actor.setdefault(getattr(item[0], "pk", None), []).append(item)
            for group in by_actor.values():
                try:
                    results = report_submit_batch(actor=group[0][0], items=[d for _, d, _ in group])
                except Exception as exc:  # every waiting request gets the error (5xx): nothing is claimed stored
                    for _, _, fut in group:
                        fut.set_exception(exc)
                    continue
                ids = [r.report_id for r in results if r.report_id]
                reports = Report.objects.in_bulk(ids)
                for r, (_, _, fut) in zip(results, group, strict=True):
                    if r.status == "rejected":
                        fut.set_exception(ValidationError(r.errors or {}))
                    else:
                        fut.set_result((reports[r.report_id], r.status == "accepted"))
            if self.q.empty():  # idle: do not keep a database connection open in this thread
                connection.close()


_writer = GroupWriter()


def submit(*, actor, data) -> tuple[Report, bool]:
    return _writer.submit(actor=actor, data=data)
