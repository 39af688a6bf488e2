"""Web Push (RFC 8030) to the installed field app: VAPID keys (RFC 8292) and sending one notice.

- Keys: the private key comes from ``SINERGI_WEBPUSH_VAPID_PRIVATE_KEY`` (PEM, or raw/DER base64url) or from the
  0600 file ``SINERGI_WEBPUSH_VAPID_KEY_FILE`` in the data folder, written by ``manage.py messaging_vapid_keys``
  (which ``sinergi up`` runs) when none is configured. Never in the database. The public key (uncompressed P-256
  point, base64url) is what ``PushManager.subscribe`` gets as ``applicationServerKey``.
- Sending: pywebpush encrypts the payload for the subscription (``Content-Encoding: aes128gcm``, RFC 8291) and
  py-vapid signs the ``Authorization: vapid t=..., k=...`` header; the request itself goes through
  ``sinergi.core.outbound.post`` like every other outbound request (internal addresses refused unless
  allow-listed, no redirects, timeout). 404/410 from the push service: the subscription is gone (the caller
  deletes it); 429/5xx/network: retried by the outbox.
- Content: only a short notice ("Pesan baru dari <unit>") and the inbox link travel through the push service,
  never the message text, so messages of every TLP marking may notify.
"""

from __future__ import annotations

import base64
import json
import os
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPusher

from sinergi.core import outbound

TTL_S = 24 * 3600  # a phone offline for up to a day still gets the notice


class PushGone(Exception):
    """The push service answered 404/410: the subscription expired or was revoked."""


class PushFailed(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _key_text() -> str:
    configured = (settings.SINERGI_WEBPUSH_VAPID_PRIVATE_KEY or "").strip()
    if configured:
        return configured
    path = Path(settings.SINERGI_WEBPUSH_VAPID_KEY_FILE)
    if path.is_file():
        return path.read_text()
    return ""


@lru_cache(maxsize=4)
def _vapid_from(text: str) -> Vapid:
    if "-----BEGIN" in text:
        return Vapid.from_pem(text.encode())
    return Vapid.from_string(text)


def vapid() -> Vapid | None:
    """The configured key pair, or None when Web Push is not set up."""
    text = _key_text()
    return _vapid_from(text) if text else None


def public_key() -> str:
    """The VAPID public key for ``applicationServerKey`` (base64url, uncompressed point), "" when not set up."""
    v = vapid()
    if v is None:
        return ""
    return _b64url(v.public_key.public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint))


def generate_key_file(path: Path) -> bool:
    """Write a new private key (PEM) to `path` with mode 0600 unless a key is configured or the file exists.
    Returns True when a key was written."""
    if (settings.SINERGI_WEBPUSH_VAPID_PRIVATE_KEY or "").strip() or path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    v = Vapid()
    v.generate_keys()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(v.private_pem())
    os.chmod(path, 0o600)
    return True


def notice(*, unit_name: str, recipient_id: int, message_id: int) -> str:
    """The payload the push service carries: a short notice and the inbox link — never the message text."""
    title = f"Pesan baru dari {unit_name}" if unit_name else "Pesan baru"
    return json.dumps({"title": title, "url": f"/pesan/{recipient_id}/", "tag": f"pesan-{message_id}"})


def send(*, endpoint: str, p256dh: str, auth: str, payload: str) -> str:
    """Encrypt `payload` for the subscription and POST it to its push service; returns the push service's
    message location (or "") on 201. Raises PushGone on 404/410 and PushFailed otherwise."""
    v = vapid()
    if v is None:
        raise PushFailed("Web Push belum dikonfigurasi (kunci VAPID)", permanent=True)
    pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
    try:
        encoded = pusher.encode(payload.encode(), content_encoding="aes128gcm")
    except Exception as exc:  # noqa: BLE001 — bad keys from a browser: the subscription is unusable
        raise PushFailed(f"kunci langganan tidak valid: {type(exc).__name__}", permanent=True) from None
    parts = urlsplit(endpoint)
    claims = {"sub": settings.SINERGI_WEBPUSH_SUBJECT, "aud": f"{parts.scheme}://{parts.netloc}",
              "exp": int(time.time()) + 12 * 3600}
    headers = {**v.sign(claims), "Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
               "TTL": str(TTL_S), "Urgency": "high"}
    headers.pop("Crypto-Key", None)  # aes128gcm carries the key in the body; RFC 8292 puts k= in Authorization
    try:
        resp = outbound.post(endpoint, data=encoded["body"], headers=headers, timeout=10.0)
    except outbound.OutboundError as exc:
        if exc.status in (404, 410):
            raise PushGone(f"HTTP {exc.status}") from None
        permanent = exc.status is not None and 400 <= exc.status < 500 and exc.status != 429
        if exc.status is None and str(exc) in (str(outbound.MSG_REFUSED), str(outbound.MSG_INVALID)):
            permanent = True
        raise PushFailed(f"{exc}" + (f" ({exc.detail})" if exc.detail and exc.status else ""),
                         permanent=permanent) from None
    return resp.headers.get("location", "")[:120]
