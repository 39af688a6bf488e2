"""Secrets at rest: TOTP secrets are encrypted with a key outside the database; the key files, the SQLite
database, uploads and report archives are created readable by the owner only."""

from __future__ import annotations

import importlib
import stat
from binascii import hexlify
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sinergi.core import keys

pytestmark = pytest.mark.django_db


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_totp_secret_is_encrypted_in_the_database_and_still_verifies(make_user, settings, tmp_path):
    user = make_user(role="commander")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    secret = device.bin_key
    with connection.cursor() as cur:
        cur.execute("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device.pk])
        stored = cur.fetchone()[0]
    assert stored.startswith("e1$") and hexlify(secret).decode() not in stored and len(stored) <= 80
    fresh = TOTPDevice.objects.get(pk=device.pk)
    code = totp(fresh.bin_key, step=fresh.step, t0=fresh.t0, digits=fresh.digits)
    assert fresh.verify_token(f"{code:06d}")
    assert TOTPDevice.objects.get(pk=device.pk).key.startswith("e1$")  # saved again after verifying, still encrypted


def test_migration_encrypts_plaintext_secrets(make_user):
    user = make_user(role="commander")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    secret = device.bin_key
    TOTPDevice.objects.filter(pk=device.pk).update(key=hexlify(secret).decode())  # as stored before
    migration = importlib.import_module("sinergi.accounts.migrations.0003_encrypt_totp_secrets")
    migration.encrypt_existing(apps, SimpleNamespace(connection=connection))
    again = TOTPDevice.objects.get(pk=device.pk)
    assert again.key.startswith("e1$") and again.bin_key == secret


def test_key_files_are_private(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.SINERGI_AUDIT_KEY = settings.SINERGI_FIELD_KEY = ""
    settings.SINERGI_AUDIT_KEY_FILE = settings.SINERGI_FIELD_KEY_FILE = ""
    keys.reset_cache()
    try:
        keys.audit_key_id()
        keys.encrypt(b"x")
        for name in ("audit_key", "field_key"):
            assert _mode(settings.DATA_DIR / name) == 0o600, name
        assert _mode(settings.DATA_DIR) == 0o700
    finally:
        keys.reset_cache()


def test_database_uploads_and_imports_are_private(settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    if connection.vendor == "sqlite":
        from pathlib import Path

        assert _mode(Path(connection.settings_dict["NAME"])) == 0o600
    storage = FileSystemStorage(location=tmp_path / "media")
    name = storage.save("lampiran/rapat.pdf", ContentFile(b"%PDF-1.4 rahasia"))
    assert _mode(tmp_path / "media" / name) == 0o600
    assert _mode(tmp_path / "media" / "lampiran") == 0o700
    # Writers that do not go through the storage (TPS and observation imports) inherit the process umask.
    settings.MEDIA_ROOT = tmp_path / "media2"
    from sinergi.elections.services import _imports_dir

    _imports_dir().mkdir(parents=True)
    (_imports_dir() / "x.csv").write_bytes(b"kode")
    assert _mode(_imports_dir()) == 0o700 and _mode(_imports_dir() / "x.csv") == 0o600
