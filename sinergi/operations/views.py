"""Pages of election-day operations: the command dashboard (/operasi/) with its scoped JSON and map points, the
phone-friendly check-in page (/operasi/lapor/), the stage calendar (/operasi/tahapan/), alert acknowledgement."""

from __future__ import annotations

import datetime as dt
import hashlib
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
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from sinergi.core import clock
from sinergi.core.permissions import has_perm
from sinergi.core.providers import provider
from sinergi.elections.selectors import default_election

from . import labels, selectors, services, stages
from .models import KIND_ORDER, AlertKind, CheckInChannel, CheckInKind, TpsStatus


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
    escort_summary = provider("logistics.escort_summary")  # registered by sinergi.logistics (above operations)
    if escort_summary is None:
        return None
    return escort_summary(user, election=election, at=at, limit=10)


#: alerts and incidents at or above this severity are shown above the fold ("perlu tindakan")
HIGH_SEVERITY = 3


def _alert_row(a) -> dict:
    return {"id": a.pk, "kind": a.get_kind_display(), "severity": a.severity, "message": a.message,
            "unit": a.unit.name if a.unit_id else "",
            "assigned": a.assigned_unit.name if a.assigned_unit_id else "",
            "raised_at": timezone.localtime(a.raised_at).strftime("%d-%m %H:%M"),
            "acknowledged": a.acknowledged_at is not None}


def _escort_digest(summary: dict | None, limit: int = 10) -> dict | None:
    """The escort panel: counts and the first rows only (the escort pages list everything)."""
    if summary is None:
        return None
    return {**summary, "in_motion_list": summary["in_motion_list"][:limit],
            "delayed_list": summary["delayed_list"][:limit]}


def _incidents(user, limit: int = 10) -> list[dict]:
    """Open incidents first, most severe then newest; then the latest closed ones."""
    from django.db.models import Case, IntegerField, Value, When

    from sinergi.incidents.choices import OPEN_STATUSES
    from sinergi.incidents.selectors import incident_list

    rows = (incident_list(user=user).exclude(status="merged").select_related("category")
            .annotate(is_open=Case(When(status__in=list(OPEN_STATUSES), then=Value(1)), default=Value(0),
                                   output_field=IntegerField()))
            .order_by("-is_open", "-severity", "-last_reported_at", "-id")[:limit])
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
        "at_param": request.GET.get("at", ""), "ws_enabled": bool(settings.CHANNEL_LAYERS),
        "can_ack": has_perm(request.user, "ops.alert.ack"), "can_checkin": has_perm(request.user, "checkin.submit"),
        "renpam": _renpam(election),
        "assign_units": _assign_units(request.user),
        "show_units": has_perm(request.user, "personnel.view"),  # officer status (sinergi.personnel)
        "unit_statuses": _unit_statuses(),
    })


def _unit_statuses() -> list:
    from sinergi.core.providers import provider

    choices = provider("personnel.status_choices")  # registered by the personnel app
    return choices() if choices is not None else []


def _renpam(election) -> str:
    """Which approved Renpam the operation runs on ("Renpam versi N disahkan oleh … pada …"), or that none is."""
    from sinergi.deployment.selectors import approved_plan, approved_plan_label

    return approved_plan_label(approved_plan(election))


def _assign_units(user) -> list:
    """Units an alert can be assigned to from the dashboard: Polda and Polres-level units in the user's scope."""
    from sinergi.accounts.choices import UnitLevel
    from sinergi.accounts.selectors import scope_units

    if not has_perm(user, "ops.alert.ack"):
        return []
    return list(scope_units(user).filter(level__in=[UnitLevel.PROVINCE, UnitLevel.REGENCY])
                .order_by("agency__code", "path").only("pk", "name")[:200])


@login_required
@require_GET
def dashboard_data(request):
    """Everything the dashboard shows, scoped by the user; reloaded on live events and by polling."""
    _require(request.user, "ops.view")
    election = _election()
    at, pinned = _moment(request)
    coverage = selectors.coverage_by_polres(request.user, election=election, at=at)
    totals = {k: sum(r[k] for r in coverage) for k in ("tps_total", *KIND_ORDER, "problems", "missing")}
    high = list(selectors.alerts_for(request.user, election=election).filter(severity__gte=HIGH_SEVERITY)
                .order_by(*selectors.ALERT_ORDER)[:15])
    groups = selectors.alert_groups(request.user, election=election)
    data = {
        "at": timezone.localtime(at).isoformat(), "pinned": pinned,
        "stage": (stages.current_stage(election, at).name if stages.current_stage(election, at) else None),
        "coverage": coverage, "totals": totals,
        "checkins": selectors.checkin_totals(request.user, election=election, until=at if pinned else None),
        "alerts": [_alert_row(a) for a in high],
        "alert_groups": [{**g, "newest": timezone.localtime(g["newest"]).strftime("%d-%m %H:%M")} for g in groups],
        "alerts_open": sum(g["count"] for g in groups),
        "escorts": _escort_digest(_escorts(request.user, election, at)),
        "incidents": _incidents(request.user),
    }
    return HttpResponse(json.dumps(data, default=str), content_type="application/json")


#: full map answers by ETag (newest check-in, read scope, election, the TPS list's fingerprint): a TPS's status
#: changes only with a check-in and its place only with the TPS list, so the same ETag means the same body; a few
#: entries per process (one per distinct scope)
_MAP_CACHE: dict[str, str] = {}


@login_required
@require_GET
@gzip_page
def map_points(request):
    """TPS in scope with their status, compact (one array per TPS) for the clustered map. Sent once in full, then
    only changes: `cursor` is the newest check-in id; `?since=<cursor>` returns the TPS whose status changed after
    it ("delta": true). The full answer carries an ETag (cursor, scope, TPS list), so an unchanged map costs a 304."""
    _require(request.user, "ops.view")
    election = _election()
    cursor = selectors.checkin_cursor(election=election)
    fields = ["id", "lat", "lng", "state", "problems", "flagged", "code"]
    since = request.GET.get("since", "")
    if since:
        try:
            since_id = int(since)
        except ValueError:
            return JsonResponse({"since": [_("Harus berupa bilangan bulat.")]}, status=400)
        points = selectors.tps_points_changed(request.user, election=election, since=since_id)
        return JsonResponse({"fields": fields, "points": points, "cursor": cursor, "delta": True})
    scope = selectors.read_scope(request.user)
    tps = selectors.tps_fingerprint(election=election)
    digest = hashlib.sha256(f"{cursor}|{scope}|{election.pk}|{tps}".encode()).hexdigest()[:24]
    etag = f'"{digest}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    body = _MAP_CACHE.get(etag)
    if body is None:
        points = selectors.tps_points(request.user, election=election)
        body = json.dumps({"fields": fields, "points": points, "cursor": cursor, "delta": False},
                          separators=(",", ":"))
        _MAP_CACHE[etag] = body
        while len(_MAP_CACHE) > 16:
            _MAP_CACHE.pop(next(iter(_MAP_CACHE)))
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _int_param(request, name: str, default: int | None = None, lo: int = 0, hi: int = 10**9) -> int | None:
    raw = request.GET.get(name, request.POST.get(name, ""))
    if raw in ("", None):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: _("Harus berupa bilangan bulat.")}) from None
    if not lo <= value <= hi:
        raise ValidationError({name: _("Di luar rentang yang diizinkan.")})
    return value


@login_required
@require_GET
def alert_list(request):
    """One page of open alerts (most severe, then newest first), of one group (`unit`, `kind`) or all."""
    _require(request.user, "ops.view")
    election = _election()
    try:
        unit_id = _int_param(request, "unit")
        page = _int_param(request, "page", 1, 1, 100_000)
        severity = _int_param(request, "severity_min", 0, 0, 9)
    except ValidationError as exc:
        return JsonResponse(exc.message_dict, status=400)
    kind = request.GET.get("kind", "")
    if kind and kind not in AlertKind.values:
        return JsonResponse({"kind": [_("Jenis peringatan tidak dikenal.")]}, status=400)
    rows, total = selectors.alert_page(request.user, election=election, unit_id=unit_id, kind=kind,
                                       severity_min=severity, page=page)
    return JsonResponse({"total": total, "page": page, "per_page": 50, "alerts": [_alert_row(a) for a in rows]})


@login_required
@require_POST
def alert_bulk(request):
    """Acknowledge or assign many open alerts: the listed `ids`, or a whole group (`unit`, `kind`); audited once."""
    _require(request.user, "ops.alert.ack")
    election = _election()
    qs = selectors.alerts_for(request.user, election=election)
    action = request.POST.get("action", "")
    try:
        ids = [int(v) for v in request.POST.getlist("ids") if v.strip()][:services.MAX_BULK]
    except ValueError:
        return JsonResponse({"ids": [_("Harus berupa bilangan bulat.")]}, status=400)
    try:
        unit_id = _int_param(request, "unit")
    except ValidationError as exc:
        return JsonResponse(exc.message_dict, status=400)
    kind = request.POST.get("kind", "")
    if kind and kind not in AlertKind.values:
        return JsonResponse({"kind": [_("Jenis peringatan tidak dikenal.")]}, status=400)
    if ids:
        qs = qs.filter(pk__in=ids)
    elif unit_id is not None or kind:
        if unit_id is not None:
            qs = qs.filter(selectors.alert_group_q(unit_id))
        if kind:
            qs = qs.filter(kind=kind)
    else:
        return JsonResponse({"ids": [_("Pilih peringatan atau satu kelompok.")]}, status=400)
    try:
        if action == "ack":
            n = services.alerts_acknowledge_many(actor=request.user, alerts=qs)
        elif action == "assign":
            from sinergi.accounts.models import Unit

            target = _int_param(request, "assign_unit")
            n = services.alerts_assign(actor=request.user, alerts=qs,
                                       unit=Unit.objects.filter(pk=target).first() if target else None)
        else:
            return JsonResponse({"action": [_("Pilih 'ack' atau 'assign'.")]}, status=400)
    except ValidationError as exc:
        return JsonResponse(exc.message_dict, status=400)
    return JsonResponse({"action": action, "count": n})


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
