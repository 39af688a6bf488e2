"""Geography for the planner from shipped data files: land masses, ports, sea links, travel model.

No ORM here, so the engine tests can build the real NTT travel model without a database. Land masses are
the connected parts of the union of kecamatan polygons (see :mod:`sinergi.engine.deployment.islands`);
ports are DepHub's NTT ports (special terminals excluded) plus ``sinergi/data/deployment/ports_extra.csv``;
sea links are ``sinergi/data/deployment/sea_links.csv`` (from the indicative sea-route table, assumptions
labelled). Everything is cached per process.
"""

from __future__ import annotations

import csv
import gzip
import json
from functools import lru_cache
from pathlib import Path

import shapely
import yaml
from shapely.geometry import shape

from sinergi.engine.deployment.islands import LandMasses, land_masses
from sinergi.engine.deployment.patterns import Pattern
from sinergi.engine.deployment.travel import Port, SeaLink, TravelAssumptions, TravelModel, landing_points_for

DATA = Path(__file__).resolve().parent.parent / "data"
DEPLOY = DATA / "deployment"
NTT = DATA / "ntt"


def _read_csv(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def assumptions() -> dict:
    return yaml.safe_load((DEPLOY / "travel_assumptions.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def placeholder_config() -> dict:
    return yaml.safe_load((DEPLOY / "placeholder_tiers.yaml").read_text(encoding="utf-8"))


def anchors() -> list[tuple[str, float, float]]:
    return [(r["name"], float(r["lat"]), float(r["lng"])) for r in _read_csv(DEPLOY / "land_mass_anchors.csv")]


@lru_cache(maxsize=4)
def ntt_land_masses() -> LandMasses:
    data = json.loads((NTT / "ntt_kecamatan_boundaries_cahyadsn_valid.geojson").read_text(encoding="utf-8"))
    geoms = [shape(f["geometry"]) for f in data["features"]]
    return land_masses(geoms, anchors=anchors())


def land_masses_from_geojson(texts: list[str]) -> LandMasses:
    geoms = [shapely.from_geojson(t) for t in texts if t]
    return land_masses(geoms, anchors=anchors())


def ports(lm: LandMasses) -> list[Port]:
    data = json.loads((NTT / "ntt_ports_dephub_zackad.geojson").read_text(encoding="utf-8"))
    rows: list[tuple[str, float, float]] = []
    for f in data["features"]:
        if f["properties"].get("category") == "Terminal Khusus":
            continue
        lng, lat = f["geometry"]["coordinates"][:2]
        rows.append((f["properties"]["name"], float(lat), float(lng)))
    for r in _read_csv(DEPLOY / "ports_extra.csv"):
        rows.append((r["name"], float(r["lat"]), float(r["lng"])))
    labels = lm.assign([r[1] for r in rows], [r[2] for r in rows])
    return [Port(name, lat, lng, int(label)) for (name, lat, lng), label in zip(rows, labels, strict=True)]


def sea_links() -> list[SeaLink]:
    return [
        SeaLink(r["a"], r["b"], float(r["hours"]), r["mode"], r["label"], assumed=r["assumed"] == "1",
                departures_per_week=float(r["departures_per_week"]) if r.get("departures_per_week") else None)
        for r in _read_csv(DEPLOY / "sea_links.csv")
    ]


def travel_assumptions(wait_factor: float = 0.0) -> TravelAssumptions:
    a = assumptions()
    return TravelAssumptions(detour=float(a["detour"]), speed_kmh=float(a["default_speed_kmh"]),
                             port_access_h=float(a["port_access_h"]), local_boat_kmh=float(a["local_boat_kmh"]),
                             sea_detour=float(a["sea_detour"]), wait_factor=float(wait_factor))


def default_wait_factor() -> float:
    """Expected wait for a scheduled departure as a share of the headway (travel_assumptions.yaml)."""
    return float(assumptions().get("schedule_wait_factor", 0.0))


def travel_model(lm: LandMasses, *, cancelled: frozenset[str] = frozenset(), wait_factor: float = 0.0) -> TravelModel:
    """The road + sea model over the land masses ``lm`` (cached per land-mass set, cancellations and wait
    factor). ``wait_factor`` 0 ignores sailing schedules (crossing + port access only); 0.5 adds the expected
    wait for a departure (half the headway, see ``TravelModel.wait_hours``)."""
    key = (id(lm), cancelled, float(wait_factor))
    if key not in _MODELS:
        ta = travel_assumptions(wait_factor)
        ps = ports(lm)
        landing, local = landing_points_for(lm.representative_points(), ps, ta)
        speeds = assumptions().get("speed_kmh", {})
        land_speed = {i: float(speeds[name]) for i, name in enumerate(lm.names) if name in speeds}
        _MODELS[key] = TravelModel(ports=ps, links=[*sea_links(), *local], land_speed_kmh=land_speed,
                                   assumptions=ta, landing_points=landing, cancelled=cancelled)
    return _MODELS[key]


_MODELS: dict[tuple[int, frozenset[str], float], TravelModel] = {}


def default_patterns() -> dict[tuple[str, str], tuple[Pattern, str]]:
    """(scope, tier) -> (pattern, source) from patterns.csv; scope is "default" or a regency code."""
    out: dict[tuple[str, str], tuple[Pattern, str]] = {}
    for r in _read_csv(DEPLOY / "patterns.csv"):
        out[(r["scope"], r["tier"])] = (
            Pattern(int(r["officers"]), int(r["tps"]), int(r["linmas"]), r["pairs"] == "1"), r["source"])
    return out
