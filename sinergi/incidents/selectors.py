"""Scoped reads of incidents and reports. An agency sees what is routed or shared to its units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.accounts.selectors import is_global, scope_units
from sinergi.core import clock

from .choices import OPEN_STATUSES
from .models import Deadline, Incident, Notification, Report, TimelineEntry
from .permissions import can


def sees_all(user) -> bool:
    """Admins, and the top of Polri — the Polda in a single-province deployment, Mabes Polri in the national
    mode — whose staff run the situation room and triage every report."""
    if is_global(user):
        return True
    unit = getattr(user, "unit", None)
    return bool(unit and unit.agency.code == AgencyKind.POLRI and unit.parent_id is None
                and unit.level in (UnitLevel.PROVINCE, UnitLevel.NATIONAL))


def _polda_provinces(user) -> list[str]:
    """A Polda under Mabes Polri (national mode) triages every incident of its own province(s), and no other."""
    unit = getattr(user, "unit", None)
    if not (unit and unit.agency.code == AgencyKind.POLRI and unit.level == UnitLevel.PROVINCE and unit.parent_id):
        return []
    return list(unit.jurisdiction.filter(level="province").values_list("code", flat=True))


def incident_list(*, user) -> QuerySet[Incident]:
    if not can(user, "incident.view"):
        return Incident.objects.none()
    qs = Incident.objects.all()
    if sees_all(user):
        return qs
    units = scope_units(user).values("pk")
    shared = Incident.shared_units.through.objects.filter(incident_id=OuterRef("pk"), unit_id__in=units)
    q = Q(assigned_unit__in=units) | Exists(shared)
    for code in _polda_provinces(user):
        q |= Q(regency_code__startswith=f"{code}.")
    return qs.filter(q)


def incident_filter(qs: QuerySet[Incident], params, *, strict: bool = False) -> QuerySet[Incident]:
    """Filters of the list, map and situation room: region, category, status, agency, severity, time.

    A value that cannot be read (severity_min=x, since=notadate, hours=1e308) is ignored on pages; with
    `strict` (the API) it raises ValidationError naming the parameter (a 400)."""
    get = params.get
    bad: dict[str, str] = {}
    if get("region"):
        code = get("region")
        qs = qs.filter(regency_code=code) if len(code) == 5 else qs.filter(region__code__startswith=code)
    if get("category"):
        qs = qs.filter(category__code=get("category"))
    if get("status"):
        status = get("status")
        qs = qs.filter(status__in=OPEN_STATUSES) if status == "open" else qs.filter(status=status)
    else:
        qs = qs.exclude(status="merged")
    if get("agency"):
        qs = qs.filter(agency_code=get("agency"))
    if get("luar_wilayah") in ("1", "true"):  # the out-of-area queue, for forwarding
        qs = qs.filter(out_of_area=True)
    if get("severity_min"):
        try:
            qs = qs.filter(severity__gte=int(get("severity_min")))
        except ValueError:
            bad["severity_min"] = "Harus bilangan bulat (integer expected)."
    for name, lookup in (("since", "last_reported_at__gte"), ("until", "last_reported_at__lte")):
        if get(name):
            value = _parse_time(get(name))
            if value is not None:
                qs = qs.filter(**{lookup: value})
            else:
                bad[name] = "Waktu ISO 8601, mis. 2024-11-27T07:00:00+08:00 (ISO 8601 date-time expected)."
    if get("hours"):
        try:
            hours = float(get("hours"))
            if not 0 <= hours <= 24 * 366:
                raise ValueError(hours)
            qs = qs.filter(last_reported_at__gte=clock.now() - dt.timedelta(hours=hours))
        except (ValueError, OverflowError):
            bad["hours"] = "Jumlah jam 0–8784 (hours between 0 and 8784)."
    if get("location") == "unresolved":
        qs = qs.filter(location_status="unresolved")
    if strict and bad:
        raise ValidationError(bad)
    return qs


def _parse_time(value: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if t.year < 2 or t.year > 9998:  # no room to move to UTC
        return None
    return t if timezone.is_aware(t) else timezone.make_aware(t)


def incident_get(*, user, pk: int) -> Incident | None:
    return (incident_list(user=user).select_related("category", "assigned_unit", "assigned_unit__agency", "region",
                                                    "tps", "merged_into")
            .filter(pk=pk).first())


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEntry]:
    return incident.timeline.select_related("unit").order_by("at", "id")


def incident_reports(*, user, incident: Incident) -> QuerySet[Report]:
    return incident.reports.select_related("category", "suggested_category").order_by("received_at")


def incident_deadlines(*, incident: Incident) -> list[Deadline]:
    return list(incident.deadlines.select_related("rule").order_by("due_at"))


@dataclass
class Counters:
    total: int
    open: int
    unassigned: int
    unresolved_location: int
    overdue: int
    by_status: dict
    by_category: list


def counters(*, user, qs: QuerySet[Incident] | None = None) -> Counters:
    qs = qs if qs is not None else incident_list(user=user).exclude(status="merged")
    agg = qs.aggregate(total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
                       unassigned=Count("id", filter=Q(status__in=["reported", "verified"])),
                       unresolved=Count("id", filter=Q(location_status="unresolved")))
    by_status = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    by_category = list(qs.values("category__name").annotate(n=Count("id")).order_by("-n")[:13])
    overdue = Deadline.objects.filter(incident__in=qs.values("pk"), met_at__isnull=True, ended_at__isnull=True,
                                      due_at__lt=clock.now()).count()
    return Counters(total=agg["total"], open=agg["open"], unassigned=agg["unassigned"],
                    unresolved_location=agg["unresolved"], overdue=overdue, by_status=by_status,
                    by_category=by_category)


def report_triage_list(*, user) -> QuerySet[Report]:
    """Reports needing a person: unreadable SMS or unresolved place, in incidents the user may see."""
    if not can(user, "incident.triage"):
        return Report.objects.none()
    return (Report.objects.filter(Q(processing="unparsed") | Q(location_status="unresolved"),
                                  incident__in=incident_list(user=user).values("pk"))
            .select_related("incident", "category").order_by("-received_at"))


def notification_list(*, user) -> QuerySet[Notification]:
    if not getattr(user, "unit_id", None):
        return Notification.objects.none()
    return Notification.objects.filter(unit=user.unit, channel="in_app").select_related("incident")


