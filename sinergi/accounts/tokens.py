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


def users_for_keys(raw_keys: Iterable[str]) -> dict[str, object]:
    """raw key -> user, for every active token among the keys: ONE query (the intake fast path)."""
    by_digest = {digest(k): k for k in raw_keys if k and len(k) <= 200}
    if not by_digest:
        return {}
    rows = list(ApiToken.objects.select_related("user__unit__agency")
                .filter(active_q(), digest__in=list(by_digest)).order_by())
    touch(rows)
    return {by_digest[t.digest]: t.user for t in rows}


def touch(tokens: Iterable[ApiToken], now: dt.datetime | None = None) -> int:
    """Record use, at most once per SINERGI_API_TOKEN_TOUCH_SECONDS per token (no write on most requests)."""
    now = now or timezone.now()
    every = dt.timedelta(seconds=int(settings.SINERGI_API_TOKEN_TOUCH_SECONDS))
    stale = [t.pk for t in tokens if t.last_used_at is None or t.last_used_at < now - every]
    if not stale:
        return 0
    return ApiToken.objects.filter(pk__in=stale).update(last_used_at=now)
