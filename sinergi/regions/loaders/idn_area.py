"""Readers for the national code list (npm ``idn-area-data`` 4.0.1, ODbL; see sinergi/data/README.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .common import IDN_AREA, read_csv

PROVINCES = IDN_AREA / "provinces.csv"
REGENCIES = IDN_AREA / "regencies.csv"
DISTRICTS = IDN_AREA / "districts.csv"
VILLAGES = IDN_AREA / "villages.csv.gz"
ISLANDS = IDN_AREA / "islands.csv.gz"
SOURCE_FILES: list[Path] = [PROVINCES, REGENCIES, DISTRICTS, VILLAGES, ISLANDS]


@dataclass(frozen=True)
class AreaRow:
    code: str
    level: str  # province | regency | district | village (RegionLevel values)
    name: str
    parent_code: str | None
    province_code: str


@dataclass(frozen=True)
class IslandRow:
    code: str
    regency_code: str | None
    name: str
    lat: float | None
    lng: float | None
    is_populated: bool
    is_outermost_small: bool


_DMS = re.compile(
    r"""^\s*(\d+)\s*°\s*(\d+)\s*'\s*([\d.]+)\s*"\s*([NS])\s+(\d+)\s*°\s*(\d+)\s*'\s*([\d.]+)\s*"\s*([EW])\s*$"""
)


def parse_dms(text: str) -> tuple[float, float] | None:
    """``03°19'03.44" N 097°07'41.73" E`` -> ``(lat, lng)`` in decimal degrees; None if unparsable.

    >>> parse_dms('03°19\\'03.44" S 097°07\\'41.73" E')
    (-3.317622, 97.128258)
    """
    m = _DMS.match(text or "")
    if not m:
        return None
    d1, m1, s1, ns, d2, m2, s2, ew = m.groups()
    lat = int(d1) + int(m1) / 60 + float(s1) / 3600
    lng = int(d2) + int(m2) / 60 + float(s2) / 3600
    if ns == "S":
        lat = -lat
    if ew == "W":
        lng = -lng
    return round(lat, 6), round(lng, 6)


def read_areas() -> list[AreaRow]:
    """All provinces, regencies, districts and villages, parents before children."""
    rows: list[AreaRow] = []
    for r in read_csv(PROVINCES):
        rows.append(AreaRow(r["code"], "province", r["name"], None, r["code"]))
    for r in read_csv(REGENCIES):
        rows.append(AreaRow(r["code"], "regency", r["name"], r["province_code"], r["province_code"]))
    for r in read_csv(DISTRICTS):
        rows.append(AreaRow(r["code"], "district", r["name"], r["regency_code"], r["code"][:2]))
    for r in read_csv(VILLAGES):
        rows.append(AreaRow(r["code"], "village", r["name"], r["district_code"], r["code"][:2]))
    return rows


def read_islands() -> list[IslandRow]:
    rows: list[IslandRow] = []
    for r in read_csv(ISLANDS):
        point = parse_dms(r["coordinate"])
        rows.append(IslandRow(
            code=r["code"],
            regency_code=r["regency_code"] or None,
            name=r["name"],
            lat=point[0] if point else None,
            lng=point[1] if point else None,
            is_populated=r["is_populated"] == "1",
            is_outermost_small=r["is_outermost_small"] == "1",
        ))
    return rows
