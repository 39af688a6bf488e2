"""Agencies, units and estimated strengths of the NTT default dataset.

Units come from ``sinergi/data/ntt/units_ntt.csv`` (Polda, Brimob, 22 Polres, KPU, Bawaslu, Korem and
Kodim, Pemda/Satpol PP, BPBD, Kejati). One Polsek per kecamatan (315) is generated from the district
table under the Polres of its regency. Strengths are province totals reported for voting day (DOMAIN.md)
spread in proportion to TPS counts, and flagged estimated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sinergi.engine.tps_estimate import apportion

from .common import NTT, read_csv
from .idn_area import AreaRow

UNITS_CSV = NTT / "units_ntt.csv"
SOURCE_FILES: list[Path] = [UNITS_CSV]

AGENCIES: dict[str, str] = {
    "POLRI": "Kepolisian Negara Republik Indonesia (Polri)",
    "KPU": "Komisi Pemilihan Umum (KPU)",
    "BAWASLU": "Badan Pengawas Pemilihan Umum (Bawaslu)",
    "TNI": "Tentara Nasional Indonesia (TNI)",
    "PEMDA": "Pemerintah Daerah",
    "BPBD": "Badan Penanggulangan Bencana Daerah (BPBD)",
    "KEJAKSAAN": "Kejaksaan Republik Indonesia",
    "PUBLIC": "Masyarakat",
}

POLDA_CODE = "POLDA-NTT"
BRIMOB_CODE = "BRIMOB-NTT"
POLRES_PREFIX = "POLRES-"
POLSEK_PREFIX = "POLSEK-"
KODIM_PREFIX = "KODIM-"
LINMAS_PREFIX = "SATPOLPP-"

# Voting-day strength in NTT, Pilkada 2024 (Polda NTT via news; see DOMAIN.md).
POLDA_HQ_STRENGTH = 671
POLRES_STRENGTH = 5_477
BRIMOB_STRENGTH = 609
TNI_STRENGTH = 2_628
LINMAS_PER_TPS = 2

SOURCE_POLDA = "PERKIRAAN: kekuatan Polda NTT hari pemungutan suara Pilkada 2024 (Mapolda 671), pemberitaan"
SOURCE_POLRES = ("PERKIRAAN: 5.477 personel Polres se-NTT (Pilkada 2024, pemberitaan) dibagi menurut jumlah TPS "
                 "(sisa terbesar)")
SOURCE_BRIMOB = "PERKIRAAN: 609 personel Brimob BKO ke Polres (Pilkada 2024, pemberitaan)"
SOURCE_TNI = ("PERKIRAAN: 2.628 personel TNI se-NTT (Pilkada 2024, pemberitaan) dibagi menurut jumlah TPS "
              "wilayah Kodim")
SOURCE_LINMAS = "PERKIRAAN: 2 Linmas per TPS (Permendagri 10/2009) x jumlah TPS perkiraan kabupaten/kota"
GENERATED_POLSEK_NOTE = "dibuat otomatis: satu Polsek per kecamatan (perlu diverifikasi)"


@dataclass(frozen=True)
class UnitSpec:
    code: str
    agency: str
    parent_code: str | None
    name: str
    level: str
    jurisdiction: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class StrengthSpec:
    unit_code: str
    personnel_type: str  # PersonnelType values
    count: int
    source: str


def read_units(areas: list[AreaRow], province_code: str = "53") -> list[UnitSpec]:
    """Units of the CSV plus one generated Polsek per kecamatan, parents before children."""
    units = [
        UnitSpec(
            code=r["code"], agency=r["agency"], parent_code=r["parent_code"] or None, name=r["name"],
            level=r["level"], jurisdiction=tuple(c for c in r["jurisdiction"].split(";") if c), note=r["note"],
        )
        for r in read_csv(UNITS_CSV)
    ]
    known = {u.code for u in units}
    for a in areas:
        if a.level != "district" or a.province_code != province_code:
            continue
        parent = f"{POLRES_PREFIX}{a.parent_code}"
        if parent not in known:
            raise ValueError(f"no Polres {parent} for kecamatan {a.code}")
        units.append(UnitSpec(
            code=f"{POLSEK_PREFIX}{a.code}", agency="POLRI", parent_code=parent, name=f"Polsek {a.name}",
            level="district", jurisdiction=(a.code,), note=GENERATED_POLSEK_NOTE,
        ))
    return order_units(units)


def order_units(units: list[UnitSpec]) -> list[UnitSpec]:
    """Parents before children (stable within a depth); raises on unknown parents or cycles."""
    by_code = {u.code: u for u in units}
    depth: dict[str, int] = {}

    def depth_of(code: str, seen: frozenset[str] = frozenset()) -> int:
        if code in depth:
            return depth[code]
        if code in seen:
            raise ValueError(f"unit cycle at {code}")
        unit = by_code[code]
        if unit.parent_code is None:
            d = 0
        elif unit.parent_code not in by_code:
            raise ValueError(f"unit {code}: unknown parent {unit.parent_code}")
        else:
            d = depth_of(unit.parent_code, seen | {code}) + 1
        depth[code] = d
        return d

    return sorted(units, key=lambda u: depth_of(u.code))


def build_strengths(units: list[UnitSpec], tps_per_regency: Counter[str]) -> list[StrengthSpec]:
    """Estimated strengths: Polda HQ, Polres by TPS, Brimob, TNI by Kodim TPS, Linmas 2 per TPS."""
    out = [
        StrengthSpec(POLDA_CODE, "polri", POLDA_HQ_STRENGTH, SOURCE_POLDA),
        StrengthSpec(BRIMOB_CODE, "brimob", BRIMOB_STRENGTH, SOURCE_BRIMOB),
    ]

    def tps_of(unit: UnitSpec) -> int:
        return sum(tps_per_regency.get(code, 0) for code in unit.jurisdiction)

    polres = [u for u in units if u.code.startswith(POLRES_PREFIX)]
    for unit, n in zip(polres, apportion(POLRES_STRENGTH, [tps_of(u) for u in polres]), strict=True):
        out.append(StrengthSpec(unit.code, "polri", n, SOURCE_POLRES))
    kodim = [u for u in units if u.code.startswith(KODIM_PREFIX)]
    for unit, n in zip(kodim, apportion(TNI_STRENGTH, [tps_of(u) for u in kodim]), strict=True):
        out.append(StrengthSpec(unit.code, "tni", n, SOURCE_TNI))
    for unit in units:
        if unit.code.startswith(LINMAS_PREFIX) and unit.level == "regency":
            out.append(StrengthSpec(unit.code, "linmas", LINMAS_PER_TPS * tps_of(unit), SOURCE_LINMAS))
    return out
