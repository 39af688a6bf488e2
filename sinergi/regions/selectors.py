"""Reads behind the region browser and the map. Every figure is an aggregate query: no N+1.

TPS and voter totals are for one election (by default Pilkada 2024, else the latest one). TPS belong to the elections
app, which sits above regions: the figures come from the read providers it registers (sinergi.core.providers,
ADR 0007: "elections.region_tps", "elections.default_election", "elections.tps_points", "elections.tps_clusters",
in sinergi/elections/selectors_map.py). Without them the pages show regions with no TPS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from sinergi.core.permissions import has_perm
from sinergi.core.providers import provider

from .models import Region, RegionLevel

#: the regions whose children the browser lists (a desa lists its TPS instead)
_HAS_CHILDREN = {RegionLevel.PROVINCE, RegionLevel.REGENCY, RegionLevel.DISTRICT}


@dataclass
class RegionRow:
    """A region with the TPS figures of the election shown."""

    region: Region
    tps: int = 0
    voters: int = 0
    estimated: int = 0

    @property
    def code(self) -> str:
        return self.region.code

    @property
    def name(self) -> str:
        return self.region.name


@dataclass
class RegionPage:
    region: Region | None
    breadcrumb: list[Region]
    totals: RegionRow | None
    children: list[RegionRow] = field(default_factory=list)
    polling_stations: list[Any] = field(default_factory=list)
    election: Any = None


def region_tps(*, user):
    """The TPS figures of the election shown (elections.selectors_map.RegionTps), or None without the elections app."""
    make = provider("elections.region_tps")
    return make(user=user) if make is not None else None


def default_election():
    """The election the browser and map show (elections.selectors.default_election), or None without it."""
    get = provider("elections.default_election")
    return get() if get is not None else None


def province_list(*, user) -> RegionPage:
    """Every province with its TPS figures (one query for regions, one for the figures)."""
    tps = region_tps(user=user)
    election = tps.election if tps is not None else None
    provinces = list(Region.objects.filter(level=RegionLevel.PROVINCE).only("code", "name", "level"))
    stats = tps.by_province() if tps is not None else {}
    rows = [_row(p, stats.get(p.code)) for p in provinces]
    return RegionPage(region=None, breadcrumb=[], totals=None, children=rows, election=election)


def _row(region: Region, stat: dict | None) -> RegionRow:
    if not stat:
        return RegionRow(region=region)
    return RegionRow(region=region, tps=stat["n"] or 0, voters=stat["voters_sum"] or 0, estimated=stat["est"] or 0)


def region_page(*, user, code: str) -> RegionPage | None:
    """One region, its ancestors (breadcrumb), its children with TPS figures, and at desa level its TPS."""
    parts = code.split(".")
    prefixes = [".".join(parts[: i + 1]) for i in range(len(parts))]
    by_code = {
        r.code: r
        for r in Region.objects.filter(code__in=prefixes).only("code", "name", "level", "parent_id", "lat", "lng")
    }
    region = by_code.get(code)
    if region is None:
        return None
    breadcrumb = [by_code[c] for c in prefixes[:-1] if c in by_code]
    tps = region_tps(user=user)
    election = tps.election if tps is not None else None
    totals = _row(region, tps.total(region) if tps is not None else None)
    page = RegionPage(region=region, breadcrumb=breadcrumb, totals=totals, election=election)

    if region.level in _HAS_CHILDREN:
        children = list(region.children.only("code", "name", "level", "parent_id").order_by("code"))
        stats = tps.by_child(region) if tps is not None else {}
        page.children = [_row(c, stats.get(c.code)) for c in children]
    else:
        page.polling_stations = tps.stations_in(region) if tps is not None else []
    return page


# --- map ---------------------------------------------------------------------------------------

def _geometry(text: str):
    """geometry_web (or geometry) text as a GeoJSON geometry object; accepts a Feature too."""
    if not text:
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    return obj if isinstance(obj, dict) and "coordinates" in obj else None


def boundary_features(*, user, parent: str = "", level: str = "",
                      bbox: tuple[float, float, float, float] | None = None) -> dict:
    """A GeoJSON FeatureCollection of region boundaries (simplified geometry) with TPS figures.

    `parent` picks the children of one region; without it `level` (default kabupaten/kota) and, optionally,
    `bbox` (west, south, east, north; matched on the region's centroid) pick the regions.
    """
    if not has_perm(user, "map.view"):
        return {"type": "FeatureCollection", "features": []}
    qs = Region.objects.exclude(geometry_web="", geometry="")
    if parent:
        qs = qs.filter(parent_id=parent)
    else:
        qs = qs.filter(level=level or RegionLevel.REGENCY)
    if bbox is not None:
        west, south, east, north = bbox
        qs = qs.filter(lng__gte=west, lng__lte=east, lat__gte=south, lat__lte=north)
    regions = list(qs.only("code", "name", "level", "geometry_web", "geometry").order_by("code")[:2000])
    features = []
    if regions:
        tps = region_tps(user=user)
        stats = tps.by_code(regions[0].level, [r.code for r in regions]) if tps is not None else {}
        for r in regions:
            geom = _geometry(r.geometry_web) or _geometry(r.geometry)
            if geom is None:
                continue
            s = stats.get(r.code) or {}
            features.append({
                "type": "Feature",
                "id": r.code,
                "properties": {"code": r.code, "name": r.name, "level": r.level,
                               "tps": s.get("n") or 0, "voters": s.get("voters_sum") or 0},
                "geometry": geom,
            })
    return {"type": "FeatureCollection", "features": features}


def region_search(*, user, q: str, limit: int = 50) -> list[dict]:
    """Regions whose name contains every typed word (case-insensitive), broadest level first, each with the names
    of the regions above it ("Amarasi, Kabupaten Kupang, Nusa Tenggara Timur"); 2+ characters, at most `limit`."""
    from functools import reduce
    from operator import and_

    words = [w for w in (q or "").split() if len(w) >= 2][:5]
    if not words or not has_perm(user, "region.view"):
        return []
    order = {RegionLevel.PROVINCE: 0, RegionLevel.REGENCY: 1, RegionLevel.DISTRICT: 2, RegionLevel.VILLAGE: 3}
    found = list(Region.objects.filter(reduce(and_, [Q(name__icontains=w) for w in words]))
                 .only("code", "name", "level")[: limit * 4])
    found.sort(key=lambda r: (order.get(r.level, 9), r.name, r.code))
    found = found[:limit]
    parents = {p for r in found for p in _ancestor_codes(r.code)}
    names = dict(Region.objects.filter(code__in=parents).values_list("code", "name"))
    return [{"region": r, "level": r.get_level_display(),
             "within": ", ".join(names[c] for c in reversed(_ancestor_codes(r.code)) if c in names)}
            for r in found]


def _ancestor_codes(code: str) -> list[str]:
    """'53.01.04.2003' -> ['53', '53.01', '53.01.04'] (the regions above a code)."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]
