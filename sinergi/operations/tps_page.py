"""One TPS for operations: everything the command knows about a polling station on one page.

Reads go through the selectors of the apps that own the records, each scoped to the reader: the risk tier and
its top reasons (risk), the guard group and its unit in the plan in force (deployment), the check-in timeline
and open alerts (operations), incidents at or near the TPS (incidents) and the logistics escorts that serve it
(logistics). A part the reader may not see is left out and the page says so; the TPS itself must be in the
reader's operations scope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from sinergi.core.permissions import has_perm
from sinergi.core.providers import provider
from sinergi.elections.selectors import polling_station_get

from .models import KIND_ORDER, CheckIn
from .scope import read_scope

NEARBY_KM = 5.0
NEARBY_LIMIT = 20
CHECKIN_LIMIT = 100


@dataclass
class TpsOverview:
    tps: Any
    risk: dict | None = None
    risk_text: str = ""
    tier_label: str = ""
    plan: Any = None
    plan_note: str = ""
    group: Any = None
    group_tps: list = field(default_factory=list)
    reserve: Any = None
    guards: list = field(default_factory=list)
    checkins: list = field(default_factory=list)
    status_by_kind: dict = field(default_factory=dict)
    alerts: list = field(default_factory=list)
    incidents: list = field(default_factory=list)
    escorts: list = field(default_factory=list)
    hidden: list = field(default_factory=list)
    #: the reader may see the named roster officer behind each check-in (personnel.view)
    show_roster: bool = False


def _km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _risk(user, tps, out: TpsOverview) -> None:
    if not has_perm(user, "risk.view"):
        out.hidden.append("risk")
        return
    from sinergi.risk.selectors import explain, tps_card

    card = tps_card(user=user, pk=tps.pk)
    if card is None:
        out.hidden.append("risk")
        return
    out.risk = card
    out.risk_text = explain(card)
    assessment = card.get("assessment")
    if assessment is not None and assessment.tier:
        from sinergi.risk.choices import TpsTier

        out.tier_label = str(TpsTier(assessment.tier).label)


def _deployment(user, tps, out: TpsOverview) -> None:
    from sinergi.deployment import selectors as plans

    if not has_perm(user, "plan.view"):
        out.hidden.append("plan")
        return
    plan, note = plans.plan_in_force(election=tps.election)
    out.plan, out.plan_note = plan, note
    if plan is None:
        return
    assignment = plans.tps_assignment(user=user, plan=plan, tps=tps)
    if assignment is None:
        return
    out.group = assignment.group
    out.reserve = assignment.reserve
    out.group_tps = plans.group_tps(user=user, group=assignment.group)
    tps_guards = provider("personnel.tps_guards")  # registered by sinergi.personnel (above operations)
    if has_perm(user, "personnel.view") and tps_guards is not None:
        out.guards = tps_guards(tps=tps)


def _operations(user, tps, out: TpsOverview) -> None:
    from .selectors import alerts_for, checkin_list

    out.show_roster = has_perm(user, "personnel.view")
    rows = (checkin_list(user, election=tps.election).filter(polling_station=tps)
            .select_related("officer", "unit", "roster_officer").order_by("-at", "-id")[:CHECKIN_LIMIT])
    out.checkins = list(rows)
    latest: dict[str, CheckIn] = {}
    for c in reversed(out.checkins):
        latest[c.kind] = c
    out.status_by_kind = {k: latest.get(k) for k in KIND_ORDER}
    out.alerts = list(alerts_for(user, election=tps.election).filter(polling_station=tps)
                      .order_by("-severity", "-raised_at")[:20])


def _incidents(user, tps, out: TpsOverview) -> None:
    if not has_perm(user, "incident.view"):
        out.hidden.append("incidents")
        return
    from sinergi.incidents.selectors import incident_list

    qs = incident_list(user=user).exclude(status="merged")
    near = Q(tps=tps)
    if tps.lat is not None and tps.lng is not None:
        dlat = NEARBY_KM / 111.0
        dlng = NEARBY_KM / max(1e-6, 111.0 * math.cos(math.radians(tps.lat)))
        near |= Q(lat__range=(tps.lat - dlat, tps.lat + dlat), lng__range=(tps.lng - dlng, tps.lng + dlng))
    rows = []
    for inc in qs.filter(near).select_related("category").order_by("-last_reported_at", "-id")[:200]:
        if inc.tps_id == tps.pk:
            km = 0.0
        elif inc.lat is None or tps.lat is None:
            continue
        else:
            km = _km(tps.lat, tps.lng, inc.lat, inc.lng)
            if km > NEARBY_KM:
                continue
        rows.append({"incident": inc, "km": km, "here": inc.tps_id == tps.pk})
    rows.sort(key=lambda r: (not r["here"], -r["incident"].severity, r["km"]))
    out.incidents = rows[:NEARBY_LIMIT]


def _escorts(user, tps, out: TpsOverview) -> None:
    movement_list = provider("logistics.movement_list")  # registered by sinergi.logistics (above operations)
    if not has_perm(user, "escort.view") or movement_list is None:
        out.hidden.append("escorts")
        return

    qs = movement_list(user=user, election=tps.election).filter(
        Q(polling_station=tps) | Q(dest_tps=tps) | Q(origin_tps=tps))
    out.escorts = list(qs.order_by("planned_departure", "id")[:20])


def tps_overview(*, user, pk: int) -> TpsOverview | None:
    """The TPS page's content, or None when the TPS does not exist or is outside the reader's scope."""
    if not has_perm(user, "ops.view"):
        return None
    tps = polling_station_get(user=user, pk=pk)
    if tps is None or not read_scope(user).covers(tps.district_code):
        return None
    out = TpsOverview(tps=tps)
    _risk(user, tps, out)
    _deployment(user, tps, out)
    _operations(user, tps, out)
    _incidents(user, tps, out)
    _escorts(user, tps, out)
    return out
