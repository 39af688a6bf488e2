"""TOTP secrets encrypted at rest with a key outside the database (sinergi.core.keys, AES-256-GCM).

django-otp keeps each authenticator's secret as hex in TOTPDevice.key. We keep the same column but store
``e1$<nonce+ciphertext>`` there (67 characters, within its 80), encrypt on every save and decrypt where
django-otp reads the binary key (`bin_key`, used to verify codes and to draw the enrolment QR code). A copy
of the database alone no longer lets anyone generate a commander's codes.
"""

from __future__ import annotations

from binascii import unhexlify

from sinergi.core import keys


def plain_key(device) -> bytes:
    value = device.key or ""
    return keys.decrypt(value) if keys.is_encrypted(value) else unhexlify(value.encode())


def encrypt_before_save(sender, instance, **kwargs) -> None:
    if instance.key and not keys.is_encrypted(instance.key):
        instance.key = keys.encrypt(unhexlify(instance.key.encode()))


def install() -> None:
    from django.db.models.signals import pre_save
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.bin_key = property(plain_key)  # the one place django-otp reads the secret
    pre_save.connect(encrypt_before_save, sender=TOTPDevice, dispatch_uid="sinergi-totp-encrypt")
