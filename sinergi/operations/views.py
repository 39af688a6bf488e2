"""Pages of election-day operations: the command dashboard (/operasi/) with its scoped JSON and map points, the
phone-friendly check-in page (/operasi/lapor/), the stage calendar (/operasi/tahapan/), alert acknowledgement."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sinergi.accounts.permissions import has_perm
from sinergi.core import clock
from sinergi.regions.selectors import default_election

from . import labels, selectors, services, stages
from .models import KIND_ORDER, CheckInChannel, CheckInKind, TpsStatus


def _require(user, action: str) -> None:
    if not has_perm(user, action):
        raise PermissionDenied(action)


def _moment(request) -> tuple[dt.datetime, bool]:
    """The moment the page shows: now, or `?at=` (ISO date or time, local) to look at another day of the
    calendar (rehearsals, replays, the day after)."""
    raw = (request.GET.get("at") or "").strip()
    if not raw:
        return clock.now(), False
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        try:
            value = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(12, 0))
        except ValueError:
            return clock.now(), False
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value, True


def _election():
    election = default_election()
    if election is None:
        raise Http404("belum ada pemilihan")
    return election


def _escorts(user, election, at):
    try:
        from sinergi.logistics.selectors import escort_summary
    except ImportError:
        return None
    try:
        return escort_summary(user, election=election, at=at)
    except Exception:  # another contributor's panel must not take the dashboard down
        return None


def _incidents(user, limit: int = 10) -> list[dict]:
    from sinergi.incidents.selectors import incident_list

    rows = (incident_list(user=user).exclude(status="merged").select_related("category")
            .order_by("-last_reported_at", "-id")[:limit])
    return [{"id": i.pk, "title": i.title[:120], "category": i.category.name if i.category_id else "",
             "severity": i.severity, "status": i.get_status_display(),
             "at": timezone.localtime(i.last_reported_at).strftime("%d-%m %H:%M")} for i in rows]


@login_required
@require_GET
def dashboard(request):
    _require(request.user, "ops.view")
    election = _election()
    at, pinned = _moment(request)
    ops = stages.active_ops(election, at)
    no_stage = ops.stage is None
    panels = set(stages.ALL_PANELS) if no_stage else set(ops.panels)
    return render(request, "operations/dashboard.html", {
        "election": election, "ops": ops, "panels": panels, "no_stage": no_stage, "at": at, "pinned": pinned,
        "at_param": request.GET.get("at", ""), "ws_enabled": bool(getattr(settings, "CHANNEL_LAYERS", None)),
        "can_ack": has_perm(request.user, "ops.alert.ack"), "can_checkin": has_perm(request.user, "checkin.submit"),
        "renpam": _renpam(election),
    })


def _renpam(election) -> str:
    """Which approved Renpam the operation runs on ("Renpam versi N disahkan oleh … pada …"), or that none is."""
    from sinergi.deployment.selectors import approved_plan, approved_plan_label

    return approved_plan_label(approved_plan(election))


@login_required
@require_GET
def dashboard_data(request):
    """Everything the dashboard shows, scoped by the user; reloaded on live events and by polling."""
    _require(request.user, "ops.view")
    election = _election()
    at, pinned = _moment(request)
    coverage = selectors.coverage_by_polres(request.user, election=election, at=at)
    totals = {k: sum(r[k] for r in coverage) for k in ("tps_total", *KIND_ORDER, "problems", "missing")}
    alerts = list(selectors.alerts_for(request.user, election=election)[:50])
    data = {
        "at": timezone.localtime(at).isoformat(), "pinned": pinned,
        "stage": (stages.current_stage(election, at).name if stages.current_stage(election, at) else None),
        "coverage": coverage, "totals": totals,
        "checkins": selectors.checkin_totals(request.user, election=election, until=at if pinned else None),
        "alerts": [{"id": a.pk, "kind": a.get_kind_display(), "severity": a.severity, "message": a.message,
                    "tps": a.polling_station.code if a.polling_station_id else "",
                    "unit": a.unit.name if a.unit_id else "",
                    "raised_at": timezone.localtime(a.raised_at).strftime("%d-%m %H:%M"),
                    "acknowledged": a.acknowledged_at is not None} for a in alerts],
        "alerts_open": selectors.alerts_for(request.user, election=election).count(),
        "escorts": _escorts(request.user, election, at),
        "incidents": _incidents(request.user),
    }
    return HttpResponse(json.dumps(data, default=str), content_type="application/json")


@login_required
@require_GET
def map_points(request):
    """TPS in scope with their status, compact (one array per TPS) for the clustered map."""
    _require(request.user, "ops.view")
    points = selectors.tps_points(request.user, election=_election())
    body = json.dumps({"fields": ["id", "lat", "lng", "state", "problems", "flagged", "code"], "points": points},
                      separators=(",", ":"))
    return HttpResponse(body, content_type="application/json")


@login_required
@require_POST
def alert_ack(request, pk: int):
    _require(request.user, "ops.alert.ack")
    alert = get_object_or_404(selectors.alerts_for(request.user, open_only=False), pk=pk)
    services.alert_acknowledge(actor=request.user, alert=alert)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"id": alert.pk, "acknowledged": True})
    messages.success(request, _("Peringatan ditandai sudah diketahui."))
    return redirect("operations:index")


def _next_kinds(status: TpsStatus | None, active: frozenset[str]) -> list[str]:
    done = {k for k in KIND_ORDER if status is not None and getattr(status, f"{k}_at") is not None}
    pending = [k for k in KIND_ORDER if k not in done and k in active]
    return pending[:1]


@login_required
def checkin_page(request):
    """Phone-friendly check-in: the officer's TPS, a big button for the next expected step; works without
    JavaScript (plain form) and, with it, queues offline in localStorage and retries when back online."""
    _require(request.user, "checkin.submit")
    election = _election()
    now = clock.now()
    if request.method == "POST":
        data = {"key": request.POST.get("key") or f"web-{uuid.uuid4()}", "tps": request.POST.get("tps", ""),
                "kind": request.POST.get("kind", ""), "note": request.POST.get("note", ""),
                "at": request.POST.get("at") or None}
        try:
            item = services.CheckInInput.parse(data, channel=CheckInChannel.WEB)
            checkin, created = services.checkin_submit(actor=request.user, data=item)
        except (ValidationError, PermissionDenied) as exc:
            msg = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, _("Laporan ditolak: %(r)s") % {"r": msg})
        else:
            label = CheckInKind(checkin.kind).label
            messages.success(request, (_("Laporan diterima: TPS %(tps)s %(kind)s (no. %(n)s).") if created else
                                       _("Laporan ini sudah diterima sebelumnya (no. %(n)s).")) % {
                "tps": data["tps"], "kind": label, "n": checkin.pk})
        return redirect(f"{request.path}?tps={data['tps']}")
    ops = stages.active_ops(election, now)
    tps_list = selectors.assigned_tps(request.user, election=election)
    code = (request.GET.get("tps") or "").strip()
    if code and code not in {p.code for p in tps_list}:
        extra = selectors.checkin_tps(request.user, election=election, code=code)
        if extra is not None:
            tps_list.insert(0, extra)
    statuses = selectors.status_by_tps([p.pk for p in tps_list])
    rows = []
    for p in tps_list:
        st = statuses.get(p.pk)
        rows.append({"tps": p, "status": st, "state_label": CheckInKind(st.state).label if st and st.state else "",
                     "next": [(k, CheckInKind(k).label) for k in _next_kinds(st, ops.checkin_kinds)],
                     "problem": "problem" in ops.checkin_kinds})
    return render(request, "operations/checkin.html", {
        "rows": rows, "ops": ops, "kinds": [(k.value, k.label) for k in CheckInKind if k.value in ops.checkin_kinds],
        "code": code, "now": now, "renpam": _renpam(election),
        "phones": list(request.user.officer_phones.filter(active=True).values_list("number", flat=True))})


@login_required
@require_POST
def phone_set(request):
    """The officer registers the phone they send check-in SMS from."""
    _require(request.user, "checkin.submit")
    try:
        phone = services.officer_phone_set(actor=request.user, user=request.user, number=request.POST.get("number", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Nomor %(n)s terdaftar untuk laporan SMS.") % {"n": phone.number})
    return redirect("operations:checkin")


@login_required
@require_GET
def stage_page(request):
    _require(request.user, "ops.view")
    election = _election()
    at, pinned = _moment(request)
    ops = stages.active_ops(election, at)
    calendar = stages.calendar(election, at)
    for row in calendar:
        row["kinds_words"] = labels.kind_words(row["checkin_kinds"])
        row["forms_words"] = labels.words(row["forms"], labels.FORMS)
        row["panels_words"] = labels.words(row["panels"], labels.PANELS)
    schedule = [{"kind_label": CheckInKind(s.kind).label if s.kind in CheckInKind.values else s.kind,
                 "window_start": s.window_start, "due": s.due, "window_end": s.window_end,
                 "basis": labels.basis(s.kind)} for s in stages.schedule().values()]
    return render(request, "operations/stages.html", {
        "election": election, "at": at, "pinned": pinned, "ops": ops, "calendar": calendar, "schedule": schedule,
        "panel_words": labels.words(ops.panels, labels.PANELS),
        "kind_labels": {k.value: k.label for k in CheckInKind}})
