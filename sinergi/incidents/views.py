"""Pages: staff and public report forms, incident list and detail with workflow actions, situation room,
exports, and the SMS-gateway webhook."""

from __future__ import annotations

import hmac
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from sinergi.accounts.models import Unit
from sinergi.accounts.pickers import unit_groups
from sinergi.core import clock, jsonsafe
from sinergi.core.clientip import client_ip

from . import exports, selectors, services
from .choices import TRANSITIONS, Channel, IncidentStatus, Severity
from .forms import PublicReportForm, StaffReportForm
from .models import Category, Deadline, Report
from .permissions import can, require

PUBLIC_PER_HOUR = settings.SINERGI_PUBLIC_REPORTS_PER_HOUR


def _ip(request) -> str:
    """The client address: X-Forwarded-For only from SINERGI_TRUSTED_PROXIES (sinergi.core.clientip)."""
    return client_ip(request.META)


@login_required
def report_new(request):
    require(request.user, "incident.report")
    form = StaffReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report, created = services.report_submit(actor=request.user, data=form.to_input(Channel.STAFF))
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            messages.success(request, _("Laporan tersimpan (no. %(n)s).") % {"n": report.pk})
            if report.incident_id and can(request.user, "incident.view"):
                return redirect("incidents:detail", pk=report.incident_id)
            return redirect("incidents:report_new")
    return render(request, "incidents/report_form.html", {"form": form, "public": False},
                  status=400 if form.is_bound and form.errors else 200)


def _public_key(ip: str) -> str:
    # fixed one-hour window per client address, counted in the shared cache (every process, kept over restarts)
    return f"incidents:public:{ip}:{int(time.time() // 3600)}"


def public_limited(ip: str) -> bool:
    """True when `ip` has sent PUBLIC_PER_HOUR public reports in this hour (in any server process)."""
    return (cache.get(_public_key(ip)) or 0) >= PUBLIC_PER_HOUR


def _public_count(ip: str) -> None:
    key = _public_key(ip)
    if not cache.add(key, 1, 3600):
        cache.set(key, (cache.get(key) or 0) + 1, 3600)


def report_public(request):
    """Anyone may report (anonymously if they wish); limited per client address with the shared cache."""
    form = PublicReportForm(request.POST or None)
    if request.method == "POST":
        ip = _ip(request)
        if public_limited(ip):
            return render(request, "incidents/report_form.html",
                          {"form": form, "public": True, "limited": True}, status=429)
        if form.is_valid():
            try:
                report, _created = services.report_submit(actor=None, data=form.to_input(Channel.PUBLIC))
            except ValidationError as exc:
                form.add_error(None, "; ".join(exc.messages))
            else:
                _public_count(ip)
                return render(request, "incidents/report_thanks.html", {"report": report})
    return render(request, "incidents/report_form.html", {"form": form, "public": True},
                  status=400 if form.is_bound and form.errors else 200)


@login_required
@require_GET
def incident_list(request):
    require(request.user, "incident.view")
    qs = selectors.incident_filter(selectors.incident_list(user=request.user), request.GET)
    page = Paginator(qs.select_related("category", "assigned_unit").order_by("-last_reported_at", "-id"), 50
                     ).get_page(request.GET.get("page"))
    return render(request, "incidents/list.html", {
        "page": page, "categories": Category.objects.filter(active=True), "statuses": IncidentStatus.choices,
        "params": request.GET, "triage": selectors.report_triage_list(user=request.user)[:20]})


@login_required
def incident_detail(request, pk: int):
    require(request.user, "incident.view")
    inc = selectors.incident_get(user=request.user, pk=pk)
    if inc is None:
        raise Http404
    now = clock.now()
    deadlines = selectors.incident_deadlines(incident=inc)
    for d in deadlines:
        d.overdue = d.met_at is None and d.ended_at is None and d.due_at < now
        d.left = d.due_at - now
    return render(request, "incidents/detail.html", {
        "incident": inc, "timeline": selectors.incident_timeline(incident=inc), "triage": _triage_view(inc),
        "reports": selectors.incident_reports(user=request.user, incident=inc), "deadlines": deadlines,
        "next_statuses": next_statuses(inc.status),
        "categories": Category.objects.filter(active=True), "severities": Severity.choices,
        "unit_groups": unit_groups(Unit.objects.select_related("agency")),
        "can_triage": can(request.user, "incident.triage"), "can_work": can(request.user, "incident.work"),
        "can_reporter": can(request.user, "incident.view_reporter"),
        "is_assigned": bool(inc.assigned_unit_id and request.user.unit_id
                            and inc.assigned_unit.is_within(request.user.unit)),
    })


def next_statuses(status: str) -> list[tuple[str, str]]:
    """The statuses an incident may move to, in workflow order, rejection last (never preselected)."""
    order = [s.value for s in IncidentStatus]
    allowed = sorted(TRANSITIONS.get(status, ()), key=lambda s: (s == IncidentStatus.REJECTED, order.index(s)))
    return [(s, IncidentStatus(s).label) for s in allowed]


def _triage_view(inc) -> dict | None:
    """The stored triage suggestions with names instead of codes, for the incident page."""
    from sinergi.accounts.choices import AgencyKind
    from sinergi.regions.models import RegionLevel

    t = inc.triage or {}
    if not t.get("category"):
        return None
    names = dict(Category.objects.values_list("code", "name"))
    place = t.get("place") or {}
    agencies = dict(AgencyKind.choices)
    return {
        "place": place, "place_level": dict(RegionLevel.choices).get(place.get("level") or "", ""),
        "place_pct": round(100 * float(place.get("confidence") or 0)),
        "top3": [(names.get(c, c), round(100 * float(s))) for c, s in t.get("top3", [])],
        "election_related": t.get("election_related"), "severity": t.get("severity"),
        "severity_reasons": t.get("severity_reasons", []),
        "route": [str(agencies.get(a, a)) for a in t.get("route", [])], "route_reasons": t.get("route_reasons", []),
        "notes": t.get("notes", []), "duplicate_score": t.get("duplicate_score"),
    }


@login_required
@require_POST
def incident_action(request, pk: int):
    inc = selectors.incident_get(user=request.user, pk=pk)
    if inc is None:
        raise Http404
    act = request.POST.get("action", "")
    try:
        if act == "transition":
            to = request.POST.get("to", "")
            require(request.user, "incident.close" if to == IncidentStatus.CLOSED else
                    ("incident.work" if to in (IncidentStatus.IN_PROGRESS, IncidentStatus.RESOLVED)
                     else "incident.triage"))
            unit = Unit.objects.filter(code=request.POST.get("unit", "")).first()
            services.incident_transition(actor=request.user, incident=inc, to=to, note=request.POST.get("note", ""),
                                         unit=unit)
        elif act == "acknowledge":
            require(request.user, "incident.work")
            services.incident_acknowledge(actor=request.user, incident=inc)
        elif act == "update":
            require(request.user, "incident.triage")
            cat = Category.objects.filter(code=request.POST.get("category", "")).first()
            sev = request.POST.get("severity")
            services.incident_update(actor=request.user, incident=inc, category=cat,
                                     severity=int(sev) if sev and sev.isdigit() else None,
                                     note=request.POST.get("note", ""))
        elif act == "triage":
            require(request.user, "incident.triage")
            cat = Category.objects.filter(code=request.POST.get("category", "")).first()
            sev, fat = request.POST.get("severity", ""), request.POST.get("fatalities", "")
            place = request.POST.get("region", "").strip()
            ooa = request.POST.get("out_of_area")
            services.incident_triage_correct(
                actor=request.user, incident=inc, category=cat, severity=int(sev) if sev.isdigit() else None,
                region_code=place or None, out_of_area=None if ooa in (None, "") else ooa == "1",
                fatalities=int(fat) if fat.isdigit() else None, note=request.POST.get("note", ""))
        elif act == "note":
            require(request.user, "incident.view")
            services.incident_note(actor=request.user, incident=inc, note=request.POST.get("note", ""))
        elif act == "merge":
            require(request.user, "incident.triage")
            target = selectors.incident_get(user=request.user, pk=int(request.POST.get("target") or 0))
            if target is None:
                raise ValidationError(_("Insiden tujuan tidak ditemukan."))
            services.incident_merge(actor=request.user, source=inc, target=target)
            return redirect("incidents:detail", pk=target.pk)
        elif act == "split":
            require(request.user, "incident.triage")
            ids = [int(x) for x in request.POST.getlist("reports") if x.isdigit()]
            new = services.incident_split(actor=request.user, incident=inc, report_ids=ids)
            return redirect("incidents:detail", pk=new.pk)
        elif act == "extend":
            require(request.user, "incident.triage")
            d = get_object_or_404(Deadline, pk=request.POST.get("deadline"), incident=inc)
            services.deadline_extend(actor=request.user, deadline=d)
        elif act == "override":
            require(request.user, "incident.triage")
            d = get_object_or_404(Deadline, pk=request.POST.get("deadline"), incident=inc)
            services.deadline_override(actor=request.user, deadline=d, reason=request.POST.get("reason", ""))
        elif act == "share":
            require(request.user, "incident.triage")
            units = list(Unit.objects.filter(code__in=request.POST.getlist("units")))
            services.incident_share(actor=request.user, incident=inc, units=units)
        else:
            return HttpResponse(status=400)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    except (ValueError, TypeError):
        messages.error(request, _("Masukan tidak sah."))
    return redirect("incidents:detail", pk=pk)


@login_required
@require_GET
def reporter_reveal(request, pk: int):
    """The reporter's identity (fragment); audited on every view."""
    visible = selectors.incident_list(user=request.user).values("pk")
    report = get_object_or_404(Report.objects.filter(incident__in=visible), pk=pk)
    try:
        who = services.report_reporter_reveal(actor=request.user, report=report)
    except PermissionDenied:
        return HttpResponse(_("Tidak berwenang."), status=403)
    return render(request, "incidents/_reporter.html", {"who": who})


@login_required
@require_GET
def situation_room(request):
    require(request.user, "incident.view")
    return render(request, "incidents/situation.html", {
        "categories": Category.objects.filter(active=True), "statuses": IncidentStatus.choices,
        "agencies": sorted({c.agency_code for c in Category.objects.all()}),
        "ws_enabled": bool(settings.CHANNEL_LAYERS),
    })


@login_required
@require_GET
def situation_feed(request):
    """The feed and counters fragment (htmx), reloaded on WebSocket events or every few seconds."""
    require(request.user, "incident.view")
    qs = selectors.incident_filter(selectors.incident_list(user=request.user), request.GET)
    items = list(qs.select_related("category", "assigned_unit").order_by("-last_reported_at", "-id")[:50])
    return render(request, "incidents/_feed.html", {
        "items": items, "counters": selectors.counters(user=request.user, qs=qs), "now": clock.now()})


@login_required
@require_GET
def notifications(request):
    return render(request, "incidents/notifications.html",
                  {"items": selectors.notification_list(user=request.user)[:100]})


@login_required
@require_GET
def export(request, fmt: str):
    require(request.user, "incident.export")
    qs = selectors.incident_filter(selectors.incident_list(user=request.user), request.GET)
    try:
        return exports.response(fmt, qs, actor=request.user)
    except KeyError:
        raise Http404(fmt) from None


@login_required
@require_GET
def cap_alert(request, pk: int):
    require(request.user, "incident.export")
    inc = selectors.incident_get(user=request.user, pk=pk)
    if inc is None or inc.severity < 3:
        raise Http404
    return HttpResponse(exports.cap_xml(inc), content_type="application/cap+xml; charset=utf-8")


# --------------------------------------------------------------------------- SMS gateway

def _sms_secret() -> str:
    return settings.SINERGI_SMS_WEBHOOK_SECRET


@csrf_exempt
@require_POST
def sms_webhook(request):
    """Generic SMS-gateway webhook. Auth: header `X-Sinergi-Sms-Secret` equal to SINERGI_SMS_WEBHOOK_SECRET
    (refused while that is unset). Body: JSON or form with `id`, `from`, `text` (aliases: message_id, sender,
    message). Every message is stored; the reply text for the sender is returned as JSON `reply`."""
    secret = _sms_secret()
    if not secret:
        return JsonResponse({"error": "SMS webhook disabled: SINERGI_SMS_WEBHOOK_SECRET is not set"}, status=503)
    given = request.headers.get("X-Sinergi-Sms-Secret", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return JsonResponse({"error": "forbidden"}, status=403)
    try:
        if request.content_type == "application/json":
            body = jsonsafe.loads(request.body.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("object expected")
        else:
            body = request.POST
        message_id = str(body.get("id") or body.get("message_id") or "").strip()
        sender = str(body.get("from") or body.get("sender") or "").strip()
        text = str(body.get("text") or body.get("message") or "")
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"error": "malformed body"}, status=400)
    if not message_id or len(message_id) > 90:
        return JsonResponse({"error": "id (message id from the gateway) is required, at most 90 characters"},
                            status=400)
    if len(text) > 5000:
        return JsonResponse({"error": "text too long"}, status=413)
    from sinergi.core.sms import handler_for

    handler = handler_for(text)  # e.g. "CEK <kode TPS> <BUKA|...>": a TPS check-in (registered by sinergi.operations)
    if handler is not None:
        return JsonResponse(handler.handle(message_id=message_id, sender=sender, text=text))
    report, reply = services.sms_receive(message_id=message_id, sender=sender, text=text)
    return JsonResponse({"report": report.pk, "reply": reply})
