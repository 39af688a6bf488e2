"""Long-running loops that survive database restarts and network errors.

A transient error (the database restarted, a connection was cut, SQLite busy) is logged, every database
connection of the thread is closed, and the loop tries again after a growing pause (back-off, capped). It never
exits on a transient error. Any other error is "permanent" for that round: logged with its traceback, counted and
recorded on the process's heartbeat row (shown on the tasks page and in /readyz), and the loop goes on after the
same back-off, so one bad record cannot stop the processor.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connections

log = logging.getLogger("sinergi.loop")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def is_transient(exc: BaseException) -> bool:
    """Database unreachable / restarted / connection cut / SQLite locked: worth retrying as is."""
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    # psycopg raises AdminShutdown (a DatabaseError) when the server is shut down under a running query.
    return isinstance(exc, DatabaseError) and "terminat" in str(exc).lower()


def close_connections() -> None:
    """Drop every database connection of this thread (a broken one cannot be reused)."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:  # already broken: Django forgets it anyway
            conn.connection = None


class Backoff:
    """Pauses of initial, 2x, 4x ... up to `cap` seconds, with +-20 % jitter; reset after a success."""

    def __init__(self, initial: float = 0.5, cap: float = 30.0) -> None:
        self.initial, self.cap, self.failures = initial, cap, 0

    def next(self) -> float:
        self.failures += 1
        base = min(self.cap, self.initial * 2 ** (self.failures - 1))
        return base * random.uniform(0.8, 1.2)  # noqa: S311

    def reset(self) -> None:
        self.failures = 0


def process_name(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}"[:64]


class Stopper:
    """Set by SIGTERM/SIGINT: the loop finishes its round and exits cleanly."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> Stopper:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.event.set())
        return self

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def sleep(self, seconds: float) -> None:
        self.event.wait(max(0.0, seconds))


def run_loop(step: Callable[[], Any], *, name: str, kind: str, interval: float,
             stopper: Stopper | None = None, on_result: Callable[[Any], None] | None = None,
             next_interval: Callable[[Any], float] | None = None, max_rounds: int = 0) -> None:
    """Call `step()` every `interval` seconds until stopped; transient errors back off and retry, others are
    logged and recorded, and the loop goes on. The process's heartbeat row says it is alive."""
    from . import heartbeat

    stopper = stopper or Stopper().install()
    backoff = Backoff()
    rounds = 0
    while not stopper.stopped:
        rounds += 1
        try:
            close_old_connections()
            result = step()
            heartbeat.beat(name=name, kind=kind)
            backoff.reset()
            if on_result is not None:
                on_result(result)
            pause = next_interval(result) if next_interval is not None else interval
        except Exception as exc:  # noqa: BLE001 - the loop must survive everything but a signal
            transient = is_transient(exc)
            pause = backoff.next()
            if transient:
                log.warning("%s: transient database error, retrying in %.1f s: %s", name, pause, exc,
                            extra={"loop": name, "error": str(exc), "retry_in_s": round(pause, 1)})
            else:
                log.exception("%s: error, retrying in %.1f s", name, pause, extra={"loop": name})
            close_connections()
            heartbeat.record_error(name=name, kind=kind, error=f"{type(exc).__name__}: {exc}", transient=transient)
        if max_rounds and rounds >= max_rounds:
            return
        if not stopper.stopped:
            stopper.sleep(pause)
    close_connections()
