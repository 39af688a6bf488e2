"""Readers and builders for the NTT (province 53) part of the default dataset.

* Boundaries (cahyadsn/wilayah_boundaries, MIT): the published geometry is kept as GeoJSON text and a
  simplified copy is made for the web map (shapely ``simplify(preserve_topology=True)``, coordinates
  rounded to 5 decimals, about 1 m).
* Centroids from ``ntt_kabkota_kecamatan_points.csv`` and ``ntt_desa_points.csv``.
* The election, its stage calendar and its 23 contests from the ``pilkada2024_*.csv`` files here.
* The ESTIMATED Pilkada 2024 TPS list (:func:`estimate_tps`). No public per-TPS list with voters or
  coordinates exists for NTT, so:

  1. the real TPS count per kecamatan (KPU Sirekap, 9,877 in total) is spread over the kecamatan's desa
     in proportion to their Pemilu 2024 TPS counts (KawalPemilu), every desa keeping at least one TPS
     where the count allows (:func:`sinergi.engine.tps_estimate.spread_tps_over_desa`);
  2. the province DPT (3,988,372, KPU NTT via news) is spread over all TPS with 1..600 voters each,
     weighted by the desa's Pemilu TPS count (a proxy for its voters) divided over its Pilkada TPS
     (:func:`~sinergi.engine.tps_estimate.spread_voters`);
  3. each TPS gets a point inside its desa polygon (seeded by the desa code, so the list is identical
     on every run), or, for the 90 desa without a polygon, near the kecamatan centroid inside the
     kecamatan polygon (``location_source=estimated_kecamatan``).

  The 16 special-location TPS (lokasi khusus) are not placed separately: no data says where they are,
  so they are counted as ordinary TPS inside their kecamatan totals.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from sinergi.engine.tps_estimate import (
    sample_points_in_polygon,
    sample_points_near,
    spread_tps_over_desa,
    spread_voters,
    stable_seed,
)

from .common import NTT, open_text, read_csv
from .idn_area import AreaRow

PROVINCE_CODE = "53"
KAB_GEOJSON = NTT / "ntt_kabkota_boundaries_cahyadsn_valid.geojson"
KEC_GEOJSON = NTT / "ntt_kecamatan_boundaries_cahyadsn_valid.geojson"
DESA_GEOJSON = NTT / "ntt_desa_boundaries_cahyadsn_valid.geojson.gz"
KAB_KEC_POINTS = NTT / "ntt_kabkota_kecamatan_points.csv"
DESA_POINTS = NTT / "ntt_desa_points.csv"
PEMILU_TPS_DESA = NTT / "ntt_tps_per_desa_pemilu2024_kawalpemilu.csv"
PILKADA_TPS_KEC = NTT / "ntt_tps_per_kecamatan_pilkada2024_sirekap.csv"
AGGREGATES = NTT / "ntt_election_aggregates_news.csv"
ELECTION_CSV = NTT / "pilkada2024_election.csv"
STAGES_CSV = NTT / "pilkada2024_stages.csv"
CONTESTS_CSV = NTT / "pilkada2024_contests.csv"
SOURCE_FILES: list[Path] = [
    KAB_GEOJSON, KEC_GEOJSON, DESA_GEOJSON, KAB_KEC_POINTS, DESA_POINTS, PEMILU_TPS_DESA, PILKADA_TPS_KEC,
    AGGREGATES, ELECTION_CSV, STAGES_CSV, CONTESTS_CSV,
]

# Simplification tolerance (degrees) of the web copy per level: ~220 m, ~110 m, ~55 m.
WEB_TOLERANCE = {"regency": 0.002, "district": 0.001, "village": 0.0005, "province": 0.002}
WEB_DECIMALS = 5
# TPS points keep ~30 m from the desa boundary where the desa is wide enough.
TPS_INSET_DEG = 0.0003
# Jitter radius around the kecamatan centroid for desa without a polygon (~1.1 km).
KECAMATAN_JITTER_DEG = 0.01

_TPS_SOURCE_HEAD = (
    "PERKIRAAN: TPS per kecamatan dari KPU Sirekap (Pilkada 2024), dibagi ke desa menurut TPS Pemilu 2024 "
    "(KawalPemilu); pemilih dari DPT 3.988.372 (maks. 600/TPS); "
)
TPS_SOURCE_DESA = _TPS_SOURCE_HEAD + "titik acak di dalam poligon desa. 16 TPS lokasi khusus tidak ditempatkan."
TPS_SOURCE_KECAMATAN = _TPS_SOURCE_HEAD + (
    "desa tanpa poligon: titik dekat pusat kecamatan. 16 TPS lokasi khusus tidak ditempatkan."
)


@dataclass(frozen=True)
class Boundary:
    code: str
    level: str
    geometry: str  # GeoJSON geometry as published
    geometry_web: str  # simplified for maps
    shape: BaseGeometry


@dataclass(frozen=True)
class Centroid:
    lat: float
    lng: float
    source: str


@dataclass(frozen=True)
class TpsEstimate:
    code: str
    village_code: str
    district_code: str
    regency_code: str
    number: int
    voters: int
    lat: float
    lng: float
    location_source: str  # "estimated_desa" | "estimated_kecamatan"
    source: str


@dataclass(frozen=True)
class ElectionSpec:
    code: str
    name: str
    voting_date: date
    province_code: str
    voters_total: int
    tps_total: int
    voters_source: str


@dataclass(frozen=True)
class StageSpec:
    code: str
    order: int
    name: str
    name_en: str
    start_date: date
    end_date: date


@dataclass(frozen=True)
class ContestSpec:
    region_code: str
    kind: str
    candidate_pair_count: int
    source: str


# --- geometry ---------------------------------------------------------------------------------------


def _polygon(rings: list[Any]) -> shapely.Polygon:
    return shapely.Polygon(rings[0], rings[1:])


def _shape(geometry: dict[str, Any]) -> BaseGeometry:
    """GeoJSON Polygon/MultiPolygon dict -> shapely (faster than shapely.from_geojson for this data)."""
    if geometry["type"] == "Polygon":
        return _polygon(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return shapely.MultiPolygon([_polygon(p) for p in geometry["coordinates"]])
    raise ValueError(f"unsupported geometry type {geometry['type']}")


def web_geometry(shapes: list[BaseGeometry], tolerance: float) -> list[str]:
    """Simplified GeoJSON text (topology preserved, coordinates rounded to 5 decimals) for each shape."""
    arr = np.array(shapes, dtype=object)
    simple = shapely.simplify(arr, tolerance, preserve_topology=True)
    rounded = shapely.transform(simple, lambda c: np.round(c, WEB_DECIMALS))
    return [str(t) for t in shapely.to_geojson(rounded)]


def _features_with_geometry_text(text: str) -> list[tuple[dict[str, Any], str]]:
    """Each feature of a FeatureCollection with the exact published text of its geometry.

    Decoding feature by feature with ``raw_decode`` gives each feature's span in the file; ``geometry`` is the
    last member of every feature here, so its text is the span after ``"geometry":`` minus the closing
    brace. This keeps the geometry byte-for-byte as published and avoids re-serialising 17 MB of JSON.
    """
    decoder = json.JSONDecoder()
    start = text.index("[", text.index('"features"')) + 1
    out: list[tuple[dict[str, Any], str]] = []
    pos = start
    n = len(text)
    while pos < n:
        while text[pos] in " \t\r\n,":
            pos += 1
        if text[pos] == "]":
            break
        feature, end = decoder.raw_decode(text, pos)
        if list(feature)[-1] != "geometry":
            geometry_text = json.dumps(feature["geometry"], separators=(",", ":"))
        else:
            span = text[pos:end]
            key = span.rindex('"geometry"')
            geometry_text = span[span.index(":", key) + 1 : span.rindex("}")].strip()
        out.append((feature, geometry_text))
        pos = end
    return out


def read_boundaries(path: Path, level: str) -> dict[str, Boundary]:
    with open_text(path) as fh:
        raw = fh.read()
    codes: list[str] = []
    texts: list[str] = []
    shapes: list[BaseGeometry] = []
    for feature, geometry_text in _features_with_geometry_text(raw):
        codes.append(feature["properties"]["kode"])
        texts.append(geometry_text)
        shapes.append(_shape(feature["geometry"]))
    webs = web_geometry(shapes, WEB_TOLERANCE[level])
    return {c: Boundary(c, level, t, w, s) for c, t, w, s in zip(codes, texts, webs, shapes, strict=True)}


def province_boundary(regencies: dict[str, Boundary]) -> Boundary:
    """Province 53 outline derived as the union of its kab/kota polygons."""
    union = shapely.union_all([b.shape for b in regencies.values()])
    union = shapely.make_valid(union)
    text = str(shapely.to_geojson(union))
    web = web_geometry([union], WEB_TOLERANCE["province"])[0]
    return Boundary(PROVINCE_CODE, "province", text, web, union)


def read_centroids() -> dict[str, Centroid]:
    out: dict[str, Centroid] = {}
    for r in read_csv(KAB_KEC_POINTS):
        out[r["kode"]] = Centroid(float(r["lat"]), float(r["lng"]), r["coord_source"])
    for r in read_csv(DESA_POINTS):
        out[r["kode"]] = Centroid(float(r["lat"]), float(r["lng"]), r["coord_source"])
    return out


@dataclass
class NttGeo:
    boundaries: dict[str, Boundary]  # every level, keyed by code
    centroids: dict[str, Centroid]


def read_geo() -> NttGeo:
    kab = read_boundaries(KAB_GEOJSON, "regency")
    kec = read_boundaries(KEC_GEOJSON, "district")
    desa = read_boundaries(DESA_GEOJSON, "village")
    prov = province_boundary(kab)
    boundaries = {PROVINCE_CODE: prov, **kab, **kec, **desa}
    centroids = read_centroids()
    c = prov.shape.centroid
    centroids[PROVINCE_CODE] = Centroid(round(c.y, 6), round(c.x, 6), "derived_union_kabkota_polygons")
    return NttGeo(boundaries=boundaries, centroids=centroids)


# --- election ---------------------------------------------------------------------------------------


def read_election() -> ElectionSpec:
    spec = next(read_csv(ELECTION_CSV))
    for r in read_csv(AGGREGATES):
        if (r["election"], r["stage"], r["kode"]) == (spec["dpt_election"], spec["dpt_stage"], spec["dpt_region_code"]):
            source = f"KPU NTT, DPT {r['source_date']}: {r['source_url']} (ntt_election_aggregates_news.csv)"
            return ElectionSpec(
                code=spec["code"], name=spec["name"], voting_date=date.fromisoformat(spec["voting_date"]),
                province_code=spec["province_code"], voters_total=int(r["pemilih"]), tps_total=int(r["tps"]),
                voters_source=source[:255],
            )
    raise ValueError("DPT row for the election not found in ntt_election_aggregates_news.csv")


def read_stages() -> list[StageSpec]:
    return [
        StageSpec(r["code"], int(r["order"]), r["name"], r["name_en"], date.fromisoformat(r["start_date"]),
                  date.fromisoformat(r["end_date"]))
        for r in read_csv(STAGES_CSV)
    ]


def read_contests() -> list[ContestSpec]:
    return [
        ContestSpec(r["region_code"], r["kind"], int(r["candidate_pair_count"]), r["source"])
        for r in read_csv(CONTESTS_CSV)
    ]


# --- TPS estimate -----------------------------------------------------------------------------------


def read_pilkada_tps_per_kecamatan() -> dict[str, int]:
    return {r["kode_kemendagri"]: int(r["jumlah_tps"]) for r in read_csv(PILKADA_TPS_KEC)}


def read_pemilu_tps_per_desa() -> dict[str, int]:
    return {r["kode_kemendagri"]: int(r["jumlah_tps"]) for r in read_csv(PEMILU_TPS_DESA)}


def estimate_tps(areas: list[AreaRow], geo: NttGeo, voters_total: int) -> list[TpsEstimate]:
    """The estimated Pilkada 2024 TPS list of NTT (see the module docstring). Deterministic.

    ``areas`` is the national code list (only province 53 is used): it fixes which desa belong to
    which kecamatan. Returns TPS ordered by code (desa code, then number 1..n).
    """
    per_kecamatan = read_pilkada_tps_per_kecamatan()
    pemilu = read_pemilu_tps_per_desa()
    desa_of: dict[str, list[str]] = defaultdict(list)
    for a in areas:
        if a.level == "village" and a.province_code == PROVINCE_CODE:
            desa_of[a.parent_code or ""].append(a.code)
    missing = set(per_kecamatan) - set(desa_of)
    if missing:
        raise ValueError(f"kecamatan in the Sirekap file without desa: {sorted(missing)[:5]}")

    # 1. TPS per desa.
    tps_per_desa: dict[str, int] = {}
    for kec in sorted(per_kecamatan):
        desa = sorted(desa_of[kec])
        counts = spread_tps_over_desa(per_kecamatan[kec], [pemilu.get(d, 1) for d in desa])
        tps_per_desa.update(zip(desa, counts, strict=True))

    # 2. Voters per TPS: the desa's Pemilu TPS count (voter proxy) divided over its Pilkada TPS.
    slots: list[tuple[str, int]] = []
    weights: list[float] = []
    for d in sorted(tps_per_desa):
        n = tps_per_desa[d]
        for number in range(1, n + 1):
            slots.append((d, number))
            weights.append(pemilu.get(d, 1) / n)
    voters = spread_voters(voters_total, weights)

    # 3. Points.
    points: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for d, n in tps_per_desa.items():
        if n == 0:
            continue
        seed = stable_seed(d)
        desa_boundary = geo.boundaries.get(d)
        if desa_boundary is not None:
            points[d] = sample_points_in_polygon(desa_boundary.shape, n, seed, inset=TPS_INSET_DEG)
            kinds[d] = "estimated_desa"
        else:
            kec = d.rsplit(".", 1)[0]
            centre = geo.centroids[kec]
            kec_boundary = geo.boundaries.get(kec)
            points[d] = sample_points_near(
                (centre.lng, centre.lat), n, seed, radius=KECAMATAN_JITTER_DEG,
                within=kec_boundary.shape if kec_boundary else None,
            )
            kinds[d] = "estimated_kecamatan"

    out: list[TpsEstimate] = []
    for (d, number), v in zip(slots, voters, strict=True):
        lng, lat = points[d][number - 1]
        kind = kinds[d]
        out.append(TpsEstimate(
            code=f"{d}-{number:03d}", village_code=d, district_code=d.rsplit(".", 1)[0], regency_code=d[:5],
            number=number, voters=v, lat=float(lat), lng=float(lng), location_source=kind,
            source=TPS_SOURCE_DESA if kind == "estimated_desa" else TPS_SOURCE_KECAMATAN,
        ))
    return out
