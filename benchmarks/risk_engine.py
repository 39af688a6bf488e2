"""`sinergi bench risk-engine`: the vulnerability scorer on 1,000,000 TPS x 32 indicators with top-3.

Synthetic but shaped like Bawaslu's TPS mapping: 32 indicators in 8 dimensions of 4 (yes/no, counts with a
cap, shares), weights 1-5, 5 % of the observations missing, fixed seed. Times the engine (best of 3 after a
warm-up) and a naive NumPy reference (one run: a Python loop over indicators to normalise, a full argsort
per TPS to rank), checks that both agree on a sample, and prints the headline last.

Options: --n ROWS, --k INDICATORS (a multiple of 8), --repeat R, --workers W, --budget SECONDS, --seed S,
--skip-naive. Exit status 1 when the engine and the reference disagree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

try:
    from sinergi.engine.risk import Indicator, RiskModelSpec, score
    from sinergi.engine.risk.scoring import _default_workers
except ImportError:  # run as a file from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sinergi.engine.risk import Indicator, RiskModelSpec, score
    from sinergi.engine.risk.scoring import _default_workers

F32 = npt.NDArray[np.float32]


def make_spec(k: int, seed: int) -> RiskModelSpec:
    rng = np.random.default_rng(seed)
    dims = [
        "hak pilih",
        "keamanan",
        "politik uang",
        "sara",
        "netralitas",
        "logistik",
        "lokasi tps",
        "jaringan",
    ]
    kinds = ("yes_no", "count", "yes_no", "share")
    inds = []
    for j in range(k):
        kind = kinds[j % 4]
        inds.append(
            Indicator(
                code=f"ind_{j:02d}",
                weight=float(rng.integers(1, 6)),
                kind=kind,  # type: ignore[arg-type]
                cap=float(rng.integers(5, 30)) if kind == "count" else 1.0,
                dimension=dims[(j * len(dims)) // k],
            )
        )
    return RiskModelSpec(indicators=tuple(inds))


def make_values(n: int, spec: RiskModelSpec, seed: int, missing: float = 0.05) -> F32:
    rng = np.random.default_rng(seed + 1)
    k = len(spec.indicators)
    v = np.empty((n, k), dtype=np.float32)
    for j, ind in enumerate(spec.indicators):
        if ind.kind == "yes_no":
            v[:, j] = rng.random(n, dtype=np.float32) < 0.05 + 0.3 * ((j * 7) % 11) / 10
        elif ind.kind == "count":
            v[:, j] = rng.poisson(ind.cap / 3, n)
        else:
            v[:, j] = rng.random(n, dtype=np.float32) ** 3
    v[rng.random((n, k), dtype=np.float32) < missing] = np.nan
    return v


def naive(values: F32, spec: RiskModelSpec, top_k: int) -> tuple[F32, npt.NDArray[np.intp], F32]:
    """Straightforward NumPy: normalise indicator by indicator, full argsort to rank."""
    n, k = values.shape
    u = np.zeros((n, k), dtype=np.float32)
    observed_weight = np.zeros(n, dtype=np.float32)
    for j, ind in enumerate(spec.indicators):
        col = values[:, j]
        observed = ~np.isnan(col)
        x = col / np.float32(ind.cap) if ind.kind == "count" else col
        x = np.clip(np.nan_to_num(x, nan=0.0), 0, 1)
        if ind.direction < 0:
            x = 1 - x
        u[:, j] = np.where(observed, x * np.float32(ind.weight), 0)
        observed_weight += np.where(observed, np.float32(ind.weight), np.float32(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        contrib = 100 * u / observed_weight[:, None]
        s = np.where(observed_weight > 0, contrib.sum(axis=1), np.nan).astype(np.float32)
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :top_k]
    top_vals = np.take_along_axis(contrib, order, axis=1)
    order = np.where(top_vals > 0, order, -1)
    return s, order, np.where(top_vals > 0, top_vals, 0).astype(np.float32)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sinergi bench risk-engine", description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--budget", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=20241127)
    parser.add_argument("--sample", type=int, default=50_000, help="rows compared with the reference")
    parser.add_argument("--skip-naive", action="store_true", help="time only the engine")
    args = parser.parse_args(argv)
    n, k, top_k = args.n, args.k, 3

    spec = make_spec(k, args.seed)
    values = make_values(n, spec, args.seed)
    missing = float(np.isnan(values).mean())
    print(
        f"data: {n:,} TPS x {k} indicators in {len(spec.dimension_names)} dimensions, "
        f"{missing:.1%} missing, float32, seed {args.seed}"
    )
    workers = args.workers if args.workers is not None else _default_workers()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cpus, load average {load:.2f}; engine threads {workers}")

    score(values[: min(n, 100_000)], spec, top_k=top_k, workers=workers)  # warm-up
    times = []
    result = None
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        result = score(values, spec, top_k=top_k, workers=workers)
        times.append(time.perf_counter() - t0)
    assert result is not None
    best = min(times)
    print("engine: " + ", ".join(f"{t:.3f}" for t in times) + f" s (best {best:.3f} s)")

    m = min(n, args.sample)
    ref_s, ref_idx, ref_pts = naive(values[:m], spec, top_k)
    eng_s = result.score[:m]
    both_nan = np.isnan(ref_s) & np.isnan(eng_s)
    score_diff = float(np.nanmax(np.abs(np.where(both_nan, 0, ref_s - eng_s)))) if m else 0.0
    same_nan = bool(np.array_equal(np.isnan(ref_s), np.isnan(eng_s)))
    idx_same = (ref_idx == result.top_indices[:m]).all(axis=1)
    pts_diff = float(np.abs(ref_pts - result.top_points[:m]).max()) if m else 0.0
    # Rows ranked differently must be near-ties: the reference's points at the engine's picks match.
    ok = same_nan and score_diff < 1e-3 and pts_diff < 1e-3
    print(
        f"check on {m:,} TPS: max |score - reference| {score_diff:.2e}, max |top-3 points - reference| "
        f"{pts_diff:.2e}, top-3 indicators identical on {int(idx_same.sum()):,} "
        f"({idx_same.mean():.4%}; the rest are ties within float32 rounding)"
    )

    naive_note = ""
    if not args.skip_naive:
        t0 = time.perf_counter()
        naive(values, spec, top_k)
        naive_t = time.perf_counter() - t0
        print(f"naive reference (Python loop over indicators, full argsort): {naive_t:.3f} s")
        naive_note = f"; naive {naive_t:.2f} s, {naive_t / best:.1f}x"

    verdict = "" if best <= args.budget else ", OVER"
    print(
        f"risk-engine: {best:.3f} s for {n:,} TPS x {k} indicators with top-{top_k} "
        f"(budget {args.budget:g} s{verdict}{naive_note})"
    )
    if not ok:
        print("risk-engine: the engine and the naive reference disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
