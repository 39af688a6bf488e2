from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from sinergi.accounts.permissions import has_perm
from sinergi.core import clock
from sinergi.elections.models import Election

from . import selectors, services
from .metrics import metrics_view  # noqa: F401  (routed in urls.py)
from .selectors import dashboard_counts

TIMELINE_ELECTION = "pilkada-2024"


def _timeline(today):
    """The stages of Pilkada 2024 marked past / current / next / future relative to `today`."""
    election = Election.objects.filter(code=TIMELINE_ELECTION).first()
    if election is None:
        return None, []
    stages = list(election.stages.order_by("order", "start_date"))
    rows = []
    next_marked = False
    for stage in stages:
        if stage.end_date < today:
            state = "past"
        elif stage.start_date <= today:
            state = "current"
        elif not next_marked:
            state = "next"
            next_marked = True
        else:
            state = "future"
        rows.append({"stage": stage, "state": state})
    return election, rows


@login_required
def dashboard(request):
    today = clock.localdate()
    election, stages = _timeline(today)
    return render(request, "core/dashboard.html", {
        "counts": dashboard_counts(user=request.user),
        "election": election,
        "stages": stages,
        "all_past": bool(stages) and all(r["state"] == "past" for r in stages),
        "today": today,
    })


def about(request):
    return render(request, "core/about.html")


@never_cache
def healthz(request):
    """Liveness: the process answers (no dependency checked; a load balancer restarts what does not answer)."""
    return JsonResponse({"ok": True})


@never_cache
def readyz(request):
    """Readiness: the database, the cache and the channel layer are reachable (503 naming what is not)."""
    checks = selectors.readiness()
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"ok": ok, "checks": checks}, status=200 if ok else 503)


def _require_task_manage(user) -> None:
    if not has_perm(user, "task.manage"):
        raise PermissionDenied


@login_required
def tasks(request):
    """Background tasks (the task table with their run records) and the processes that run them."""
    _require_task_manage(request.user)
    status = request.GET.get("status", "")
    return render(request, "core/tasks.html", {
        "rows": selectors.task_list(user=request.user, status=status),
        "processes": selectors.process_list(user=request.user),
        "status": status, "statuses": selectors.TASK_STATUS_LABELS,
        "now": timezone.now(),
    })


@login_required
def task_detail(request, task_id):
    _require_task_manage(request.user)
    row = selectors.task_get(user=request.user, task_id=str(task_id))
    if row is None:
        raise Http404
    return render(request, "core/task_detail.html", {"row": row})


#: who may follow a run's progress besides task managers and the person who started it: the permission to read
#: the page that run belongs to (progress holds counts and the step's name, never the records themselves)
PROGRESS_VIEW_PERMS = {
    "deployment.plan": "plan.view", "tps_import": "tps.import", "personnel.roster_import": "personnel.import",
    "personnel.assign": "personnel.assign", "risk_recompute": "risk.view", "risk_observation_import": "risk.view",
    "sitrep.generate": "sitrep.view", "dataset_load": "task.manage",
}


@login_required
@never_cache
def run_progress(request, pk: int):
    """The progress of run `pk` as JSON (static/js/progress.js polls it while the run is active)."""
    from .models import TaskRun
    from .progress import progress_data

    run = TaskRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404
    user = request.user
    if not (has_perm(user, "task.manage") or run.created_by_id == user.pk
            or has_perm(user, PROGRESS_VIEW_PERMS.get(run.kind, "task.manage"))):
        raise PermissionDenied
    return JsonResponse(progress_data(run))


@login_required
@require_POST
def task_action(request, task_id, action):
    _require_task_manage(request.user)
    fn = {"batal": services.task_cancel, "ulang": services.task_retry}.get(action)
    if fn is None:
        raise Http404
    try:
        result = fn(actor=request.user, task_id=str(task_id))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("task_detail", task_id=task_id)
    if action == "batal":
        messages.success(request, _("Tugas dibatalkan."))
        return redirect("task_detail", task_id=task_id)
    messages.success(request, _("Tugas diantrekan lagi."))
    return redirect("task_detail", task_id=result.id)

