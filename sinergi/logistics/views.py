"""Pages: movement list with filters, movement detail (legs, seals, chain of custody), the field form, the map."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sinergi.accounts.models import Unit
from sinergi.core import clock
from sinergi.core.permissions import has_perm
from sinergi.elections.models import PollingStation
from sinergi.elections.selectors import default_election
from sinergi.operations.models import Alert
from sinergi.regions.models import Region

from . import selectors, services
from .forms import FieldEventForm, MovementForm
from .models import Direction, Status


def _require(user, action: str) -> None:
    if not has_perm(user, action):
        raise PermissionDenied(action)


@login_required
@require_GET
def movement_list(request):
    _require(request.user, "escort.view")
    election = default_election()
    base = selectors.movement_list(user=request.user, election=election)
    qs = selectors.movement_filter(base, request.GET).order_by("planned_departure", "id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    codes = sorted(set(base.values_list("regency_code", flat=True).distinct()))
    regencies = Region.objects.filter(code__in=codes).order_by("code")
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "logistics/list.html", {
        "page": page, "params": params, "regencies": regencies, "statuses": Status.choices,
        "directions": Direction.choices, "summary": selectors.escort_summary(request.user, election=election,
                                                                             limit=0),
        "can_record": has_perm(request.user, "escort.handover"),
    })


def _movement_or_404(user, pk):
    m = selectors.movement_detail(user=user, pk=pk)
    if m is None:
        raise Http404
    return m


@login_required
@require_GET
def movement_detail(request, pk: int):
    _require(request.user, "escort.view")
    m = _movement_or_404(request.user, pk)
    chain = selectors.chain_of(m, user=request.user)
    children = list(selectors.movement_list(user=request.user).filter(parent=m).order_by("id")[:50])
    alerts = Alert.objects.filter(subject_id=str(m.pk), subject_type="logistics.movement").order_by("-raised_at")
    leg_alerts = Alert.objects.filter(subject_type="logistics.leg", subject_id__in=[str(x.pk) for x in m.legs.all()])
    tps = list(PollingStation.objects.filter(election_id=m.election_id, village_id=m.serves_village_code)
               .order_by("number")) if m.serves_village_code else []
    return render(request, "logistics/detail.html", {
        "m": m, "legs": list(m.legs.all()), "chain": chain, "children": children,
        "timeline": selectors.custody_timeline(chain), "leg_events": selectors.leg_events(m),
        "alerts": list(alerts) + list(leg_alerts), "tps": tps,
        "can_record": has_perm(request.user, "escort.handover"),
        "eta": selectors.current_eta(m, clock.now()),
        "deadline": services.tps_deadline(m.election) if m.direction == Direction.DISTRIBUTION else None,
    })


@login_required
def field_event(request, pk: int):
    """Phone-friendly form: departure / arrival of a leg or a hand-over. The hidden key makes a resubmission a
    duplicate, not a second event."""
    _require(request.user, "escort.handover")
    m = _movement_or_404(request.user, pk)
    tps_choices = [(t.code, f"TPS {t.number:03d} ({t.code})") for t in PollingStation.objects.filter(
        election_id=m.election_id, village_id=m.serves_village_code).order_by("number")] if m.serves_village_code else []
    form = FieldEventForm(request.POST or None, movement=m, tps_choices=tps_choices)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        at = d.get("at") or clock.now()
        try:
            if d["action"] in ("departure", "arrival"):
                leg = m.legs.get(order=d["leg"])
                _ev, created = services.leg_event_record(actor=request.user, key=d["key"], leg=leg, kind=d["action"],
                                                         at=at, lat=d.get("lat"), lng=d.get("lng"),
                                                         note=d.get("note") or "")
            else:
                place = d["action"].removeprefix("handover_")
                tps = (PollingStation.objects.filter(election_id=m.election_id, code=d["tps"]).first()
                       if place == "tps" else None)
                _ev, created = services.handover_record(
                    actor=request.user, key=d["key"], movement=m, at=at, place=place, from_name=d["from_name"],
                    from_agency=d.get("from_agency") or "", to_name=d["to_name"], to_agency=d.get("to_agency") or "",
                    # the escort takes custody at the origin and hands it over at the destination
                    from_unit=m.escort_unit if place == "destination" else None,
                    to_unit=m.escort_unit if place == "origin" else None,
                    seals_seen=form.seal_list(), seal_check=d.get("seal_check") or "", polling_station=tps,
                    note=d.get("note") or "")
        except ValidationError as exc:
            for field, errs in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Tercatat.") if created else _("Sudah tercatat sebelumnya (tidak diulang)."))
            return redirect("logistics:detail", pk=m.pk)
    return render(request, "logistics/record.html", {"m": m, "form": form},
                  status=400 if form.is_bound and form.errors else 200)


@login_required
@require_GET
def escort_map(request):
    _require(request.user, "escort.view")
    election = default_election()
    return render(request, "logistics/map.html", {
        "summary": selectors.escort_summary(request.user, election=election, limit=0),
    })


@login_required
def movement_new(request):
    """Enter a movement by hand (escort.manage): legs and expected times come from the travel model."""
    _require(request.user, "escort.manage")
    election = default_election()
    form = MovementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if election is None:
                raise ValidationError({"direction": [_("belum ada pemilihan")]})
            unit = None
            if d.get("escort_unit"):
                unit = Unit.objects.filter(code=d["escort_unit"].strip()).first()
                if unit is None:
                    raise ValidationError({"escort_unit": [_("kode satuan tidak dikenal")]})
            origin = services.node_from_code(election, d["origin_kind"], d["origin_code"], "origin_code")
            dest = services.node_from_code(election, d["dest_kind"], d["dest_code"], "dest_code")
            m = services.movement_create(
                actor=request.user, election=election, key=f"manual:{uuid.uuid4()}", direction=d["direction"],
                origin=origin, dest=dest, planned_departure=d["planned_departure"], escort_unit=unit,
                cargo=form.cargo(), seals=form.seal_list(), note=d.get("note") or "")
        except ValidationError as exc:
            for field, errs in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Perpindahan dibuat; waktu tiba diperkirakan dari model perjalanan."))
            return redirect("logistics:detail", pk=m.pk)
    return render(request, "logistics/new.html", {"form": form},
                  status=400 if form.is_bound and form.errors else 200)
