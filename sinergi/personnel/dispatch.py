"""Units that can be sent to an incident, and the nearest available ones (engine: sinergi.engine.personnel.dispatch).

Resources of the approved voting-day Renpam: reserve teams, guard groups of *kurang rawan* TPS (the plan's rule:
only groups at the least vulnerable TPS may leave their post; rawan, sangat rawan and special-location groups
stay), and a patrol per Polsek. A resource with an open dispatch is not available. The arrays of one Renpam are
built once per process and reused (suggestions must answer in well under 200 ms).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.accounts.models import Unit

from .choices import DispatchState, ResourceKind

_LOCK = threading.Lock()
_CACHE: dict[int, Resources] = {}


@dataclass(frozen=True)
class Resource:
    key: str
    kind: str
    label: str
    unit_id: int
    polres_id: int | None
    minutes: float


@dataclass
class Resources:
    keys: list[str]
    kinds: list[str]
    labels: list[str]
    unit_ids: list[int]
    polres_ids: list[int | None]
    lat: np.ndarray
    lng: np.ndarray
    island: np.ndarray
    index: dict[str, int]


def _approved(election):
    from sinergi.deployment.selectors import approved_plan

    return approved_plan(election)


def resources_for(approval) -> Resources:
    """Every dispatchable resource of a Renpam (cached per approval)."""
    from sinergi.deployment.models import GuardGroup, Reserve
    from sinergi.logistics import travel as lt

    key = approval.pk if approval is not None else 0
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    keys: list[str] = []
    kinds: list[str] = []
    labels: list[str] = []
    units: list[int] = []
    polres: list[int | None] = []
    lat: list[float] = []
    lng: list[float] = []
    parents = dict(Unit.objects.filter(agency__code=AgencyKind.POLRI).values_list("pk", "parent_id"))
    if approval is not None:
        for r in Reserve.objects.filter(plan=approval.plan, kind="median").select_related("unit"):
            if r.unit_id is None:
                continue
            keys.append(f"reserve:{r.pk}")
            kinds.append(ResourceKind.RESERVE)
            labels.append(f"Tim cadangan {r.name} ({r.team_size} personel)")
            units.append(r.unit_id)
            polres.append(parents.get(r.unit_id))
            lat.append(r.lat)
            lng.append(r.lng)
        for g in (GuardGroup.objects.filter(plan=approval.plan, tier="kurang_rawan")
                  .select_related("unit", "polsek").only("pk", "number", "officers", "post_lat", "post_lng", "unit",
                                                         "polsek", "unit__name", "polsek__name")):
            keys.append(f"group:{g.pk}")
            kinds.append(ResourceKind.GROUP)
            labels.append(f"Kelompok K{g.number} {g.polsek.name if g.polsek_id else g.unit.name} "
                          f"({g.officers} personel)")
            units.append(g.polsek_id or g.unit_id)
            polres.append(g.unit_id)
            lat.append(g.post_lat)
            lng.append(g.post_lng)
    from .selectors import unit_points as _unit_points

    polseks = list(Unit.objects.filter(agency__code=AgencyKind.POLRI, level=UnitLevel.DISTRICT))
    pts = _unit_points(polseks)
    for u in polseks:
        if u.pk not in pts:
            continue
        keys.append(f"patrol:{u.pk}")
        kinds.append(ResourceKind.PATROL)
        labels.append(f"Patroli {u.name}")
        units.append(u.pk)
        polres.append(u.parent_id)
        lat.append(pts[u.pk][0])
        lng.append(pts[u.pk][1])
    lm, _ = lt._model()
    la, ln = np.array(lat, dtype=float), np.array(lng, dtype=float)
    isl = np.asarray(lm.assign(la, ln), dtype=np.int64) if len(la) else np.zeros(0, dtype=np.int64)
    res = Resources(keys, kinds, labels, units, polres, la, ln, isl, {k: i for i, k in enumerate(keys)})
    with _LOCK:
        _CACHE.clear()
        _CACHE[key] = res
    return res


def incident_point(incident) -> tuple[float, float] | None:
    if incident.lat is not None and incident.lng is not None:
        return float(incident.lat), float(incident.lng)
    if incident.tps_id and incident.tps.lat is not None:
        return float(incident.tps.lat), float(incident.tps.lng)
    if incident.region_id and incident.region.lat is not None:
        return float(incident.region.lat), float(incident.region.lng)
    return None


def suggest(incident, *, k: int = 5, approval=None) -> list[Resource]:
    """The ``k`` nearest available units for an incident, with estimated travel minutes (roads and sea
    crossings). Empty when the incident has no location."""
    from sinergi.engine.personnel.dispatch import suggest as engine_suggest
    from sinergi.logistics import travel as lt

    from .models import Dispatch

    point = incident_point(incident)
    if point is None:
        return []
    if approval is None:
        from sinergi.elections.selectors import default_election

        approval = _approved(default_election())
    res = resources_for(approval)
    if not res.keys:
        return []
    busy = set(Dispatch.objects.exclude(state=DispatchState.CLEARED).values_list("resource_key", flat=True))
    available = np.ones(len(res.keys), dtype=bool)
    for key in busy:
        i = res.index.get(key)
        if i is not None:
            available[i] = False
    lm, model = lt._model()
    to_isl = int(lm.assign(np.array([point[0]]), np.array([point[1]]))[0])
    out = []
    for c in engine_suggest(model, res.lat, res.lng, res.island, available, point[0], point[1], to_isl, k=k):
        i = c.index
        out.append(Resource(res.keys[i], res.kinds[i], res.labels[i], res.unit_ids[i], res.polres_ids[i],
                            c.minutes))
    return out


def resolve_resource(key: str, incident) -> Resource | None:
    """A resource by key with its travel time to the incident (for the dispatcher's choice)."""
    from sinergi.elections.selectors import default_election
    from sinergi.logistics import travel as lt

    res = resources_for(_approved(default_election()))
    i = res.index.get(str(key)[:40])
    if i is None:
        return None
    point = incident_point(incident)
    minutes = 0.0
    if point is not None:
        lm, model = lt._model()
        to_isl = int(lm.assign(np.array([point[0]]), np.array([point[1]]))[0])
        hours = float(model.hours(float(res.lat[i]), float(res.lng[i]), int(res.island[i]), point[0], point[1],
                                  to_isl))
        if not np.isfinite(hours) or hours >= 1e6:
            return None
        minutes = round(hours * 60.0, 1)
    return Resource(res.keys[i], res.kinds[i], res.labels[i], res.unit_ids[i], res.polres_ids[i], minutes)
