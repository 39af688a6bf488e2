"""Builders for any other province (``sinergi load-dataset --province CODE``) and the national mode.

What ships for every province is the national code list (regions, islands). Only NTT ships boundaries,
centroids, TPS counts, contests with candidate counts, Korem/Kodim and strengths; for the others this module
GENERATES, from the code list alone and marked as such (docs/provinces.md):

* units: Polda (under Mabes Polri in the national mode) with its Sat Brimob, one Polres per kabupaten/kota,
  one Polsek per kecamatan; KPU and Bawaslu (province + per kabupaten/kota), Pemprov with Satpol PP (province +
  per kabupaten/kota), BPBD and Kejati. No TNI units: no Korem/Kodim data ships for other provinces;
* the Pilkada 2024 election of the province (code ``pilkada-2024-<CODE>``) with the national PKPU 2/2024 stage
  calendar and its contests: a governor (not in DI Yogyakarta, whose governor is not elected) and a regent or
  mayor per kabupaten/kota (not in DKI Jakarta, whose cities are administrative); candidate counts unknown (0);
* once TPS exist for that election (``sinergi import-tps --election pilkada-2024-<CODE>``), a rerun derives the
  missing centroids from the TPS points and estimated strengths from the TPS counts with NTT's ratios.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sinergi.engine.tps_estimate import apportion

from .idn_area import AreaRow
from .units import POLRES_PREFIX, POLSEK_PREFIX, StrengthSpec, UnitSpec, order_units

NTT_CODE = "53"
MABES_CODE = "MABES-POLRI"
ELECTION_PREFIX = "pilkada-2024-"
GENERATED = "dibuat otomatis dari daftar kode wilayah (perlu diverifikasi)"
CONTEST_SOURCE = ("PERKIRAAN: kontestasi Pilkada 2024 dibuat otomatis per wilayah (gubernur; bupati/wali kota); "
                  "jumlah pasangan calon belum diisi")
# Provinces without an elected governor (DI Yogyakarta) and without elected regents/mayors (DKI Jakarta).
NO_GOVERNOR_ELECTION = {"34"}
NO_REGENCY_ELECTION = {"31"}
POLDA_NAMES = {"31": "Polda Metro Jaya", "34": "Polda Daerah Istimewa Yogyakarta"}

# NTT's voting-day ratios per TPS (Pilkada 2024: 9,877 TPS; Mapolda 671, Polres 5,477, Brimob 609).
NTT_TPS = 9_877
RATIO_POLDA = 671 / NTT_TPS
RATIO_POLRES = 5_477 / NTT_TPS
RATIO_BRIMOB = 609 / NTT_TPS
LINMAS_PER_TPS = 2
STRENGTH_SOURCE = ("PERKIRAAN: rasio personel per TPS Polda NTT Pilkada 2024 (Mapolda 671, Polres 5.477, Brimob 609 "
                   "untuk 9.877 TPS) x jumlah TPS provinsi ini")
LINMAS_SOURCE = "PERKIRAAN: 2 Linmas per TPS (Permendagri 10/2009) x jumlah TPS kabupaten/kota"


def polda_code(province_code: str) -> str:
    return "POLDA-NTT" if province_code == NTT_CODE else f"POLDA-{province_code}"


def election_code(province_code: str) -> str:
    return "pilkada-2024" if province_code == NTT_CODE else f"{ELECTION_PREFIX}{province_code}"


def _short(name: str) -> str:
    return name.removeprefix("Kabupaten ").strip()


def build_units(areas: list[AreaRow], province_code: str) -> list[UnitSpec]:
    """The generated unit skeleton of one province (parents before children)."""
    prov = next((a for a in areas if a.level == "province" and a.code == province_code), None)
    if prov is None:
        raise ValueError(f"unknown province code {province_code!r}")
    regencies = [a for a in areas if a.level == "regency" and a.province_code == province_code]
    districts = [a for a in areas if a.level == "district" and a.province_code == province_code]
    p, name = province_code, prov.name
    polda = polda_code(p)
    units = [
        UnitSpec(polda, "POLRI", None, POLDA_NAMES.get(p, f"Polda {name}"), "province", (p,), GENERATED),
        UnitSpec(f"BRIMOB-{p}", "POLRI", polda, f"Sat Brimob {POLDA_NAMES.get(p, f'Polda {name}')}", "special", (p,),
                 GENERATED),
        UnitSpec(f"KPU-{p}", "KPU", None, f"KPU Provinsi {name}", "province", (p,), GENERATED),
        UnitSpec(f"BAWASLU-{p}", "BAWASLU", None, f"Bawaslu Provinsi {name}", "province", (p,), GENERATED),
        UnitSpec(f"PEMPROV-{p}", "PEMDA", None, f"Pemerintah Provinsi {name}", "province", (p,), GENERATED),
        UnitSpec(f"SATPOLPP-{p}", "PEMDA", f"PEMPROV-{p}", f"Satpol PP Provinsi {name}", "province", (p,), GENERATED),
        UnitSpec(f"BPBD-{p}", "BPBD", None, f"BPBD Provinsi {name}", "province", (p,), GENERATED),
        UnitSpec(f"KEJATI-{p}", "KEJAKSAAN", None, f"Kejati {name}", "province", (p,), GENERATED),
    ]
    for r in regencies:
        units += [
            UnitSpec(f"{POLRES_PREFIX}{r.code}", "POLRI", polda, f"Polres {_short(r.name)}", "regency", (r.code,),
                     GENERATED),
            UnitSpec(f"KPU-{r.code}", "KPU", f"KPU-{p}", f"KPU {r.name}", "regency", (r.code,), GENERATED),
            UnitSpec(f"BAWASLU-{r.code}", "BAWASLU", f"BAWASLU-{p}", f"Bawaslu {r.name}", "regency", (r.code,),
                     GENERATED),
            UnitSpec(f"SATPOLPP-{r.code}", "PEMDA", f"SATPOLPP-{p}", f"Satpol PP/Linmas {r.name}", "regency",
                     (r.code,), GENERATED),
        ]
    for d in districts:
        units.append(UnitSpec(f"{POLSEK_PREFIX}{d.code}", "POLRI", f"{POLRES_PREFIX}{d.parent_code}",
                              f"Polsek {d.name}", "district", (d.code,), GENERATED))
    return order_units(units)


@dataclass(frozen=True)
class GeneratedContest:
    region_code: str
    kind: str
    candidate_pair_count: int
    source: str


def build_contests(areas: list[AreaRow], province_code: str) -> list[GeneratedContest]:
    """Governor of the province and a regent/mayor per kabupaten/kota, where Pilkada 2024 held them."""
    out = []
    if province_code not in NO_GOVERNOR_ELECTION:
        out.append(GeneratedContest(province_code, "governor", 0, CONTEST_SOURCE))
    if province_code not in NO_REGENCY_ELECTION:
        for a in areas:
            if a.level == "regency" and a.province_code == province_code:
                kind = "mayor" if a.name.startswith("Kota ") else "regent"
                out.append(GeneratedContest(a.code, kind, 0, CONTEST_SOURCE))
    return out


def build_strengths(province_code: str, tps_per_regency: dict[str, int]) -> list[StrengthSpec]:
    """Estimated strengths from the province's TPS (NTT's ratios per TPS); empty while it has no TPS."""
    total = sum(tps_per_regency.values())
    if not total:
        return []
    p = province_code
    regencies = sorted(tps_per_regency)
    out = [
        StrengthSpec(polda_code(p), "polri", round(RATIO_POLDA * total), STRENGTH_SOURCE),
        StrengthSpec(f"BRIMOB-{p}", "brimob", round(RATIO_BRIMOB * total), STRENGTH_SOURCE),
    ]
    polres_total = round(RATIO_POLRES * total)
    for code, n in zip(regencies, apportion(polres_total, [tps_per_regency[c] for c in regencies]), strict=True):
        out.append(StrengthSpec(f"{POLRES_PREFIX}{code}", "polri", n, STRENGTH_SOURCE))
    for code in regencies:
        out.append(StrengthSpec(f"SATPOLPP-{code}", "linmas", LINMAS_PER_TPS * tps_per_regency[code], LINMAS_SOURCE))
    return out


def mean_points(points: list[tuple[str, str, float, float]]) -> dict[str, tuple[float, float]]:
    """Mean (lat, lng) per district, regency and province of TPS points ``(district, regency, lat, lng)``."""
    acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for district, regency, lat, lng in points:
        for code in (district, regency, regency[:2]):
            a = acc[code]
            a[0] += lat
            a[1] += lng
            a[2] += 1
    return {code: (round(a[0] / a[2], 6), round(a[1] / a[2], 6)) for code, a in acc.items()}
