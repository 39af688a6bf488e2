"""`sinergi personnel demo [--seed N] [--json]`, `sinergi personnel import FILE [--valid-only] [--json]`,
`sinergi personnel assign [--seed N] [--json]`: the roster from the command line (as the system)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Personel: `personnel demo|import FILE|assign`"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["demo", "import", "assign"])
        parser.add_argument("file", nargs="?")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--valid-only", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        from sinergi.personnel import services

        if opts["action"] == "demo":
            out = services.demo_roster_generate(actor=None, seed=2024 if opts["seed"] is None else opts["seed"])
        elif opts["action"] == "import":
            if not opts["file"]:
                raise CommandError("usage: sinergi personnel import FILE [--valid-only]")
            path = Path(opts["file"])
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
            rec = services.roster_import(actor=None, file_bytes=path.read_bytes(), filename=path.name,
                                         valid_only=opts["valid_only"], system=True)
            out = {"stored": rec.stored, "rows": rec.rows_total, "created": rec.created_count,
                   "updated": rec.updated_count, "unchanged": rec.unchanged_count, "rejected": rec.rejected_count,
                   "errors": rec.errors[:50]}
        else:
            from sinergi.deployment.selectors import approved_plan
            from sinergi.elections.selectors import default_election

            approval = approved_plan(default_election())
            if approval is None:
                raise CommandError("belum ada Renpam yang disahkan (no approved plan)")
            run = services.assignment_run(actor=None, approval=approval, seed=opts["seed"] or 0, system=True)
            out = run.metrics
        if opts["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
        else:
            for k, v in out.items():
                self.stdout.write(f"{k}: {v}")
        if opts["action"] == "import" and not out["stored"]:
            raise CommandError("nothing stored: see the row errors")
