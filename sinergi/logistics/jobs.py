"""Periodic work of the logistics app, run by `manage.py sinergi_tick` (every 30 s under `sinergi up`).

tick(now) is idempotent: it raises the time-driven alerts (escort_late, logistics_not_at_tps), marks movements
delayed, and resolves alerts whose cause is gone (including custody_break for a missing hand-over, which events
raise when a hop starts). Running it twice at the same `now` changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from sinergi.core import clock
from sinergi.elections.models import Election, PollingStation
from sinergi.operations import live
from sinergi.operations.models import Alert, AlertKind
from sinergi.operations.services import alert_resolve, alert_resolve_many, alerts_raise_many

from . import services
from .models import CustodyEvent, Direction, Leg, Movement, NodeKind, Status

DONE = (Status.ARRIVED, Status.HANDED_OVER)


def _open_keys(prefix: str) -> set[str]:
    return set(Alert.objects.filter(key__startswith=prefix, resolved_at__isnull=True).values_list("key", flat=True))


def upstream_shift(ids) -> dict[int, dt.timedelta | None]:
    """Each movement's own schedule given its upstream hops (services._upstream): None while an upstream hop has
    not arrived (the escort waits for it: not late by its own schedule); else how much later than planned it could
    leave (the latest upstream arrival after its planned departure, or zero). A hop is late only against that."""
    ids = list(ids)
    out: dict[int, dt.timedelta | None] = {}
    rows = list(Movement.objects.filter(pk__in=ids).values_list(
        "pk", "planned_departure", "parent_id", "direction", "origin_kind", "origin_region_id", "election_id"))
    parents = {r[2] for r in rows if r[2]}
    parent_state = {pk: (st, arr) for pk, st, arr in Movement.objects.filter(pk__in=parents).values_list(
        "pk", "status", "actual_arrival")} if parents else {}
    recap_ppk = {(r[6], r[5]) for r in rows if not r[2] and r[3] == Direction.RECAP and r[4] == NodeKind.PPK}
    feeders: dict[tuple[int, str], list[tuple[str, dt.datetime | None]]] = defaultdict(list)
    if recap_ppk:
        for el, dest, st, arr in Movement.objects.filter(
                direction=Direction.RECAP, dest_kind=NodeKind.PPK,
                election_id__in={e for e, _ in recap_ppk}, dest_region_id__in={r for _, r in recap_ppk}).values_list(
                "election_id", "dest_region_id", "status", "actual_arrival"):
            feeders[(el, dest)].append((st, arr))
    for pk, planned, parent, _direction, _okind, oregion, election in rows:
        ups = [parent_state.get(parent, (Status.PLANNED, None))] if parent else feeders.get((election, oregion), [])
        if any(st not in DONE for st, _ in ups):
            out[pk] = None
            continue
        latest = max((arr for _, arr in ups if arr is not None), default=None)
        out[pk] = max(latest - planned, dt.timedelta(0)) if latest is not None else dt.timedelta(0)
    return out


def _late(now: dt.datetime) -> dict:
    tol = services.tolerance()
    horizon = services.alert_horizon()
    late_legs = (Leg.objects.filter(actual_arrival__isnull=True, expected_arrival__lt=now - tol,
                                    expected_arrival__gte=now - horizon)
                 .exclude(movement__status__in=DONE).select_related("movement__election", "movement__escort_unit")
                 .order_by("movement_id", "order"))
    first_by_movement: dict[int, Leg] = {}
    for leg in late_legs:
        first_by_movement.setdefault(leg.movement_id, leg)
    # Late only against its own schedule: not while waiting for an upstream hop, and shifted by its late arrival.
    shift = upstream_shift(first_by_movement)
    first_by_movement = {mid: leg for mid, leg in first_by_movement.items()
                         if shift.get(mid) is not None and leg.expected_arrival + shift[mid] < now - tol}
    raised = 0
    already = _open_keys("escort_late:")
    new_alerts = []
    for mid, leg in first_by_movement.items():
        if f"escort_late:{mid}" in already:
            continue
        m = leg.movement
        late_min = int((now - leg.expected_arrival).total_seconds() // 60)
        new_alerts.append(Alert(
            election=m.election, key=f"escort_late:{mid}", kind=AlertKind.ESCORT_LATE, severity=2,
            unit=m.escort_unit, polling_station_id=m.polling_station_id, subject_type="logistics.leg",
            subject_id=str(leg.pk), raised_at=now, due_at=leg.expected_arrival,
            message=f"Pengawalan {m.label} terlambat: ruas {leg.order} ({leg.from_name} → {leg.to_name}) belum tiba, "
                    f"perkiraan {timezone.localtime(leg.expected_arrival):%d/%m %H:%M} WITA",
            data={"movement": mid, "leg": leg.pk, "late_minutes": late_min}))
    # One transaction for all of them (was one per alert); the audit counts what was written.
    raised = len(alerts_raise_many(alerts=new_alerts, at=now, audit_data={"kind": AlertKind.ESCORT_LATE}))
    late_ids = set(Movement.objects.filter(pk__in=list(first_by_movement))
                   .exclude(status__in=(*DONE, Status.DELAYED)).values_list("id", flat=True))
    # Not departed long after the planned departure: delayed too (no alert until a leg is late).
    not_left = dict(Movement.objects.filter(status=Status.PLANNED, actual_departure__isnull=True,
                                            planned_departure__lt=now - tol, planned_departure__gte=now - horizon)
                    .values_list("id", "planned_departure"))
    not_left_shift = upstream_shift(not_left)
    late_ids |= {pk for pk, planned in not_left.items()
                 if not_left_shift.get(pk) is not None and planned + not_left_shift[pk] < now - tol}
    marked = services.movements_mark_delayed(ids=sorted(late_ids), at=now)
    gone = []
    for key in already:
        mid = int(key.split(":")[1])
        if mid in first_by_movement:
            continue
        m = Movement.objects.filter(pk=mid).first()
        # resolved when the movement arrived or no leg is late any more (a leg late beyond the horizon stays open)
        if m is None or m.status in DONE or not services._late_legs(m, now):
            gone.append(key)
    resolved = _resolve_keys(gone, "tidak ada ruas terlambat", now)
    return {"escort_late_raised": raised, "escort_late_resolved": resolved, "marked_delayed": marked}


def _not_at_tps(now: dt.datetime) -> dict:
    raised = resolved = 0
    for election in Election.objects.filter(logistics_movements__direction=Direction.DISTRIBUTION).distinct():
        if now < services.tps_deadline(election) or now >= services.voting_day_end(election):
            continue  # from the deadline until voting day ends; open alerts stay until resolved
        dist = Movement.objects.filter(election=election, direction=Direction.DISTRIBUTION)
        served_done: set[str] = set()
        served_open: dict[str, Movement] = {}
        tps_open: dict[int, Movement] = {}
        tps_done: set[int] = set()
        for m in dist.filter(Q(serves_village_code__gt="") | Q(polling_station__isnull=False)).select_related(
                "escort_unit"):
            if m.polling_station_id:
                (tps_done.add(m.polling_station_id) if m.status in DONE else tps_open.setdefault(m.polling_station_id, m))
            elif m.status in DONE:
                served_done.add(m.serves_village_code)
            else:
                served_open[m.serves_village_code] = m
        handed_at_tps = set(CustodyEvent.objects.filter(movement__election=election, polling_station__isnull=False,
                                                        movement__direction=Direction.DISTRIBUTION)
                            .values_list("polling_station_id", flat=True))
        by_village: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for pk, village, code in PollingStation.objects.filter(
                election=election, village_id__in=list(served_open) + list(served_done)).values_list(
                "id", "village_id", "code"):
            by_village[village].append((pk, code))
        deadline = services.tps_deadline(election)
        open_keys = _open_keys("logistics_not_at_tps:")
        missing: dict[int, tuple[Movement, str]] = {}
        for village, m in served_open.items():
            if village in served_done:
                continue
            for pk, code in by_village.get(village, []):
                if pk not in handed_at_tps and pk not in tps_done:
                    missing[pk] = (m, code)
        for pk, m in tps_open.items():
            if pk not in handed_at_tps:
                missing[pk] = (m, m.polling_station.code if m.polling_station else str(pk))
        new_alerts = []
        for pk, (m, code) in missing.items():
            key = f"logistics_not_at_tps:{pk}"
            if key in open_keys:
                continue
            new_alerts.append(Alert(
                election=election, key=key, kind=AlertKind.LOGISTICS_NOT_AT_TPS, severity=3, unit=m.escort_unit,
                polling_station_id=pk, subject_type="logistics.movement", subject_id=str(m.pk), raised_at=now,
                due_at=deadline,
                message=f"Logistik belum tiba di TPS {code} (batas {timezone.localtime(deadline):%d/%m %H:%M} WITA; "
                        f"perpindahan {m.label}: {m.get_status_display()})",
                data={"movement": m.pk, "tps": pk}))
        # Election day: thousands of TPS at once. One transaction per 500 alerts' INSERT (was one per alert).
        raised += len(alerts_raise_many(alerts=new_alerts, at=now,
                                        audit_data={"kind": AlertKind.LOGISTICS_NOT_AT_TPS}))
        gone = [key for key in open_keys if int(key.split(":")[1]) not in missing]
        mine = set(Alert.objects.filter(key__in=gone, election=election).values_list("key", flat=True)) if gone \
            else set()
        resolved += _resolve_keys([k for k in gone if k in mine], "logistik tiba", now)
    return {"not_at_tps_raised": raised, "not_at_tps_resolved": resolved}


def _resolve_keys(keys: list[str], reason: str, now: dt.datetime) -> int:
    """Resolve the open alerts with these keys in one update and one audit event."""
    if not keys:
        return 0
    alerts = []
    for i in range(0, len(keys), 900):
        alerts += list(Alert.objects.filter(key__in=keys[i:i + 900], resolved_at__isnull=True))
    return alert_resolve_many(alerts=alerts, reason=reason, at=now)


def _custody(now: dt.datetime) -> dict:
    """Re-check the hops with an open missing-hand-over alert (raised when the hop started, see
    services.check_missing_handover) and resolve those whose hand-overs are now recorded."""
    n = 0
    for key in _open_keys("custody_break:missing:"):
        m = Movement.objects.filter(pk=int(key.split(":")[2])).select_related("election", "escort_unit").first()
        if m is None:
            alert_resolve(key=key, reason="perpindahan dihapus", at=now)
        else:
            services.check_missing_handover(m, now)
        n += 1
    return {"custody_checked": n}


def tick(now: dt.datetime | None = None) -> dict:
    now = now or clock.now()
    out: dict = {}
    out.update(_late(now))
    out.update(_not_at_tps(now))
    out.update(_custody(now))
    if out.get("escort_late_raised") or out.get("not_at_tps_raised"):
        live.broadcast("alert", count=out.get("escort_late_raised", 0) + out.get("not_at_tps_raised", 0))
    return out
