"""Pages of the personnel app: roster and import, phone reveal, assignment, Surat Perintah, status on the day (phone
page and counts per Polres), dispatch for an incident. Views call services and selectors only."""

from __future__ import annotations

import hashlib
import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.core.permissions import has_perm
from sinergi.elections.selectors import default_election

from . import selectors, services
from .choices import IDENTIFIERS, DispatchState, OfficerKind, Status, UnfilledReason
from .models import Assignment, Dispatch, Officer

MAX_UPLOAD = 10 * 1024 * 1024


def _require(user, action: str) -> None:
    if not has_perm(user, action):
        raise PermissionDenied


def duration(minutes: float) -> str:
    """Minutes as "2 jam 5 menit" / "45 menit" (translated)."""
    total = int(round(minutes))
    h, m = divmod(total, 60)
    if h:
        return _("%(h)s jam %(m)s menit") % {"h": h, "m": m}
    return _("%(m)s menit") % {"m": m}


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())
    return "; ".join(exc.messages)


# -- roster --------------------------------------------------------------------------------------------------------
@login_required
@require_GET
def roster(request):
    _require(request.user, "personnel.view")
    qs = selectors.officer_list(user=request.user)
    q = (request.GET.get("q") or "").strip()[:80]
    unit = (request.GET.get("satuan") or "").strip()[:60]
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(identifier=q)
    if unit:
        qs = qs.filter(unit__code=unit)
    page = Paginator(qs.order_by("unit__code", "name"), 50).get_page(request.GET.get("halaman"))
    return render(request, "personnel/roster.html", {
        "page": page, "q": q, "unit": unit, "query": urlencode({k: v for k, v in (("q", q), ("satuan", unit)) if v}),
        "total": qs.count(), "demo": qs.filter(demo=True).exists(), "mask": selectors.mask_phone,
        "rows": [(o, selectors.mask_phone(o.phone)) for o in page],
        "can_import": has_perm(request.user, "personnel.import"),
        "can_reveal": has_perm(request.user, "personnel.reveal_phone")})


@login_required
@require_POST
def phone_reveal(request, pk: int):
    """Show one phone number (audited)."""
    _require(request.user, "personnel.reveal_phone")
    officer = selectors.officer_get(user=request.user, pk=pk)
    if officer is None:
        raise Http404
    phone = services.officer_phone_reveal(actor=request.user, officer=officer)
    return JsonResponse({"id": officer.pk, "phone": phone})


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request):
    _require(request.user, "personnel.import")
    result = None
    if request.method == "POST":
        f = request.FILES.get("berkas")
        if f is None:
            messages.error(request, _("Pilih berkas CSV atau XLSX."))
        elif f.size > MAX_UPLOAD:
            messages.error(request, _("Berkas terlalu besar (maks. 10 MB)."))
        else:
            result = services.roster_import(actor=request.user, file_bytes=f.read(), filename=f.name,
                                            valid_only=bool(request.POST.get("valid_only")))
    return render(request, "personnel/import.html", {
        "result": result, "kinds": [(k, OfficerKind(k).label, IDENTIFIERS[k][0]) for k in OfficerKind.values],
        "imports": selectors.import_list(user=request.user)[:10]})


# -- assignment ----------------------------------------------------------------------------------------------------
def _approval():
    from sinergi.deployment.selectors import approved_plan, approved_plan_label

    a = approved_plan(default_election())
    return a, approved_plan_label(a)


@login_required
@require_http_methods(["GET", "POST"])
def assignments(request):
    _require(request.user, "personnel.view")
    approval, label = _approval()
    if request.method == "POST":
        _require(request.user, "personnel.assign")
        try:
            if request.POST.get("action") == "run":
                services.assignment_enqueue(actor=request.user, approval=approval)
                messages.success(request, _("Penugasan dijadwalkan; muat ulang halaman ini sebentar lagi."))
            elif request.POST.get("action") == "adjust":
                a = Assignment.objects.filter(pk=int(request.POST.get("assignment") or 0),
                                              run__is_current=True).first()
                officer = selectors.officer_list(user=request.user).filter(
                    identifier=(request.POST.get("identifier") or "").strip()[:20]).first()
                if a is None or officer is None or selectors.officer_get(user=request.user,
                                                                          pk=a.officer_id) is None:
                    raise ValidationError({"identifier": _("Penugasan atau personel tidak ditemukan.")})
                services.assignment_adjust(actor=request.user, assignment=a, officer=officer)
                messages.success(request, _("Penugasan diubah (tercatat di audit)."))
            elif request.POST.get("action") == "leave":
                import datetime as dt

                officer = selectors.officer_list(user=request.user).filter(
                    identifier=(request.POST.get("identifier") or "").strip()[:20]).first()
                if officer is None:
                    raise ValidationError({"identifier": _("Personel tidak ditemukan.")})
                services.leave_record(actor=request.user, officer=officer,
                                      start=dt.date.fromisoformat(request.POST.get("start", "")[:10]),
                                      end=dt.date.fromisoformat(request.POST.get("end", "")[:10]),
                                      reason=request.POST.get("reason", ""))
                messages.success(request, _("Cuti dicatat; berlaku pada penghitungan penugasan berikutnya."))
        except ValidationError as exc:
            messages.error(request, _messages(exc))
        except ValueError:
            messages.error(request, _("Masukan tidak valid."))
        return redirect("personnel:assignments")
    run = selectors.current_run(approval)
    page = None
    unfilled, bko_unfilled = [], []
    if run is not None:
        qs = selectors.assignment_list(user=request.user, run=run).order_by("shift", "post_unit__code",
                                                                            "group__number", "-leader")
        unit = (request.GET.get("satuan") or "").strip()[:60]
        if unit:
            qs = qs.filter(post_unit__code=unit)
        page = Paginator(qs, 100).get_page(request.GET.get("halaman"))
        reasons = dict(UnfilledReason.choices)
        unfilled = [{"reason": reasons.get(k, k), "n": v} for k, v in sorted(run.metrics.get("reasons", {}).items())]
        bko_unfilled = [{"source": "TNI" if src == "tni" else "Polri", "reason": reasons.get(k, k), "n": v}
                        for src, per in sorted((run.metrics.get("bko_unfilled") or {}).items())
                        for k, v in sorted(per.items())]
    return render(request, "personnel/assignments.html", {
        "approval": approval, "renpam": label, "run": run, "page": page, "unfilled": unfilled,
        "bko_unfilled": bko_unfilled,
        "can_assign": has_perm(request.user, "personnel.assign") and approval is not None,
        "shift_labels": [s.get("label", "") for s in (run.shifts if run else [])]})


# -- Surat Perintah -----------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def warrants(request):
    _require(request.user, "personnel.view")
    approval, label = _approval()
    run = selectors.current_run(approval)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "issue":
                _require(request.user, "personnel.assign")
                if run is None:
                    raise ValidationError({"run": _("Belum ada penugasan untuk Renpam yang berlaku.")})
                unit = selectors.scope_units(request.user).filter(pk=int(request.POST.get("unit") or 0)).first()
                if unit is None:
                    raise ValidationError({"unit": _("Satuan tidak ditemukan.")})
                w = services.warrant_issue(actor=request.user, unit=unit, run=run)
                messages.success(request, _("Sprin %(n)s (versi %(v)s).") % {"n": w.number, "v": w.version})
            elif request.POST.get("action") == "sign":
                _require(request.user, "sprin.sign")
                if not services._session_verified(request.user):
                    return redirect(f"{reverse('otp')}?{urlencode({'next': request.path})}")
                w = selectors.warrant_list(user=request.user).filter(pk=int(request.POST.get("warrant") or 0)).first()
                if w is None:
                    raise Http404
                services.warrant_sign(actor=request.user, warrant=w, rank=request.POST.get("rank", ""))
                messages.success(request, _("Sprin ditandatangani."))
        except ValidationError as exc:
            messages.error(request, _messages(exc))
        except ValueError:
            messages.error(request, _("Masukan tidak valid."))
        return redirect("personnel:warrants")
    units = (selectors.scope_units(request.user).filter(agency__code__in=["POLRI", "TNI"]).exclude(level="district")
             .order_by("agency__code", "code"))
    return render(request, "personnel/warrants.html", {
        "renpam": label, "run": run, "rows": selectors.warrant_list(user=request.user)[:200], "units": units,
        "can_issue": has_perm(request.user, "personnel.assign") and run is not None,
        "can_sign": has_perm(request.user, "sprin.sign")})


@login_required
@require_GET
def warrant_pdf(request, pk: int):
    w = selectors.warrant_list(user=request.user).defer(None).filter(pk=pk).first()
    if w is None or not w.pdf_sha256:
        raise Http404
    data = bytes(w.pdf)
    if hashlib.sha256(data).hexdigest() != w.pdf_sha256:
        return HttpResponse(_("Berkas tidak cocok dengan sidik SHA-256 yang tercatat."), status=409)
    pdf = data[:4] == b"%PDF"
    resp = HttpResponse(data, content_type="application/pdf" if pdf else "text/html; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="sprin-{w.unit.code}-v{w.version}.{"pdf" if pdf else "html"}"'
    resp["X-Content-SHA256"] = w.pdf_sha256
    return resp


# -- status on the day ----------------------------------------------------------------------------------------------
@login_required
def status_page(request):
    """Phone page: the officer's own post(s) and big status buttons; queues offline (status.js) like the check-in
    page, and works without JavaScript (plain form)."""
    _require(request.user, "status.report")
    officer = Officer.objects.filter(user=request.user).select_related("unit").first()
    if request.method == "POST":
        try:
            services.status_report(actor=request.user, key=request.POST.get("key") or f"web-{uuid.uuid4()}",
                                   status=request.POST.get("status", ""))
            messages.success(request, _("Status diterima."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _("Status ditolak: %(r)s") % {
                "r": _messages(exc) if isinstance(exc, ValidationError) else str(exc)})
        return redirect("personnel:status")
    approval, label = _approval()
    return render(request, "personnel/status.html", {
        "officer": officer, "posts": selectors.my_assignments(user=request.user), "renpam": label,
        "statuses": Status.choices, "current": Status(officer.status).label if officer else ""})


@login_required
@require_POST
def status_api(request):
    """JSON status report from the phone page's offline queue: {key, status, at?, lat?, lng?}."""
    _require(request.user, "status.report")
    if len(request.body) > 4096:
        return JsonResponse({"error": {"body": "terlalu besar"}}, status=413)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": {"body": "JSON tidak valid"}}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"error": {"body": "harus objek JSON"}}, status=400)
    at = None
    if body.get("at"):
        at = parse_datetime(str(body["at"])[:40]) if isinstance(body["at"], str) else None
        if at is None or at.tzinfo is None:
            return JsonResponse({"error": {"at": "waktu tidak valid (ISO 8601 dengan zona)"}}, status=400)
    try:
        rep, created = services.status_report(
            actor=request.user, key=str(body.get("key") or "")[:80], status=str(body.get("status") or "")[:20],
            at=at, lat=body.get("lat"), lng=body.get("lng"))
    except ValidationError as exc:
        return JsonResponse({"error": getattr(exc, "message_dict", {"status": exc.messages})}, status=400)
    except PermissionDenied as exc:
        return JsonResponse({"error": {"detail": str(exc)}}, status=403)
    return JsonResponse({"id": rep.pk, "status": rep.status, "created": created}, status=201 if created else 200)


@login_required
@require_GET
def status_counts(request):
    """Officers per Polres and status (also as the partial personnel/_status_panel.html for the live room)."""
    _require(request.user, "personnel.view")
    if request.GET.get("format") == "points":
        return JsonResponse({"fields": ["lat", "lng", "unit", *Status.values],
                             "points": selectors.status_points(user=request.user)})
    rows = selectors.status_counts(user=request.user)
    if request.GET.get("format") == "json":
        return JsonResponse({"rows": rows})
    tpl = "personnel/_status_panel.html" if request.GET.get("partial") else "personnel/status_counts.html"
    return render(request, tpl, {"rows": rows, "statuses": Status.choices})


@login_required
@require_GET
def status_map(request):
    """Officer status aggregated per unit with counts per Polres, for the live room's map (JSON, scoped)."""
    _require(request.user, "personnel.view")
    return JsonResponse(selectors.status_map(user=request.user))


# -- dispatch --------------------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def dispatch(request, incident_pk: int):
    from sinergi.incidents.selectors import incident_get

    from .dispatch import incident_point, suggest

    incident = incident_get(user=request.user, pk=incident_pk)
    if incident is None:
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "assign":
                services.dispatch_assign(actor=request.user, incident=incident,
                                         resource_key=(request.POST.get("resource") or "")[:40])
                messages.success(request, _("Satuan ditugaskan."))
            else:
                d = selectors.dispatch_list(user=request.user, incident=incident).filter(
                    pk=int(request.POST.get("dispatch") or 0)).first()
                if d is None:
                    raise Http404
                services.dispatch_advance(actor=request.user, dispatch=d, state=request.POST.get("state", ""))
                messages.success(request, _("Status penugasan diperbarui."))
        except ValidationError as exc:
            messages.error(request, _messages(exc))
        except (PermissionDenied, ValueError):
            messages.error(request, _("Tidak diizinkan atau masukan tidak valid."))
        return redirect("personnel:dispatch", incident_pk=incident.pk)
    can_assign = has_perm(request.user, "dispatch.assign")
    approval, label = _approval()
    return render(request, "personnel/dispatch.html", {
        "incident": incident, "renpam": label, "located": incident_point(incident) is not None,
        "suggestions": [(s, duration(s.minutes)) for s in suggest(incident, approval=approval)] if can_assign else [],
        "dispatches": selectors.dispatch_list(user=request.user, incident=incident),
        "can_assign": can_assign, "states": DispatchState, "next": {
            DispatchState.ASSIGNED: DispatchState.ACKNOWLEDGED, DispatchState.ACKNOWLEDGED: DispatchState.ON_SCENE,
            DispatchState.ON_SCENE: DispatchState.CLEARED}})


@login_required
@require_GET
def my_dispatches(request):
    """Open dispatches of the user's unit (to acknowledge)."""
    _require(request.user, "status.report")
    qs = (Dispatch.objects.exclude(state=DispatchState.CLEARED).filter(unit__path__startswith=request.user.unit.path)
          .select_related("incident") if request.user.unit_id else Dispatch.objects.none())
    return render(request, "personnel/my_dispatches.html", {"rows": qs[:50]})

