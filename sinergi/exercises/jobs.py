"""The tick for exercises: `sinergi_tick` calls `tick_running(run)` after the real jobs; each running exercise gets
the same jobs run in its context (exercise clock, exercise database)."""

from __future__ import annotations

import logging

from sinergi.core import clock, sandbox

from .selectors import running_exercises

log = logging.getLogger(__name__)


def run_queued_tasks() -> int:
    """Background tasks queued inside the exercise are stored in the exercise's database, where the real task
    worker never looks: run them here, in the exercise context (a batch pass of the database worker)."""
    from django.conf import settings

    if "django_tasks_db" not in settings.TASKS.get("default", {}).get("BACKEND", ""):
        return 0
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().count()
    if queued:
        from django.core.management import call_command

        call_command("db_worker", "--batch", "--no-startup-delay", "--max-tasks", str(min(queued, 200)))
    return queued


def tick_running(run) -> dict[str, object]:
    out: dict[str, object] = {}
    for ex in running_exercises():
        try:
            with sandbox.enter(ex.clock()):
                result = run(None)
                result["sim_now"] = clock.now().isoformat()
                result["tasks"] = run_queued_tasks()
        except Exception as exc:  # one exercise's failure must not stop the others or the real tick
            log.exception("tick of exercise %s failed", ex.pk)
            result = {"error": str(exc)}
        out[f"latihan-{ex.pk}"] = result
    return out
