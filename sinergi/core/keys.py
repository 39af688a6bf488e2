"""Keys that live outside the database: the audit-chain key and the field-encryption key.

Each is taken from an environment variable (via settings) or from a file in the data folder, created once
with mode 0600 (like the generated SECRET_KEY of the embedded deployment). Someone who copies or edits the
database alone therefore cannot recompute the audit chain, forge a checkpoint or read encrypted secrets.

Audit keys rotate: the current key signs new events; earlier keys stay readable for verification in the
folder ``<data>/audit_keys/`` (one file per key) or in SINERGI_AUDIT_OLD_KEYS. Every event records the id of
the key that chained it (the first 8 hex digits of the key's SHA-256: it names the key, it does not reveal it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from django.conf import settings


def private_file(path: Path, content: str) -> None:
    """Write a new file readable by the owner only (0600), its folder 0700 when we create it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(content)


def _key_from(setting: str, file_setting: str, default_name: str) -> bytes:
    value = getattr(settings, setting) or ""  # a declared setting named by the caller
    if value:
        return value.encode()
    path = Path(getattr(settings, file_setting) or Path(settings.DATA_DIR) / default_name)
    if not path.exists():
        try:
            private_file(path, secrets.token_hex(32))
        except FileExistsError:  # another process created it meanwhile
            pass
    return path.read_text().strip().encode()


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


# --- audit chain ----------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _audit_keys() -> tuple[str, dict[str, bytes]]:
    current = _key_from("SINERGI_AUDIT_KEY", "SINERGI_AUDIT_KEY_FILE", "audit_key")
    ring = {key_id(current): current}
    for old in settings.SINERGI_AUDIT_OLD_KEYS or []:
        ring.setdefault(key_id(old.encode()), old.encode())
    folder = Path(settings.DATA_DIR) / "audit_keys"
    if folder.is_dir():
        for f in sorted(folder.glob("*.key")):
            k = f.read_text().strip().encode()
            ring.setdefault(key_id(k), k)
    return key_id(current), ring


def reset_cache() -> None:
    """Forget loaded keys (tests and key rotation)."""
    _audit_keys.cache_clear()
    _signing_key.cache_clear()
    _aead.cache_clear()


def audit_key_id() -> str:
    return _audit_keys()[0]


def audit_mac(text: str, kid: str | None = None) -> str:
    """HMAC-SHA256 of `text` under the key `kid` (default: the current key). KeyError for an unknown key."""
    current, ring = _audit_keys()
    return hmac.new(ring[kid or current], text.encode("utf-8"), hashlib.sha256).hexdigest()


def audit_mac_ok(text: str, mac: str, kid: str) -> bool:
    try:
        return hmac.compare_digest(audit_mac(text, kid), mac)
    except KeyError:
        return False


# --- checkpoint signatures (Ed25519: anyone holding the public key verifies offline) -------------------

@lru_cache(maxsize=8)
def _signing_key(kid: str | None = None):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    current, ring = _audit_keys()
    seed = hmac.new(ring[kid or current], b"sinergi audit checkpoint v1", hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_b64(kid: str | None = None) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = _signing_key(kid).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign(text: str) -> str:
    return base64.b64encode(_signing_key().sign(text.encode("utf-8"))).decode()


def signature_ok(text: str, signature: str, public_key: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(
            base64.b64decode(signature), text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def known_public_keys() -> dict[str, str]:
    """key id -> public key of every audit key this installation holds (to check its own checkpoints)."""
    return {kid: public_key_b64(kid) for kid in _audit_keys()[1]}


# --- field encryption (TOTP secrets) ------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _aead():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = _key_from("SINERGI_FIELD_KEY", "SINERGI_FIELD_KEY_FILE", "field_key")
    return AESGCM(hashlib.sha256(raw).digest())


ENC_PREFIX = "e1$"


def encrypt(plain: bytes) -> str:
    """AES-256-GCM with a random nonce; short enough for an 80-character column (20-byte TOTP secret -> 67)."""
    nonce = os.urandom(12)
    return ENC_PREFIX + base64.urlsafe_b64encode(nonce + _aead().encrypt(nonce, plain, None)).decode()


def decrypt(value: str) -> bytes:
    blob = base64.urlsafe_b64decode(value[len(ENC_PREFIX):].encode())
    return _aead().decrypt(blob[:12], blob[12:], None)


def is_encrypted(value: str) -> bool:
    return value.startswith(ENC_PREFIX)
