"""Per-process cache of the facts the check-in path reads on every call and that rarely change.

What: the default election, a TPS by code (id, election, regency, district), the Polres of a regency, the stage
calendar of an election, and a user's check-in grant (permission + area from scope.py). Each entry lives
`SINERGI_OPS_CACHE_TTL` seconds (default 60) and every entry is dropped at once when this process saves or deletes
an Election, Stage, PollingStation, Unit, Agency or a unit's jurisdiction (signals wired in apps.py). A change made
by queryset.update()/bulk_create (no signals) is seen within the TTL. Misses (an unknown TPS) are not cached, so
a new TPS is accepted as soon as it is stored. `clear()` empties the cache.

Across processes: `clear()` also writes a new random version under VERSION_KEY in Django's shared cache (a
folder under the data folder, or Redis); every `get()` reads that one key (no database query) and drops this
process's entries when it changed (read at most every 10 ms per thread: once per check-in, not six times), so a
unit whose jurisdiction was revoked in one server process stops checking in at once in every other process, not
after the TTL.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings

MAX_ENTRIES = 200_000
_store: dict[tuple, tuple[float, Any]] = {}  # (name, key) -> (loaded at, value)
_lock = threading.Lock()
MISSING = object()
VERSION_KEY = "sinergi:ops-cache:version"
_seen_version: list = [MISSING]  # the shared version this process's entries belong to


def _shared_version():
    from django.core.cache import cache as shared

    return shared.get(VERSION_KEY)


_SYNC_EVERY = 0.01  # a check-in reads the cache 6 times: the shared version once (a file read each, ~0.25 ms)
_synced_at = threading.local()


def _sync() -> None:
    """Drop this process's entries when another process has bumped the shared version (read at most every 10 ms
    per thread: once per check-in)."""
    now = time.monotonic()
    if now - getattr(_synced_at, "t", -1.0) < _SYNC_EVERY:
        return
    _synced_at.t = now
    version = _shared_version()
    if version != _seen_version[0]:
        with _lock:
            _store.clear()
            _seen_version[0] = version


def ttl() -> float:
    return float(settings.SINERGI_OPS_CACHE_TTL)


def get(name: str, key, load: Callable[[], Any], *, cache_none: bool = True):
    """The cached value of (name, key), loading (and storing) it when absent or expired."""
    _sync()
    k = (name, key)
    now = time.monotonic()
    hit = _store.get(k)
    if hit is not None and now - hit[0] < ttl():
        return hit[1]
    value = load()
    if value is not None or cache_none:
        with _lock:
            if len(_store) >= MAX_ENTRIES:
                _store.clear()
            _store[k] = (now, value)
    return value


def clear(**_kwargs) -> None:
    """Drop every entry here and, through the shared version, in every other process (a signal receiver too)."""
    from django.core.cache import cache as shared

    version = uuid.uuid4().hex
    shared.set(VERSION_KEY, version, None)
    with _lock:
        _store.clear()
        _seen_version[0] = version


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from sinergi.accounts.models import Agency, Unit
    from sinergi.elections.models import Election, PollingStation, Stage

    for model in (Election, Stage, PollingStation, Unit, Agency, Unit.jurisdiction.through):
        post_save.connect(clear, sender=model, dispatch_uid=f"ops-cache-save-{model._meta.label_lower}")
        post_delete.connect(clear, sender=model, dispatch_uid=f"ops-cache-delete-{model._meta.label_lower}")
    m2m_changed.connect(clear, sender=Unit.jurisdiction.through, dispatch_uid="ops-cache-jurisdiction")
