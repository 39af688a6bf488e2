"""`manage.py logistics_plan_default [--json]`: create the default NTT logistics plan (idempotent)."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Rencana logistik bawaan: gudang KPU -> PPK -> PPS (distribusi) dan kembali (rekapitulasi); idempoten"

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        from sinergi.elections.selectors import default_election
        from sinergi.logistics.services import plan_default

        election = default_election()
        if election is None:
            raise CommandError("no election loaded (run `sinergi load-dataset`)")
        t0 = time.perf_counter()
        result = plan_default(actor=None, election=election)
        result["seconds"] = round(time.perf_counter() - t0, 2)
        if opts["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"{result['created']} perpindahan dibuat, {result['movements']} seluruhnya, "
                              f"{result['legs']} ruas ({result['seconds']} s; waktu perkiraan)")
