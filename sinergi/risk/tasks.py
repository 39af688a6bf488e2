"""Background tasks of vulnerability mapping (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_risk_recompute(run_id: int) -> dict:
    """Recompute the published model's assessments for the run's election; result stored on the TaskRun."""
    from sinergi.core.models import TaskRun

    from .services import risk_recompute_execute

    run = TaskRun.objects.get(pk=run_id)
    result = risk_recompute_execute(run)
    return {"run": run_id, "tiers": (result or {}).get("tiers")}


@task()
def run_observation_import(run_id: int) -> dict:
    """Execute a queued observation import run."""
    from sinergi.core.models import TaskRun

    from .importers import observation_import_execute

    run = TaskRun.objects.get(pk=run_id)
    result = observation_import_execute(run)
    return {"run": run_id, "imported": result.get("imported", False)}
