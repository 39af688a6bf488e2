"""Scoped reads of election-day operations."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet, Sum

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.accounts.models import Unit
from sinergi.accounts.selectors import is_global, scope_units
from sinergi.core import clock
from sinergi.core.permissions import has_perm
from sinergi.elections.models import PollingStation

from .models import KIND_ORDER, Alert, AlertKind, CheckIn, CheckInKind, TpsStatus
from .scope import read_scope


def alerts_for(user, *, election=None, open_only: bool = True) -> QuerySet[Alert]:
    """Alerts of units in the user's scope (own unit and below); admins and province-level Polri see all."""
    if not has_perm(user, "ops.view"):
        return Alert.objects.none()
    qs = Alert.objects.select_related("unit", "polling_station")
    if election is not None:
        qs = qs.filter(election=election)
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    if is_global(user):
        return qs
    units = scope_units(user)
    return qs.filter(Q(unit__in=units) | Q(assigned_unit__in=units))


#: most severe first, then newest: the order of every alert list of the command view
ALERT_ORDER = ("-severity", "-raised_at", "-id")


def alert_group_q(unit_id: int) -> Q:
    """Alerts of one group row: of the unit (0: no unit) or of a Polsek under it."""
    if not unit_id:
        return Q(unit__isnull=True)
    return Q(unit_id=unit_id) | Q(unit__parent_id=unit_id, unit__level=UnitLevel.DISTRICT)


def alert_groups(user, *, election, limit: int = 300) -> list[dict]:
    """Open alerts in the user's scope grouped by Polres (a Polsek's alerts count for its Polres) and kind, with
    counts (open, not yet acknowledged, assigned), the highest severity and the newest time; most severe, then
    newest groups first. One grouped scan by (unit, kind) without joins; the roll-up to Polres happens here."""
    rows = list(alerts_for(user, election=election).select_related(None).order_by()
                .values("unit_id", "kind")
                .annotate(count=Count("pk"), unacked=Count("pk", filter=Q(acknowledged_at__isnull=True)),
                          assigned=Count("pk", filter=Q(assigned_unit__isnull=False)),
                          severity=Max("severity"), newest=Max("raised_at")))
    units = {u.pk: u for u in Unit.objects.filter(pk__in={r["unit_id"] for r in rows if r["unit_id"]})
             .select_related("parent")}
    groups: dict[tuple[int, str], dict] = {}
    labels = dict(AlertKind.choices)
    for r in rows:
        u = units.get(r["unit_id"])
        if u is not None and u.level == UnitLevel.DISTRICT and u.parent_id:
            u = u.parent
        key = (u.pk if u else 0, r["kind"])
        g = groups.setdefault(key, {"unit_id": key[0], "unit": u.name if u else "", "kind": r["kind"],
                                    "kind_label": str(labels.get(r["kind"], r["kind"])), "count": 0, "unacked": 0,
                                    "assigned": 0, "severity": 0, "newest": r["newest"]})
        for k in ("count", "unacked", "assigned"):
            g[k] += r[k]
        g["severity"] = max(g["severity"], r["severity"])
        g["newest"] = max(g["newest"], r["newest"])
    out = sorted(groups.values(), key=lambda g: (g["unit"], g["kind"]))
    out.sort(key=lambda g: (g["severity"], g["newest"]), reverse=True)
    return out[:limit]


def alert_page(user, *, election, unit_id: int | None = None, kind: str = "", severity_min: int = 0,
               page: int = 1, per_page: int = 50) -> tuple[list[Alert], int]:
    """One page of open alerts (most severe, then newest first) of one group or all, and the total."""
    qs = alerts_for(user, election=election)
    if unit_id is not None:
        qs = qs.filter(alert_group_q(unit_id))
    if kind:
        qs = qs.filter(kind=kind)
    if severity_min:
        qs = qs.filter(severity__gte=severity_min)
    total = qs.count()
    start = (max(page, 1) - 1) * per_page
    return list(qs.select_related("assigned_unit").order_by(*ALERT_ORDER)[start:start + per_page]), total


# --------------------------------------------------------------------------- check-ins and coverage

def checkin_list(user, *, election=None) -> QuerySet[CheckIn]:
    """Check-ins of TPS in the user's read scope (ops.view)."""
    scope = read_scope(user)
    qs = CheckIn.objects.filter(scope.q()) if (scope.everything or scope.prefixes) else CheckIn.objects.none()
    if election is not None:
        qs = qs.filter(election=election)
    return qs


def tps_status_list(user, *, election) -> QuerySet[TpsStatus]:
    scope = read_scope(user)
    if not (scope.everything or scope.prefixes):
        return TpsStatus.objects.none()
    return TpsStatus.objects.filter(scope.q(), election=election)


def visible_polres(user) -> list[Unit]:
    """The Polres whose coverage row the user sees: those whose regency is in the user's read scope."""
    scope = read_scope(user)
    if not (scope.everything or scope.prefixes):
        return []
    rows = (Unit.jurisdiction.through.objects
            .filter(unit__agency__code=AgencyKind.POLRI, unit__level=UnitLevel.REGENCY)
            .select_related("unit").order_by("unit__code"))
    out: dict[int, Unit] = {}
    for r in rows:
        if scope.everything or scope.covers(r.region_id + ".00"):
            out.setdefault(r.unit_id, r.unit)
            out[r.unit_id].regency_codes = [*getattr(out[r.unit_id], "regency_codes", []), r.region_id]
    return list(out.values())


def coverage_by_polres(user, *, election, at=None) -> list[dict]:
    """Per Polres in the user's scope: TPS total and how many reported each step by `at` (default now), problem
    check-ins, open missing-check-in alerts. Reads the per-TPS status rows (one row per TPS)."""
    at = at or clock.now()
    units = visible_polres(user)
    if not units:
        return []
    regency_of = {code: u.pk for u in units for code in u.regency_codes}
    totals: dict[int, int] = {u.pk: 0 for u in units}
    for code, n in (PollingStation.objects.filter(election=election, regency_code__in=list(regency_of))
                    .values_list("regency_code").annotate(n=Count("pk"))):
        totals[regency_of[code]] += n
    counts: dict[int, dict[str, int]] = {u.pk: dict.fromkeys(KIND_ORDER, 0) for u in units}
    aggregates = {k: Count("pk", filter=Q(**{f"{k}_at__lte": at})) for k in KIND_ORDER}
    for row in (TpsStatus.objects.filter(election=election, regency_code__in=list(regency_of))
                .values("regency_code").annotate(**aggregates)):
        for k in KIND_ORDER:
            counts[regency_of[row["regency_code"]]][k] += row[k]
    problems: dict[int, int] = dict.fromkeys(totals, 0)
    for code, n in (CheckIn.objects.filter(election=election, kind=CheckInKind.PROBLEM, at__lte=at,
                                           regency_code__in=list(regency_of))
                    .values_list("regency_code").annotate(n=Count("pk"))):
        problems[regency_of[code]] += n
    missing: dict[int, int] = dict.fromkeys(totals, 0)
    for unit_id, n in (Alert.objects.filter(election=election, kind=AlertKind.CHECKIN_MISSING, raised_at__lte=at,
                                            unit_id__in=list(totals))
                       .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=at))
                       .values_list("unit_id").annotate(n=Count("pk"))):
        missing[unit_id] = n
    out = []
    for u in units:
        total = totals[u.pk]
        c = counts[u.pk]
        out.append({"unit_id": u.pk, "unit_code": u.code, "unit_name": u.name, "tps_total": total, **c,
                    "problems": problems[u.pk], "missing": missing[u.pk],
                    "opened_pct": round(100 * c["opened"] / total, 1) if total else 0.0,
                    "closed_pct": round(100 * c["closed"] / total, 1) if total else 0.0,
                    "handed_over_pct": round(100 * c["handed_over"] / total, 1) if total else 0.0})
    return out


def checkin_totals(user, *, election, since=None, until=None) -> dict[str, int]:
    """Check-ins by kind in the user's scope, received with event time in [since, until)."""
    qs = checkin_list(user, election=election)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    out = dict.fromkeys((k.value for k in CheckInKind), 0)
    for kind, n in qs.values_list("kind").annotate(n=Count("pk")).order_by():
        out[kind] = n
    return out


def tps_points(user, *, election, limit: int = 500_000) -> list[list]:
    """Compact map points: [tps id, lat, lng, state, problem_count, flagged, code] for every TPS in scope, the
    state '' when nothing was reported (left join on the status rows)."""
    scope = read_scope(user)
    if not (scope.everything or scope.prefixes):
        return []
    status = {pk: (st, pc, fl) for pk, st, pc, fl in tps_status_list(user, election=election)
              .values_list("polling_station_id", "state", "problem_count", "flagged")}
    out = []
    for pk, lat, lng, code in (PollingStation.objects.filter(scope.q(), election=election, lat__isnull=False)
                               .values_list("pk", "lat", "lng", "code")[:limit]):
        st, pc, fl = status.get(pk, ("", 0, 0))
        out.append([pk, round(lat, 5), round(lng, 5), st, pc, fl, code])
    return out


def checkin_cursor(*, election) -> int:
    """The newest check-in id of the election: the map's change cursor."""
    return CheckIn.objects.filter(election=election).order_by("-pk").values_list("pk", flat=True).first() or 0


def tps_fingerprint(*, election) -> str:
    """Changes when a TPS is added, removed or moved (count, newest id, sums of the coordinates)."""
    agg = PollingStation.objects.filter(election=election).aggregate(n=Count("pk"), top=Max("pk"), lat=Sum("lat"),
                                                                      lng=Sum("lng"))
    return f"{agg['n']}:{agg['top']}:{agg['lat'] or 0:.5f}:{agg['lng'] or 0:.5f}"


def tps_points_changed(user, *, election, since: int, limit: int = 50_000) -> list[list]:
    """Map points (as tps_points) of the TPS in scope with a check-in after id `since`."""
    changed = set(checkin_list(user, election=election).filter(pk__gt=since).order_by()
                  .values_list("polling_station_id", flat=True)[:limit])
    if not changed:
        return []
    status = {pk: (st, pc, fl) for pk, st, pc, fl in TpsStatus.objects.filter(pk__in=list(changed))
              .values_list("polling_station_id", "state", "problem_count", "flagged")}
    out = []
    for pk, lat, lng, code in (PollingStation.objects.filter(pk__in=list(changed), lat__isnull=False)
                               .values_list("pk", "lat", "lng", "code")):
        st, pc, fl = status.get(pk, ("", 0, 0))
        out.append([pk, round(lat, 5), round(lng, 5), st, pc, fl, code])
    return out


# --------------------------------------------------------------------------- the check-in page

def assigned_tps(user, *, election, limit: int = 60) -> list[PollingStation]:
    """TPS the approved Renpam (voting phase) of the election gives to the user's unit (guard group unit or
    Polsek), for the officer's check-in page. No approved Renpam: none (the page says so)."""
    if not user.unit_id or not has_perm(user, "checkin.submit"):
        return []
    from sinergi.deployment.models import GuardAssignment
    from sinergi.deployment.selectors import approved_plan_obj

    plan = approved_plan_obj(election)
    if plan is None:
        return []
    ids = (GuardAssignment.objects.filter(plan=plan)
           .filter(Q(group__unit_id=user.unit_id) | Q(group__polsek_id=user.unit_id))
           .values_list("polling_station_id", flat=True)[:limit])
    return list(PollingStation.objects.filter(pk__in=list(ids)).select_related("village").order_by("code"))


def checkin_tps(user, *, election, code: str) -> PollingStation | None:
    """A TPS by code for the check-in page, only when the user may check in for it."""
    from .scope import checkin_scope, planned_tps_ids

    ps = PollingStation.objects.filter(election=election, code=code).select_related("village").first()
    if ps is None:
        return None
    if checkin_scope(user).covers(ps.district_code) or ps.pk in planned_tps_ids(user, [ps.pk]):
        return ps
    return None


def status_by_tps(tps_ids) -> dict[int, TpsStatus]:
    return {s.pk: s for s in TpsStatus.objects.filter(pk__in=list(tps_ids))}
