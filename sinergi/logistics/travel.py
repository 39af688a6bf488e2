"""Legs and expected times of a logistics hop from the deployment travel model (public functions only).

A hop between two points on the same land mass is one road leg. Between land masses it follows the model's
fastest route: road to the first port, sea legs between ports (a road leg between two ports of one land mass),
road from the last port. Leg hours: road = distance x detour / speed of the land mass; sea = the model's
port-to-port time (crossing + port access, plus the expected wait for a departure where the model charges it).
Every figure is an estimate (``estimated`` on the rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sinergi.deployment import geo


@dataclass(frozen=True)
class PlannedLeg:
    mode: str  # "road" | "sea"
    from_name: str
    from_lat: float
    from_lng: float
    to_name: str
    to_lat: float
    to_lng: float
    hours: float
    from_port: str = ""
    to_port: str = ""
    sea_link: str = ""
    vessel: str = ""


@lru_cache(maxsize=1)
def _model():
    lm = geo.ntt_land_masses()
    return lm, geo.travel_model(lm)


def _ports(model) -> dict:
    return {p.name: p for p in [*model.ports, *getattr(model, "landing_points", ())]}


def _link(model, a: str, b: str):
    for link in getattr(model, "active_links", []):
        if {link.a, link.b} == {a, b}:
            return link
    return None


def islands(lats: list[float], lngs: list[float]) -> list[int]:
    lm, _ = _model()
    return [int(x) for x in lm.assign(lats, lngs)]


def plan_legs(from_name: str, a: tuple[float, float], to_name: str, b: tuple[float, float],
              isl_a: int | None = None, isl_b: int | None = None) -> list[PlannedLeg]:
    """Legs of the fastest route from point ``a`` to ``b`` (lat, lng)."""
    lm, model = _model()
    if isl_a is None or isl_b is None:
        isl_a, isl_b = (int(x) for x in lm.assign([a[0], b[0]], [a[1], b[1]]))
    if isl_a == isl_b:
        h = float(model.road_hours(a[0], a[1], b[0], b[1], isl_a))
        return [PlannedLeg("road", from_name, a[0], a[1], to_name, b[0], b[1], round(h, 3))]
    names = model.route(a[0], a[1], isl_a, b[0], b[1], isl_b)
    ports = _ports(model)
    seq = [ports[n] for n in names[1:-1] if n in ports]
    if not seq:  # unreachable in the model: one sea leg drawn straight, time by local boat
        km = float(geo.travel_assumptions().sea_detour) * float(_haversine(a, b))
        h = km / float(geo.travel_assumptions().local_boat_kmh)
        return [PlannedLeg("sea", from_name, a[0], a[1], to_name, b[0], b[1], round(h, 3),
                           vessel="perahu lokal (asumsi)")]
    legs: list[PlannedLeg] = []
    first = seq[0]
    h = float(model.road_hours(a[0], a[1], first.lat, first.lng, isl_a))
    legs.append(PlannedLeg("road", from_name, a[0], a[1], f"Pelabuhan {first.name}", first.lat, first.lng,
                           round(h, 3), to_port=first.name))
    for p, q in zip(seq, seq[1:], strict=False):
        link = _link(model, p.name, q.name)
        hours = float(model.port_hours(p.name, q.name))
        if link is None and p.island == q.island:
            legs.append(PlannedLeg("road", f"Pelabuhan {p.name}", p.lat, p.lng, f"Pelabuhan {q.name}", q.lat, q.lng,
                                   round(hours, 3), from_port=p.name, to_port=q.name))
        else:
            vessel = f"{link.mode} ({link.label})" if link is not None else "perahu lokal (asumsi)"
            legs.append(PlannedLeg("sea", f"Pelabuhan {p.name}", p.lat, p.lng, f"Pelabuhan {q.name}", q.lat, q.lng,
                                   round(hours, 3), from_port=p.name, to_port=q.name,
                                   sea_link=link.label if link is not None else "", vessel=vessel))
    last = seq[-1]
    h = float(model.road_hours(last.lat, last.lng, b[0], b[1], isl_b))
    legs.append(PlannedLeg("road", f"Pelabuhan {last.name}", last.lat, last.lng, to_name, b[0], b[1], round(h, 3),
                           from_port=last.name))
    return legs


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    from sinergi.engine.deployment.travel import haversine_km

    return float(haversine_km(a[0], a[1], b[0], b[1]))


def total_hours(legs: list[PlannedLeg]) -> float:
    return sum(leg.hours for leg in legs)
