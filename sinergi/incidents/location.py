"""Resolving where a report happened: TPS code, region code, coordinates, desa/kecamatan name, free text.

A place that cannot be resolved with confidence is flagged for triage (`unresolved`), never guessed silently;
fuzzy name matches are marked `approximate` with the method and score kept on the report.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from sinergi.elections.models import PollingStation
from sinergi.elections.selectors import default_election
from sinergi.engine.incidents import Place, match_place, spelling_key
from sinergi.regions.models import Region, RegionLevel

from .choices import LocationStatus

TPS_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}-\d{3}$")


@dataclass
class Resolved:
    status: str = LocationStatus.UNRESOLVED
    method: str = ""
    region: Region | None = None
    tps: PollingStation | None = None
    lat: float | None = None
    lng: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def place_code(self) -> str:
        if self.tps is not None:
            return self.tps.code
        return self.region.code if self.region is not None else ""


def valid_coordinates(lat, lng) -> bool:
    return lat is not None and lng is not None and -90 <= lat <= 90 and -180 <= lng <= 180


def tps_lookup(code: str) -> PollingStation | None:
    if not code:
        return None
    qs = PollingStation.objects.filter(code=code).select_related("village")
    election = default_election()
    if election is not None:
        tps = qs.filter(election=election).first()
        if tps is not None:
            return tps
    # Other provinces have elections of their own (pilkada-2024-<CODE>, docs/provinces.md): the latest one of the
    # TPS's province.
    return qs.filter(election__province_id=code[:2]).order_by("-election__voting_date", "-election_id").first()


@lru_cache(maxsize=4)
def _places(version: int) -> tuple[dict[str, list[Place]], list[Place]]:
    """Villages and districts of the provinces that have TPS, indexed by spelling key (cached per version)."""
    provinces = sorted({c[:2] for c in PollingStation.objects.values_list("regency_code", flat=True).distinct()})
    qs = Region.objects.filter(level__in=[RegionLevel.VILLAGE, RegionLevel.DISTRICT])
    if provinces:
        qs = qs.filter(province_code__in=provinces)
    places = [Place(code=c, name=n, level=lv) for c, n, lv in qs.values_list("code", "name", "level")]
    index: dict[str, list[Place]] = {}
    for p in places:
        index.setdefault(spelling_key(p.name), []).append(p)
    return index, places


def _places_version() -> int:
    return Region.objects.filter(level=RegionLevel.VILLAGE).count()


def _match_name(text: str) -> tuple[Place | None, str, bool]:
    index, places = _places(_places_version())
    key = spelling_key(text)
    exact = index.get(key, [])
    if len(exact) == 1:
        return exact[0], "name", False
    if len(exact) > 1:
        villages = [p for p in exact if p.level == RegionLevel.VILLAGE]
        return (villages or exact)[0], "name", True
    if len(key) < 4:
        return None, "", False
    near = [p for p in places if spelling_key(p.name)[:2] == key[:2]]
    m = match_place(text, near)
    if m is None:
        return None, "", False
    return m.place, f"fuzzy:{m.score:.2f}", m.ambiguous


@lru_cache(maxsize=2)
def _village_grid(version: int) -> dict[tuple[int, int], list[tuple[float, float, str]]]:
    """Villages with coordinates in 0.1-degree cells (cached per version: the count of villages)."""
    grid: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
    for code, lat, lng in (Region.objects.filter(level=RegionLevel.VILLAGE, lat__isnull=False, lng__isnull=False)
                           .values_list("code", "lat", "lng")):
        grid.setdefault((math.floor(lat * 10), math.floor(lng * 10)), []).append((lat, lng, code))
    return grid


def _version(cache: dict | None) -> int:
    if cache is None:
        return _places_version()
    if "version" not in cache:
        cache["version"] = _places_version()
    return cache["version"]


def _nearest_village_code(lat: float, lng: float, version: int) -> str | None:
    """The nearest village within 0.1, else 0.4, else 1.6 degrees (a box around the point); ties by code.
    In memory (one query per process and version), not one query per report."""
    grid = _village_grid(version)
    d = 0.1
    for _ in range(3):
        best = None
        for i in range(math.floor((lat - d) * 10), math.floor((lat + d) * 10) + 1):
            for j in range(math.floor((lng - d) * 10), math.floor((lng + d) * 10) + 1):
                for vlat, vlng, code in grid.get((i, j), ()):
                    if lat - d <= vlat <= lat + d and lng - d <= vlng <= lng + d:
                        k = ((vlat - lat) ** 2 + (vlng - lng) ** 2, code)
                        if best is None or k < best:
                            best = k
        if best is not None:
            return best[1]
        d *= 4
    return None


def region_by_code(code: str, cache: dict | None = None) -> Region | None:
    """The region of a code; `cache` (a dict kept by the caller, e.g. for one processing batch) saves repeats."""
    if cache is None:
        return Region.objects.filter(code=code).first()
    key = ("region", code)
    if key not in cache:
        cache[key] = Region.objects.filter(code=code).first()
    return cache[key]


def _nearest_village(lat: float, lng: float, cache: dict | None = None) -> Region | None:
    code = _nearest_village_code(lat, lng, _version(cache))
    return region_by_code(code, cache) if code is not None else None


def resolve(*, tps_code: str = "", region_code: str = "", lat=None, lng=None, place_text: str = "",
            tps_number: int | None = None, cache: dict | None = None) -> Resolved:
    r = Resolved()
    if tps_code:
        if cache is None:
            tps = tps_lookup(tps_code)
        else:
            if ("tps", tps_code) not in cache:
                cache[("tps", tps_code)] = tps_lookup(tps_code)
            tps = cache[("tps", tps_code)]
        if tps is not None:
            r.tps, r.region = tps, tps.village
            if tps.lat is not None:
                r.lat, r.lng = tps.lat, tps.lng
            r.status = LocationStatus.APPROXIMATE if tps.location_estimated else LocationStatus.RESOLVED
            r.method = "tps_code"
            if valid_coordinates(lat, lng):
                r.lat, r.lng, r.status = lat, lng, LocationStatus.RESOLVED
            return r
        r.notes.append(f"kode TPS {tps_code} tidak dikenal")
    if region_code:
        region = region_by_code(region_code, cache)
        if region is not None:
            r.region, r.method = region, "region_code"
            r.lat, r.lng = region.lat, region.lng
            r.status = LocationStatus.APPROXIMATE
        else:
            r.notes.append(f"kode wilayah {region_code} tidak dikenal")
    if valid_coordinates(lat, lng):
        r.lat, r.lng = lat, lng
        r.status, r.method = LocationStatus.RESOLVED, (r.method + "+coordinates").lstrip("+")
        if r.region is None:
            r.region = _nearest_village(lat, lng, cache)
        return r
    if r.region is None and place_text:
        place, method, ambiguous = _match_name(place_text)
        if place is not None and not ambiguous:
            r.region = Region.objects.get(code=place.code)
            r.lat, r.lng = r.region.lat, r.region.lng
            r.method = method
            r.status = LocationStatus.APPROXIMATE
        elif place is not None:
            r.notes.append(f"nama tempat '{place_text}' cocok dengan lebih dari satu wilayah")
        else:
            r.notes.append(f"nama tempat '{place_text}' tidak ditemukan")
    if r.region is not None and tps_number and r.tps is None and r.region.level == RegionLevel.VILLAGE:
        election = default_election()
        tps = PollingStation.objects.filter(election=election, village=r.region, number=tps_number).first()
        if tps is not None:
            r.tps, r.method = tps, r.method + "+tps_number"
            if tps.lat is not None:
                r.lat, r.lng = tps.lat, tps.lng
    return r
