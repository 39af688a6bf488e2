"""`manage.py incidents_process [--loop SECONDS]`: process pending reports and escalate overdue deadlines.

With --loop it runs until SIGTERM/SIGINT and survives database restarts (sinergi/core/resilience.py: back-off and
retry, never exit on a transient error).
"""

import time

from django.core.management.base import BaseCommand

from sinergi.core.resilience import process_name, run_loop
from sinergi.incidents.choices import ProcessingStatus
from sinergi.incidents.models import Report
from sinergi.incidents.services import deadlines_escalate, process_pending
from sinergi.incidents.services.processing import _Batch

BATCH_SECONDS = 10.0


class Command(BaseCommand):
    help = "Process pending incident reports (deferred mode) and escalate overdue deadlines."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help="repeat every N seconds")
        parser.add_argument("--limit", type=int, default=5000)

    def handle(self, *args, **opts):
        from sinergi.core.db.sqlite3.base import yield_to_waiting_writers

        # On SQLite, intake writers waiting for the one write lock go before the next processing transaction.
        yield_to_waiting_writers()
        kept = {"batch": None, "at": 0.0}

        def step() -> int:
            # The loop keeps one batch's lookups (categories, routing and deadline rules, units, places, and the
            # open incidents, re-read when changed) for BATCH_SECONDS: under a steady trickle each 0.5 s step
            # would read them all again. A rule or unit changed meanwhile applies from the next batch on.
            if kept["batch"] is None or time.monotonic() - kept["at"] > BATCH_SECONDS:
                kept["batch"], kept["at"] = None, time.monotonic()
                if Report.objects.filter(processing=ProcessingStatus.PENDING).exists():
                    kept["batch"] = _Batch()
            n = process_pending(limit=opts["limit"], batch=kept["batch"])
            e = deadlines_escalate()
            if n or e or not opts["loop"]:
                self.stdout.write(f"processed {n} reports, escalated {e} deadlines")
            return n

        if not opts["loop"]:
            step()
            return
        run_loop(step, name=process_name("processor"), kind="processor", interval=opts["loop"],
                 next_interval=lambda n: opts["loop"] if n < opts["limit"] else 0)
