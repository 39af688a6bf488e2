"""`risk_setup [--demo]`: indicator catalog + published default model (+ demo observations and a recompute).

Idempotent; meant to be called by `sinergi up` after the default dataset is loaded.
"""

import io

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Katalog indikator dan model kerawanan bawaan (opsional: data demo + hitung ulang)."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="also generate demo observations and recompute")

    def handle(self, *args, **opts):
        out = io.StringIO() if opts.get("verbosity", 1) == 0 else self.stdout  # `sinergi up` asks for silence
        call_command("risk", "setup", *(["--demo"] if opts["demo"] else []), stdout=out)
