"""Generate the Web Push VAPID key pair into the data folder (0600) when none is configured; print the public key."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from sinergi.messaging import webpush


class Command(BaseCommand):
    help = ("Write a VAPID private key (PEM, mode 0600) to SINERGI_WEBPUSH_VAPID_KEY_FILE unless "
            "SINERGI_WEBPUSH_VAPID_PRIVATE_KEY is set or the file exists; print the public key.")

    def handle(self, *args, **opts):
        path = Path(settings.SINERGI_WEBPUSH_VAPID_KEY_FILE)
        if webpush.generate_key_file(path):
            self.stdout.write(f"VAPID key written to {path} (0600).")
        elif (settings.SINERGI_WEBPUSH_VAPID_PRIVATE_KEY or "").strip():
            self.stdout.write("VAPID key configured in the environment; nothing written.")
        else:
            self.stdout.write(f"VAPID key file {path} exists; kept.")
        self.stdout.write(f"public key: {webpush.public_key()}")
