"""Per-process cache of the facts the check-in path reads on every call and that rarely change.

What: the default election, a TPS by code (id, election, regency, district), the Polres of a regency, the stage
calendar of an election, and a user's check-in grant (permission + area from scope.py). Each entry lives
`SINERGI_OPS_CACHE_TTL` seconds (default 60) and every entry is dropped at once when this process saves or deletes
an Election, Stage, PollingStation, Unit, Agency or a unit's jurisdiction (signals wired in apps.py). A change made
by another process, or with queryset.update()/bulk_create (no signals), is seen within the TTL. Misses (an unknown
TPS) are not cached, so a new TPS is accepted as soon as it is stored. `clear()` empties the cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

MAX_ENTRIES = 200_000
_store: dict[tuple, tuple[float, Any]] = {}  # (name, key) -> (loaded at, value)
_lock = threading.Lock()
MISSING = object()


def ttl() -> float:
    return float(getattr(settings, "SINERGI_OPS_CACHE_TTL", 60.0))


def get(name: str, key, load: Callable[[], Any], *, cache_none: bool = True):
    """The cached value of (name, key), loading (and storing) it when absent or expired."""
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
    """Drop every entry (a signal receiver too)."""
    with _lock:
        _store.clear()


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from sinergi.accounts.models import Agency, Unit
    from sinergi.elections.models import Election, PollingStation, Stage

    for model in (Election, Stage, PollingStation, Unit, Agency, Unit.jurisdiction.through):
        post_save.connect(clear, sender=model, dispatch_uid=f"ops-cache-save-{model._meta.label_lower}")
        post_delete.connect(clear, sender=model, dispatch_uid=f"ops-cache-delete-{model._meta.label_lower}")
    m2m_changed.connect(clear, sender=Unit.jurisdiction.through, dispatch_uid="ops-cache-jurisdiction")
