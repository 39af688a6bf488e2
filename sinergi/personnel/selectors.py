"""Scoped reads of the roster, assignments, warrants, statuses and dispatches.

Roster rows are personal data: a user reads the officers of his own unit subtree (a Polda user: every unit under
the Polda), only with ``personnel.view`` (Polri, TNI, Pemda). Phone numbers never leave through these selectors:
they are masked; :func:`sinergi.personnel.services.officer_phone_reveal` shows one and audits it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from statistics import median

from django.db.models import Count, Q, QuerySet

from sinergi.accounts.models import Unit
from sinergi.core.permissions import has_perm

from .choices import Status
from .models import Assignment, AssignmentRun, Dispatch, Officer, RosterImport, Warrant


def _sees_all(user) -> bool:
    return bool(user.is_superuser or getattr(user, "role", "") == "admin")


def scope_units(user) -> QuerySet[Unit]:
    """Units whose roster the user may read: his unit and every unit below it."""
    if not has_perm(user, "personnel.view"):
        return Unit.objects.none()
    if _sees_all(user):
        return Unit.objects.all()
    if not user.unit_id:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=user.unit.path)


def officer_list(*, user) -> QuerySet[Officer]:
    if not has_perm(user, "personnel.view"):
        return Officer.objects.none()
    qs = Officer.objects.select_related("unit")
    if _sees_all(user):
        return qs
    if not user.unit_id:
        return qs.none()
    return qs.filter(unit__path__startswith=user.unit.path)


def officer_get(*, user, pk: int) -> Officer | None:
    return officer_list(user=user).filter(pk=pk).first()


def mask_phone(phone: str) -> str:
    """+6281234567890 -> +62812*****890 (enough to tell numbers apart, not to call)."""
    if not phone:
        return ""
    return phone[:6] + "*" * max(0, len(phone) - 9) + phone[-3:]


def import_list(*, user) -> QuerySet[RosterImport]:
    if not has_perm(user, "personnel.import"):
        return RosterImport.objects.none()
    qs = RosterImport.objects.all()
    return qs if _sees_all(user) else qs.filter(actor=user)


# -- assignments ----------------------------------------------------------------------------------------------
def current_run(approval) -> AssignmentRun | None:
    if approval is None:
        return None
    return AssignmentRun.objects.filter(approval=approval, is_current=True).first()


def assignment_list(*, user, run: AssignmentRun) -> QuerySet[Assignment]:
    """Assignments of the officers the user may read (by the officer's unit subtree)."""
    officers = officer_list(user=user)
    return (Assignment.objects.filter(run=run, officer__in=officers.values("pk"))
            .select_related("officer", "officer__unit", "group", "reserve", "reinforcement", "post_unit"))


def my_assignments(*, user) -> list[Assignment]:
    """The signed-in officer's own posts in the current assignment of the approved voting-day Renpam."""
    officer = Officer.objects.filter(user=user).first()
    if officer is None:
        return []
    return list(Assignment.objects.filter(officer=officer, run__is_current=True, run__approval__is_current=True)
                .select_related("group", "reserve", "reinforcement", "post_unit", "run")
                .order_by("shift")[:20])


def warrant_list(*, user) -> QuerySet[Warrant]:
    if not has_perm(user, "personnel.view"):
        return Warrant.objects.none()
    qs = Warrant.objects.select_related("unit", "run").defer("pdf")
    return qs.filter(unit__in=scope_units(user))


# -- status on the day -----------------------------------------------------------------------------------------
def _polres_of(unit: Unit) -> Unit:
    u = unit
    while u.parent_id is not None and u.level == "district":
        u = u.parent
    return u


def status_counts(*, user) -> list[dict]:
    """Officers per Polres (or special unit) and status, within the user's scope."""
    rows: dict[int, dict] = {}
    units = {u.pk: u for u in scope_units(user).select_related("parent")}
    for unit_id, status, n in (officer_list(user=user).filter(active=True).order_by()
                               .values_list("unit_id", "status").annotate(n=Count("id"))):
        unit = units.get(unit_id)
        if unit is None:
            continue
        top = _polres_of(unit)
        row = rows.setdefault(top.pk, {"unit": top.name, "code": top.code, "total": 0,
                                       **{s.value: 0 for s in Status}})
        row[status] += n
        row["total"] += n
    return sorted(rows.values(), key=lambda r: r["code"])


# -- dispatch ----------------------------------------------------------------------------------------------------
def dispatch_list(*, user, incident=None) -> QuerySet[Dispatch]:
    if not (has_perm(user, "dispatch.assign") or has_perm(user, "incident.view")):
        return Dispatch.objects.none()
    qs = Dispatch.objects.select_related("unit", "polres", "incident")
    if incident is not None:
        qs = qs.filter(incident=incident)
    if _sees_all(user) or user.unit_id is None:
        return qs if _sees_all(user) else qs.none()
    return qs.filter(Q(unit__path__startswith=user.unit.path) | Q(polres__path__startswith=user.unit.path)
                     | Q(unit__in=Unit.objects.filter(pk=user.unit_id)) | Q(assigned_by=user))


def response_times(*, since: dt.datetime, until: dt.datetime, polres_codes: list[str] | None = None) -> list[dict]:
    """Response times per Polres of dispatches assigned in [since, until): count, median minutes from assigned
    to acknowledged and to on scene, and how many are still open. For the daily report and the exercise debrief
    (callers scope by the Polres codes they may show)."""
    qs = Dispatch.objects.filter(assigned_at__gte=since, assigned_at__lt=until).select_related("polres")
    if polres_codes is not None:
        qs = qs.filter(polres__code__in=polres_codes)
    per: dict[str, dict] = {}
    for d in qs:
        key = d.polres.code if d.polres_id else "-"
        row = per.setdefault(key, {"polres": d.polres.name if d.polres_id else "-", "code": key, "n": 0,
                                   "_ack": [], "_scene": [], "open": 0})
        row["n"] += 1
        if d.acknowledged_at:
            row["_ack"].append((d.acknowledged_at - d.assigned_at).total_seconds() / 60)
        if d.on_scene_at:
            row["_scene"].append((d.on_scene_at - d.assigned_at).total_seconds() / 60)
        if d.cleared_at is None:
            row["open"] += 1
    out = []
    for row in per.values():
        ack, scene = row.pop("_ack"), row.pop("_scene")
        row["ack_median_min"] = round(median(ack), 1) if ack else None
        row["scene_median_min"] = round(median(scene), 1) if scene else None
        row["scene_max_min"] = round(max(scene), 1) if scene else None
        out.append(row)
    return sorted(out, key=lambda r: r["code"])


# -- TPS and check-ins ---------------------------------------------------------------------------------------------
def tps_guards(*, tps) -> list[dict]:
    """Named officers of the current assignment guarding a TPS (approved voting-day Renpam): name, rank, NRP,
    leader, status — no phone numbers. For the TPS page and the check-in tie."""
    from sinergi.deployment.models import GuardAssignment

    gids = list(GuardAssignment.objects.filter(polling_station=tps, plan_id__in=_renpam_plan_ids()).values_list("group_id", flat=True))
    if not gids:
        return []
    rows = (Assignment.objects.filter(group_id__in=gids, run__is_current=True, run__approval__is_current=True)
            .select_related("officer").order_by("-leader", "officer__name"))
    return [{"id": a.officer_id, "name": a.officer.name, "rank": a.officer.rank, "identifier": a.officer.identifier,
             "leader": a.leader, "status": a.officer.get_status_display(), "demo": a.officer.demo,
             "user_id": a.officer.user_id} for a in rows]


def checkin_officers(*, checkins) -> dict[int, dict]:
    """For check-ins (rows with ``pk``, ``officer_id`` = the reporting user, ``polling_station_id``): the named
    officer behind the reporting account and whether he is assigned to that TPS in the current assignment.
    The check-in itself stores the reporting user (sinergi.operations); the tie to the roster is read here, so
    the check-in path and its query budget stay as they are."""
    from sinergi.deployment.models import GuardAssignment

    rows = [c for c in checkins if getattr(c, "officer_id", None)]
    if not rows:
        return {}
    officers = {o.user_id: o for o in Officer.objects.filter(user_id__in={c.officer_id for c in rows})}
    tps_ids = {c.polling_station_id for c in rows}
    groups: dict[int, set[int]] = {}
    for tid, gid in GuardAssignment.objects.filter(polling_station_id__in=tps_ids, plan_id__in=_renpam_plan_ids()).values_list(
            "polling_station_id", "group_id"):
        groups.setdefault(tid, set()).add(gid)
    assigned = set(Assignment.objects.filter(officer__in=list(officers.values()), run__is_current=True,
                                             run__approval__is_current=True, group__isnull=False)
                   .values_list("officer_id", "group_id"))
    out = {}
    for c in rows:
        o = officers.get(c.officer_id)
        if o is None:
            continue
        out[c.pk] = {"officer": o.pk, "name": o.name, "rank": o.rank, "identifier": o.identifier,
                     "assigned_here": any((o.pk, g) in assigned for g in groups.get(c.polling_station_id, ()))}
    return out


def status_points(*, user) -> list[list]:
    """Officers per unit and status at the unit's point (mean centroid of its jurisdiction), for the status map:
    [lat, lng, unit name, available, on_post, en_route, on_scene, off_duty]. Scoped like :func:`status_counts`."""
    counts: dict[int, dict[str, int]] = {}
    for unit_id, status, n in (officer_list(user=user).filter(active=True).order_by()
                               .values_list("unit_id", "status").annotate(n=Count("id"))):
        counts.setdefault(unit_id, {})[status] = n
    units = list(Unit.objects.filter(pk__in=list(counts)))
    pts = unit_points(units)
    out = []
    for u in units:
        p = pts.get(u.pk)
        if p is None:
            continue
        c = counts[u.pk]
        out.append([round(p[0], 4), round(p[1], 4), u.name, *(c.get(s.value, 0) for s in Status)])
    return out


def _renpam_plan_ids():
    """Ids of the plans that are the current voting-day Renpam (a subquery). Forward lookups only: the reverse
    name plan__approvals is missing when the app registry is narrowed (TransactionTestCase.available_apps)."""
    from sinergi.deployment.models import PlanApproval

    return PlanApproval.objects.filter(is_current=True, phase="pemungutan").values("plan_id")


def _tps_group_assignments(tps_ids):
    """Assignments (current run of the approved voting-day Renpam) of the groups guarding these TPS."""
    from sinergi.deployment.models import GuardAssignment

    gids = GuardAssignment.objects.filter(polling_station_id__in=tps_ids, plan_id__in=_renpam_plan_ids()
                                          ).values("group_id")
    return Assignment.objects.filter(group_id__in=gids, run__is_current=True, run__approval__is_current=True,
                                     run__approval__phase="pemungutan")


def checkin_roster_officer(*, user_id: int | None, tps_id: int) -> int | None:
    """The named officer a check-in of ``tps_id`` by account ``user_id`` is tied to (``CheckIn.roster_officer``):
    the officer linked to the reporting account where there is such a link, otherwise the leader of the group
    guarding that TPS in the assignment in force (else another officer of that group); None when neither exists.
    One query (a UNION), compiled once per process (sinergi.core.prepared), so the lean check-in path stays lean."""
    from sinergi.core.prepared import rows

    if user_id is None:
        found = rows("checkin_roster_officer:guards",
                     lambda tps: _roster_guards(tps=tps).order_by("o", "officer_id")[:1], tps=tps_id)
    else:
        found = rows("checkin_roster_officer", _roster_query, user=user_id, tps=tps_id)
    return found[0][0] if found else None


def _roster_guards(*, tps: int):
    from django.db.models import Case, IntegerField, Value, When

    return (_tps_group_assignments([tps])
            .annotate(o=Case(When(leader=True, then=Value(1)), default=Value(2), output_field=IntegerField()))
            .order_by().values_list("officer_id", "o"))


def _roster_query(*, user: int, tps: int):
    from django.db.models import IntegerField, Value

    mine = Officer.objects.filter(user_id=user).annotate(
        o=Value(0, output_field=IntegerField())).order_by().values_list("pk", "o")
    return mine.union(_roster_guards(tps=tps), all=True).order_by("o", "pk")[:1]


def checkin_roster_officers(*, user_id: int | None, tps_ids) -> dict[int, int]:
    """:func:`checkin_roster_officer` for many TPS at once (the batch check-in path): tps id -> officer id, in
    two queries."""
    tps_ids = list(tps_ids)
    if not tps_ids:
        return {}
    mine = Officer.objects.filter(user_id=user_id).values_list("pk", flat=True).first() if user_id else None
    if mine is not None:
        return dict.fromkeys(tps_ids, mine)
    from sinergi.deployment.models import GuardAssignment

    out: dict[int, int] = {}
    for start in range(0, len(tps_ids), 900):
        chunk = tps_ids[start:start + 900]
        group_of: dict[int, list[int]] = {}
        for tid, gid in GuardAssignment.objects.filter(
                polling_station_id__in=chunk, plan_id__in=_renpam_plan_ids()).values_list("polling_station_id", "group_id"):
            group_of.setdefault(gid, []).append(tid)
        best: dict[int, tuple[int, int]] = {}
        for gid, oid, leader in (Assignment.objects.filter(
                group_id__in=list(group_of), run__is_current=True, run__approval__is_current=True,
                run__approval__phase="pemungutan").values_list("group_id", "officer_id", "leader")):
            key = (0 if leader else 1, oid)
            if gid not in best or key < best[gid]:
                best[gid] = key
        for gid, tids in group_of.items():
            if gid in best:
                for t in tids:
                    out[t] = best[gid][1]
    return out


#: colours of the statuses on the live room's map (legend and markers), in the order of ``Status``
STATUS_COLORS = {"available": "#2f855a", "on_post": "#2b6cb0", "en_route": "#dd6b20", "on_scene": "#c53030",
                 "off_duty": "#a0aec0"}


def status_map(*, user) -> dict:
    """Officer status for the live room's map, at NTT scale (~13,000 officers): officers aggregated per unit (Polres
    HQ, Polsek, Kodim, …) at the unit's point (mean centroid of its jurisdiction), so the map draws one marker per
    unit, never one per officer; with the counts per Polres (and special unit) beside it. Scoped like the roster:
    the user's unit subtree, only with ``personnel.view``. No names, no phone numbers.

    ``units``: [unit id, lat, lng, unit name, Polres code, count per status in ``Status`` order..., total];
    units without a point are counted in ``polres`` but not drawn (``unplaced``)."""
    statuses = [{"value": s.value, "label": str(s.label), "color": STATUS_COLORS[s.value]} for s in Status]
    if not has_perm(user, "personnel.view"):
        return {"statuses": statuses, "units": [], "polres": [], "total": 0, "unplaced": 0}
    counts: dict[int, dict[str, int]] = {}
    for unit_id, st, n in (officer_list(user=user).filter(active=True).order_by()
                           .values_list("unit_id", "status").annotate(n=Count("id"))):
        counts.setdefault(unit_id, {})[st] = n
    units = {u.pk: u for u in Unit.objects.filter(pk__in=list(counts)).select_related("parent")}
    pts = unit_points(list(units.values()))
    rows: dict[int, dict] = {}
    out, unplaced = [], 0
    for uid, c in counts.items():
        u = units.get(uid)
        if u is None:
            continue
        top = _polres_of(u)
        total = sum(c.values())
        row = rows.setdefault(top.pk, {"unit": top.name, "code": top.code, "total": 0,
                                       **{s.value: 0 for s in Status}})
        for k, v in c.items():
            row[k] += v
        row["total"] += total
        p = pts.get(uid)
        if p is None:
            unplaced += total
            continue
        out.append([uid, round(p[0], 4), round(p[1], 4), u.name, top.code,
                    *(c.get(s.value, 0) for s in Status), total])
    out.sort(key=lambda r: r[0])
    return {"statuses": statuses, "units": out, "polres": sorted(rows.values(), key=lambda r: r["code"]),
            "total": sum(r["total"] for r in rows.values()), "unplaced": unplaced}


def unit_points(units: list[Unit]) -> dict[int, tuple[float, float]]:
    """A point per unit: the mean centroid of its jurisdiction regions (Polda/Brimob: the provincial capital)."""
    from sinergi.regions.models import Region

    through = Unit.jurisdiction.through.objects.filter(unit_id__in=[u.pk for u in units]).values_list(
        "unit_id", "region_id")
    codes = defaultdict(list)
    for uid, code in through:
        codes[uid].append(code)
    pts = {r.code: (r.lat, r.lng) for r in Region.objects.filter(code__in={c for v in codes.values() for c in v})
           .only("code", "lat", "lng") if r.lat is not None}
    out: dict[int, tuple[float, float]] = {}
    for u in units:
        cs = [pts[c] for c in codes.get(u.pk, []) if c in pts and len(c) > 2]
        if not cs:
            capital = Region.objects.filter(code__startswith=(codes.get(u.pk) or ["53"])[0][:2] + ".71",
                                            lat__isnull=False).only("lat", "lng").first()
            if capital is not None:
                cs = [(capital.lat, capital.lng)]
        if cs:
            out[u.pk] = (sum(c[0] for c in cs) / len(cs), sum(c[1] for c in cs) / len(cs))
    return out
