"""Pages of the deployment planner: plan list and run form, plan page (map, tables, changes), comparison,
exports. Views call services/selectors only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sinergi.elections.selectors import default_election

from . import exports, selectors
from .choices import PLACEHOLDER_LABEL, Tier
from .forms import PatternForm, PlanRunForm
from .models import Plan
from .permissions import can_run_plans, can_view_plans, sees_whole_province
from .services import TIERS, pattern_parts, pattern_set, plan_run


def _plan(request, pk: int) -> Plan:
    if not can_view_plans(request.user):
        raise PermissionDenied
    try:
        return selectors.plan_get(user=request.user, pk=pk)
    except Plan.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
def plan_index(request):
    if not can_view_plans(request.user):
        raise PermissionDenied
    form = PlanRunForm(request.POST or None)
    if request.method == "POST":
        if not can_run_plans(request.user):
            raise PermissionDenied
        election = default_election()
        if form.is_valid() and election is not None:
            d = form.cleaned_data
            plan = plan_run(actor=request.user, election=election, scenario=d["scenario"], name=d["name"],
                            parameters={"radius_min": d["radius_min"], "reserve_k": d["reserve_k"],
                                        "cap_share": round(d["cap_percent"] / 100, 4)})
            messages.success(request, _("Rencana dijadwalkan."))
            return redirect("deployment:detail", pk=plan.pk)
    plans = selectors.plan_list(user=request.user)[:50]
    election = default_election()
    return render(request, "deployment/index.html", {
        "plans": plans, "form": form, "can_run": can_run_plans(request.user),
        "renpam": selectors.approved_plan_label(selectors.approved_plan(election))})


def _context(request, plan: Plan) -> dict:
    user = request.user
    units = list(selectors.plan_units(user=user, plan=plan))
    groups, lower, bound = (sum(u.groups for u in units), sum(u.groups_lower_bound for u in units),
                            sum(u.groups_bound for u in units))
    from sinergi.core.permissions import has_perm

    current = selectors.approved_plan(plan.election)
    return {
        "renpam": selectors.approved_plan_label(current), "renpam_current": current,
        "can_approve": has_perm(user, "plan.approve") and plan.status == "succeeded",
        "gap_lower_pct": 100.0 * (groups - lower) / lower if lower else 0.0,
        "gap_bound_pct": 100.0 * (groups - bound) / bound if bound else 0.0,
        "plan": plan, "m": plan.metrics, "units": units,
        "placeholder": plan.tier_source == "placeholder", "placeholder_label": PLACEHOLDER_LABEL,
        "changes": selectors.plan_changes(user=user, plan=plan),
        "reinforcements": list(selectors.plan_reinforcements(user=user, plan=plan)),
        "reserves": list(selectors.plan_reserves(user=user, plan=plan)),
        "whole_province": sees_whole_province(user),
        "others": selectors.plan_list(user=user).exclude(pk=plan.pk).filter(status="succeeded")[:20],
        "totals": {
            "required": sum(u.officers_required for u in units), "deployable": sum(u.deployable for u in units),
            "groups": sum(u.groups for u in units), "bound": sum(u.groups_bound for u in units),
            "lower": sum(u.groups_lower_bound for u in units), "shortfall": sum(u.shortfall for u in units),
            "bko": sum(u.reinforcements_in for u in units), "manual": sum(u.officers_manual for u in units),
        },
    }


@login_required
def plan_detail(request, pk: int):
    plan = _plan(request, pk)
    return render(request, "deployment/detail.html", _context(request, plan))


@login_required
def plan_print(request, pk: int):
    plan = _plan(request, pk)
    ctx = _context(request, plan)
    ctx["polsek_rows"] = _polsek_rows(request.user, plan)
    html = render_to_string("deployment/print.html", ctx, request=request)
    if request.GET.get("format") == "pdf":
        pdf = exports.plan_pdf(html)
        if pdf is not None:
            resp = HttpResponse(pdf, content_type="application/pdf")
            resp["Content-Disposition"] = f'attachment; filename="rencana-{plan.pk}.pdf"'
            return resp
        messages.warning(request, _("PDF belum tersedia (WeasyPrint tidak terpasang); gunakan cetak halaman ini."))
        html = render_to_string("deployment/print.html", ctx, request=request)
    return HttpResponse(html)


def _polsek_rows(user, plan):
    agg: dict = {}
    for g in selectors.plan_groups(user=user, plan=plan):
        key = (g.unit.name, g.polsek.name if g.polsek else g.district_code)
        a = agg.setdefault(key, {"polres": key[0], "polsek": key[1], "groups": 0, "tps": 0, "officers": 0,
                                 "linmas": 0})
        a["groups"] += 1
        a["tps"] += g.tps_count
        a["officers"] += g.officers
        a["linmas"] += g.linmas
    return [agg[k] for k in sorted(agg)]


@login_required
def plan_table(request, pk: int):
    """Deployment table per Polsek and per TPS (group, officers, Linmas, nearest reserve and its response
    time), filtered by Polres / Polsek / kecamatan / tier, paginated, scoped to the user's Polres."""
    plan = _plan(request, pk)
    f = {k: request.GET.get(k, "").strip() for k in ("polres", "polsek", "kecamatan", "tingkat")}
    if f["tingkat"] and f["tingkat"] not in Tier.values:
        f["tingkat"] = ""
    args = {"polres": f["polres"], "polsek": f["polsek"], "district": f["kecamatan"], "tier": f["tingkat"]}
    page = Paginator(selectors.plan_table(user=request.user, plan=plan, **args), 100).get_page(
        request.GET.get("halaman"))
    query = urlencode({k: v for k, v in f.items() if v})
    return render(request, "deployment/table.html", {
        "plan": plan, "page": page, "f": f, "query": query, "tiers": Tier.choices,
        "options": selectors.plan_table_filters(user=request.user, plan=plan),
        "polsek_rows": selectors.plan_polsek_rows(user=request.user, plan=plan, **args),
        "placeholder": plan.tier_source == "placeholder", "placeholder_label": PLACEHOLDER_LABEL,
        "whole_province": sees_whole_province(request.user)})


@login_required
def plan_xlsx(request, pk: int):
    plan = _plan(request, pk)
    resp = HttpResponse(exports.plan_xlsx(user=request.user, plan=plan),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="rencana-{plan.pk}.xlsx"'
    return resp


@login_required
def plan_map_json(request, pk: int):
    """Groups (posts with member count), reserves and BKO lines of a plan for the Leaflet map."""
    plan = _plan(request, pk)
    groups = [[g.post_lat, g.post_lng, g.tps_count, g.officers, g.tier, g.number, g.max_travel_min]
              for g in selectors.plan_groups(user=request.user, plan=plan).select_related(None).only(
                  "post_lat", "post_lng", "tps_count", "officers", "tier", "number", "max_travel_min", "unit")]
    reserves = [{"lat": r.lat, "lng": r.lng, "name": r.name, "kind": r.kind, "max": r.max_minutes,
                 "n": r.demand_count} for r in selectors.plan_reserves(user=request.user, plan=plan)]
    routes = [{"from": r.source_name, "to": r.to_unit.name, "count": r.count, "minutes": r.minutes,
               "route": r.route, "legs": r.path}
              for r in selectors.plan_reinforcements(user=request.user, plan=plan) if r.path]
    return JsonResponse({"groups": groups, "reserves": reserves, "routes": routes,
                         "outlines_url": reverse("deployment:groups_geojson", args=[plan.pk])})


@login_required
def plan_groups_geojson(request, pk: int):
    """Guard-group outlines (GeoJSON), scoped: a Polres user gets only its own groups; ``?polres=<id>``
    narrows to one Polres."""
    plan = _plan(request, pk)
    try:
        polres = int(request.GET["polres"]) if request.GET.get("polres") else None
    except ValueError as exc:
        raise Http404 from exc
    return JsonResponse(selectors.plan_group_outlines(user=request.user, plan=plan, polres_id=polres),
                        json_dumps_params={"separators": (",", ":")})


@login_required
def plan_compare(request):
    if not can_view_plans(request.user):
        raise PermissionDenied
    try:
        a = selectors.plan_get(user=request.user, pk=int(request.GET.get("a", 0)))
        b = selectors.plan_get(user=request.user, pk=int(request.GET.get("b", 0)))
    except (Plan.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    a, b = selectors.compare_order(a, b)
    return render(request, "deployment/compare.html", {
        "a": a, "b": b, "rows": selectors.plan_compare(user=request.user, a=a, b=b)})


@login_required
@require_http_methods(["GET", "POST"])
def patterns(request):
    """Security patterns (A-B-C) per Polres and tier: the shipped default or the Polres' own override."""
    if not can_view_plans(request.user):
        raise PermissionDenied
    units = selectors.pattern_units(user=request.user)
    editable = can_run_plans(request.user) and bool(units)
    form = PatternForm(request.POST or None, units=units, tiers=Tier.choices)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            unit = next(u for u in units if str(u.pk) == d["unit"])
            try:
                pattern_set(actor=request.user, unit=unit, tier=d["tier"], officers=d["officers"], tps=d["tps"],
                            linmas=d["linmas"], pairs=d["pairs"], source=d["source"] or _("pola Polres"))
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Pola disimpan; berlaku untuk rencana berikutnya."))
                return redirect("deployment:patterns")
    parts = pattern_parts(units)[1]
    rows = [{"unit": u, "cells": [parts[u.code][t] for t in TIERS]} for u in units]
    return render(request, "deployment/patterns.html", {
        "rows": rows, "tiers": [Tier(t).label for t in TIERS], "form": form, "editable": editable})


# -- approval (Renpam) --------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def plan_approve(request, pk: int):
    """A commander approves the plan as the Renpam of a phase; an unverified session goes to the OTP page."""
    from sinergi.core.permissions import has_perm

    from .forms import PlanApproveForm
    from .services import _session_verified
    from .services import plan_approve as approve

    plan = _plan(request, pk)
    if not has_perm(request.user, "plan.approve"):
        raise PermissionDenied
    if not _session_verified(request.user):
        return redirect(f"{reverse('otp')}?{urlencode({'next': request.get_full_path()})}")
    form = PlanApproveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            a = approve(actor=request.user, plan=plan, phase=d["phase"], rank=d["rank"], note=d["note"])
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, selectors.approved_plan_label(a))
            return redirect("deployment:approvals")
    current = selectors.approved_plan(plan.election, form["phase"].value() or "pemungutan")
    preview = None
    if current is not None:
        from .services import plan_diff, plan_snapshot

        preview = {"previous_version": current.version,
                   "rows": plan_diff(plan_snapshot(current.plan), plan_snapshot(plan))}
    return render(request, "deployment/approve.html", {"plan": plan, "form": form, "current": current,
                                                       "diff": preview})


@login_required
def approvals(request):
    """Renpam history per phase: versions, approver, time, diff and the signed PDF."""
    if not can_view_plans(request.user):
        raise PermissionDenied
    from .choices import OperationPhase

    election = default_election()
    rows = list(selectors.approval_history(user=request.user, election=election)) if election else []
    phases = [{"code": c, "label": label, "current": selectors.approved_plan(election, c),
               "text": selectors.approved_plan_label(selectors.approved_plan(election, c))}
              for c, label in OperationPhase.choices]
    return render(request, "deployment/approvals.html", {"rows": rows, "phases": phases})


@login_required
def approval_pdf(request, pk: int):
    """The signed PDF, re-checked against its SHA-256 before it is sent."""
    import hashlib

    from .models import PlanApproval

    try:
        a = selectors.approval_get(user=request.user, pk=pk)
    except PlanApproval.DoesNotExist as exc:
        raise Http404 from exc
    data = bytes(a.pdf)
    if hashlib.sha256(data).hexdigest() != a.pdf_sha256:
        return HttpResponse(_("Berkas tidak cocok dengan sidik SHA-256 yang tercatat."), status=409)
    pdf = data[:4] == b"%PDF"
    resp = HttpResponse(data, content_type="application/pdf" if pdf else "text/html; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="renpam-v{a.version}-{a.phase}.{"pdf" if pdf else "html"}"'
    resp["X-Content-SHA256"] = a.pdf_sha256
    return resp
