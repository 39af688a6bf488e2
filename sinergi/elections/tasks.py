"""Background tasks of the elections app (django-tasks; database backend in production)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_tps_import(run_id: int) -> dict:
    """Execute a queued TPS import run; the result is stored on the TaskRun."""
    from sinergi.core.models import TaskRun

    from .services import tps_import_execute

    run = TaskRun.objects.get(pk=run_id)
    result = tps_import_execute(run)
    return {"run": run_id, "imported": result.get("imported", False)}
