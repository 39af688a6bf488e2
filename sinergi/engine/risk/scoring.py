"""The scorer: scores 0-100, tiers, dimension sub-scores, coverage and the top contributors per TPS.

For each TPS (one row of ``values``, NaN = not observed) and indicator ``j``:

* ``u_j = clip(v_j * scale_j + offset_j, 0, w_j)`` are the indicator's points (see :mod:`.spec`);
* ``W_obs`` = sum of the weights of the observed indicators; ``coverage = W_obs / W``;
* the indicator score is ``S = 100 * sum(u_j) / W_obs`` (``renormalise``) or, with missing ``u_j`` set to
  ``prior_j * w_j``, ``S = 100 * sum(u_j) / W`` (``neutral_prior``); NaN when ``W_obs == 0``;
* the contribution of indicator ``j`` is ``c_j = 100 * u_j / W_obs`` (or ``/ W``), so ``sum(c_j) == S``;
* a dimension sub-score is the same formula over the dimension's indicators (not changed by incidents);
* with incident pressure ``p`` (see :mod:`.incidents`) the score is ``S * (1 - a * p) + 100 * a * p`` with
  ``a = spec.incidents.weight``; the incident points (score minus ``S``) are reported separately so the
  contributions plus the incident points add up to the score.

Top contributors: the ``top_k`` indicators with the largest ``c_j``, largest first. Contributions that agree
in their leading ``24 - ceil(log2 k)`` significant bits (a relative difference below about 2e-6 for 32
indicators) count as tied, and ties go to the lower indicator index. Indicators contributing nothing are
not listed: their slots hold index ``-1`` and 0 points.

Everything is deterministic: no randomness, and the arithmetic of each TPS is the same whatever the
number of rows, the block size or the number of worker threads.

How it is fast (1,000,000 TPS x 32 indicators in a fraction of a second): rows are processed in blocks of
a few thousand, transposed (16 bytes at a time) so each indicator is one contiguous vector, and every step
is a whole-block NumPy operation against parameter blocks of the same shape (array-array loops are the
fastest NumPy has). Dimension sums are ``np.add.reduce`` over contiguous rows (row 0 + row 1 + ... in that
order, which makes every TPS's arithmetic independent of its block). The top-k selection packs each
float32 point value and its tie-break into one int32 key (non-negative floats order like their bit
patterns) and runs a tournament of small merge networks over the indicators using only ``max``/``min`` on
vectors. Blocks are shared between threads when cores are idle (NumPy releases the GIL in these loops).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .spec import Compiled, RiskModelSpec, TierScheme

F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]

#: Rows per block: large enough to amortise NumPy's per-call overhead, small enough to stay in cache
#: (32 float32 indicators x 8192 rows = 1 MiB per array).
BLOCK_ROWS = 8192


@dataclass(frozen=True)
class RiskResult:
    """Scores and explanations for ``n`` TPS.

    ``score`` (n,) float32 in [0, 100] or NaN when nothing was observed; ``tier`` (n,) int8 codes into
    ``spec.tiers.labels`` (-1 = not scored); ``dimensions`` (n, d) float32 sub-scores (NaN where nothing in
    the dimension was observed); ``coverage`` (n,) float32 observed weight share; ``low_coverage`` (n,)
    bool (``coverage < spec.min_coverage``); ``top_indices`` (n, top_k) int16 indicator indices, largest
    contribution first, -1 for an empty slot; ``top_points`` (n, top_k) float32 their contributions in score
    points; ``incident_points`` (n,) float32 the points added by nearby incidents (0 without incidents).
    """

    spec: RiskModelSpec
    score: F32
    tier: npt.NDArray[np.int8]
    dimensions: F32
    coverage: F32
    low_coverage: npt.NDArray[np.bool_]
    top_indices: npt.NDArray[np.int16]
    top_points: F32
    incident_points: F32

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return self.spec.dimension_names

    def tier_label(self, i: int) -> str | None:
        """The tier label of TPS ``i`` (``None`` when not scored)."""
        return self.spec.tiers.label(int(self.tier[i]))

    def top_contributors(self, i: int) -> list[tuple[str, float]]:
        """``(indicator code, points)`` of the top contributors of TPS ``i``, largest first."""
        codes = self.spec.indicator_codes
        return [
            (codes[int(j)], float(p))
            for j, p in zip(self.top_indices[i], self.top_points[i], strict=True)
            if j >= 0
        ]


def assign_tiers(score: npt.ArrayLike, scheme: TierScheme) -> npt.NDArray[np.int8]:
    """Tier codes for scores: the number of cut points ``<=`` the score; -1 for NaN.

    >>> from sinergi.engine.risk import REGION_TIERS
    >>> assign_tiers([0.0, 21.69, 21.7, 56.75, 68.5, 100.0, float("nan")], REGION_TIERS).tolist()
    [0, 0, 1, 1, 2, 2, -1]
    """
    s = np.asarray(score, dtype=np.float32)
    cuts = np.asarray(scheme.cut_points, dtype=np.float32)
    codes = np.searchsorted(cuts, s, side="right").astype(np.int8)
    codes[np.isnan(s)] = -1
    return codes


def _key_mask(c: Compiled) -> np.int32:
    # Keep the float bits above the tie-break bits; clearing the sign bit also turns -0.0 into 0.
    return np.int32(0x7FFFFFFF & ~((1 << c.tie_bits) - 1))


def _merge_top(a: Sequence[F32], b: Sequence[F32], t: int) -> list[F32]:
    """Top ``t`` of the union of two descending lists of key vectors (elementwise), descending.

    General rule: the r-th largest (0-based) of the union is ``max over i + j = r + 1 of
    min(a[i-1], b[j-1])``, where a side with nothing taken (``i == 0`` or ``j == 0``) drops out of the
    ``min``. Two cases that make up nearly all of the work for ``t = 3`` use smaller networks.
    """
    la, lb = len(a), len(b)
    mx, mn = np.maximum, np.minimum
    if t == 3 and la == lb == 3:
        # Bitonic half-cleaner: a descending against b ascending keeps the top 3 as a V-shaped sequence.
        d0, d1, d2 = mx(a[0], b[2]), mx(a[1], b[1]), mx(a[2], b[0])
        e = mn(d0, d2)
        return [mx(d0, d2, out=d0), mx(e, d1), mn(e, d1, out=e)]
    if t == 3 and la == lb == 2:
        m, x = mn(a[0], b[0]), mx(a[1], b[1])
        return [mx(a[0], b[0]), mx(m, x), mn(m, x, out=m)]
    mins: dict[tuple[int, int], F32] = {}
    out: list[F32] = []
    for r in range(min(la + lb, t)):
        terms: list[F32] = []
        for i in range(r + 2):
            j = r + 1 - i
            if i > la or j > lb:
                continue
            if i == 0:
                terms.append(b[j - 1])
            elif j == 0:
                terms.append(a[i - 1])
            else:
                if (i, j) not in mins:
                    mins[(i, j)] = mn(a[i - 1], b[j - 1])
                terms.append(mins[(i, j)])
        acc = terms[0]
        for x in terms[1:]:
            acc = mx(acc, x)
        out.append(acc)
    return out


def _top_keys(keys: F32, t: int) -> list[F32]:
    """The ``t`` largest of each column of ``keys`` (m, cs), as ``t`` vectors (cs,), largest first.

    ``keys`` are ranking keys viewed as float32: non-negative finite floats order exactly like their int32
    bit patterns, and the float max/min are the fastest NumPy has. The tournament pairs row ``i`` with
    row ``i + m/2`` so every step is a whole-block vector operation; an odd level gets a row of -1.
    """
    lists: list[F32] = [keys]
    m = keys.shape[0]
    while m > 1:
        if m % 2:
            pad = np.full((1, keys.shape[1]), -1.0, dtype=np.float32)
            lists = [np.concatenate([x, pad]) for x in lists]
            m += 1
        h = m // 2
        lists = _merge_top([x[:h] for x in lists], [x[h:] for x in lists], t)
        m = h
    return [x[0] for x in lists]


def _top3(keys: F32, ws: _Workspace) -> F32:
    """:func:`_top_keys` for ``t = 3`` on a power-of-two number of rows (>= 4), in preallocated buffers.

    Same networks as :func:`_merge_top`, computed in place: allocating fresh half-megabyte temporaries for
    every step costs more than the arithmetic.
    """
    m = keys.shape[0]
    h = m // 2
    a0, a1 = ws.net_a[0, :h], ws.net_a[1, :h]
    np.maximum(keys[:h], keys[h:], out=a0)  # pairs: (max, min)
    np.minimum(keys[:h], keys[h:], out=a1)
    q = h // 2
    x = ws.net_x[:, :q]
    t1, t2 = ws.net_t[0, :q], ws.net_t[1, :q]
    np.maximum(a0[:q], a0[q:], out=x[0])  # two pairs -> top 3 of 4
    np.minimum(a0[:q], a0[q:], out=t1)
    np.maximum(a1[:q], a1[q:], out=t2)
    np.maximum(t1, t2, out=x[1])
    np.minimum(t1, t2, out=x[2])
    while q > 1:  # two triples -> top 3 of 6, in the first halves
        q //= 2
        x0, x1, x2 = x[0, :q], x[1, :q], x[2, :q]
        y0, y1, y2 = x[0, q : 2 * q], x[1, q : 2 * q], x[2, q : 2 * q]
        e = ws.net_t[0, :q]
        np.maximum(x0, y2, out=x0)
        np.maximum(x1, y1, out=x1)
        np.maximum(x2, y0, out=x2)
        np.minimum(x0, x2, out=e)
        np.maximum(x0, x2, out=x0)
        np.minimum(e, x1, out=x2)
        np.maximum(e, x1, out=x1)
    return x[:, 0]


@dataclass
class _Out:
    score: F32
    dims: F32
    coverage: F32
    top_idx: npt.NDArray[np.int16]
    top_pts: F32
    #: 100 / denominator (0 when not scored): contribution = u * factor
    factor: F32


class _Workspace:
    """Per-thread scratch arrays for one spec and block size, reused across blocks.

    The per-indicator parameters are materialised as full (k, cs) blocks: NumPy's array-array loops are
    several times faster than broadcasting a (k, 1) column.
    """

    def __init__(self, c: Compiled, cs: int) -> None:
        k = c.k
        self.compiled = c
        self.u = np.empty((k, cs), dtype=np.float32)
        self.tmp = np.empty((k, cs), dtype=np.float32)
        self.miss = np.empty((k, cs), dtype=np.bool_)
        self.obs = np.empty((k, cs), dtype=np.float32)
        kp = max(4, 1 << (k - 1).bit_length())
        self.keys = np.empty((kp, cs), dtype=np.int32)
        self.keys[k:] = np.float32(-1).view(np.int32)  # padding rows rank below every real key
        self.net_a = np.empty((2, kp // 2, cs), dtype=np.float32)
        self.net_x = np.empty((3, kp // 4, cs), dtype=np.float32)
        self.net_t = np.empty((2, kp // 4, cs), dtype=np.float32)
        self.stage = np.empty((k // 4, cs, 4), dtype=np.float32) if k % 4 == 0 else None
        d = len(c.bounds) - 1
        self.dim_raw = np.empty((d, cs), dtype=np.float32)
        self.dim_obs = np.empty((d, cs), dtype=np.float32)
        self.dim_factor = np.empty((d, cs), dtype=np.float32)
        self.total_raw = np.empty(cs, dtype=np.float32)
        self.total_obs = np.empty(cs, dtype=np.float32)
        self.cols = np.arange(cs, dtype=np.intp)

        def full(col: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
            return np.ascontiguousarray(np.broadcast_to(col, (k, cs)))

        self.scale = full(c.scale)
        self.offset = full(c.offset)
        self.weight = full(c.weight)
        self.prior = full(c.prior_points)
        self.zero = np.zeros((k, cs), dtype=np.float32)
        self.tie = full(c.tie)
        self.identity = bool(np.array_equal(c.perm, np.arange(k)))


_local = threading.local()


def _workspace(c: Compiled, cs: int) -> _Workspace:
    cache: dict[int, _Workspace] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    ws = cache.get(cs)
    if ws is None or ws.compiled is not c:
        if len(cache) > 2:
            cache.clear()
        ws = cache[cs] = _Workspace(c, cs)
    return ws


def _transpose_block(v: F32, s: int, e: int, c: Compiled, ws: _Workspace) -> None:
    """``ws.u[row_of[j], i] = v[s + i, j]``: one contiguous vector per indicator, dimensions contiguous."""
    u, k = ws.u, c.k
    stage = ws.stage
    block = v[s:e]
    target = u if ws.identity else ws.tmp
    if stage is not None and block.flags.c_contiguous and block.ctypes.data % 16 == 0:
        # Move 4 indicators (16 bytes) at a time, then spread the 4 lanes: ~3x faster than float by float.
        g = k // 4
        np.copyto(stage.view(np.complex128).reshape(g, e - s), block.view(np.complex128).T)
        np.copyto(target.reshape(g, 4, e - s), stage.transpose(0, 2, 1))
    else:
        np.copyto(target, block.T)
    if not ws.identity:
        np.take(ws.tmp, c.perm, axis=0, out=u)


def _score_block(v: F32, s: int, e: int, spec: RiskModelSpec, t: int, out: _Out) -> None:
    c = spec.compiled
    k, cs = c.k, e - s
    ws = _workspace(c, cs)
    u, miss = ws.u, ws.miss
    _transpose_block(v, s, e, c, ws)
    np.multiply(u, ws.scale, out=u)
    np.isnan(u, out=miss)
    has_missing = bool(miss.any())
    if c.has_offset:
        np.add(u, ws.offset, out=u)
    np.fmax(u, ws.zero, out=u)  # NaN -> 0
    np.fmin(u, ws.weight, out=u)
    neutral = spec.missing_rule == "neutral_prior"
    if has_missing and neutral:
        np.copyto(u, ws.prior, where=miss)

    dim_raw, dim_obs = ws.dim_raw, ws.dim_obs
    b = c.bounds
    for i in range(len(b) - 1):
        np.add.reduce(u[b[i] : b[i + 1]], axis=0, out=dim_raw[i])
    if has_missing:
        obs = ws.obs
        np.logical_not(miss, out=miss)
        np.copyto(obs, miss)
        np.multiply(obs, ws.weight, out=obs)
        for i in range(len(b) - 1):
            np.add.reduce(obs[b[i] : b[i + 1]], axis=0, out=dim_obs[i])
    else:
        np.copyto(dim_obs, c.dim_weight[:, None])
    total_raw = np.add.reduce(dim_raw, axis=0, out=ws.total_raw)
    total_obs = np.add.reduce(dim_obs, axis=0, out=ws.total_obs)

    if neutral:
        dim_den = np.where(dim_obs > 0, c.dim_weight[:, None], np.float32(0))
        den = np.where(total_obs > 0, c.total_weight, np.float32(0))
    else:
        dim_den, den = dim_obs, total_obs
    factor = out.factor[s:e]
    factor.fill(0)
    scored = den > 0
    np.divide(np.float32(100), den, out=factor, where=scored)
    score = out.score[s:e]
    score.fill(np.nan)
    np.multiply(total_raw, factor, out=score, where=scored)
    np.minimum(score, np.float32(100), out=score)
    np.divide(total_obs, c.total_weight, out=out.coverage[s:e])

    dims = ws.dim_factor
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(dim_raw, dim_den, out=dims)  # 0 / 0 -> NaN: nothing observed in the dimension
    np.multiply(dims, np.float32(100), out=dims)
    if neutral:
        dims[dim_obs <= 0] = np.nan
    np.minimum(dims, np.float32(100), out=dims)
    out.dims[s:e] = dims.T

    if t == 0:
        return
    keys = ws.keys
    np.bitwise_and(u.view(np.int32), _key_mask(c), out=keys[:k])
    np.bitwise_or(keys[:k], ws.tie, out=keys[:k])
    if t == 3 and k >= 3:
        top = _top3(keys.view(np.float32), ws).view(np.int32).copy()  # (3, cs)
    else:
        top = np.stack(_top_keys(keys[:k].view(np.float32), t)).view(np.int32)  # (t, cs)
    idx = np.bitwise_and(top, np.int32((1 << c.tie_bits) - 1), out=top)
    np.subtract(np.int32(k - 1), idx, out=idx)
    rows = idx if ws.identity else c.row_of[idx]
    pts = u.reshape(-1)[rows * cs + ws.cols]
    keep = pts > 0
    np.multiply(pts, factor, out=pts)
    pts[~keep] = 0
    idx[~keep] = -1
    out.top_pts[s:e] = pts.T
    out.top_idx[s:e] = idx.T


def _default_workers() -> int:
    """Idle cores, at most 4: a second thread only helps when a core is free (the results never change)."""
    cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]  # includes this process
    except OSError:
        busy = 1.0
    return max(1, min(4, cpus, int(cpus - busy + 1.5)))


def _run(v: F32, spec: RiskModelSpec, t: int, workers: int | None, block_rows: int) -> _Out:
    c = spec.compiled
    if v.ndim != 2 or v.shape[1] != c.k:
        raise ValueError(f"values must have shape (n, {c.k}), got {v.shape}")
    if c.k > np.iinfo(np.int16).max:
        raise ValueError("too many indicators")
    n = v.shape[0]
    out = _Out(
        score=np.empty(n, dtype=np.float32),
        dims=np.empty((n, len(c.bounds) - 1), dtype=np.float32),
        coverage=np.empty(n, dtype=np.float32),
        top_idx=np.full((n, t), -1, dtype=np.int16),
        top_pts=np.zeros((n, t), dtype=np.float32),
        factor=np.empty(n, dtype=np.float32),
    )
    block_rows = max(1, int(block_rows))
    blocks = [(s, min(s + block_rows, n)) for s in range(0, n, block_rows)]
    nworkers = _default_workers() if workers is None else max(1, int(workers))
    if nworkers == 1 or len(blocks) < 2:
        for s, e in blocks:
            _score_block(v, s, e, spec, t, out)
    else:
        with ThreadPoolExecutor(max_workers=nworkers) as pool:
            for _ in pool.map(lambda b: _score_block(v, b[0], b[1], spec, t, out), blocks):
                pass
    return out


def score(
    values: npt.ArrayLike,
    spec: RiskModelSpec,
    *,
    top_k: int = 3,
    incident_pressure: npt.ArrayLike | None = None,
    workers: int | None = None,
    block_rows: int = BLOCK_ROWS,
) -> RiskResult:
    """Score ``n`` TPS on the spec's ``k`` indicators.

    Parameters
    ----------
    values : (n, k) array of raw indicator values (float32 preferred; NaN = not observed).
    spec : the risk model.
    top_k : number of top contributors to report per TPS (at most ``k``).
    incident_pressure : optional (n,) pressure in [0, 1] from :func:`~.incidents.incident_pressure`.
    workers : threads sharing the blocks (default: the idle cores, at most 4); results do not depend on it.
    block_rows : rows per block; results do not depend on it.
    """
    v = np.asarray(values, dtype=np.float32)  # no copy for float32 input
    t = max(0, min(int(top_k), spec.compiled.k))
    out = _run(v, spec, t, workers, block_rows)
    n = v.shape[0]

    incident_points = np.zeros(n, dtype=np.float32)
    final = out.score
    if incident_pressure is not None:
        p = np.asarray(incident_pressure, dtype=np.float32)
        if p.shape != (n,):
            raise ValueError(f"incident_pressure must have shape ({n},)")
        if np.any(np.isnan(p)) or np.any(p < 0) or np.any(p > 1):
            raise ValueError("incident_pressure must be within [0, 1]")
        ap = np.float32(spec.incidents.weight) * p
        indicator_score = out.score
        final = indicator_score * (np.float32(1) - ap) + np.float32(100) * ap
        np.minimum(final, np.float32(100), out=final)
        np.maximum(final, indicator_score, out=final)  # rounding never lowers a score
        np.subtract(final, indicator_score, out=incident_points)
        np.nan_to_num(incident_points, copy=False, nan=0.0)

    coverage = out.coverage
    return RiskResult(
        spec=spec,
        score=final,
        tier=assign_tiers(final, spec.tiers),
        dimensions=out.dims,
        coverage=coverage,
        low_coverage=coverage < np.float32(spec.min_coverage),
        top_indices=out.top_idx,
        top_points=out.top_pts,
        incident_points=incident_points,
    )


def contributions(values: npt.ArrayLike, spec: RiskModelSpec) -> F32:
    """Every indicator's contribution in score points, (n, k) float32 (for one TPS's explanation page).

    Row ``i`` sums to the indicator score of TPS ``i`` (before incidents), up to float32 rounding; rows
    with nothing observed are NaN. Meant for small ``n``; :func:`score` reports only the top ``k``.
    """
    c = spec.compiled
    v = np.asarray(values, dtype=np.float32)
    if v.ndim == 1:
        v = v.reshape(1, -1)
    factor = _run(v, spec, 0, 1, BLOCK_ROWS).factor

    def flat(col: F32) -> F32:  # internal row order -> indicator order
        return col.reshape(-1)[c.row_of]

    u = np.multiply(v, flat(c.scale))
    miss = np.isnan(u)
    if c.has_offset:
        np.add(u, flat(c.offset), out=u)
    np.fmax(u, np.float32(0), out=u)
    np.fmin(u, flat(c.weight), out=u)
    if spec.missing_rule == "neutral_prior":
        np.copyto(u, flat(c.prior_points), where=miss)
    np.multiply(u, factor[:, None], out=u)
    u[factor == 0] = np.nan
    return u
