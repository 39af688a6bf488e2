"""Region browser (/wilayah/) and the map (/wilayah/peta/) with its JSON endpoints.

The TPS endpoints of the map serve the elections app's reads (sinergi/elections/selectors_map.py) through the read
providers it registers (sinergi.core.providers, ADR 0007); regions sits below elections and does not import it.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from sinergi.core.permissions import require_perm
from sinergi.core.providers import provider

from . import selectors


def _json(data, *, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, separators=(",", ":")), content_type="application/json", status=status)


@login_required
@require_GET
def region_index(request):
    require_perm(request.user, "region.view")
    page = selectors.province_list(user=request.user)
    q = request.GET.get("q", "").strip()[:80]
    results = selectors.region_search(user=request.user, q=q) if q else None
    return render(request, "regions/index.html", {"page": page, "q": q, "results": results})


@login_required
@require_GET
def region_detail(request, code: str):
    require_perm(request.user, "region.view")
    page = selectors.region_page(user=request.user, code=code)
    if page is None:
        raise Http404(code)
    return render(request, "regions/detail.html", {"page": page, "region": page.region})


@login_required
@require_GET
def region_map(request):
    require_perm(request.user, "map.view")
    return render(request, "regions/map.html", {"election": selectors.default_election()})


def _bbox(value: str):
    parts = value.split(",")
    if len(parts) != 4:
        raise ValueError("bbox needs west,south,east,north")
    west, south, east, north = (float(p) for p in parts)
    return west, south, east, north


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def boundaries_json(request):
    """GeoJSON boundaries. ?level=regency (default) | district | village, ?parent=<code>, ?bbox=w,s,e,n."""
    require_perm(request.user, "map.view")
    bbox = None
    if request.GET.get("bbox"):
        try:
            bbox = _bbox(request.GET["bbox"])
        except ValueError:
            return HttpResponseBadRequest("bbox")
    level = request.GET.get("level", "")
    if level and level not in {"province", "regency", "district", "village"}:
        return HttpResponseBadRequest("level")
    data = selectors.boundary_features(user=request.user, parent=request.GET.get("parent", ""), level=level,
                                       bbox=bbox)
    return _json(data)


@login_required
@require_GET
@cache_control(private=True, max_age=300)
def tps_json(request):
    """All TPS points of the election shown: [[id, lat, lng, voters, estimated], ...]."""
    require_perm(request.user, "map.view")
    points = provider("elections.tps_points")
    return _json(points(user=request.user) if points is not None else [])


@login_required
@require_GET
@cache_control(private=True, max_age=300)
def tps_clusters_json(request):
    """TPS points pre-clustered for a zoom: {zoom, total, estimated, items: [[lat, lng, count, id|0, est], ...]}."""
    require_perm(request.user, "map.view")
    try:
        zoom = int(request.GET.get("z", "7"))
    except ValueError:
        return HttpResponseBadRequest("z")
    zoom = max(0, min(zoom, 20))
    clusters = provider("elections.tps_clusters")
    if clusters is None:
        return _json({"zoom": zoom, "total": 0, "estimated": 0, "items": []})
    return _json(clusters(user=request.user, zoom=zoom))


urlpatterns = [
    path("", region_index, name="index"),
    path("peta/", region_map, name="map"),
    path("peta/batas.json", boundaries_json, name="boundaries_json"),
    path("peta/tps.json", tps_json, name="tps_json"),
    path("peta/tps-klaster.json", tps_clusters_json, name="tps_clusters_json"),
    path("<str:code>/", region_detail, name="detail"),
]
