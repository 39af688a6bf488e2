"""Background work of coordination: the reminder sweep (also `manage.py coordination_reminders`)."""

from __future__ import annotations

from django_tasks import task

from sinergi.core.services import RunRecorder, taskrun_create

from . import services

REMINDER_KIND = "coordination_reminders"


def run_reminders(*, now=None, days_before: int = services.REMINDER_DAYS_BEFORE) -> dict:
    """One sweep with a run record; safe to run as often as wanted (each reminder goes out once)."""
    run = taskrun_create(kind=REMINDER_KIND, parameters={"days_before": days_before,
                                                         "now": now.isoformat() if now else None})
    with RunRecorder(run) as rec:
        result = services.reminders_send(now=now, days_before=days_before)
        run.result = result
        rec.log(f"due_soon={result['sent']['due_soon']} overdue={result['sent']['overdue']} "
                f"already_sent={result['already_sent']}")
    return result


@task()
def reminders_task(days_before: int = services.REMINDER_DAYS_BEFORE) -> dict:
    return run_reminders(days_before=days_before)
