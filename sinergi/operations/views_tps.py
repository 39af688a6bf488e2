"""The operations page of one TPS (/operasi/tps/<id>/): tier and reasons, guard group, check-ins, alerts,
incidents nearby, escorts — each part scoped to the reader (sinergi.operations.tps_page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import CheckInKind
from .tps_page import NEARBY_KM, tps_overview


@login_required
@require_GET
def tps_page(request, pk: int):
    overview = tps_overview(user=request.user, pk=pk)
    if overview is None:
        raise Http404("TPS")
    steps = [{"kind": k, "label": CheckInKind(k).label, "checkin": c} for k, c in overview.status_by_kind.items()]
    return render(request, "operations/tps.html", {"o": overview, "tps": overview.tps, "steps": steps,
                                                   "nearby_km": NEARBY_KM})
