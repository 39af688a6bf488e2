"""Django's SQLite backend, with the write lock handed over promptly between processes (docs/adr/0052).

SQLite lets one connection write at a time. A connection that finds the database locked sleeps in SQLite's busy
handler on a fixed schedule (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms ...) and tries again; it is not told
when the lock is free. Under `sinergi up` the web processes' intake writers and the report processor write all the
time, so an intake request often slept 25–100 ms after the lock had long been free, or lost the race to the next
transaction of the processor: p99 latencies of half a second at 130 reports/s (issue 20).

Here every transaction (every `transaction.atomic()` block, which starts `BEGIN IMMEDIATE`, settings
`sqlite_database`) first takes an exclusive `flock` on a lock file beside the database, and lets it go when the
transaction ends (commit, rollback or close). Writers of all processes and threads so queue on the lock file and the
next one starts within about a millisecond of the previous commit. The kernel drops the lock of a process that dies,
so a crash never leaves it held. Waiting is bounded by the database's `timeout` option like SQLite's own wait, and
ends with the same "database is locked" error. Statements outside a transaction (autocommit) are left to SQLite's
busy handler as before; in-memory databases have no lock file.

Background writers go last: a connection marked with `yield_to_waiting_writers()` (the report processor, whose
transactions are long and never urgent) lets anyone already waiting for the lock go first. Waiting writers say so
by holding a shared lock on a second file while they wait; the background writer tries that file exclusively and
waits (at most YIELD_MAX) while it is taken, and inside a transaction asks `writers_waiting()` to commit early.
"""

from __future__ import annotations

import fcntl
import os
import time

from django.db import OperationalError
from django.db import connection as default_connection
from django.db.backends.sqlite3 import base

POLL_MAX = 0.001  # longest pause between two tries of a waiting writer
# Longest a background writer lets others go first, per transaction: under a steady stream of intake writers (the
# election-day replay: check-ins all the time) a longer wait starved the processor, whose reports then waited
# seconds for their incident; with 50 ms it still takes only a small share of the lock (processing commits early,
# after its minimum slice, when a writer waits: incidents.services.processing.MIN_SLICE).
YIELD_MAX = 0.05


def yield_to_waiting_writers(conn=None) -> None:
    """Mark this thread's connection (default: the default database's) as a background writer: its transactions
    start only when no other writer is waiting for the lock (or after YIELD_MAX). No effect on other backends."""
    conn = conn or default_connection
    if hasattr(conn, "_writer_yields"):
        conn._writer_yields = True


def writers_waiting(conn=None) -> bool:
    """Whether another writer waits for the write lock now (a background writer inside a transaction asks this to
    commit early). False on other backends."""
    conn = conn or default_connection
    return bool(getattr(conn, "_writer_others_waiting", None) and conn._writer_others_waiting())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._writer_fd: int | None = None
        self._waiting_fd: int | None = None
        self._writer_held = False
        self._writer_yields = False

    # -- the lock file ---------------------------------------------------------------------------------------------
    def _writer_lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}-writer.lock"

    def _writer_acquire(self) -> None:
        if self._writer_held:
            return
        path = self._writer_lock_path()
        if path is None:
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._waiting_fd = os.open(f"{path[:-5]}-waiting.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        if self._writer_yields:
            self._writer_let_others_first()
        try:
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._writer_wait()
        self._writer_held = True

    def _writer_wait(self) -> None:
        """Poll with a short, growing pause (at most POLL_MAX) until the lock is free or the timeout has passed.
        A foreground writer holds the waiting file shared meanwhile; a background writer does not try while one
        does (for at most YIELD_MAX)."""
        now = time.monotonic()
        deadline = now + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        defer_until = now + YIELD_MAX if self._writer_yields else now
        pause = 0.0001
        if not self._writer_yields:
            fcntl.flock(self._waiting_fd, fcntl.LOCK_SH)
        try:
            while True:
                time.sleep(pause)
                pause = min(pause * 1.5, POLL_MAX)
                now = time.monotonic()
                if now > deadline:
                    raise OperationalError("database is locked")  # as SQLite says it, through Django
                if now < defer_until and self._writer_others_waiting():
                    continue
                try:
                    fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    pass
        finally:
            if not self._writer_yields:
                fcntl.flock(self._waiting_fd, fcntl.LOCK_UN)

    def _writer_others_waiting(self) -> bool:
        if self._waiting_fd is None:
            return False
        try:
            fcntl.flock(self._waiting_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._waiting_fd, fcntl.LOCK_UN)
        return False

    def _writer_let_others_first(self) -> None:
        """A background writer: wait while foreground writers wait (at most YIELD_MAX)."""
        deadline = time.monotonic() + YIELD_MAX
        while self._writer_others_waiting() and time.monotonic() < deadline:
            time.sleep(POLL_MAX)

    def _writer_release(self) -> None:
        if self._writer_held and self._writer_fd is not None:
            self._writer_held = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    # -- the transaction's life ------------------------------------------------------------------------------------
    def _start_transaction_under_autocommit(self):
        self._writer_acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._writer_release()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._writer_release()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._writer_release()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._writer_release()
            for fd in (self._writer_fd, self._waiting_fd):
                if fd is not None:
                    os.close(fd)
            self._writer_fd = self._waiting_fd = None
