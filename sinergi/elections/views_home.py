"""The home page ("/", routed in config/urls.py): dataset counts and the stage timeline of the election.

In elections (the top of the foundation) rather than core, because it reads regions, TPS, units and the election's
stages, all of which sit above core.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from sinergi.core import clock

from . import selectors
from .models import Election

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
    """The home page (routed at "/" in config/urls.py): dataset counts and the stage timeline of the election."""
    today = clock.localdate()
    election, stages = _timeline(today)
    return render(request, "core/dashboard.html", {
        "counts": selectors.dashboard_counts(user=request.user),
        "election": election,
        "stages": stages,
        "all_past": bool(stages) and all(r["state"] == "past" for r in stages),
        "today": today,
    })
