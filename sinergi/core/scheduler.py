"""One periodic tick at a time, however many schedulers were started by mistake.

PostgreSQL: a session advisory lock (`pg_try_advisory_lock`), released at the end of the tick and by the server
itself when the holder's connection dies. SQLite: a lease row (SchedulerLease) taken with one conditional UPDATE
and valid for `ttl` seconds (a crashed holder's lease simply expires). A tick that does not get the lock skips the
round; the unique alert keys make a doubled tick harmless anyway, the lock makes it cheap and keeps the audit
counts honest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import SchedulerLease


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"sinergi:{name}".encode()).digest()[:8], "big", signed=True)


def holder_name() -> str:
    import os
    import threading

    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:120]


@contextmanager
def scheduler_lock(name: str = "tick", *, ttl: float = 300.0) -> Iterator[bool]:
    """Yields True when this process holds the lock (then do the work), False when another one does."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [_key(name)])
            got = bool(cur.fetchone()[0])
        try:
            yield got
        finally:
            if got:
                try:
                    with connection.cursor() as cur:
                        cur.execute("SELECT pg_advisory_unlock(%s)", [_key(name)])
                except Exception:  # noqa: BLE001 - connection gone: the server released the lock with it
                    pass
        return
    me = holder_name()
    now = timezone.now()
    with transaction.atomic():
        try:
            SchedulerLease.objects.get_or_create(name=name)
        except IntegrityError:
            pass
        got = SchedulerLease.objects.filter(
            Q(holder="") | Q(holder=me) | Q(expires_at__lt=now) | Q(expires_at__isnull=True), name=name,
        ).update(holder=me, expires_at=now + dt.timedelta(seconds=ttl)) == 1
    try:
        yield got
    finally:
        if got:
            try:
                SchedulerLease.objects.filter(name=name, holder=me).update(holder="", expires_at=None)
            except Exception:  # noqa: BLE001 - the lease expires by itself
                pass
