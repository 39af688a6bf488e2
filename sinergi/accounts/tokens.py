"""API tokens hashed at rest: issue a random key, keep only its SHA-256, look keys up by digest.

A key has 160 random bits, so a plain (unsalted, fast) SHA-256 is enough: nobody can guess a key from its
digest, and the lookup stays one indexed query (the intake fast path authenticates a whole group of reports
with one query). `last_used_at` is written at most every SINERGI_API_TOKEN_TOUCH_SECONDS per token, so a busy
client does not turn every read into a write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import ApiToken

KEY_BYTES = 20  # 40 hex characters, like the keys issued before hashing


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    return secrets.token_hex(KEY_BYTES)


def lifetime() -> dt.timedelta | None:
    days = int(settings.SINERGI_API_TOKEN_DAYS)
    return dt.timedelta(days=days) if days > 0 else None


def active_q(now: dt.datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(expires_at__isnull=True) | Q(expires_at__gt=now)


def create(*, user, now: dt.datetime | None = None) -> ApiToken:
    """A new token row; the returned object carries the raw key in `.key` (shown once, never stored)."""
    now = now or timezone.now()
    raw = new_key()
    life = lifetime()
    token = ApiToken.objects.create(user=user, prefix=raw[:8], digest=digest(raw), created_at=now,
                                    expires_at=now + life if life else None)
    token.key = raw
    return token


def lookup(raw: str) -> ApiToken | None:
    """The active token of this raw key with its user (unit and agency joined), else None."""
    if not raw or len(raw) > 200:
        return None
    return (ApiToken.objects.select_related("user__unit__agency").filter(active_q(), digest=digest(raw))
            .first())


# The intake fast path authenticates every group of reports: digest -> active token (with its user) is kept
# per process for CACHE_SECONDS. Revocation is seen at once in every process: deleting or saving a token or a
# user (revoke, deactivate, new password, role change through save) writes a new random version under
# VERSION_KEY in Django's shared cache, and each lookup reads that one key (no database query) and drops this
# process's entries when it changed. A change by queryset.update() (no signals) is seen within CACHE_SECONDS.
CACHE_SECONDS = 5.0
VERSION_KEY = "sinergi:api-tokens:version"
_cache: dict[str, tuple[float, ApiToken]] = {}
_cache_version: list = [object()]
_cache_lock = threading.Lock()


def forget(**_kwargs) -> None:
    """Drop the cached tokens here and, through the shared version, in every other process (signal receiver)."""
    from django.core.cache import cache as shared

    version = uuid.uuid4().hex
    shared.set(VERSION_KEY, version, None)
    with _cache_lock:
        _cache.clear()
        _cache_version[0] = version


def _cached(digests: list[str], now: dt.datetime) -> dict[str, ApiToken]:
    from django.core.cache import cache as shared

    version = shared.get(VERSION_KEY)
    out = {}
    with _cache_lock:
        if version != _cache_version[0]:
            _cache.clear()
            _cache_version[0] = version
        clock = time.monotonic()
        for d in digests:
            hit = _cache.get(d)
            if hit is not None and clock - hit[0] < CACHE_SECONDS and (
                    hit[1].expires_at is None or hit[1].expires_at > now):
                out[d] = hit[1]
    return out


def users_for_keys(raw_keys: Iterable[str]) -> dict[str, object]:
    """raw key -> user, for every active token among the keys: at most ONE query (the intake fast path), none
    when every token was looked up in the last CACHE_SECONDS and nothing was revoked since."""
    return {k: t.user for k, t in tokens_for_keys(raw_keys).items()}


def lookup_cached(raw: str) -> ApiToken | None:
    """`lookup` through the per-process cache (every API request): no query when this token was looked up in the
    last CACHE_SECONDS and no token or user was changed since. Records the use like `users_for_keys`."""
    return tokens_for_keys([raw]).get(raw)


def tokens_for_keys(raw_keys: Iterable[str]) -> dict[str, ApiToken]:
    """raw key -> active token (user, unit and agency joined), for `users_for_keys` and `lookup_cached`."""
    by_digest = {digest(k): k for k in raw_keys if k and len(k) <= 200}
    if not by_digest:
        return {}
    now = timezone.now()
    found = _cached(list(by_digest), now)
    missing = [d for d in by_digest if d not in found]
    if missing:
        loaded_at = time.monotonic()
        rows = list(ApiToken.objects.select_related("user__unit__agency")
                    .filter(active_q(now), digest__in=missing).order_by())
        with _cache_lock:
            if len(_cache) > 10_000:
                _cache.clear()
            for t in rows:
                _cache[t.digest] = (loaded_at, t)
        found.update({t.digest: t for t in rows})
    touch(list(found.values()), now)
    return {by_digest[d]: t for d, t in found.items()}


def touch(tokens: Iterable[ApiToken], now: dt.datetime | None = None) -> int:
    """Record use, at most once per SINERGI_API_TOKEN_TOUCH_SECONDS per token (no write on most requests)."""
    now = now or timezone.now()
    every = dt.timedelta(seconds=int(settings.SINERGI_API_TOKEN_TOUCH_SECONDS))
    stale = [t.pk for t in tokens if t.last_used_at is None or t.last_used_at < now - every]
    if not stale:
        return 0
    for t in tokens:  # cached objects: no second write within the period
        if t.pk in stale:
            t.last_used_at = now
    return ApiToken.objects.filter(pk__in=stale).update(last_used_at=now)
