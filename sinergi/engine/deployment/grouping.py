"""Guard groups: partition the TPS of one cell (Polres x tier x kecamatan) into groups of at most ``B`` TPS.

A group has a *post* (one of its TPS, where the officers are based) and every member lies within the
travel radius ``R`` of the post. We minimise the number of groups.

Heuristic (:func:`group_cell`): repeatedly take the most isolated uncovered TPS ``p`` (fewest uncovered TPS
within ``R``), choose as post the uncovered TPS near ``p`` that reaches most uncovered TPS, and fill the
group with ``p`` and the post's most isolated neighbours. A second pass dissolves small groups whose
members all fit into other groups with room (post within ``R``).

Bounds (:func:`cell_bound`): ``ceil(n / B)`` (the manual method's count) and a packing bound: TPS that
pairwise cannot share any post (no TPS within ``R`` of both) each need their own group; and TPS that can
share a post with no other TPS need one group each, the rest at least ``ceil(rest / B)``. The cell bound is
the largest; the gap of a solution is ``(groups - bound) / bound``. :func:`exact_groups` solves small cells
exactly with CP-SAT for checking.

>>> import numpy as np
>>> T = np.array([[0, .1, .1, 1], [.1, 0, .1, 1], [.1, .1, 0, 1], [1, 1, 1, 0]])
>>> labels, posts = group_cell(T, capacity=2, radius=0.25)
>>> int(labels.max()) + 1, cell_bound(T, capacity=2, radius=0.25)
(3, 3)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def group_cell(T: FloatArray, *, capacity: int, radius: float) -> tuple[IntArray, IntArray]:
    """Group labels (0..g-1) per TPS and the post (row index) of each group."""
    n = T.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if capacity <= 1:
        return np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64)
    A = T <= radius + 1e-12
    uncovered = np.ones(n, dtype=bool)
    labels = np.full(n, -1, dtype=np.int64)
    posts: list[int] = []
    while uncovered.any():
        U = np.flatnonzero(uncovered)
        deg = A[np.ix_(U, U)].sum(axis=1)
        p = int(U[int(np.argmin(deg))])
        cands = U[A[p, U]]
        reach = A[np.ix_(cands, U)].sum(axis=1)
        # Prefer the post that reaches most uncovered TPS; tie-break on proximity to p.
        order = np.lexsort((T[p, cands], -np.minimum(reach, capacity)))
        c = int(cands[order[0]])
        near = U[A[c, U]]
        near = near[(near != p) & (near != c)]
        near_deg = A[np.ix_(near, U)].sum(axis=1)
        pick = near[np.lexsort((T[c, near], near_deg))][: max(0, capacity - (1 if c == p else 2))]
        members = [p, c, *pick.tolist()] if c != p else [p, *pick.tolist()]
        g = len(posts)
        labels[members] = g
        uncovered[members] = False
        posts.append(c)
    return _dissolve_small(T, labels, np.array(posts, dtype=np.int64), capacity, radius)


def _dissolve_small(T: FloatArray, labels: IntArray, posts: IntArray, capacity: int,
                    radius: float) -> tuple[IntArray, IntArray]:
    sizes = np.bincount(labels, minlength=len(posts))
    alive = np.ones(len(posts), dtype=bool)
    for g in np.argsort(sizes, kind="stable"):
        members = np.flatnonzero(labels == g)
        others = np.flatnonzero(alive & (np.arange(len(posts)) != g))
        if len(others) == 0:
            continue
        room = capacity - sizes[others]
        if room.sum() < len(members):
            continue
        moves: list[tuple[int, int]] = []
        room_left = room.copy()
        ok = True
        for m in members:
            fits = np.flatnonzero((room_left > 0) & (T[posts[others], m] <= radius + 1e-12))
            if len(fits) == 0:
                ok = False
                break
            k = int(fits[np.argmin(T[posts[others[fits]], m])])
            moves.append((int(m), int(others[k])))
            room_left[k] -= 1
        if not ok:
            continue
        for mv, h in moves:
            labels[mv] = h
            sizes[h] += 1
        sizes[g] = 0
        alive[g] = False
    # Relabel compactly.
    keep = np.flatnonzero(alive)
    remap = np.full(len(posts), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    return remap[labels], posts[keep]


def cell_bound(T: FloatArray, *, capacity: int, radius: float) -> int:
    """Lower bound on the number of groups: max(ceil(n/B), packing of TPS that cannot share a post)."""
    n = int(T.shape[0])
    if n == 0:
        return 0
    simple = math.ceil(n / max(capacity, 1))
    if capacity <= 1:
        return n
    A = (T <= radius + 1e-12).astype(np.float32)
    compat = (A.T @ A) > 0  # i, j can share a post
    chosen: list[int] = []
    blocked = np.zeros(n, dtype=bool)
    for i in np.argsort(compat.sum(axis=1), kind="stable").tolist():
        if not blocked[i]:
            chosen.append(i)
            blocked |= compat[i]
    # TPS that can share a post with nobody need a group each; the rest need ceil(rest / B).
    alone = int((compat.sum(axis=1) == 1).sum())
    isolated = alone + math.ceil((n - alone) / capacity)
    return int(max(simple, len(chosen), isolated))


def check_groups(T: FloatArray, labels: IntArray, posts: IntArray, *, capacity: int, radius: float) -> list[str]:
    """Problems of a grouping (empty if feasible): uncovered TPS, oversize groups, members beyond radius."""
    problems: list[str] = []
    if (labels < 0).any():
        problems.append(f"{int((labels < 0).sum())} TPS without group")
    sizes = np.bincount(labels[labels >= 0], minlength=len(posts))
    if (sizes > capacity).any():
        problems.append("group larger than capacity")
    for g, post in enumerate(posts):
        if labels[post] != g:
            problems.append(f"group {g}: post is not a member")
        m = np.flatnonzero(labels == g)
        if len(m) and T[post, m].max() > radius + 1e-9:
            problems.append(f"group {g}: member beyond radius")
    return problems


def exact_groups(T: FloatArray, *, capacity: int, radius: float, time_limit_s: float = 10.0,
                 seed: int = 0) -> int:
    """Minimum number of groups by CP-SAT (small cells; for checking the heuristic)."""
    from ortools.sat.python import cp_model

    n = T.shape[0]
    A = T <= radius + 1e-12
    m = cp_model.CpModel()
    y = [m.new_bool_var(f"y{c}") for c in range(n)]
    x = {(i, c): m.new_bool_var(f"x{i}_{c}") for i in range(n) for c in range(n) if A[c, i]}
    for i in range(n):
        m.add_exactly_one(x[i, c] for c in range(n) if (i, c) in x)
    for c in range(n):
        members = [x[i, c] for i in range(n) if (i, c) in x]
        m.add(sum(members) <= capacity * y[c])
        m.add(x[c, c] == y[c])
    m.minimize(sum(y))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if status != cp_model.OPTIMAL:
        raise RuntimeError("CP-SAT did not prove optimality within the time limit")
    return int(round(solver.objective_value))


@dataclass
class GroupingResult:
    """Groups of many cells: ``group`` per TPS (global ids), posts, per-cell counts and bounds."""

    group: IntArray  # per TPS, global group id
    post: IntArray  # per group, TPS index of its post
    group_cell: IntArray  # per group, cell id
    cell_groups: IntArray  # per cell
    cell_simple_bound: IntArray  # per cell: ceil(n/B)
    cell_bound: IntArray  # per cell: max(simple, packing)

    @property
    def groups(self) -> int:
        return int(self.cell_groups.sum())

    @property
    def simple_bound(self) -> int:
        return int(self.cell_simple_bound.sum())

    @property
    def bound(self) -> int:
        return int(self.cell_bound.sum())

    def gap(self, *, simple: bool = False) -> float:
        b = self.simple_bound if simple else self.bound
        return (self.groups - b) / b if b else 0.0


def group_cells(cell: IntArray, capacity_of_cell: IntArray, T_of_cell: Callable[[IntArray], FloatArray], *, radius: float) -> GroupingResult:
    """Group every cell. ``cell`` is the cell id per TPS (0..C-1); ``T_of_cell(ids)`` returns the travel-time
    matrix among the TPS indices ``ids`` of one cell (callable). ``capacity_of_cell[c]`` is B of that cell."""
    n = len(cell)
    n_cells = len(capacity_of_cell)
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(n_cells + 1))
    group = np.full(n, -1, dtype=np.int64)
    posts: list[npt.NDArray[np.int64]] = []
    gcell: list[npt.NDArray[np.int64]] = []
    cg = np.zeros(n_cells, dtype=np.int64)
    cs = np.zeros(n_cells, dtype=np.int64)
    cb = np.zeros(n_cells, dtype=np.int64)
    next_id = 0
    for c in range(n_cells):
        ids = order[bounds[c]:bounds[c + 1]]
        if len(ids) == 0:
            continue
        B = int(capacity_of_cell[c])
        cs[c] = math.ceil(len(ids) / max(B, 1))
        if B <= 1:
            labels = np.arange(len(ids), dtype=np.int64)
            p = np.arange(len(ids), dtype=np.int64)
            cb[c] = len(ids)
        else:
            T = T_of_cell(ids)
            labels, p = group_cell(T, capacity=B, radius=radius)
            cb[c] = cell_bound(T, capacity=B, radius=radius)
        group[ids] = labels + next_id
        posts.append(ids[p])
        gcell.append(np.full(len(p), c, dtype=np.int64))
        cg[c] = len(p)
        next_id += len(p)
    return GroupingResult(
        group=group,
        post=np.concatenate(posts) if posts else np.zeros(0, np.int64),
        group_cell=np.concatenate(gcell) if gcell else np.zeros(0, np.int64),
        cell_groups=cg, cell_simple_bound=cs, cell_bound=cb,
    )
