"""Writers of logistics movements, leg events and the chain of custody. Every change is audited.

Events are append-only and idempotent by the client's ``key``: the same key twice stores one event (the second
call answers ``created=False``). Alerts (escort_late, logistics_not_at_tps, custody_break) are raised and
resolved through sinergi.operations.services; time-driven ones by jobs.tick(now).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sinergi.accounts.models import Unit
from sinergi.core import clock
from sinergi.core.permissions import require_perm
from sinergi.core.services import audit_log
from sinergi.elections.models import Election, PollingStation
from sinergi.operations import live
from sinergi.operations.models import Alert, AlertKind
from sinergi.operations.services import alert_raise, alert_resolve
from sinergi.regions.models import Region

from . import travel
from .models import (
    CustodyEvent,
    Direction,
    Leg,
    LegEvent,
    LegEventKind,
    Movement,
    NodeKind,
    SealCheck,
    Status,
)
from .selectors import movement_list
from .selectors import upstream_hops as _upstream

WITA = zoneinfo.ZoneInfo("Asia/Makassar")
DONE = (Status.ARRIVED, Status.HANDED_OVER)


# -- configuration (settings override; documented in docs/logistics.md) ------------------------------------------
def tolerance() -> dt.timedelta:
    """How late a leg may arrive beyond its expected time before it counts as delayed (default 60 min)."""
    return dt.timedelta(minutes=int(settings.SINERGI_LOGISTICS_TOLERANCE_MIN))


def tps_deadline(election: Election) -> dt.datetime:
    """When logistics must be at every TPS: `days_before` voting day at `time` WITA (default H-1 18:00)."""
    days = int(settings.SINERGI_LOGISTICS_DEADLINE_DAYS_BEFORE)
    hh, mm = (int(x) for x in str(settings.SINERGI_LOGISTICS_DEADLINE_TIME).split(":"))
    day = election.voting_date - dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=WITA).astimezone(dt.UTC)


def alert_horizon() -> dt.timedelta:
    """The tick raises escort_late only for legs expected within this window (default 72 h), so an old plan
    never replayed does not flood the command with alerts; alerts already open stay open until resolved."""
    return dt.timedelta(hours=int(settings.SINERGI_LOGISTICS_ALERT_HORIZON_H))


def voting_day_end(election: Election) -> dt.datetime:
    day = election.voting_date + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=WITA).astimezone(dt.UTC)


def _wita(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=WITA).astimezone(dt.UTC)


def _err(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


# -- creating movements -------------------------------------------------------------------------------------------
@dataclass
class Node:
    kind: str
    name: str
    lat: float
    lng: float
    region: Region | None = None
    tps: PollingStation | None = None


def _legs_for(movement: Movement, planned: list[travel.PlannedLeg], start: dt.datetime, escort: Unit | None) -> list[Leg]:
    legs, t = [], start
    for i, p in enumerate(planned, start=1):
        end = t + dt.timedelta(hours=p.hours)
        legs.append(Leg(movement=movement, order=i, mode=p.mode, vessel_name=p.vessel, sea_link=p.sea_link,
                        from_name=p.from_name[:160], from_lat=p.from_lat, from_lng=p.from_lng, from_port=p.from_port,
                        to_name=p.to_name[:160], to_lat=p.to_lat, to_lng=p.to_lng, to_port=p.to_port,
                        escort_unit=escort, officers=int(plan_assumptions()["escort_officers"][p.mode]),
                        hours=p.hours,
                        planned_departure=t, expected_arrival=end, estimated=True))
        t = end
    return legs


NODE_LEVEL = {NodeKind.WAREHOUSE: ("regency", 5), NodeKind.PPK: ("district", 8), NodeKind.PPS: ("village", 13)}
NODE_PREFIX = {NodeKind.WAREHOUSE: "Gudang KPU", NodeKind.PPK: "PPK", NodeKind.PPS: "PPS"}


def node_from_code(election: Election, kind: str, code: str, field: str) -> Node:
    """A chain node from its kind and code: region code for warehouse (kabupaten/kota), PPK (kecamatan), PPS
    (desa); TPS code for a TPS. Raises a ValidationError naming `field`."""
    code = (code or "").strip()
    if kind == NodeKind.TPS:
        tps = PollingStation.objects.filter(election=election, code=code).first()
        if tps is None or tps.lat is None:
            raise _err(field, _("kode TPS tidak dikenal"))
        return Node(kind, f"TPS {tps.code}", float(tps.lat), float(tps.lng), tps=tps)
    if kind not in NODE_LEVEL:
        raise _err(field, _("jenis simpul tidak dikenal"))
    level, length = NODE_LEVEL[kind]
    region = Region.objects.filter(code=code, level=level).first() if len(code) == length else None
    if region is None or region.lat is None:
        raise _err(field, _("kode wilayah tidak dikenal untuk jenis simpul ini"))
    return Node(kind, f"{NODE_PREFIX[kind]} {region.name}", float(region.lat), float(region.lng), region=region)


def movement_create(*, actor, election: Election, key: str, direction: str, origin: Node, dest: Node,
                    planned_departure: dt.datetime, escort_unit: Unit | None = None, cargo: dict | None = None,
                    seals: list[str] | None = None, parent: Movement | None = None, note: str = "") -> Movement:
    """One hop with its legs planned from the travel model (times estimated)."""
    if actor is not None:
        require_perm(actor, "escort.manage")
    if Movement.objects.filter(key=key).exists():
        raise _err("key", _("kunci rencana sudah dipakai"))
    if direction not in Direction.values:
        raise _err("direction", _("arah harus distribution atau recap"))
    if (origin.kind, origin.region, origin.tps) == (dest.kind, dest.region, dest.tps):
        raise _err("dest_code", _("tujuan sama dengan asal"))
    planned = travel.plan_legs(origin.name, (origin.lat, origin.lng), dest.name, (dest.lat, dest.lng))
    regency = (dest.region or origin.region).code[:5] if (dest.region or origin.region) else (
        (dest.tps or origin.tps).regency_code)
    with transaction.atomic():
        m = Movement(election=election, key=key, direction=direction, parent=parent, cargo=cargo or {},
                     **_node_fields("origin", origin), **_node_fields("dest", dest),
                     polling_station=dest.tps if direction == Direction.DISTRIBUTION else origin.tps,
                     serves_village_code=_village_of(dest if direction == Direction.DISTRIBUTION else origin),
                     regency_code=regency, district_code=_district_of(dest, origin), escort_unit=escort_unit,
                     seals=list(seals or []), planned_departure=planned_departure,
                     expected_arrival=planned_departure + dt.timedelta(hours=travel.total_hours(planned)),
                     travel_hours=round(travel.total_hours(planned), 3), has_sea=any(p.mode == "sea" for p in planned),
                     note=note)
        m.save()
        if actor is not None:
            if not movement_list(user=actor).filter(pk=m.pk).exists():
                raise _err("dest_code", _("perpindahan ini di luar wilayah Anda"))
        Leg.objects.bulk_create(_legs_for(m, planned, planned_departure, escort_unit))
        audit_log(actor=actor, action="logistics.movement.create", obj=m,
                  data={"key": key, "origin": origin.name, "dest": dest.name})
    live.broadcast("escort", id=m.pk)
    return m


def _node_fields(prefix: str, n: Node) -> dict:
    return {f"{prefix}_kind": n.kind, f"{prefix}_region": n.region, f"{prefix}_tps": n.tps,
            f"{prefix}_name": n.name[:160], f"{prefix}_lat": n.lat, f"{prefix}_lng": n.lng}


def _village_of(n: Node) -> str:
    if n.tps is not None:
        return n.tps.village_id
    if n.kind == NodeKind.PPS and n.region is not None:
        return n.region.code
    return ""


def _district_of(a: Node, b: Node) -> str:
    for n in (a, b):
        if n.tps is not None:
            return n.tps.district_code
        if n.region is not None and len(n.region.code) >= 8:
            return n.region.code[:8]
    return ""


def movement_set_seals(*, actor, movement: Movement, seals: list[str]) -> Movement:
    """Record the seal numbers of a movement's boxes (KPU at loading)."""
    require_perm(actor, "escort.manage")
    seals = [s.strip() for s in seals if s and s.strip()]
    with transaction.atomic():
        m = Movement.objects.select_for_update().get(pk=movement.pk)
        m.seals = seals
        m.save(update_fields=["seals", "updated_at"])
        audit_log(actor=actor, action="logistics.movement.seals", obj=m, data={"seals": seals})
    live.broadcast("escort", id=m.pk)
    return m


def movements_mark_delayed(*, ids: list[int], at: dt.datetime) -> int:
    """Mark movements delayed (system actor, from the tick): one audit event lists them all."""
    if not ids:
        return 0
    with transaction.atomic():
        n = (Movement.objects.filter(pk__in=ids).exclude(status__in=(*DONE, Status.DELAYED))
             .update(status=Status.DELAYED, updated_at=at))
        audit_log(actor=None, action="logistics.movement.delayed", object_type="logistics.movement",
                  data={"movements": ids[:5000], "count": n, "at": at.isoformat()})
    live.broadcast("escort", count=n, ids=ids[:1000])
    return n


# -- leg events ---------------------------------------------------------------------------------------------------
def _clean_key(key) -> str:
    key = str(key or "").strip()
    if not key:
        raise _err("key", _("kunci idempotensi wajib diisi"))
    if len(key) > 80:
        raise _err("key", _("kunci idempotensi paling panjang 80 karakter"))
    return key


def _clean_at(at) -> dt.datetime:
    if at is None:
        return clock.now()
    if isinstance(at, str):
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(at)
        if parsed is None:
            raise _err("at", _("waktu tidak dikenali (ISO 8601)"))
        at = parsed
    if timezone.is_naive(at):
        at = at.replace(tzinfo=WITA)
    return at


def leg_event_record(*, actor, key: str, leg: Leg, kind: str, at=None, lat: float | None = None,
                     lng: float | None = None, note: str = "") -> tuple[LegEvent, bool]:
    """Record a departure or arrival of a leg. Returns (event, created); the same key again is a duplicate."""
    require_perm(actor, "escort.handover")
    key = _clean_key(key)
    existing = LegEvent.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    if kind not in LegEventKind.values:
        raise _err("kind", _("jenis harus departure atau arrival"))
    at = _clean_at(at)
    if lat is not None and not -90 <= float(lat) <= 90:
        raise _err("lat", _("lintang di luar -90..90"))
    if lng is not None and not -180 <= float(lng) <= 180:
        raise _err("lng", _("bujur di luar -180..180"))
    try:
        with transaction.atomic():
            leg = Leg.objects.select_for_update().get(pk=leg.pk)
            ev = LegEvent(key=key, leg=leg, kind=kind, at=at, lat=lat, lng=lng, note=(note or "")[:500],
                          recorded_by=actor if getattr(actor, "pk", None) else None)
            ev.save(force_insert=True)
            m = Movement.objects.select_for_update().get(pk=leg.movement_id)
            if kind == LegEventKind.DEPARTURE:
                leg.actual_departure = at
                leg.save(update_fields=["actual_departure"])
                if m.actual_departure is None or leg.order == 1:
                    m.actual_departure = at if m.actual_departure is None else min(m.actual_departure, at)
                if m.status in (Status.PLANNED,):
                    m.status = Status.IN_TRANSIT
            else:
                leg.actual_arrival = at
                if leg.actual_departure is None:
                    leg.actual_departure = leg.planned_departure if leg.planned_departure <= at else at
                leg.save(update_fields=["actual_arrival", "actual_departure"])
                if m.actual_departure is None:
                    m.actual_departure = leg.actual_departure
                last = m.legs.order_by("-order").values_list("order", flat=True).first()
                if leg.order == last:
                    m.actual_arrival = at
                    m.delay_minutes = max(0, int((at - m.expected_arrival).total_seconds() // 60))
                    if m.status != Status.HANDED_OVER:
                        m.status = Status.ARRIVED
                elif m.status == Status.PLANNED:
                    m.status = Status.IN_TRANSIT
            m.save(update_fields=["actual_departure", "actual_arrival", "status", "delay_minutes", "updated_at"])
            audit_log(actor=actor, action=f"logistics.leg.{kind}", obj=ev,
                      data={"key": key, "movement": m.pk, "leg": leg.order, "at": at.isoformat()})
    except IntegrityError:
        existing = LegEvent.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing, False
    _after_change(m, at)
    return ev, True


# -- hand-overs ---------------------------------------------------------------------------------------------------
def handover_record(*, actor, key: str, movement: Movement, at=None, place: str = "destination",
                    from_name: str, to_name: str, from_agency: str = "", to_agency: str = "",
                    from_unit: Unit | None = None, to_unit: Unit | None = None,
                    seals_seen: list[str] | None = None, seal_check: str = "",
                    polling_station: PollingStation | None = None, note: str = "") -> tuple[CustodyEvent, bool]:
    """A hand-over of the cargo: at the origin (to the escort), at the destination, or at a TPS the movement serves.

    Seals: when the movement has seal numbers and ``seals_seen`` is given, they must be the same set, else the
    check is a mismatch (a custody_break alert). A hand-over at the origin with seals on a movement that has none
    records them as the movement's seals.
    """
    require_perm(actor, "escort.handover")
    key = _clean_key(key)
    existing = CustodyEvent.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    if place not in ("origin", "destination", "tps"):
        raise _err("place", _("tempat harus origin, destination atau tps"))
    if not (from_name or "").strip():
        raise _err("from_name", _("nama pihak yang menyerahkan wajib diisi"))
    if not (to_name or "").strip():
        raise _err("to_name", _("nama pihak yang menerima wajib diisi"))
    if seal_check and seal_check not in SealCheck.values:
        raise _err("seal_check", _("harus ok, mismatch atau not_checked"))
    seen = [str(s).strip() for s in (seals_seen or []) if str(s).strip()]
    at = _clean_at(at)
    if place == "tps":
        if polling_station is None:
            raise _err("polling_station", _("TPS wajib untuk serah terima di TPS"))
        if movement.polling_station_id != polling_station.pk and (
                polling_station.village_id != movement.serves_village_code):
            raise _err("polling_station", _("TPS ini tidak dilayani perpindahan ini"))
    try:
        with transaction.atomic():
            m = Movement.objects.select_for_update().get(pk=movement.pk)
            expected = set(m.seals or [])
            if place == "origin" and seen and not expected:
                m.seals = seen
                expected = set(seen)
            elif place == "tps" and m.direction == Direction.RECAP and seen:
                # recapitulation: the boxes collected from each TPS (sealed by the KPPS) join the hop's seals
                m.seals = [*m.seals, *[s for s in seen if s not in expected]]
                expected = set()
            if seal_check == SealCheck.MISMATCH:
                check = SealCheck.MISMATCH
            elif seen and expected and place != "tps":
                check = SealCheck.OK if set(seen) == expected else SealCheck.MISMATCH
            elif seen and expected and place == "tps":
                check = SealCheck.OK if set(seen) <= expected else SealCheck.MISMATCH
            elif seal_check == SealCheck.OK or (seen and not expected):
                check = SealCheck.OK
            else:
                check = SealCheck.NOT_CHECKED
            node = {"origin": m.origin_kind, "destination": m.dest_kind, "tps": NodeKind.TPS}[place]
            ev = CustodyEvent(key=key, movement=m, polling_station=polling_station if place == "tps" else None,
                              node_kind=node, at=at, from_name=from_name.strip()[:120],
                              from_agency=(from_agency or "")[:120], from_unit=from_unit,
                              to_name=to_name.strip()[:120], to_agency=(to_agency or "")[:120], to_unit=to_unit,
                              seal_check=check, seals_seen=seen, note=(note or "")[:500],
                              confirmed_by=actor if getattr(actor, "pk", None) else None)
            ev.save(force_insert=True)
            fields = ["seals", "updated_at"]
            if place == "origin" and m.actual_departure is None:
                pass
            if place == "destination":
                m.handed_over_at = at
                if m.actual_arrival is None:
                    m.actual_arrival = at
                    m.delay_minutes = max(0, int((at - m.expected_arrival).total_seconds() // 60))
                m.status = Status.HANDED_OVER
                fields += ["handed_over_at", "actual_arrival", "delay_minutes", "status"]
            m.save(update_fields=fields)
            audit_log(actor=actor, action="logistics.custody.handover", obj=ev,
                      data={"key": key, "movement": m.pk, "place": place, "seal_check": check,
                            "seals_seen": seen, "tps": polling_station.pk if polling_station else None})
    except IntegrityError:
        existing = CustodyEvent.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing, False
    _after_change(m, at, custody=ev)
    return ev, True


# -- alerts -------------------------------------------------------------------------------------------------------
def _resolve_open(pairs: list[tuple[str, str]], at: dt.datetime) -> None:
    """Resolve the alerts among (key, reason) pairs that are open: one query to find them."""
    if not pairs:
        return
    reasons = dict(pairs)
    for key in Alert.objects.filter(key__in=list(reasons), resolved_at__isnull=True).values_list("key", flat=True):
        alert_resolve(key=key, reason=reasons[key], at=at)


def _after_change(m: Movement, at: dt.datetime, custody: CustodyEvent | None = None) -> None:
    """Alerts that follow from an event: seal mismatch, missing hand-over upstream, late legs now arrived,
    TPS reached."""
    resolve: list[tuple[str, str]] = []
    if custody is not None:
        key = f"custody_break:seal:{m.pk}"
        if custody.seal_check == SealCheck.MISMATCH:
            alert_raise(election=m.election, key=key, kind=AlertKind.CUSTODY_BREAK, severity=3, unit=m.escort_unit,
                        polling_station=custody.polling_station or m.polling_station, subject=m, at=at,
                        message=f"Segel tidak sesuai pada serah terima {m.label}",
                        data={"seals_expected": m.seals, "seals_seen": custody.seals_seen, "event": custody.pk})
        elif custody.seal_check == SealCheck.OK:
            resolve.append((key, "serah terima berikutnya dengan segel sesuai"))
        if custody.node_kind == m.dest_kind and custody.polling_station_id is None:
            for down in _downstream(m):
                check_missing_handover(down, at)
            resolve.append((f"custody_break:missing_dest:{m.pk}", "serah terima tercatat"))
    check_missing_handover(m, at)
    dist = m.direction == Direction.DISTRIBUTION
    at_tps = custody is not None and custody.polling_station_id is not None
    if dist and at_tps and m.handed_over_at is None:
        alert_raise(election=m.election, key=f"custody_break:missing_dest:{m.pk}", kind=AlertKind.CUSTODY_BREAK,
                    severity=3, unit=m.escort_unit, polling_station=custody.polling_station, subject=m, at=at,
                    message=f"Serah terima di TPS tanpa serah terima di {m.dest_name} ({m.label})")
    if m.status in DONE or not _late_legs(m, at):
        resolve.append((f"escort_late:{m.pk}", "tiba"))
    if dist and m.status in DONE:
        resolve += [(f"logistics_not_at_tps:{ps}", "logistik tiba") for ps in _tps_served(m)]
    elif dist and at_tps:
        resolve.append((f"logistics_not_at_tps:{custody.polling_station_id}", "serah terima di TPS"))
    _resolve_open(resolve, at)
    live.broadcast("escort", id=m.pk)


def _downstream(m: Movement) -> list[Movement]:
    out = list(m.children.all())
    if m.direction == Direction.RECAP and m.dest_kind == NodeKind.PPK and m.dest_region_id:
        out += list(Movement.objects.filter(election_id=m.election_id, direction=Direction.RECAP,
                                            origin_kind=NodeKind.PPK, origin_region_id=m.dest_region_id))
    return out


def _tps_without_recap_handover(m: Movement) -> list[str]:
    """Recapitulation PPS -> PPK: codes of the desa's TPS whose ballot boxes were not handed to the PPS."""
    if m.direction != Direction.RECAP or m.origin_kind != NodeKind.PPS or not m.serves_village_code:
        return []
    done = set(m.custody_events.filter(polling_station__isnull=False).values_list("polling_station_id", flat=True))
    return [code for pk, code in PollingStation.objects.filter(
        election_id=m.election_id, village_id=m.serves_village_code).order_by("code").values_list("id", "code")
        if pk not in done]


def check_missing_handover(m: Movement, at: dt.datetime) -> None:
    """A hop that has started while a hop before it was never handed over breaks the chain of custody; so does a
    recapitulation PPS -> PPK hop that left before every TPS of its desa handed its boxes to the PPS."""
    upstream = _upstream(m)
    started = m.actual_departure is not None or m.status in DONE
    key = f"custody_break:missing:{m.pk}"
    if upstream:
        started = started or m.custody_events.exists()
        missing = [u for u in upstream if u.handed_over_at is None]
        if started and missing:
            names = ", ".join(sorted({u.dest_name if u.direction == Direction.DISTRIBUTION else u.origin_name
                                      for u in missing}))
            alert_raise(election=m.election, key=key, kind=AlertKind.CUSTODY_BREAK, severity=3, unit=m.escort_unit,
                        polling_station=m.polling_station, subject=m, at=at,
                        message=f"Serah terima {len(missing)} perpindahan sebelumnya belum tercatat ({names}), "
                                f"tetapi {m.label} sudah berjalan"[:500],
                        data={"missing": [u.pk for u in missing]})
        elif not missing:
            _resolve_open([(key, "serah terima tercatat")], at)
    elif m.direction == Direction.RECAP and m.origin_kind == NodeKind.PPS:
        missing_tps = _tps_without_recap_handover(m) if started else []
        if missing_tps:
            alert_raise(election=m.election, key=key, kind=AlertKind.CUSTODY_BREAK, severity=3, unit=m.escort_unit,
                        subject=m, at=at,
                        message=f"{m.label} berangkat tanpa serah terima kotak suara dari TPS "
                                f"{', '.join(missing_tps)}"[:500],
                        data={"missing_tps": missing_tps})
        elif started:
            _resolve_open([(key, "serah terima TPS tercatat")], at)


def _late_legs(m: Movement, now: dt.datetime) -> list[Leg]:
    tol = tolerance()
    return [leg for leg in m.legs.all() if leg.actual_arrival is None and leg.expected_arrival + tol < now]


def _tps_served(m: Movement) -> list[int]:
    if m.polling_station_id:
        return [m.polling_station_id]
    if m.serves_village_code:
        return list(PollingStation.objects.filter(election_id=m.election_id, village_id=m.serves_village_code)
                    .values_list("id", flat=True))
    return []


# -- the default plan ---------------------------------------------------------------------------------------------
KPU_PREFIX = "KPU-"
POLRES_PREFIX = "POLRES-"
POLSEK_PREFIX = "POLSEK-"
ASSUMPTIONS = Path(__file__).resolve().parent.parent / "data" / "logistics" / "plan_assumptions.yaml"


@lru_cache(maxsize=1)
def plan_assumptions() -> dict:
    """The default plan's assumptions (sinergi/data/logistics/plan_assumptions.yaml)."""
    return yaml.safe_load(ASSUMPTIONS.read_text(encoding="utf-8"))


def _stage_start(election: Election, code: str, fallback: dt.date) -> dt.date:
    st = election.stages.filter(code=code).first()
    return st.start_date if st else fallback


def plan_default(*, actor, election: Election | None = None) -> dict:
    """The default NTT plan: per kecamatan KPU Kab/Kota warehouse -> PPK (H-3), per desa PPK -> PPS (H-2), the
    TPS reached by the KPPS from the PPS on H-1 (hand-over at the TPS); recapitulation back up PPS -> PPK (H+1)
    and PPK -> warehouse (recap_regency start). Idempotent by movement key; times estimated."""
    from sinergi.elections.selectors import default_election

    if actor is not None:  # None: the system (management command, `sinergi up`)
        require_perm(actor, "escort.manage")
    election = election or default_election()
    if election is None:
        raise _err("election", _("belum ada pemilihan"))
    province = str(election.province_id or "53")
    existing = set(Movement.objects.filter(election=election).values_list("key", flat=True))
    regions = {r.code: r for r in Region.objects.filter(province_code=province,
                                                        level__in=["regency", "district", "village"])}
    tps_by_village: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for pk, village, voters in PollingStation.objects.filter(election=election).values_list("id", "village_id",
                                                                                             "voters"):
        tps_by_village[village].append((pk, voters or 0))
    units = {u.code: u for u in Unit.objects.filter(code__regex=r"^(POLRES|POLSEK|KPU)-")}
    villages_by_district: dict[str, list[str]] = defaultdict(list)
    for v in sorted(tps_by_village):
        villages_by_district[v[:8]].append(v)
    vd = election.voting_date
    pa = plan_assumptions()
    dist, rec = pa["distribution"], pa["recap"]
    d_depart = {"ppk": vd - dt.timedelta(days=int(dist["warehouse_to_ppk_days_before"])),
                "pps": vd - dt.timedelta(days=int(dist["ppk_to_pps_days_before"]))}
    min_kpu = vd + dt.timedelta(days=int(rec["ppk_to_warehouse_min_days_after"]))
    r_depart = {"ppk": vd + dt.timedelta(days=int(rec["pps_to_ppk_days_after"])),
                "kpu": max(_stage_start(election, str(rec["ppk_to_warehouse_stage"]), min_kpu), min_kpu)}
    hour = {Direction.DISTRIBUTION: int(dist["departure_hour"]), Direction.RECAP: int(rec["departure_hour"])}
    long_trip = float(pa["long_trip_hours"])

    def pt(code: str) -> tuple[float, float] | None:
        r = regions.get(code)
        return (float(r.lat), float(r.lng)) if r is not None and r.lat is not None else None

    # Plan hops: (key, direction, origin(kind, code), dest(kind, code), parent key, day, escort code, cargo)
    hops: list[tuple] = []
    for district in sorted(villages_by_district):
        regency = district[:5]
        vills = villages_by_district[district]
        tps = [t for v in vills for t in tps_by_village[v]]
        if pt(district) is None or pt(regency) is None:
            continue
        dcargo = _cargo_distribution(tps)
        hops.append((f"dist:ppk:{district}", Direction.DISTRIBUTION, (NodeKind.WAREHOUSE, regency),
                     (NodeKind.PPK, district), None, d_depart["ppk"], POLRES_PREFIX + regency, dcargo))
        for v in vills:
            if pt(v) is None:
                continue
            hops.append((f"dist:pps:{v}", Direction.DISTRIBUTION, (NodeKind.PPK, district), (NodeKind.PPS, v),
                         f"dist:ppk:{district}", d_depart["pps"], POLSEK_PREFIX + district,
                         _cargo_distribution(tps_by_village[v])))
            hops.append((f"recap:pps:{v}", Direction.RECAP, (NodeKind.PPS, v), (NodeKind.PPK, district),
                         None, r_depart["ppk"], POLSEK_PREFIX + district, _cargo_recap(tps_by_village[v])))
        hops.append((f"recap:ppk:{district}", Direction.RECAP, (NodeKind.PPK, district),
                     (NodeKind.WAREHOUSE, regency), None, r_depart["kpu"], POLRES_PREFIX + regency, _cargo_recap(tps)))
    todo = [h for h in hops if h[0] not in existing]
    if not todo:
        return {"created": 0, "existing": len(existing), "movements": len(existing),
                "legs": Leg.objects.filter(movement__election=election).count()}

    names = {"warehouse": lambda c: f"Gudang {units[KPU_PREFIX + c].name}" if KPU_PREFIX + c in units
             else f"Gudang KPU {regions[c].name}",
             "ppk": lambda c: f"PPK {regions[c].name}", "pps": lambda c: f"PPS {regions[c].name}"}
    pts = {h[2][1]: pt(h[2][1]) for h in todo} | {h[3][1]: pt(h[3][1]) for h in todo}
    codes = sorted(pts)
    isl = dict(zip(codes, travel.islands([pts[c][0] for c in codes], [pts[c][1] for c in codes]), strict=True))
    route_cache: dict[tuple[str, str], list[travel.PlannedLeg]] = {}
    movements: list[Movement] = []
    legs_by_key: dict[str, list[travel.PlannedLeg]] = {}
    for key, direction, (okind, ocode), (dkind, dcode), _parent, day, escort, cargo in todo:
        oname, dname = names[okind](ocode), names[dkind](dcode)
        pair = (ocode, dcode)
        if pair not in route_cache:
            route_cache[pair] = travel.plan_legs(oname, pts[ocode], dname, pts[dcode], isl[ocode], isl[dcode])
        planned = route_cache[pair]
        hours = travel.total_hours(planned)
        # Leave early enough to arrive by the evening of the planned day (long sea trips start days earlier).
        start = _wita(day, hour[direction]) - dt.timedelta(days=max(0, math.ceil((hours - long_trip) / 24)))
        district = dcode if dkind == NodeKind.PPK else (ocode if okind == NodeKind.PPK else dcode[:8])
        movements.append(Movement(
            election=election, key=key, direction=direction, cargo=cargo,
            origin_kind=okind, origin_region=regions[ocode], origin_name=oname[:160], origin_lat=pts[ocode][0],
            origin_lng=pts[ocode][1], dest_kind=dkind, dest_region=regions[dcode], dest_name=dname[:160],
            dest_lat=pts[dcode][0], dest_lng=pts[dcode][1],
            serves_village_code=dcode if (direction == Direction.DISTRIBUTION and dkind == NodeKind.PPS) else (
                ocode if dkind != NodeKind.WAREHOUSE and okind == NodeKind.PPS else ""),
            regency_code=ocode[:5], district_code=district[:8], escort_unit=units.get(escort),
            planned_departure=start, expected_arrival=start + dt.timedelta(hours=hours), estimated=True,
            travel_hours=round(hours, 3), has_sea=any(p.mode == "sea" for p in planned),
            note="rencana bawaan (waktu perkiraan)"))
        legs_by_key[key] = planned
    with transaction.atomic():
        Movement.objects.bulk_create(movements, batch_size=2000)
        by_key = dict(Movement.objects.filter(election=election).values_list("key", "id"))
        # parents: the distribution PPS hop follows its PPK hop (recap upstream is found by place, see _upstream)
        parents = {h[0]: h[4] for h in todo if h[4]}
        updates = [Movement(pk=by_key[k], parent_id=by_key[p]) for k, p in parents.items() if p in by_key]
        Movement.objects.bulk_update(updates, ["parent_id"], batch_size=2000)
        legs: list[Leg] = []
        for m in movements:
            m.pk = by_key[m.key]
            legs += _legs_for(m, legs_by_key[m.key], m.planned_departure, m.escort_unit)
        Leg.objects.bulk_create(legs, batch_size=2000)
        result = {"created": len(movements), "existing": len(existing), "movements": len(by_key),
                  "legs": Leg.objects.filter(movement__election=election).count(),
                  "sea_movements": sum(1 for m in movements if m.has_sea),
                  "distribution": sum(1 for m in movements if m.direction == Direction.DISTRIBUTION),
                  "recap": sum(1 for m in movements if m.direction == Direction.RECAP)}
        audit_log(actor=actor, action="logistics.plan.default", object_type="elections.election",
                  object_id=election.pk, data=result)
    live.broadcast("escort", id=0)
    return result


def _cargo_distribution(tps: list[tuple[int, int]]) -> dict:
    c = plan_assumptions()["cargo_per_tps"]
    return {"surat_suara": int(sum(math.ceil(v * (1 + float(c["ballot_reserve"]))) for _, v in tps)),
            "kotak_suara": int(c["ballot_boxes"]) * len(tps), "bilik_suara": int(c["booths"]) * len(tps),
            "formulir": int(c["form_sets"]) * len(tps)}


def _cargo_recap(tps: list[tuple[int, int]]) -> dict:
    c = plan_assumptions()["cargo_per_tps"]
    return {"kotak_suara": int(c["ballot_boxes"]) * len(tps), "formulir_c_hasil": int(c["result_forms"]) * len(tps)}
