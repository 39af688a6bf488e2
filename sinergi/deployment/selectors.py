"""Scoped reads of plans: every Polri user sees the plan headers; a Polres sees only its own rows
(units, groups, TPS, reinforcements, reserves in its area); Polda and admins see all."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sinergi.accounts.models import Unit

from .models import GuardAssignment, GuardGroup, Plan, PlanUnit, Reinforcement, Reserve
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


def plan_compare(*, user, a: Plan, b: Plan) -> list[dict]:
    """Side-by-side rows of two scenarios: metric, value in a, value in b, difference."""
    keys = ["tps", "groups", "groups_bound", "groups_gap", "officers_required", "officers_deployable",
            "reinforcements", "reinforcement_person_minutes", "shortfall", "reserve_median_objective_h",
            "reserve_center_objective_h"]
    out = []
    for k in keys:
        va, vb = a.metrics.get(k), b.metrics.get(k)
        diff = (vb - va) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        out.append({"key": k, "a": va, "b": vb, "diff": round(diff, 4) if diff is not None else None})
    ua = {u.unit_id: u for u in plan_units(user=user, plan=a)}
    for ub in plan_units(user=user, plan=b):
        x = ua.get(ub.unit_id)
        if x and (x.shortfall != ub.shortfall or x.reinforcements_in != ub.reinforcements_in
                  or x.officers_required != ub.officers_required):
            out.append({"key": ub.unit.name, "a": f"butuh {x.officers_required}, BKO {x.reinforcements_in}, "
                        f"kurang {x.shortfall}", "b": f"butuh {ub.officers_required}, BKO {ub.reinforcements_in}, "
                        f"kurang {ub.shortfall}", "diff": None})
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
