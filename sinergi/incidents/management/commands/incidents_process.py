"""`manage.py incidents_process [--loop SECONDS]`: process pending reports and escalate overdue deadlines."""

import time

from django.core.management.base import BaseCommand

from sinergi.incidents.services import deadlines_escalate, process_pending


class Command(BaseCommand):
    help = "Process pending incident reports (deferred mode) and escalate overdue deadlines."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help="repeat every N seconds")
        parser.add_argument("--limit", type=int, default=5000)

    def handle(self, *args, **opts):
        while True:
            n = process_pending(limit=opts["limit"])
            e = deadlines_escalate()
            self.stdout.write(f"processed {n} reports, escalated {e} deadlines")
            if not opts["loop"]:
                return
            time.sleep(opts["loop"] if n < opts["limit"] else 0)
