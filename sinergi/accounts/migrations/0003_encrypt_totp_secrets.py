"""Encrypt the TOTP secrets already stored in plaintext (hex) with the field key (sinergi.core.keys)."""

from binascii import unhexlify

from django.db import migrations


def encrypt_existing(apps, schema_editor):
    from sinergi.core import keys

    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    for device in TOTPDevice.objects.all():
        if device.key and not keys.is_encrypted(device.key):
            TOTPDevice.objects.filter(pk=device.pk).update(key=keys.encrypt(unhexlify(device.key.encode())))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_api_token_hashed"), ("otp_totp", "0003_add_timestamps")]
    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop)]
