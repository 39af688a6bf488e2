import json

from django.core.management.base import BaseCommand, CommandError

from sinergi.core.services import audit_verify


class Command(BaseCommand):
    help = "Recompute the audit hash chain; exit 1 if any event was altered, deleted or reordered."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        result = audit_verify()
        if opts["json"]:
            self.stdout.write(json.dumps({"ok": result.ok, "checked": result.checked, "problems": result.problems}))
        elif result.ok:
            self.stdout.write(f"OK: {result.checked} audit events, chain intact")
        else:
            for p in result.problems:
                self.stderr.write(p)
        if not result.ok:
            raise CommandError(f"audit chain BROKEN: {len(result.problems)} problem(s) in {result.checked} events")
