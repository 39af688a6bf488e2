import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sinergi.core.services import audit_verify


class Command(BaseCommand):
    help = ("Recompute the keyed audit chain; exit 1 if any event was altered, deleted, reordered or recomputed "
            "without the key, or if a signed checkpoint (database, data folder, --checkpoint FILE) is missing.")

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                            help="an exported checkpoint (JSON, e.g. from a situation report) the chain must contain")

    def handle(self, *args, **opts):
        extra = []
        for name in opts["checkpoint"]:
            try:
                extra.append(json.loads(Path(name).read_text()))
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read checkpoint {name}: {exc}") from exc
        result = audit_verify(checkpoints=extra)
        if opts["json"]:
            self.stdout.write(json.dumps({"ok": result.ok, "checked": result.checked, "problems": result.problems}))
        elif result.ok:
            self.stdout.write(f"OK: {result.checked} audit events, chain intact")
        else:
            for p in result.problems:
                self.stderr.write(p)
        if not result.ok:
            self.stderr.write(f"audit chain BROKEN: {len(result.problems)} problem(s) in {result.checked} events")
            sys.exit(1)  # the command ran and found a problem (README: exit 1)
