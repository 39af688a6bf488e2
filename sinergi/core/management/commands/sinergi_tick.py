"""`manage.py sinergi_tick [--loop SECONDS] [--at ISO]`: run the periodic jobs of every app once (or forever).

Each app that has time-driven work (missing check-in alerts, late escorts, the daily situation report at its
configured time) exposes ``tick(now) -> dict`` in ``sinergi/<app>/jobs.py``; this command calls them in order and
prints what each did. `sinergi up` runs it in a loop next to the web server; operators can run it by hand
(``sinergi manage sinergi_tick``) or from cron. Jobs must be idempotent: running a tick twice for the same moment
changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from sinergi.core import clock

log = logging.getLogger(__name__)

JOB_MODULES = ["sinergi.operations.jobs", "sinergi.logistics.jobs", "sinergi.reports.jobs"]


#: runs the jobs again for each running exercise, in its context (clock and database); see docs/exercise.md
EXERCISE_MODULE = "sinergi.exercises.jobs"


def run_jobs(now: dt.datetime | None = None) -> dict[str, object]:
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
            log.exception("periodic job %s failed", name)
            results[name.split(".")[1]] = {"error": str(exc)}
    return results


class Command(BaseCommand):
    help = "Run the periodic jobs (alerts, escorts, daily situation report) once, or every --loop seconds."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help="repeat every N seconds")
        parser.add_argument("--at", default="", help="pretend the time is this ISO timestamp (once only)")

    def handle(self, *args, **opts):
        while True:
            close_old_connections()
            now = dt.datetime.fromisoformat(opts["at"]) if opts["at"] else None
            if now is not None and timezone.is_naive(now):
                now = timezone.make_aware(now)
            self.stdout.write(json.dumps(run_jobs(now), default=str))
            if not opts["loop"] or opts["at"]:
                return
            time.sleep(opts["loop"])
