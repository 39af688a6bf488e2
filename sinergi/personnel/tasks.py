"""Background tasks of the personnel app (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_assignment_task(approval_id: int, actor_id: int | None, run_id: int) -> dict:
    """Assign named officers to an approved Renpam (queued from the page; the run record is made on request)."""
    from sinergi.accounts.models import User
    from sinergi.core.models import TaskRun
    from sinergi.deployment.models import PlanApproval

    from .services import assignment_run

    approval = PlanApproval.objects.select_related("plan").get(pk=approval_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    ar = assignment_run(actor=actor, approval=approval, system=actor is None, run=TaskRun.objects.get(pk=run_id))
    return {"assignment_run": ar.pk, "filled": ar.metrics["filled"], "seats": ar.metrics["seats"]}
