"""Pure algorithms behind the estimated TPS list of the default dataset.

No public per-TPS list exists for NTT's Pilkada 2024, so the loader (sinergi/regions/loaders/ntt.py)
estimates one from real aggregates. This module holds the arithmetic and geometry, free of Django:

* :func:`apportion` spreads an integer total over items in proportion to weights, with a lower and an
  optional upper bound per item (water-filling), then rounds to integers by largest remainder so the
  sum is exact.
* :func:`spread_tps_over_desa` gives a kecamatan's TPS count to its desa (at least one each where the
  count allows; otherwise the desa with the largest weights get one each, ties by position).
* :func:`spread_voters` spreads a voter total over TPS with 1 <= voters <= 600 per TPS.
* :func:`sample_points_in_polygon` and :func:`sample_points_near` place points deterministically
  (numpy ``default_rng`` seeded by :func:`stable_seed`) by rejection sampling with ``shapely.contains_xy``.

Everything is deterministic: the same inputs give the same outputs on every run and platform.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

MAX_VOTERS_PER_TPS = 600

FloatArray = npt.NDArray[np.float64]


def stable_seed(key: str) -> int:
    """A seed that is the same on every run and machine (unlike ``hash()``).

    >>> stable_seed("53.01.04.2003")
    1218219397
    """
    return zlib.crc32(key.encode("utf-8"))


def water_fill(total: float, weights: Sequence[float], *, lo: float = 0.0, hi: float | None = None) -> FloatArray:
    """Real-valued shares ``x_i = clip(lam * w_i, lo, hi)`` with ``sum(x) == total``.

    ``lam`` is found by bisection (the sum is continuous and non-decreasing in ``lam``). Items whose
    proportional share is under ``lo`` are raised to ``lo``; over ``hi`` are capped, and the rest is shared
    by the others in proportion to their weights. If all weights are zero they count as equal.

    Example: ``water_fill(10, [1, 1, 8], lo=2)`` gives ``[2, 2, 6]``: the small items are raised to the
    floor of 2 and the large one takes the remaining 6.

    Raises ValueError when the bounds make the total impossible.
    """
    n = len(weights)
    if n == 0:
        if total != 0:
            raise ValueError("cannot spread a non-zero total over no items")
        return np.zeros(0, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and non-negative")
    if not w.any():
        w = np.ones(n, dtype=np.float64)
    upper = math.inf if hi is None else hi
    if total < n * lo - 1e-9 or total > n * upper + 1e-9:
        raise ValueError(f"total {total} impossible for {n} items within [{lo}, {hi}]")

    def filled(lam: float) -> FloatArray:
        return np.clip(lam * w, lo, upper)

    low, high = 0.0, 1.0
    while filled(high).sum() < total:
        high *= 2.0
        if high > 1e300:  # only reachable when the cap binds every item with weight > 0
            break
    for _ in range(200):
        mid = (low + high) / 2.0
        if filled(mid).sum() < total:
            low = mid
        else:
            high = mid
        if high - low <= 1e-15 * high:
            break
    return filled(high)


def round_to_total(shares: Sequence[float] | FloatArray, total: int, *, lo: int = 0, hi: int | None = None) -> list[int]:
    """Round real ``shares`` to integers summing to ``total`` (largest remainder), within ``[lo, hi]``.

    Each item starts at ``floor(share)`` clipped to the bounds; the missing units go to the items with the
    largest fractional parts (ties by position) that are still under ``hi``.

    Example: ``round_to_total([1.5, 1.5, 2.0], 5)`` gives ``[2, 1, 2]`` (the tie goes to the first item).
    """
    x = np.asarray(shares, dtype=np.float64)
    n = len(x)
    upper = hi if hi is not None else total + abs(lo) + n + 1
    base = np.clip(np.floor(x + 1e-9), lo, upper).astype(np.int64)
    # Fractions rounded so float noise does not beat the tie-break by position.
    frac = np.round(x - np.floor(x + 1e-9), 9)
    deficit = int(total - int(base.sum()))
    order_up = sorted(range(n), key=lambda i: (-frac[i], i))
    while deficit > 0:
        progressed = False
        for i in order_up:
            if deficit == 0:
                break
            if base[i] < upper:
                base[i] += 1
                deficit -= 1
                progressed = True
        if not progressed:
            raise ValueError("total exceeds the upper bounds")
    order_down = sorted(range(n), key=lambda i: (frac[i], -i))
    while deficit < 0:
        progressed = False
        for i in order_down:
            if deficit == 0:
                break
            if base[i] > lo:
                base[i] -= 1
                deficit += 1
                progressed = True
        if not progressed:
            raise ValueError("total is below the lower bounds")
    return [int(v) for v in base]


def apportion(total: int, weights: Sequence[float], *, lo: int = 0, hi: int | None = None) -> list[int]:
    """Integer shares of ``total`` in proportion to ``weights``, each within ``[lo, hi]``, summing exactly.

    Water-filling (:func:`water_fill`) then largest-remainder rounding (:func:`round_to_total`). With
    ``lo=0`` and no ``hi`` this is the Hamilton (largest remainder) method.

    Worked example: 5,477 Polres officers over three Polres with 612, 770 and 445 TPS:
    quotas 1834.6, 2308.2, 1333.9 -> floors 1834, 2308, 1333 (sum 5,475) -> the two missing officers go to
    the largest fractions (.9 then .6): ``apportion(5477, [612, 770, 445]) == [1835, 2308, 1334]``.
    """
    if total < 0:
        raise ValueError("total must be non-negative")
    shares = water_fill(float(total), weights, lo=float(lo), hi=None if hi is None else float(hi))
    return round_to_total(shares, total, lo=lo, hi=hi)


def spread_tps_over_desa(total: int, weights: Sequence[float]) -> list[int]:
    """A kecamatan's TPS count spread over its desa in proportion to ``weights`` (Pemilu 2024 TPS counts).

    Every desa gets at least one TPS when ``total >= len(weights)``. When the kecamatan has fewer TPS
    than desa, the ``total`` desa with the largest weights get one each (ties by position: pass the desa
    sorted by code) and the others none.

    Example: 10 TPS over desa with Pemilu counts [1, 3, 16] -> quotas 0.5, 1.5, 8 -> the first is raised
    to 1 and the other two share 9 in proportion 3:16 as 1.42 and 7.58 -> largest remainder: ``[1, 1, 8]``.
    With 2 TPS: ``spread_tps_over_desa(2, [1, 3, 16]) == [0, 1, 1]``.
    """
    n = len(weights)
    if total < n:
        order = sorted(range(n), key=lambda i: (-float(weights[i]), i))
        chosen = set(order[:total])
        return [1 if i in chosen else 0 for i in range(n)]
    return apportion(total, weights, lo=1)


def spread_voters(total: int, weights: Sequence[float], *, cap: int = MAX_VOTERS_PER_TPS) -> list[int]:
    """Voters per TPS: ``total`` spread in proportion to ``weights`` with ``1 <= voters <= cap``.

    Weights that would give a TPS more than ``cap`` voters are capped and the excess goes to the others
    (water-filling); integers by largest remainder, so the sum is exactly ``total``.

    Example: 1,500 voters over TPS weighted [1, 1, 4] -> proportional 250, 250, 1000 -> the third is capped
    at 600 and the first two share the other 900: ``spread_voters(1500, [1, 1, 4]) == [450, 450, 600]``.
    """
    return apportion(total, weights, lo=1, hi=cap)


def sample_points_in_polygon(
    polygon: BaseGeometry, n: int, seed: int, *, inset: float = 0.0, max_rounds: int = 200
) -> FloatArray:
    """``n`` points (rows of ``[lng, lat]``) uniformly inside ``polygon``, deterministic for ``seed``.

    Rejection sampling: uniform points in the bounding box, kept where ``shapely.contains_xy`` holds. With
    ``inset > 0`` the points keep that distance from the boundary when the inset polygon still has at
    least a quarter of the area (narrow shapes fall back to the full polygon). If sampling fails (a
    degenerate polygon), the remaining points are the polygon's representative point.

    Example: ``sample_points_in_polygon(shapely.box(0, 0, 1, 1), 3, stable_seed("x"))`` returns three
    points in the unit square, the same three on every run.
    """
    out = np.zeros((n, 2), dtype=np.float64)
    if n == 0:
        return out
    rng = np.random.default_rng(seed)
    target = polygon
    if inset > 0:
        shrunk = polygon.buffer(-inset)
        if not shrunk.is_empty and shrunk.area >= 0.25 * polygon.area:
            target = shrunk
    minx, miny, maxx, maxy = target.bounds
    area = max(target.area, 1e-12)
    box_area = max((maxx - minx) * (maxy - miny), 1e-12)
    batch = int(min(100_000, max(32, math.ceil(2.0 * n * box_area / area))))
    got = 0
    for _ in range(max_rounds):
        xs = rng.uniform(minx, maxx, batch)
        ys = rng.uniform(miny, maxy, batch)
        keep = shapely.contains_xy(target, xs, ys)
        if target is not polygon:
            keep &= shapely.contains_xy(polygon, xs, ys)
        idx = np.flatnonzero(keep)[: n - got]
        out[got : got + len(idx), 0] = xs[idx]
        out[got : got + len(idx), 1] = ys[idx]
        got += len(idx)
        if got == n:
            return out
    point = polygon.representative_point()
    out[got:, 0] = point.x
    out[got:, 1] = point.y
    return out


def sample_points_near(
    center: tuple[float, float],
    n: int,
    seed: int,
    *,
    radius: float = 0.01,
    within: BaseGeometry | None = None,
    max_doublings: int = 12,
) -> FloatArray:
    """``n`` points (``[lng, lat]``) uniformly in a disk of ``radius`` degrees around ``center`` (lng, lat).

    With ``within`` the points must also lie inside that polygon; if the disk barely meets it (a centroid
    outside a concave shape) the radius doubles until enough points are found, then falls back to
    sampling the whole polygon. Deterministic for ``seed``.

    Example: ``sample_points_near((123.6, -10.2), 2, stable_seed("53.09.01.2001"))`` gives two points within
    0.01 degrees (about 1.1 km) of the centre.
    """
    out = np.zeros((n, 2), dtype=np.float64)
    if n == 0:
        return out
    rng = np.random.default_rng(seed)
    cx, cy = center
    got = 0
    r = radius
    for _ in range(max_doublings + 1):
        for _round in range(8):
            batch = max(32, 4 * (n - got))
            ang = rng.uniform(0.0, 2.0 * math.pi, batch)
            dist = r * np.sqrt(rng.uniform(0.0, 1.0, batch))
            xs = cx + dist * np.cos(ang)
            ys = cy + dist * np.sin(ang)
            keep = np.ones(batch, dtype=bool) if within is None else shapely.contains_xy(within, xs, ys)
            idx = np.flatnonzero(keep)[: n - got]
            out[got : got + len(idx), 0] = xs[idx]
            out[got : got + len(idx), 1] = ys[idx]
            got += len(idx)
            if got == n:
                return out
        r *= 2.0
    assert within is not None  # without a polygon every draw is kept
    out[got:] = sample_points_in_polygon(within, n - got, seed + 1)
    return out
