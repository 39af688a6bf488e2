"""Benchmark: a national synthetic deployment plan (~435,000 TPS in 38 provinces), engine only.

    python benchmarks/plan_national.py [--tps 435000] [--provinces 38] [--seed 0]
    sinergi bench plan-national

Each synthetic province has 1-4 islands with ports and ferry links, ~13 regencies (Polres) and ~190
kecamatan whose TPS scatter around the kecamatan centre; tiers follow NTT's shares; strength ~0.55 officer
per TPS; Polda HQ, Brimob and TNI sources. Every province's plan runs in the engine as in production (guard
groups with bounds, min-cost flow, p-median and p-center reserves with bounds), one after another. The
figure is the total time and the peak resident memory. Budget: 5 min, 4 GB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sinergi.engine.deployment.patterns import Pattern  # noqa: E402
from sinergi.engine.deployment.plan import Place, PlanInput, PlanParams, Source, run_plan  # noqa: E402
from sinergi.engine.deployment.travel import Port, SeaLink, TravelModel  # noqa: E402

BUDGET_S = 300.0
BUDGET_GB = 4.0
DEFAULT = [Pattern(2, 11, 24), Pattern(2, 2, 4), Pattern(2, 1, 2), Pattern(2, 1, 2)]


def _province(rng: np.random.Generator, n_tps: int, seed: int,
              refine_s: float = 1.0) -> tuple[PlanInput, TravelModel]:
    n_isl = int(rng.integers(1, 5))
    centres = np.column_stack([rng.uniform(-9, 2, n_isl), rng.uniform(100, 135, n_isl)])
    centres[1:] = centres[0] + rng.uniform(-1.5, 1.5, size=(n_isl - 1, 2))
    ports = [Port(f"P{i}", float(c[0]) + 0.3, float(c[1]), i) for i, c in enumerate(centres)]
    links = [SeaLink("P0", f"P{i}", float(rng.uniform(2, 14)), "feri", f"L{i}") for i in range(1, n_isl)]
    model = TravelModel(ports=ports, links=links)
    n_reg = 13
    n_kec = 190
    kec_isl = rng.integers(0, n_isl, n_kec)
    kec_isl[:n_isl] = np.arange(n_isl)
    kec_pos = centres[kec_isl] + rng.normal(0, 0.35, size=(n_kec, 2))
    kec_reg = np.sort(rng.integers(0, n_reg, n_kec))
    kec_reg[:n_reg] = np.arange(n_reg)
    kec_reg = np.sort(kec_reg)
    tps_kec = rng.integers(0, n_kec, n_tps)
    lat = kec_pos[tps_kec, 0] + rng.normal(0, 0.04, n_tps)
    lng = kec_pos[tps_kec, 1] + rng.normal(0, 0.04, n_tps)
    tier = rng.choice(4, size=n_tps, p=[0.8616, 0.1252, 0.0105, 0.0027])
    reg_first = np.array([int(np.flatnonzero(kec_reg == r)[0]) for r in range(n_reg)])
    unit_places = [Place(float(kec_pos[k, 0]), float(kec_pos[k, 1]), int(kec_isl[k])) for k in reg_first]
    tps_unit = kec_reg[tps_kec]
    strength = (np.bincount(tps_unit, minlength=n_reg) * 0.55).astype(np.int64)
    hq = unit_places[0]
    sources = [Source("Brimob", "brimob", hq, 600), Source("Mapolda", "polda", hq, 450)] + [
        Source(f"Kodim {r}", "tni", unit_places[r], int(strength[r] * 0.3)) for r in range(n_reg)]
    sites = [Place(float(kec_pos[k, 0]), float(kec_pos[k, 1]), int(kec_isl[k])) for k in range(n_kec)]
    inp = PlanInput(tps_lat=lat, tps_lng=lng, tps_island=kec_isl[tps_kec].astype(np.int64),
                    tps_unit=tps_unit.astype(np.int64), tps_district=tps_kec.astype(np.int64),
                    tps_tier=tier.astype(np.int64), unit_places=unit_places, unit_strength=strength,
                    patterns=[DEFAULT] * n_reg, sources=sources, sites=sites,
                    params=PlanParams(reserve_k=10, time_limit_s=1.0, seed=seed, group_refine_s=refine_s))
    return inp, model


def run(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="plan-national")
    ap.add_argument("--tps", type=int, default=435_000)
    ap.add_argument("--provinces", type=int, default=38)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--group-refine-s", type=float, default=1.0,
                    help="per province: LP bound + CP-SAT time budget on guard-group cells with a gap")
    args = ap.parse_args(argv or [])
    rng = np.random.default_rng(args.seed)
    per = np.full(args.provinces, args.tps // args.provinces)
    per[: args.tps % args.provinces] += 1
    t0 = time.perf_counter()
    groups = bound = simple = shortfall = cells = optimal = 0
    med_gaps: list[float] = []
    cen_gaps: list[float] = []
    for p, n in enumerate(per):
        inp, model = _province(rng, int(n), args.seed + p, args.group_refine_s)
        out = run_plan(inp, model)
        groups += out.grouping.groups
        bound += out.grouping.bound
        simple += out.grouping.simple_bound
        cells += int((out.grouping.cell_groups > 0).sum())
        optimal += out.grouping.cells_proven_optimal
        shortfall += int(out.unit_shortfall.sum())
        if out.reserve_median:
            med_gaps.append(out.reserve_median.gap)
        if out.reserve_center:
            cen_gaps.append(out.reserve_center.gap)
    total = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"plan-national detail: {int(per.sum()):,} TPS in {args.provinces} provinces; groups {groups:,} "
          f"(sum ceil(n/B) {simple:,}, gap {(groups - simple) / simple:.1%}; proven bound {bound:,}, gap "
          f"{(groups - bound) / bound:.1%}; cells proven optimal {optimal:,}/{cells:,}); shortfall "
          f"{shortfall:,}; reserve gaps p-median max {max(med_gaps):.1%} / mean {np.mean(med_gaps):.1%}, "
          f"p-center max {max(cen_gaps):.1%} / mean {np.mean(cen_gaps):.1%}")
    ok = total < BUDGET_S and peak_gb < BUDGET_GB
    print(f"plan-national: {total:.1f} s, peak {peak_gb:.2f} GB for {int(per.sum()):,} TPS "
          f"(budget {BUDGET_S:.0f} s, {BUDGET_GB:.0f} GB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
