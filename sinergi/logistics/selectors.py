"""Scoped reads of logistics movements. Every page, the API, the command dashboard and the daily report read here.

Scope: admins and users of a province-level unit see every movement of their province; a regency unit (KPU
Kab/Kota, Polres, Kodim) sees the regencies of its jurisdiction; a kecamatan unit (Polsek) its kecamatan; the
escort unit of a movement always sees it. Needs escort.view (every agency but the public).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from sinergi.accounts.selectors import is_global
from sinergi.core import clock
from sinergi.core.permissions import has_perm

from .models import CustodyEvent, Direction, Leg, LegEvent, LegMode, Movement, NodeKind, Status


def _scope_q(user) -> Q | None:
    """None: everything; Q(pk__in=[]) when nothing."""
    if is_global(user):
        return None
    if not user.unit_id:
        return Q(pk__in=[])
    q = Q(escort_unit__path__startswith=user.unit.path) if user.unit.path else Q(escort_unit=user.unit)
    for code in user.unit.jurisdiction.values_list("code", flat=True):
        if len(code) == 2:
            q |= Q(regency_code__startswith=code + ".")
        elif len(code) == 5:
            q |= Q(regency_code=code)
        else:
            q |= Q(district_code=code[:8])
    return q


def movement_list(*, user, election=None) -> QuerySet[Movement]:
    if not has_perm(user, "escort.view"):
        return Movement.objects.none()
    qs = Movement.objects.all()
    if election is not None:
        qs = qs.filter(election=election)
    q = _scope_q(user)
    if q is not None:
        qs = qs.filter(q)
    return qs.select_related("escort_unit")


def movement_filter(qs: QuerySet[Movement], params) -> QuerySet[Movement]:
    """Filters of the list page and the API: regency, district, status, direction, mode (sea), delayed, q."""
    if params.get("regency"):
        qs = qs.filter(regency_code=params["regency"])
    if params.get("district"):
        qs = qs.filter(district_code=params["district"])
    if params.get("status") in Status.values:
        qs = qs.filter(status=params["status"])
    if params.get("direction") in Direction.values:
        qs = qs.filter(direction=params["direction"])
    if params.get("mode") == LegMode.SEA:
        qs = qs.filter(has_sea=True)
    elif params.get("mode") == LegMode.ROAD:
        qs = qs.filter(has_sea=False)
    if str(params.get("delayed", "")).lower() in ("1", "true", "ya", "on"):
        qs = qs.filter(Q(status=Status.DELAYED) | Q(delay_minutes__gt=0))
    if params.get("village"):
        qs = qs.filter(serves_village_code=params["village"])
    if params.get("q"):
        qs = qs.filter(Q(origin_name__icontains=params["q"]) | Q(dest_name__icontains=params["q"]))
    return qs


def movement_detail(*, user, pk: int) -> Movement | None:
    m = (movement_list(user=user).filter(pk=pk).select_related("election", "parent", "polling_station",
                                                                 "escort_unit__agency")
         .prefetch_related(Prefetch("legs", queryset=Leg.objects.select_related("escort_unit")),
                           Prefetch("custody_events",
                                    queryset=CustodyEvent.objects.select_related("confirmed_by", "from_unit",
                                                                                  "to_unit", "polling_station")))
         .first())
    return m


def leg_events(movement: Movement) -> QuerySet[LegEvent]:
    return LegEvent.objects.filter(leg__movement=movement).select_related("leg", "recorded_by")


def upstream_hops(m: Movement) -> list[Movement]:
    """The hops whose hand-over must precede this one: the previous hop down the chain (distribution), or every
    PPS -> PPK hop into the kecamatan (recapitulation PPK -> warehouse)."""
    if m.parent_id is not None:
        return list(Movement.objects.filter(pk=m.parent_id))
    if m.direction == Direction.RECAP and m.origin_kind == NodeKind.PPK and m.origin_region_id:
        return list(Movement.objects.filter(election_id=m.election_id, direction=Direction.RECAP,
                                            dest_kind=NodeKind.PPK, dest_region_id=m.origin_region_id))
    return []


def chain_of(movement: Movement, *, user) -> list[Movement]:
    """The hops of this movement's chain of custody that the user may see, earliest first: up the distribution
    chain (parents), or for the recapitulation PPK -> warehouse the PPS -> PPK hops into the kecamatan."""
    visible = movement_list(user=user)
    chain = [movement]
    seen = {movement.pk}
    frontier = [movement]
    while frontier:
        candidates = {up.pk: up for cur in frontier for up in upstream_hops(cur) if up.pk not in seen}
        allowed = set(visible.filter(pk__in=list(candidates)).values_list("pk", flat=True)) if candidates else set()
        nxt = [candidates[pk] for pk in allowed]
        seen.update(candidates)
        chain = sorted(nxt, key=lambda m: (m.planned_departure, m.pk)) + chain
        frontier = nxt
    return chain


def custody_timeline(chain: list[Movement]) -> list[CustodyEvent]:
    return list(CustodyEvent.objects.filter(movement__in=chain).select_related(
        "movement", "confirmed_by", "polling_station", "from_unit", "to_unit").order_by("at", "id"))


def _reported_positions(ids: list[int]) -> dict[int, tuple[float, float]]:
    """The last reported position (lat, lng) per movement, one query."""
    out: dict[int, tuple[float, float]] = {}
    if not ids:
        return out
    rows = (LegEvent.objects.filter(leg__movement_id__in=ids, lat__isnull=False)
            .order_by("leg__movement_id", "-at", "-id").values_list("leg__movement_id", "lat", "lng"))
    for mid, lat, lng in rows:
        out.setdefault(mid, (lat, lng))
    return out


def _point(m: Movement, reported: dict[int, tuple[float, float]]) -> tuple[float | None, float | None]:
    """Where the escort is: the last reported position, else the end of the last arrived leg, else the origin."""
    if m.pk in reported:
        return reported[m.pk]
    arrived = [leg for leg in sorted(m.legs.all(), key=lambda leg: leg.order) if leg.actual_arrival is not None]
    if arrived:
        return arrived[-1].to_lat, arrived[-1].to_lng
    return m.origin_lat, m.origin_lng


def current_eta(m: Movement, now: dt.datetime | None = None) -> dt.datetime:
    """Expected arrival given what has happened: from the last reported departure or arrival, the remaining legs'
    travel-model hours (never earlier than a leg's planned departure, never in the past while still moving).
    Estimated."""
    if m.actual_arrival is not None:
        return m.actual_arrival
    legs = sorted(m.legs.all(), key=lambda leg: leg.order)
    t: dt.datetime | None = None
    for leg in legs:
        if leg.actual_arrival is not None:
            t = leg.actual_arrival
            continue
        start = leg.actual_departure or max(leg.planned_departure, t) if t is not None else (
            leg.actual_departure or leg.planned_departure)
        t = start + dt.timedelta(hours=leg.hours)
    t = t or m.expected_arrival
    if now is not None and m.actual_departure is not None and t < now:
        return now
    return t


def _row(m: Movement, now: dt.datetime, reported: dict[int, tuple[float, float]]) -> dict:
    lat, lng = _point(m, reported)
    return {"id": m.pk, "label": m.label, "mode": "sea" if m.has_sea else "road", "origin": m.origin_name,
            "destination": m.dest_name, "expected_at": m.expected_arrival.isoformat(),
            "expected_estimated": m.estimated, "escort_unit": m.escort_unit.name if m.escort_unit else "",
            "status": m.status, "direction": m.direction, "lat": lat, "lng": lng,
            "delay_minutes": m.delay_minutes, "eta": current_eta(m, now).isoformat()}


def escort_summary(user, *, election, at=None, limit: int = 200) -> dict:
    """Counts and lists of the escorts the user may see, for the command dashboard and the daily report.

    Keys: total, planned, in_motion (departed, not arrived), arrived (arrived or handed over), delayed
    (status delayed), in_motion_list, delayed_list (each at most `limit` rows of dicts: id, label, mode,
    origin, destination, expected_at (ISO, estimated), escort_unit, lat, lng, status, direction,
    delay_minutes), and estimated=True (expected times come from the travel model).
    """
    now = at or clock.now()
    qs = movement_list(user=user, election=election)
    agg = qs.aggregate(
        total=Count("id"), planned=Count("id", filter=Q(status=Status.PLANNED)),
        in_motion=Count("id", filter=Q(actual_departure__isnull=False, actual_arrival__isnull=True)),
        arrived=Count("id", filter=Q(status__in=[Status.ARRIVED, Status.HANDED_OVER])),
        delayed=Count("id", filter=Q(status=Status.DELAYED)))
    moving = qs.filter(actual_departure__isnull=False, actual_arrival__isnull=True).order_by("expected_arrival", "id")
    late = qs.filter(status=Status.DELAYED).order_by("expected_arrival", "id")
    pre = Prefetch("legs", queryset=Leg.objects.order_by("order"))
    moving_rows = list(moving.prefetch_related(pre)[:limit])
    late_rows = list(late.prefetch_related(pre)[:limit])
    reported = _reported_positions([m.pk for m in moving_rows + late_rows])
    return {
        **agg,
        "in_motion_list": [_row(m, now, reported) for m in moving_rows],
        "delayed_list": [_row(m, now, reported) for m in late_rows],
        "estimated": True,
    }


def map_features(*, user, election, params=None) -> dict:
    """GeoJSON of the escorts in motion (and delayed) with their legs; sea legs carry mode=sea (drawn dashed)."""
    qs = movement_list(user=user, election=election)
    if params:
        qs = movement_filter(qs, params)
    qs = qs.filter(Q(actual_departure__isnull=False, actual_arrival__isnull=True) | Q(status=Status.DELAYED))
    feats = []
    rows = list(qs.prefetch_related(Prefetch("legs", queryset=Leg.objects.order_by("order")))[:2000])
    reported = _reported_positions([m.pk for m in rows])
    for m in rows:
        lat, lng = _point(m, reported)
        for leg in m.legs.all():
            if leg.from_lat is None or leg.to_lat is None:
                continue
            feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
                [leg.from_lng, leg.from_lat], [leg.to_lng, leg.to_lat]]},
                "properties": {"movement": m.pk, "mode": leg.mode, "label": str(leg),
                               "done": leg.actual_arrival is not None}})
        if lat is not None:
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lng, lat]},
                          "properties": {"movement": m.pk, "label": m.label, "status": m.status,
                                         "status_label": m.get_status_display(),
                                         "escort": m.escort_unit.name if m.escort_unit else "",
                                         "expected_at": timezone.localtime(m.expected_arrival).strftime(
                                             "%d/%m %H:%M"),
                                         "url": f"/logistik/{m.pk}/"}})
    return {"type": "FeatureCollection", "features": feats}
