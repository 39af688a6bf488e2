from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from sinergi.core import clock
from sinergi.elections.models import Election

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


def healthz(request):
    return JsonResponse({"ok": True})
