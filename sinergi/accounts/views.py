"""Unit directory pages: every signed-in user sees the units; strength only within their scope."""

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from sinergi.core.permissions import has_perm

from .selectors import unit_list, unit_strength_list


def _strength_by_unit(user, units=None) -> dict[int, dict[str, tuple[int, bool]]]:
    qs = unit_strength_list(user=user)
    if units is not None:
        qs = qs.filter(unit__in=units)
    out: dict[int, dict[str, tuple[int, bool]]] = defaultdict(dict)
    for s in qs:
        out[s.unit_id][s.personnel_type] = (s.count, s.estimated)
    return out


@login_required
def units(request):
    if not has_perm(request.user, "unit.view"):
        raise PermissionDenied
    agency = request.GET.get("instansi", "")
    qs = unit_list(user=request.user)
    if agency:
        qs = qs.filter(agency__code=agency)
    rows = list(qs.order_by("agency__code", "path"))
    strengths = _strength_by_unit(request.user)
    for u in rows:
        u.depth = u.path.count("/") - 2
        u.visible_strength = strengths.get(u.pk, {})
    agencies = sorted({(u.agency.code, u.agency.name) for u in unit_list(user=request.user)})
    return render(request, "accounts/units.html", {
        "units": rows, "agencies": agencies, "agency": agency,
        "personnel_types": ["polri", "brimob", "tni", "linmas"],
    })


@login_required
def unit_detail(request, pk: int):
    if not has_perm(request.user, "unit.view"):
        raise PermissionDenied
    unit = get_object_or_404(unit_list(user=request.user), pk=pk)
    strengths = unit_strength_list(user=request.user).filter(unit=unit)
    return render(request, "accounts/unit_detail.html", {
        "unit": unit,
        "strengths": strengths,
        "strength_restricted": not strengths.exists() and unit.strengths.exists(),
        "children": unit.children.select_related("agency").order_by("name"),
        "jurisdiction": unit.jurisdiction.order_by("code")[:200],
        "ancestors": unit_list(user=request.user).filter(
            pk__in=[int(p) for p in unit.path.strip("/").split("/")[:-1] if p]).order_by("path"),
    })
