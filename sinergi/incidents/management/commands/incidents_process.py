"""`manage.py incidents_process [--loop SECONDS]`: process pending reports and escalate overdue deadlines.

With --loop it runs until SIGTERM/SIGINT and survives database restarts (sinergi/core/resilience.py: back-off and
retry, never exit on a transient error).
"""

from django.core.management.base import BaseCommand

from sinergi.core.resilience import process_name, run_loop
from sinergi.incidents.services import deadlines_escalate, process_pending


class Command(BaseCommand):
    help = "Process pending incident reports (deferred mode) and escalate overdue deadlines."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help="repeat every N seconds")
        parser.add_argument("--limit", type=int, default=5000)

    def handle(self, *args, **opts):
        def step() -> int:
            n = process_pending(limit=opts["limit"])
            e = deadlines_escalate()
            if n or e or not opts["loop"]:
                self.stdout.write(f"processed {n} reports, escalated {e} deadlines")
            return n

        if not opts["loop"]:
            step()
            return
        run_loop(step, name=process_name("processor"), kind="processor", interval=opts["loop"],
                 next_interval=lambda n: opts["loop"] if n < opts["limit"] else 0)
