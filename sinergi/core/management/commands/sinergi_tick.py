"""`manage.py sinergi_tick [--loop SECONDS] [--at ISO]`: run the periodic jobs of every app once (or forever).

Each app that has time-driven work (missing check-in alerts, late escorts, the daily situation report at its
configured time) exposes ``tick(now) -> dict`` in ``sinergi/<app>/jobs.py``; this command calls them in order and
prints what each did. `sinergi up` runs it in a loop next to the web server; operators can run it by hand
(``sinergi manage sinergi_tick``) or from cron. Jobs must be idempotent: running a tick twice for the same moment
changes nothing the second time.

Two schedulers started by mistake do not both work: each round takes the scheduler lock (an advisory lock on
PostgreSQL, a lease row on SQLite; sinergi/core/scheduler.py) and a round that does not get it is skipped. The loop
survives database restarts (sinergi/core/resilience.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from importlib import import_module

from django.core.management.base import BaseCommand
from django.utils import timezone

from sinergi.core import clock
from sinergi.core.resilience import is_transient, process_name, run_loop
from sinergi.core.scheduler import scheduler_lock

log = logging.getLogger(__name__)

JOB_MODULES = ["sinergi.operations.jobs", "sinergi.logistics.jobs", "sinergi.reports.jobs", "sinergi.messaging.jobs"]


#: runs the jobs again for each running exercise, in its context (clock and database); see docs/exercise.md
EXERCISE_MODULE = "sinergi.exercises.jobs"


def run_jobs(now: dt.datetime | None = None) -> dict[str, object]:
    """Run every app's tick under the scheduler lock (then again for a running exercise, in its context);
    {"skipped": ...} when another scheduler holds the lock."""
    with scheduler_lock("tick") as got:
        if not got:
            return {"skipped": "another scheduler is running this round"}
        results = _run_job_modules(now)
        if now is None and clock.current_exercise() is None:
            try:
                exercises = import_module(EXERCISE_MODULE)
            except ModuleNotFoundError:
                exercises = None
            if exercises is not None:
                try:
                    results.update(exercises.tick_running(_run_job_modules))
                except Exception as exc:  # the real operation's tick must not fail because of an exercise
                    if is_transient(exc):
                        raise
                    log.exception("exercise tick failed")
                    results["latihan"] = {"error": str(exc)}
        return results


def _run_job_modules(now: dt.datetime | None = None) -> dict[str, object]:
    now = now or clock.now()
    results: dict[str, object] = {}
    for name in JOB_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        try:
            results[name.split(".")[1]] = module.tick(now)
        except Exception as exc:  # one app's failure must not stop the others
            if is_transient(exc):  # database gone: the loop backs off and retries the whole round
                raise
            log.exception("periodic job %s failed", name)
            results[name.split(".")[1]] = {"error": str(exc)}
    return results


class Command(BaseCommand):
    help = "Run the periodic jobs (alerts, escorts, daily situation report) once, or every --loop seconds."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help="repeat every N seconds")
        parser.add_argument("--at", default="", help="pretend the time is this ISO timestamp (once only)")

    def handle(self, *args, **opts):
        now = dt.datetime.fromisoformat(opts["at"]) if opts["at"] else None
        if now is not None and timezone.is_naive(now):
            now = timezone.make_aware(now)
        if not opts["loop"] or opts["at"]:
            self.stdout.write(json.dumps(run_jobs(now), default=str))
            return

        def step():
            t0 = time.perf_counter()
            out = run_jobs(None)
            log.info("tick done", extra={"loop": "scheduler", "duration_s": round(time.perf_counter() - t0, 3)})
            return out

        run_loop(step, name=process_name("scheduler"), kind="scheduler", interval=opts["loop"],
                 on_result=lambda out: self.stdout.write(json.dumps(out, default=str)))
