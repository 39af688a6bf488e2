"""TPS pages (/pemilihan/tps/<id>/): the detail page and the small fragment the map's popup shows."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from sinergi.core.permissions import has_perm, require_perm
from sinergi.elections.selectors import polling_station_get


def _get(request, pk: int):
    require_perm(request.user, "tps.view")
    tps = polling_station_get(user=request.user, pk=pk)
    if tps is None:
        raise Http404(pk)
    return tps


@login_required
@require_GET
def tps_detail(request, pk: int):
    return render(request, "elections/tps_detail.html",
                  {"tps": _get(request, pk), "can_ops": has_perm(request.user, "ops.view")})


@login_required
@require_GET
def tps_popup(request, pk: int):
    return render(request, "elections/tps_popup.html", {"tps": _get(request, pk)})


urlpatterns = [
    path("tps/<int:pk>/", tps_detail, name="tps_detail"),
    path("tps/<int:pk>/popup/", tps_popup, name="tps_popup"),
]
