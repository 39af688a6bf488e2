"""Background tasks of the deployment planner (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_plan_task(plan_id: int) -> dict:
    """Compute a queued plan; results and metrics are stored on the plan and its run record."""
    from .models import Plan
    from .services import plan_execute

    plan = Plan.objects.select_related("election", "task_run", "created_by").get(pk=plan_id)
    metrics = plan_execute(plan)
    return {"plan": plan_id, "groups": metrics.get("groups"), "shortfall": metrics.get("shortfall")}
