"""Reads behind the region browser and the map. Every figure is an aggregate query: no N+1.

TPS and voter totals are for one election (by default Pilkada 2024, else the latest one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr

from sinergi.core.permissions import has_perm
from sinergi.elections.models import Election, PollingStation

from .models import Region, RegionLevel

DEFAULT_ELECTION_CODE = "pilkada-2024"

#: which PollingStation column groups TPS under a child of a region at the given level
_CHILD_KEY = {
    RegionLevel.PROVINCE: "regency_code",
    RegionLevel.REGENCY: "district_code",
    RegionLevel.DISTRICT: "village_id",
}


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
    polling_stations: list[PollingStation] = field(default_factory=list)
    election: Election | None = None


def default_election() -> Election | None:
    """The election the browser and map show: Pilkada 2024 when loaded, else the latest one."""
    return Election.objects.filter(code=DEFAULT_ELECTION_CODE).first() or Election.objects.first()


def polling_station_list(*, user, election: Election | None) -> QuerySet[PollingStation]:
    if election is None or not has_perm(user, "tps.view"):
        return PollingStation.objects.none()
    return PollingStation.objects.filter(election=election)


def _tps_filter_for(region: Region) -> Q:
    if region.level == RegionLevel.PROVINCE:
        return Q(regency_code__startswith=region.code + ".")
    if region.level == RegionLevel.REGENCY:
        return Q(regency_code=region.code)
    if region.level == RegionLevel.DISTRICT:
        return Q(district_code=region.code)
    return Q(village_id=region.code)


def _agg() -> dict:
    return {
        "n": Count("id"),
        "voters_sum": Sum("voters"),
        "est": Count("id", filter=Q(voters_estimated=True) | Q(location_estimated=True)),
    }


def province_list(*, user) -> RegionPage:
    """Every province with its TPS figures (one query for regions, one for the figures)."""
    election = default_election()
    provinces = list(Region.objects.filter(level=RegionLevel.PROVINCE).only("code", "name", "level"))
    stats = {
        row["prov"]: row
        for row in polling_station_list(user=user, election=election)
        .annotate(prov=Substr("regency_code", 1, 2))
        .values("prov")
        .annotate(**_agg())
    }
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
    election = default_election()
    tps = polling_station_list(user=user, election=election)
    totals = _row(region, tps.filter(_tps_filter_for(region)).aggregate(**_agg()))
    page = RegionPage(region=region, breadcrumb=breadcrumb, totals=totals, election=election)

    key = _CHILD_KEY.get(region.level)
    if key is not None:
        children = list(region.children.only("code", "name", "level", "parent_id").order_by("code"))
        stats = {
            row[key]: row
            for row in tps.filter(_tps_filter_for(region)).values(key).annotate(**_agg())
        }
        page.children = [_row(c, stats.get(c.code)) for c in children]
    else:
        page.polling_stations = list(tps.filter(village=region).order_by("number"))
    return page


def polling_station_get(*, user, pk: int) -> PollingStation | None:
    """One TPS with its desa, kecamatan and kabupaten names (two queries)."""
    if not has_perm(user, "tps.view"):
        return None
    tps = PollingStation.objects.select_related("village", "election").filter(pk=pk).first()
    if tps is None:
        return None
    names = dict(
        Region.objects.filter(code__in=[tps.district_code, tps.regency_code]).values_list("code", "name")
    )
    tps.district_name = names.get(tps.district_code, "")
    tps.regency_name = names.get(tps.regency_code, "")
    return tps


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
        level_of = regions[0].level
        key = _CHILD_KEY.get(
            {RegionLevel.REGENCY: RegionLevel.PROVINCE, RegionLevel.DISTRICT: RegionLevel.REGENCY,
             RegionLevel.VILLAGE: RegionLevel.DISTRICT}.get(level_of, ""), None)
        stats: dict = {}
        if key is not None:
            codes = [r.code for r in regions]
            stats = {
                row[key]: row
                for row in polling_station_list(user=user, election=default_election())
                .filter(**{f"{key}__in": codes})
                .values(key)
                .annotate(**_agg())
            }
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


def tps_points(*, user, election: Election | None = None) -> list[list]:
    """Compact TPS points for the map: [id, lat, lng, voters, estimated] with estimated 0/1.

    `estimated` is 1 when the point's location is estimated (not surveyed or listed by KPU).
    """
    election = election or default_election()
    rows = (
        polling_station_list(user=user, election=election)
        .filter(lat__isnull=False, lng__isnull=False)
        .order_by("id")
        .values_list("id", "lat", "lng", "voters", "location_estimated")
    )
    return [[pk, round(lat, 5), round(lng, 5), voters, 1 if est else 0] for pk, lat, lng, voters, est in rows]


def tps_clusters(*, user, zoom: int, election: Election | None = None, cell_px: int = 60) -> dict:
    """TPS points pre-clustered for one map zoom (issue 16): the points within `cell_px` screen pixels (Web
    Mercator, 256 px tiles) of a cluster's first point become one cluster [lat, lng, count, 0, n_estimated] at
    their mean position; a point alone stays a point [lat, lng, 1, id, estimated]. The browser draws a few hundred items instead of
    clustering every TPS itself (no long main-thread task)."""
    import math

    points = tps_points(user=user, election=election)
    scale = 256 * 2 ** max(0, min(int(zoom), 20))
    r = float(cell_px)
    # greedy, like Leaflet.markercluster: a point joins the first cluster whose seed lies within `cell_px` pixels
    # (looked up in the 3x3 grid cells around it), else seeds a new one
    grid: dict[tuple[int, int], list] = {}
    clusters: list[tuple[float, float, list]] = []
    for p in points:
        s = math.sin(math.radians(max(-85.0, min(85.0, p[1]))))
        x = (p[2] + 180) / 360 * scale
        y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
        gx, gy = int(x // r), int(y // r)
        home = None
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for c in grid.get((gx + dx, gy + dy), ()):
                    if (c[0] - x) ** 2 + (c[1] - y) ** 2 <= r * r:
                        home = c
                        break
                if home:
                    break
            if home:
                break
        if home is None:
            home = (x, y, [])
            clusters.append(home)
            grid.setdefault((gx, gy), []).append(home)
        home[2].append(p)
    cells = {i: c[2] for i, c in enumerate(clusters)}
    items = []
    for group in cells.values():
        if len(group) == 1:
            p = group[0]
            items.append([p[1], p[2], 1, p[0], p[4]])
        else:
            n = len(group)
            items.append([round(sum(p[1] for p in group) / n, 5), round(sum(p[2] for p in group) / n, 5), n, 0,
                          sum(p[4] for p in group)])
    return {"zoom": int(zoom), "total": len(points), "estimated": sum(p[4] for p in points), "items": items}


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
