"""Reproducible demo observations for the NTT default dataset (labelled "data demo" everywhere).

Every indicator gets a target prevalence (share of TPS where it occurs, `sinergi/data/risk/demo_ntt.csv`, from
the published Bawaslu figures where there are some). Occurrence follows a latent-factor model so that risks
cluster the way they do on the ground:

    P(indicator j at TPS i) = sigmoid(c_j + a_j * z_kecamatan(i) + b_j * h_i + boost_j * [regency(i) in R_j])

with z a kecamatan factor (standard normal), h a TPS "security" factor shared by violence, intimidation,
money politics, SARA and neutrality, and R_j the regencies planners name for that risk (hard-to-reach
islands, the Timor-Leste border, Sumba Barat Daya, Lewotobi). The intercept c_j is solved by bisection so the
expected prevalence over all TPS equals the target exactly. Counts take 1 + Poisson(2) where present.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "data" / "risk"
DEMO_FILE = DATA / "demo_ntt.csv"
DEFAULT_SEED = 20241127
#: TPS left without any observation, to show the missing-data rule (Polda NTT's split covers 9,867 of 9,877)
UNOBSERVED_TPS = 10


@dataclass
class DemoRow:
    code: str
    prevalence: float
    region_loading: float
    security_loading: float
    boost_regencies: tuple[str, ...]
    boost: float


def read_demo_rows(path: Path = DEMO_FILE) -> list[DemoRow]:
    with path.open(encoding="utf-8") as fh:
        return [DemoRow(r["code"], float(r["prevalence"]), float(r["region_loading"] or 0),
                        float(r["security_loading"] or 0), tuple((r["boost_regencies"] or "").split()),
                        float(r["boost"] or 0)) for r in csv.DictReader(fh)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _solve_intercept(lin: np.ndarray, target: float) -> float:
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _sigmoid(mid + lin).mean() < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def generate(district_codes: list[str], regency_codes: list[str], kinds: list[str], rows: list[DemoRow],
             *, seed: int = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(n TPS x len(rows)) float32 values and the (n,) mask of observed TPS. `kinds[j]` is the value type."""
    rng = np.random.default_rng(seed)
    n = len(district_codes)
    kec, kec_idx = np.unique(np.array(district_codes, dtype=object), return_inverse=True)
    z = rng.standard_normal(len(kec))[kec_idx]
    h = rng.standard_normal(n)
    reg = np.array(regency_codes, dtype=object)
    out = np.zeros((n, len(rows)), dtype=np.float32)
    for j, row in enumerate(rows):
        lin = row.region_loading * z + row.security_loading * h
        if row.boost_regencies:
            lin = lin + row.boost * np.isin(reg, row.boost_regencies)
        c = _solve_intercept(lin, row.prevalence)
        present = rng.random(n) < _sigmoid(c + lin)
        if kinds[j] == "count":
            out[:, j] = np.where(present, 1 + rng.poisson(2.0, n), 0)
        else:
            out[:, j] = present
    observed = np.ones(n, dtype=bool)
    if n > UNOBSERVED_TPS:
        observed[rng.choice(n, UNOBSERVED_TPS, replace=False)] = False
    return out, observed


#: Demo IKP sub-dimension values for regencies: around NTT's 56.75, higher where planners name risks.
def region_values(regency_codes: list[str], n_indicators: int, *, seed: int = DEFAULT_SEED) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    hot = {"53.18": 14, "53.04": 10, "53.21": 8, "53.03": 6, "53.17": 10, "53.01": 5, "53.71": -8}
    base = np.array([52.0 + hot.get(c, 0) for c in regency_codes])[:, None]
    vals = base + rng.normal(0, 9, (len(regency_codes), n_indicators))
    return np.clip(vals, 0, 100).round(1).astype(np.float32)
