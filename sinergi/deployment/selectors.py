"""Scoped reads of plans: every Polri user sees the plan headers; a Polres sees only its own rows
(units, groups, TPS, reinforcements, reserves in its area); Polda and admins see all."""

from __future__ import annotations

import json

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from sinergi.accounts.models import Unit
from sinergi.regions.models import Region

from .models import GuardAssignment, GuardGroup, Plan, PlanApproval, PlanUnit, Reinforcement, Reserve
from .permissions import can_view_plans, sees_whole_province


def _own_polres(user) -> Unit | None:
    """The Polres a user belongs to (their unit or its Polres ancestor)."""
    unit = user.unit
    while unit is not None and not unit.code.startswith("POLRES-"):
        unit = unit.parent
    return unit


def plan_list(*, user) -> QuerySet[Plan]:
    if not can_view_plans(user):
        return Plan.objects.none()
    return Plan.objects.select_related("election", "task_run", "created_by")


def plan_get(*, user, pk: int) -> Plan:
    return plan_list(user=user).get(pk=pk)


def _scoped(qs: QuerySet, user, field: str) -> QuerySet:
    if not can_view_plans(user):
        return qs.none()
    if sees_whole_province(user):
        return qs
    polres = _own_polres(user)
    if polres is None:
        return qs.none()
    return qs.filter(**{field: polres})


def plan_units(*, user, plan: Plan) -> QuerySet[PlanUnit]:
    return _scoped(PlanUnit.objects.filter(plan=plan).select_related("unit"), user, "unit")


def plan_groups(*, user, plan: Plan) -> QuerySet[GuardGroup]:
    return _scoped(GuardGroup.objects.filter(plan=plan).select_related("unit", "polsek"), user, "unit")


def plan_assignments(*, user, plan: Plan) -> QuerySet[GuardAssignment]:
    return _scoped(GuardAssignment.objects.filter(plan=plan).select_related("group", "group__polsek",
                                                                              "polling_station"),
                   user, "group__unit")


def plan_reinforcements(*, user, plan: Plan) -> QuerySet[Reinforcement]:
    return _scoped(Reinforcement.objects.filter(plan=plan).select_related("to_unit"), user, "to_unit")


def plan_reserves(*, user, plan: Plan) -> QuerySet[Reserve]:
    qs = Reserve.objects.filter(plan=plan)
    if not can_view_plans(user):
        return qs.none()
    if sees_whole_province(user):
        return qs
    polres = _own_polres(user)
    if polres is None:
        return qs.none()
    codes = list(polres.jurisdiction.values_list("code", flat=True))
    q = Q()
    for c in codes:
        q |= Q(district_code__startswith=c + ".")
    return qs.filter(q) if codes else qs.none()


def plan_changes(*, user, plan: Plan) -> list[dict]:
    """What the optimiser changes against the manual method, per Polres, and why."""
    radius = plan.parameters.get("radius_min", 15)
    rows = []
    bko: dict[int, list[str]] = {}
    for r in plan_reinforcements(user=user, plan=plan):
        bko.setdefault(r.to_unit_id, []).append(f"{r.count} dari {r.source_name} ({r.minutes / 60:.1f} jam)")
    for pu in plan_units(user=user, plan=plan):
        reasons = []
        extra = pu.groups - pu.groups_lower_bound
        if extra > 0:
            reasons.append(f"{extra} kelompok tambahan: TPS berjauhan lebih dari {radius:g} menit dari pos")
        elif pu.officers_required > pu.officers_manual:
            reasons.append("kelompok dibentuk per kecamatan dan tingkat: TPS beda kecamatan tidak digabung")
        deficit = max(0, pu.officers_required - pu.deployable)
        if deficit:
            reasons.append(f"kebutuhan melebihi 2/3 kekuatan ({pu.deployable}): kurang {deficit}")
        if pu.reinforcements_in:
            reasons.append("BKO: " + "; ".join(bko.get(pu.unit_id, [])))
        if pu.reinforcements_out:
            reasons.append(f"{pu.reinforcements_out} personel surplus dikirim ke Polres lain")
        if pu.shortfall:
            reasons.append(f"KEKURANGAN {pu.shortfall} personel: kekuatan provinsi tidak cukup / tak terjangkau")
        rows.append({"unit": pu.unit, "manual": pu.officers_manual, "optimised": pu.officers_required,
                     "delta": pu.officers_required - pu.officers_manual, "reasons": reasons})
    return rows


COMPARE_METRICS: list[tuple[str, str, str]] = [
    # (metric key, label, kind: count | hours | share | person_minutes)
    ("tps", _("TPS"), "count"),
    ("groups", _("Kelompok pengamanan"), "count"),
    ("groups_bound", _("Kelompok paling sedikit yang mungkin"), "count"),
    ("groups_gap", _("Kelompok di atas jumlah paling sedikit"), "share"),
    ("officers_required", _("Personel dibutuhkan"), "count"),
    ("officers_deployable", _("Personel dapat dikerahkan"), "count"),
    ("reinforcements", _("Personel BKO"), "count"),
    ("reinforcement_person_minutes", _("Waktu tempuh BKO seluruh personel"), "person_minutes"),
    ("shortfall", _("Kekurangan personel"), "count"),
    ("reserve_median_objective_h", _("Waktu tanggap cadangan, rata-rata"), "hours"),
    ("reserve_center_objective_h", _("Waktu tanggap cadangan, terlama"), "hours"),
]


def _minutes(value, kind: str):
    """Hours and person-minutes as minutes, for the duration display; other kinds unchanged."""
    if not isinstance(value, (int, float)):
        return value
    return value * 60 if kind == "hours" else value


def compare_order(a: Plan, b: Plan) -> tuple[Plan, Plan]:
    """(base, other): the base scenario ("dasar") goes first so differences read "other minus base"."""
    if b.scenario == "dasar" and a.scenario != "dasar":
        return b, a
    return a, b


def plan_compare(*, user, a: Plan, b: Plan) -> list[dict]:
    """Side-by-side rows of two scenarios in plain labels: value in the base `a`, in `b`, and b minus a."""
    out = []
    for k, label, kind in COMPARE_METRICS:
        va, vb = _minutes(a.metrics.get(k), kind), _minutes(b.metrics.get(k), kind)
        diff = (vb - va) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        out.append({"key": str(label), "kind": kind, "a": va, "b": vb,
                    "diff": round(diff, 4) if diff is not None else None})
    # BKO by source kind (rows the user may see) and what each source could give.
    from django.db.models import Sum

    kinds = {"brimob": _("BKO dari Brimob"), "polda": _("BKO dari Mapolda"),
             "polres": _("BKO dari surplus Polres lain"), "tni": _("BKO dari TNI")}

    def by_kind(plan: Plan) -> dict[str, int]:
        return dict(plan_reinforcements(user=user, plan=plan).order_by().values("source_kind")
                    .annotate(s=Sum("count")).values_list("source_kind", "s"))

    ka, kb = by_kind(a), by_kind(b)
    for kind, label in kinds.items():
        va, vb = ka.get(kind, 0), kb.get(kind, 0)
        out.append({"key": str(label), "kind": "count", "a": va, "b": vb, "diff": vb - va})

    def avail(plan: Plan, kind: str) -> int | None:
        vals = [x.get("available", 0) for x in plan.metrics.get("sources", []) if x.get("kind") == kind]
        return sum(vals) if vals else None

    for kind, label in (("brimob", _("Brimob tersedia")), ("polda", _("Mapolda tersedia (dua pertiga)"))):
        va, vb = avail(a, kind), avail(b, kind)
        out.append({"key": str(label), "kind": "count", "a": va, "b": vb,
                    "diff": vb - va if va is not None and vb is not None else None})
    ua = {u.unit_id: u for u in plan_units(user=user, plan=a)}
    for ub in plan_units(user=user, plan=b):
        x = ua.get(ub.unit_id)
        if x and (x.shortfall != ub.shortfall or x.reinforcements_in != ub.reinforcements_in
                  or x.officers_required != ub.officers_required):
            text = _("butuh %(need)s, BKO %(bko)s, kurang %(short)s")
            out.append({"key": ub.unit.name, "kind": "text",
                        "a": text % {"need": x.officers_required, "bko": x.reinforcements_in, "short": x.shortfall},
                        "b": text % {"need": ub.officers_required, "bko": ub.reinforcements_in,
                                     "short": ub.shortfall},
                        "diff": None})
    return out


def pattern_units(*, user) -> list[Unit]:
    """Polres whose patterns the user may see: all for Polda and admins, else the user's own Polres."""
    from sinergi.accounts.choices import AgencyKind, UnitLevel

    if not can_view_plans(user):
        return []
    qs = Unit.objects.filter(agency__code=AgencyKind.POLRI, level=UnitLevel.REGENCY,
                             code__startswith="POLRES-").order_by("code")
    if sees_whole_province(user):
        return list(qs)
    polres = _own_polres(user)
    return [polres] if polres is not None else []


def plan_group_outlines(*, user, plan: Plan, polres_id: int | None = None) -> dict:
    """Guard groups as outlines (GeoJSON FeatureCollection), scoped like :func:`plan_groups`.

    Each group's outline is the convex hull of its TPS and post, buffered by ~300 m (so groups of one or two
    TPS are visible) and simplified; coordinates rounded to 4 decimals (~10 m) to keep the payload small.
    TPS locations are estimated in the default dataset, so the outlines are too (``estimated`` property).
    ``polres_id`` narrows to one Polres (the map loads Polres by Polres when zoomed in).
    """
    import numpy as np
    import shapely

    groups = plan_groups(user=user, plan=plan)
    if polres_id is not None:
        groups = groups.filter(unit_id=polres_id)
    rows = list(groups.values_list("id", "number", "tier", "tps_count", "officers", "linmas", "max_travel_min",
                                   "post_lat", "post_lng", "unit__name", "polsek__name", "district_code"))
    if not rows:
        return {"type": "FeatureCollection", "features": []}
    index = {r[0]: i for i, r in enumerate(rows)}
    pts = GuardAssignment.objects.filter(plan=plan, group_id__in=groups.values("id")).values_list(
        "group_id", "polling_station__lat", "polling_station__lng", "polling_station__location_estimated")
    gi: list[int] = []
    xy: list[tuple[float, float]] = []
    estimated = np.zeros(len(rows), dtype=bool)
    for gid, lat, lng, est in pts:
        if lat is None or lng is None:
            continue
        i = index[gid]
        gi.append(i)
        xy.append((lng, lat))
        estimated[i] |= bool(est)
    for i, r in enumerate(rows):  # the post belongs to its group
        gi.append(i)
        xy.append((r[8], r[7]))
    order = np.argsort(np.array(gi, dtype=np.int64), kind="stable")
    hulls = shapely.multipoints(np.array(xy, dtype=np.float64)[order], indices=np.array(gi, dtype=np.int64)[order])
    shapes = shapely.buffer(shapely.convex_hull(hulls), 0.003, quad_segs=2)
    shapes = shapely.set_precision(shapely.simplify(shapes, 0.0005), 1e-4)
    features = []
    for r, geom, est in zip(rows, shapely.to_geojson(shapes), estimated, strict=True):
        features.append({"type": "Feature", "geometry": json.loads(geom), "properties": {
            "number": r[1], "tier": r[2], "tps": r[3], "officers": r[4], "linmas": r[5], "max_min": r[6],
            "polres": r[9], "polsek": r[10] or r[11], "estimated": bool(est)}})
    return {"type": "FeatureCollection", "features": features}


def plan_table(*, user, plan: Plan, polres: str = "", polsek: str = "", district: str = "",
               tier: str = "") -> QuerySet[GuardAssignment]:
    """Per-TPS deployment rows (TPS, group, officers, Linmas, nearest reserve and its response time), scoped
    like :func:`plan_assignments`, filtered by Polres / Polsek (unit id), kecamatan (district code) and tier."""
    qs = plan_assignments(user=user, plan=plan).select_related("group__unit", "reserve", "polling_station__village")
    if polres.isdigit():
        qs = qs.filter(group__unit_id=int(polres))
    if polsek.isdigit():
        qs = qs.filter(group__polsek_id=int(polsek))
    if district:
        qs = qs.filter(group__district_code=district)
    if tier:
        qs = qs.filter(tier=tier)
    return qs.order_by("group__unit__code", "group__district_code", "polling_station__code")


def plan_polsek_rows(*, user, plan: Plan, polres: str = "", polsek: str = "", district: str = "",
                     tier: str = "") -> list[dict]:
    """Per Polsek (kecamatan) totals under the same scope and filters: groups, TPS, officers, Linmas and the
    worst / mean estimated response time of the nearest reserve team."""
    from django.db.models import Avg, Count, Max, Sum

    groups = plan_groups(user=user, plan=plan)
    rows_q = plan_table(user=user, plan=plan, polres=polres, polsek=polsek, district=district, tier=tier)
    if polres.isdigit():
        groups = groups.filter(unit_id=int(polres))
    if polsek.isdigit():
        groups = groups.filter(polsek_id=int(polsek))
    if district:
        groups = groups.filter(district_code=district)
    if tier:
        groups = groups.filter(tier=tier)
    agg = {(r["unit__name"], r["district_code"]): r for r in groups.values(
        "unit__name", "district_code", "polsek__name").annotate(
        n_groups=Count("id"), tps=Sum("tps_count"), officers=Sum("officers"), linmas=Sum("linmas")
    ).order_by("unit__name", "district_code")}
    res = {(r["group__unit__name"], r["group__district_code"]): r for r in rows_q.order_by().values(
        "group__unit__name", "group__district_code").annotate(
        res_max=Max("reserve_minutes"), res_mean=Avg("reserve_minutes"))}
    names = dict(Region.objects.filter(code__in=[k[1] for k in agg]).values_list("code", "name"))
    out = []
    for key, r in agg.items():
        x = res.get(key, {})
        out.append({"polres": key[0], "district_code": key[1], "kecamatan": names.get(key[1], key[1]),
                    "polsek": r["polsek__name"] or "", "groups": r["n_groups"], "tps": r["tps"],
                    "officers": r["officers"], "linmas": r["linmas"], "reserve_max": x.get("res_max"),
                    "reserve_mean": x.get("res_mean")})
    return out


def plan_table_filters(*, user, plan: Plan) -> dict:
    """Choices for the table filters, limited to what the user may see."""
    groups = plan_groups(user=user, plan=plan).order_by()
    polres = sorted(set(groups.values_list("unit_id", "unit__name")), key=lambda x: x[1])
    polsek = sorted({(i, n) for i, n in groups.values_list("polsek_id", "polsek__name") if i}, key=lambda x: x[1])
    codes = set(groups.values_list("district_code", flat=True))
    kec = sorted(Region.objects.filter(code__in=codes).values_list("code", "name"), key=lambda x: x[1])
    return {"polres": polres, "polsek": polsek, "kecamatan": kec}


# -- the approved plan (Renpam) -----------------------------------------------------------------------------
def approved_plan(election, phase: str = "pemungutan") -> PlanApproval | None:
    """The current approved Renpam of an election and operation phase, or None. Plan headers are readable by
    every Polri user; callers scope the rows they show with the selectors above."""
    if election is None:
        return None
    return (PlanApproval.objects.filter(election=election, phase=phase, is_current=True)
            .select_related("plan", "approved_by").first())


def approved_plan_obj(election, phase: str = "pemungutan") -> Plan | None:
    """The plan of the current approved Renpam, or None (no fallback to the latest what-if scenario)."""
    a = approved_plan(election, phase)
    return a.plan if a is not None else None


def approved_plan_label(approval: PlanApproval | None) -> str:
    """"Renpam versi N disahkan oleh … pada …" or "belum ada Renpam yang disahkan" (translated)."""
    from django.utils import formats, timezone
    from django.utils.translation import gettext as _

    if approval is None:
        return _("Belum ada Renpam yang disahkan")
    who = approval.approver_name + (f", {approval.approver_rank}" if approval.approver_rank else "")
    when = formats.date_format(timezone.localtime(approval.approved_at), "j F Y H:i")
    return _("Renpam versi %(v)s disahkan oleh %(who)s pada %(when)s") % {"v": approval.version, "who": who,
                                                                          "when": when}


def approval_history(*, user, election, phase: str | None = None) -> QuerySet[PlanApproval]:
    if not can_view_plans(user):
        return PlanApproval.objects.none()
    qs = PlanApproval.objects.filter(election=election).select_related("plan").defer("pdf")
    return qs.filter(phase=phase) if phase else qs


def approval_get(*, user, pk: int) -> PlanApproval:
    if not can_view_plans(user):
        raise PlanApproval.DoesNotExist
    return PlanApproval.objects.select_related("plan", "election").get(pk=pk)


# --- the plan in force, for the TPS page -------------------------------------------------------------------


def plan_in_force(*, election) -> tuple[Plan | None, str]:
    """The plan operations use for `election` (the approved voting-day Renpam) and a sentence saying which
    version it is, or that none is approved (then no plan is used: never the latest what-if scenario)."""
    approval = approved_plan(election)
    return (approval.plan if approval is not None else None), str(approved_plan_label(approval))


def tps_assignment(*, user, plan: Plan, tps) -> GuardAssignment | None:
    """The guard assignment of one TPS in `plan` (its group, the group's units and its reserve), scoped."""
    return (plan_assignments(user=user, plan=plan).select_related("group__unit", "reserve")
            .filter(polling_station=tps).first())


def group_tps(*, user, group: GuardGroup) -> list:
    """The TPS guarded by one group, in code order."""
    rows = (plan_assignments(user=user, plan=group.plan).filter(group=group)
            .order_by("polling_station__code"))
    return [a.polling_station for a in rows]
