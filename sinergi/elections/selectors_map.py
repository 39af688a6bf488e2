"""TPS reads behind the region browser and the map (moved from regions: regions sit below elections).

The region pages and the map endpoints (sinergi.regions) ask for them through the read providers registered in
`ElectionsConfig.ready` (sinergi.core.providers, ADR 0007): "elections.region_tps", "elections.default_election",
"elections.tps_points", "elections.tps_clusters". Every figure is an aggregate query: no N+1.

TPS and voter totals are for one election (by default Pilkada 2024, else the latest one).
"""

from __future__ import annotations

import math

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr

from sinergi.regions.models import Region, RegionLevel

from .models import Election, PollingStation
from .selectors import default_election, polling_station_list

#: which PollingStation column groups TPS under a child of a region at the given level
_CHILD_KEY = {
    RegionLevel.PROVINCE: "regency_code",
    RegionLevel.REGENCY: "district_code",
    RegionLevel.DISTRICT: "village_id",
}

#: which PollingStation column groups TPS under a region of the given level (the map's boundaries)
_OWN_KEY = {
    RegionLevel.REGENCY: "regency_code",
    RegionLevel.DISTRICT: "district_code",
    RegionLevel.VILLAGE: "village_id",
}


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


class RegionTps:
    """The TPS figures of the election shown, for the region pages and map boundaries of one user.

    A figure is a dict {"n": TPS, "voters_sum": voters, "est": TPS with estimated voters or location} (values may
    be None when nothing matched). The election is read once, on first use.
    """

    def __init__(self, *, user):
        self._user = user
        self._loaded = False
        self._election: Election | None = None

    @property
    def election(self) -> Election | None:
        if not self._loaded:
            self._election = default_election()
            self._loaded = True
        return self._election

    def _qs(self) -> QuerySet[PollingStation]:
        return polling_station_list(user=self._user, election=self.election)

    def by_province(self) -> dict[str, dict]:
        """Figures per province code."""
        return {
            row["prov"]: row
            for row in self._qs().annotate(prov=Substr("regency_code", 1, 2)).values("prov").annotate(**_agg())
        }

    def total(self, region: Region) -> dict:
        """Figures of one region."""
        return self._qs().filter(_tps_filter_for(region)).aggregate(**_agg())

    def by_child(self, region: Region) -> dict[str, dict]:
        """Figures per child of a province, kabupaten or kecamatan (by the child's code)."""
        key = _CHILD_KEY[region.level]
        return {row[key]: row for row in self._qs().filter(_tps_filter_for(region)).values(key).annotate(**_agg())}

    def stations_in(self, village: Region) -> list[PollingStation]:
        """The TPS of one desa, by number."""
        return list(self._qs().filter(village=village).order_by("number"))

    def by_code(self, level: str, codes: list[str]) -> dict[str, dict]:
        """Figures per region code for regions of one level (kabupaten, kecamatan or desa; none for provinces)."""
        key = _OWN_KEY.get(level)
        if key is None:
            return {}
        return {row[key]: row for row in self._qs().filter(**{f"{key}__in": codes}).values(key).annotate(**_agg())}


def region_tps(*, user) -> RegionTps:
    return RegionTps(user=user)


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
