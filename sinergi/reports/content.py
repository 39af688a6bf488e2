"""What goes into a situation report: a JSON snapshot computed once, when the report is generated.

The snapshot holds numbers, codes and names (both languages where the data has them); labels are resolved when
it is rendered, so the same snapshot renders in Bahasa Indonesia and English. Everything is restricted to the
report's territory (its scope unit's jurisdiction) and to the records the scope unit itself may read (incidents
through the incidents app's selector, as the unit's own analyst), independent of who pressed the button: every
reader of a report sees the same content (who may read it is decided in permissions.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count, Q
from django.utils import timezone

from sinergi.accounts.choices import Role
from sinergi.accounts.models import Unit, User
from sinergi.logistics.selectors import escort_summary
from sinergi.operations.selectors import checkin_totals, coverage_by_polres
from sinergi.personnel.selectors import response_times

NOTABLE_SEVERITY = 3
TREND_DAYS = 7
MAX_LIST = 50


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat() if t else None


def territory_q(region_code: str, *, regency_field: str = "regency_code", region_field: str = "region__code") -> Q:
    """Rows inside the territory (province code "53" or regency code "53.01")."""
    if len(region_code) <= 2:
        return Q(**{f"{regency_field}__startswith": region_code + "."}) | Q(
            **{f"{region_field}__startswith": region_code + "."}) | Q(**{region_field: region_code})
    return Q(**{regency_field: region_code[:5]}) | Q(**{f"{region_field}__startswith": region_code + "."}) | Q(
        **{region_field: region_code})


def reader_for(scope_unit: Unit) -> User:
    """An unsaved analyst of the scope unit: other apps' selectors scope their figures as they would for the
    unit's own analyst (check-in coverage, escorts). Never saved, never signs in."""
    user = User(username=f"sitrep:{scope_unit.code}", role=Role.ANALYST, unit=scope_unit, is_active=True)
    return user


def build(*, election, scope_unit: Unit, region_code: str, start: dt.datetime, end: dt.datetime) -> dict:
    tz = timezone.get_default_timezone()
    data = {
        "schema": 1,
        "election": {"id": election.pk, "code": election.code, "name": election.name},
        "scope": {"unit_id": scope_unit.pk, "unit_code": scope_unit.code, "unit_name": scope_unit.name,
                  "region_code": region_code, "region_name": _region_name(region_code)},
        "period": {"start": _iso(start), "end": _iso(end), "tz": str(tz)},
        "stage": _stage(election, timezone.localtime(end, tz).date()),
    }
    reader = reader_for(scope_unit)
    data["incidents"] = incidents_section(region_code, start, end, reader=reader)
    data["trend"] = trend_section(region_code, end, reader=reader)
    data["map"] = {"points": data["incidents"].pop("_points")}
    data["deployment"] = deployment_section(election, scope_unit, region_code)
    data["response"] = response_section(scope_unit, region_code, start, end)
    data["checkins"] = checkins_section(reader, election, scope_unit, start, end)
    data["escorts"] = escorts_section(reader, election, end)
    data["alerts"] = alerts_section(election, scope_unit, region_code)
    data["actions"] = actions_section(region_code, timezone.localtime(end, tz).date())
    return data


def _region_name(code: str) -> str:
    from sinergi.regions.models import Region

    return Region.objects.filter(code=code).values_list("name", flat=True).first() or code


def _stage(election, day: dt.date) -> dict | None:
    stage = election.stages.filter(start_date__lte=day, end_date__gte=day).order_by("-start_date", "order").first()
    if stage is None:
        return None
    return {"code": stage.code, "name": stage.name, "name_en": stage.name_en}


# --- incidents ------------------------------------------------------------------------------------------------

def _incidents(reader):
    """Incidents the scope unit may read (routed or shared to its subtree; Polda: all), not those of other
    agencies that merely happened in the territory."""
    from sinergi.incidents.selectors import incident_list

    return incident_list(user=reader)


def incidents_section(region_code: str, start: dt.datetime, end: dt.datetime, *, reader) -> dict:
    from sinergi.incidents.choices import OPEN_STATUSES
    from sinergi.regions.models import Region

    base = _incidents(reader).exclude(status="merged").filter(territory_q(region_code))
    period = base.filter(occurred_at__gte=start, occurred_at__lt=end)
    by_category = [
        {"code": r["category__code"], "name": r["category__name"], "name_en": r["category__name_en"], "n": r["n"]}
        for r in period.values("category__code", "category__name", "category__name_en").annotate(n=Count("id"))
        .order_by("-n", "category__code")
    ]
    regency_counts = Counter(dict(period.values_list("regency_code").annotate(n=Count("id")).order_by()))
    names = dict(Region.objects.filter(code__in=[c for c in regency_counts if c]).values_list("code", "name"))
    by_region = sorted(
        ({"code": code or "", "name": names.get(code, "") if code else "", "n": n}
         for code, n in regency_counts.items()), key=lambda r: (-r["n"], r["code"]))
    by_status = [{"code": s, "n": n} for s, n in
                 period.values_list("status").annotate(n=Count("id")).order_by("status")]
    by_severity = {str(s): n for s, n in period.values_list("severity").annotate(n=Count("id")).order_by()}
    notable = []
    for inc in (period.filter(severity__gte=NOTABLE_SEVERITY)
                .select_related("category", "region", "tps", "assigned_unit")
                .order_by("-severity", "occurred_at", "id")[:MAX_LIST]):
        notable.append({
            "id": inc.pk, "title": inc.title, "category": inc.category.name, "category_en": inc.category.name_en,
            "severity": inc.severity, "status": inc.status, "occurred_at": _iso(inc.occurred_at),
            "place": inc.region.name if inc.region else "", "regency_code": inc.regency_code,
            "regency": names.get(inc.regency_code, "") if inc.regency_code else "",
            "tps": inc.tps.code if inc.tps else "",
            "unit": inc.assigned_unit.name if inc.assigned_unit else "",
            "approximate": inc.location_status != "resolved",
        })
    points = [
        {"lat": round(lat, 5), "lng": round(lng, 5), "severity": sev, "approximate": loc != "resolved"}
        for lat, lng, sev, loc in period.filter(lat__isnull=False, lng__isnull=False)
        .values_list("lat", "lng", "severity", "location_status")[:5000]
    ]
    late = base.filter(first_reported_at__gte=start, first_reported_at__lt=end, occurred_at__lt=start).count()
    return {
        "total": sum(r["n"] for r in by_category),
        "open_now": base.filter(status__in=OPEN_STATUSES).count(),
        "late_reported": late,
        "by_category": by_category, "by_region": by_region, "by_status": by_status, "by_severity": by_severity,
        "notable": notable, "_points": points,
    }


def trend_section(region_code: str, end: dt.datetime, *, reader) -> dict:
    """Incidents per local day (by time of occurrence) for the 7 days ending with the report's day."""
    tz = timezone.get_default_timezone()
    last = timezone.localtime(end, tz).date()
    days = [last - dt.timedelta(days=i) for i in range(TREND_DAYS - 1, -1, -1)]
    lo = timezone.make_aware(dt.datetime.combine(days[0], dt.time()), tz)
    times = (_incidents(reader).exclude(status="merged").filter(territory_q(region_code))
             .filter(occurred_at__gte=lo, occurred_at__lt=end).values_list("occurred_at", flat=True))
    counts = Counter(timezone.localtime(t, tz).date() for t in times)
    return {"days": [{"date": d.isoformat(), "n": counts.get(d, 0)} for d in days]}


# --- deployment -----------------------------------------------------------------------------------------------

def deployment_section(election, scope_unit: Unit, region_code: str) -> dict:
    from sinergi.deployment.models import PlanUnit, Reinforcement
    from sinergi.deployment.selectors import approved_plan

    approval = approved_plan(election)
    if approval is None:
        return {"available": False, "approved": False}
    plan = approval.plan
    units = PlanUnit.objects.filter(plan=plan).select_related("unit")
    if len(region_code) > 2:
        units = units.filter(unit__path__startswith=scope_unit.path)
    rows = [{"unit": pu.unit.name, "unit_code": pu.unit.code, "strength": pu.strength, "available": pu.deployable,
             "required": pu.officers_required, "groups": pu.groups, "linmas": pu.linmas,
             "reinforcements_in": pu.reinforcements_in, "shortfall": pu.shortfall}
            for pu in units.order_by("unit__code")]
    totals = {k: sum(r[k] for r in rows) for k in ("strength", "available", "required", "groups", "linmas",
                                                   "reinforcements_in", "shortfall")}
    reinf = Reinforcement.objects.filter(plan=plan, to_unit__code__in=[r["unit_code"] for r in rows])
    return {
        "available": True, "estimated": True,
        "plan": {"id": plan.pk, "name": plan.name, "scenario": plan.scenario, "tier_source": plan.tier_source,
                 "updated_at": _iso(plan.updated_at)},
        "approval": {"version": approval.version, "phase": approval.phase, "by": approval.approver_name,
                     "rank": approval.approver_rank, "at": _iso(approval.approved_at),
                     "pdf_sha256": approval.pdf_sha256},
        "rows": rows, "totals": totals,
        "reinforcements": [{"from": r.source_name, "to": r.to_unit.name, "count": r.count,
                            "minutes": round(r.minutes)} for r in reinf.select_related("to_unit")
                           .order_by("to_unit__code", "-count")[:MAX_LIST]],
    }


def response_section(scope_unit: Unit, region_code: str, start: dt.datetime, end: dt.datetime) -> dict:
    """Response times per Polres of units dispatched to incidents in the period (sinergi.personnel)."""
    codes = None
    if len(region_code) > 2:
        codes = list(Unit.objects.filter(path__startswith=scope_unit.path).values_list("code", flat=True))
    rows = response_times(since=start, until=end, polres_codes=codes)

    def hm(minutes):
        if minutes is None:
            return "–"
        h, m = divmod(int(round(minutes)), 60)
        return f"{h} j {m} mnt" if h else f"{m} mnt"

    for r in rows:
        r.update(ack_text=hm(r["ack_median_min"]), scene_text=hm(r["scene_median_min"]),
                 max_text=hm(r["scene_max_min"]))
    return {"available": True, "rows": rows, "total": sum(r["n"] for r in rows)}


# --- check-ins and escorts (election-day operations; present once those apps provide them) ------------------

def checkins_section(reader, election, scope_unit: Unit, start: dt.datetime, end: dt.datetime) -> dict:
    rows = list(coverage_by_polres(reader, election=election, at=end))
    keys = ("tps_total", "opened", "voting", "closed", "counted", "handed_over", "problems", "missing")
    rows = [{"unit_code": r.get("unit_code", ""), "unit_name": r.get("unit_name", ""),
             **{k: int(r.get(k) or 0) for k in keys}} for r in rows]
    totals = {k: sum(r[k] for r in rows) for k in keys}
    period = dict(checkin_totals(reader, election=election, since=start, until=end))
    from sinergi.elections.models import PollingStation

    estimated = PollingStation.objects.filter(election=election).filter(
        Q(location_estimated=True) | Q(voters_estimated=True)).exists()
    return {"available": True, "rows": rows, "totals": totals,
            "period": {str(k): int(v or 0) for k, v in period.items()}, "tps_estimated": estimated}


def escorts_section(reader, election, end: dt.datetime) -> dict:
    s = escort_summary(reader, election=election, at=end) or {}

    def _items(items) -> list[dict]:
        out = []
        for item in list(items or [])[:MAX_LIST]:
            if isinstance(item, dict):
                out.append({k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in item.items()
                            if isinstance(v, (str, int, float, bool, dt.datetime)) or v is None})
            else:
                out.append({"label": str(item)})
        return out

    return {"available": True,
            **{k: int(s.get(k) or 0) for k in ("total", "planned", "in_motion", "arrived", "delayed")},
            "in_motion_list": _items(s.get("in_motion_list")), "delayed_list": _items(s.get("delayed_list"))}


# --- alerts and coordination ---------------------------------------------------------------------------------

def alerts_section(election, scope_unit: Unit, region_code: str) -> dict:
    from sinergi.operations.models import Alert

    qs = Alert.objects.filter(election=election, resolved_at__isnull=True)
    if len(region_code) > 2:
        qs = qs.filter(Q(unit__path__startswith=scope_unit.path)
                       | Q(polling_station__regency_code=region_code[:5]))
    by_kind = [{"code": k, "n": n} for k, n in qs.values_list("kind").annotate(n=Count("id")).order_by("kind")]
    items = [{"kind": a.kind, "severity": a.severity, "message": a.message, "raised_at": _iso(a.raised_at),
              "unit": a.unit.name if a.unit else "", "acknowledged": a.acknowledged_at is not None}
             for a in qs.select_related("unit").order_by("-severity", "raised_at", "id")[:MAX_LIST]]
    return {"total": sum(r["n"] for r in by_kind), "by_kind": by_kind, "items": items}


def actions_section(region_code: str, today: dt.date) -> dict:
    """Overdue action items of units in the territory. The report goes to every agency of the territory, so only
    items marked TLP:CLEAR or TLP:GREEN are listed; more restricted ones are only counted."""
    from sinergi.coordination.choices import OPEN_STATUSES, Marking
    from sinergi.coordination.models import ActionItem

    units = Unit.objects.filter(territory_q(region_code, regency_field="jurisdiction__code",
                                            region_field="jurisdiction__code")).values("pk")
    overdue = ActionItem.objects.filter(status__in=OPEN_STATUSES, due_date__lt=today, owner_unit__in=units)
    shareable = overdue.filter(marking__in=[Marking.CLEAR, Marking.GREEN])
    items = [{"id": a.pk, "title": a.title, "owner": a.owner_unit.name, "agency": a.owner_unit.agency.code,
              "due_date": a.due_date.isoformat(), "days_overdue": (today - a.due_date).days, "status": a.status,
              "marking": a.marking}
             for a in shareable.select_related("owner_unit", "owner_unit__agency").order_by("due_date", "id")[:MAX_LIST]]
    total = overdue.count()
    return {"total": total, "items": items, "restricted": total - shareable.count()}
