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
import time
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


def lp_cell_bound(T: FloatArray, *, capacity: int, radius: float) -> float:
    """LP relaxation (HiGHS) of the grouping model; ``ceil`` of it is a proven lower bound on the groups.

    Variables ``y_c`` (TPS ``c`` is a post) and ``x_ic`` (TPS ``i`` in the group of post ``c``, only where
    ``i`` lies within the radius of ``c``): min sum y s.t. sum_c x_ic = 1, sum_i x_ic <= B y_c,
    x_ic <= y_c, 0 <= x, y <= 1. The ``x_ic <= y_c`` rows make it much stronger than ``n / B``.

    >>> T = np.array([[0, 1.0, 1.0], [1.0, 0, 1.0], [1.0, 1.0, 0]])  # three TPS, pairwise out of reach
    >>> round(lp_cell_bound(T, capacity=5, radius=0.5), 6)
    3.0
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    n = int(T.shape[0])
    if n == 0:
        return 0.0
    A = T <= radius + 1e-12
    ci, ii = np.nonzero(A)  # pairs (post c, member i)
    m = len(ci)
    nv = n + m
    cost = np.concatenate([np.ones(n), np.zeros(m)])
    xs = n + np.arange(m)
    a_eq = coo_matrix((np.ones(m), (ii, xs)), shape=(n, nv)).tocsr()
    cap = coo_matrix((np.concatenate([np.ones(m), np.full(n, -float(capacity))]),
                      (np.concatenate([ci, np.arange(n)]), np.concatenate([xs, np.arange(n)]))), shape=(n, nv))
    link = coo_matrix((np.concatenate([np.ones(m), -np.ones(m)]),
                       (np.concatenate([np.arange(m), np.arange(m)]), np.concatenate([xs, ci]))), shape=(m, nv))
    res = linprog(cost, A_ub=vstack([cap, link]).tocsr(), b_ub=np.zeros(n + m), A_eq=a_eq, b_eq=np.ones(n),
                  bounds=(0, 1), method="highs")
    if res.status != 0:
        return 0.0
    return float(res.fun)


def solve_cell_exact(T: FloatArray, *, capacity: int, radius: float, labels: IntArray, posts: IntArray,
                     lower: int, time_limit_s: float, seed: int = 0,
                     work: list[float] | None = None) -> tuple[IntArray, IntArray, int, bool]:
    """CP-SAT on one cell, started from a known grouping (``labels``/``posts`` as a hint).

    ``time_limit_s`` is CP-SAT's *deterministic* time (reproducible: the same input gives the same groups
    whatever the machine load; one worker, fixed seed). Returns the better of the hint and CP-SAT's
    solution, the proven bound (at least ``lower``) and whether optimality was proven; ``work`` (if given)
    receives the deterministic time spent."""
    from ortools.sat.python import cp_model

    n = int(T.shape[0])
    A = T <= radius + 1e-12
    m = cp_model.CpModel()
    y = [m.new_bool_var(f"y{c}") for c in range(n)]
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for i in range(n):
        for c in np.flatnonzero(A[:, i]).tolist():
            x[i, c] = m.new_bool_var(f"x{i}_{c}")
    for i in range(n):
        m.add_exactly_one(x[i, c] for c in np.flatnonzero(A[:, i]).tolist())
    for c in range(n):
        members = [x[i, c] for i in np.flatnonzero(A[c]).tolist()]
        m.add(sum(members) <= capacity * y[c])
        for v in members:
            m.add_implication(v, y[c])
        m.add(x[c, c] == y[c])
    m.add(sum(y) >= lower)
    m.minimize(sum(y))
    post_set = set(posts.tolist())
    for c in range(n):
        m.add_hint(y[c], c in post_set)
    for (i, c), v in x.items():
        m.add_hint(v, int(posts[labels[i]]) == c)
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = max(0.01, time_limit_s)
    solver.parameters.max_time_in_seconds = 10 * max(0.01, time_limit_s) + 1  # safety net on a stalled machine
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if work is not None:
        work.append(float(solver.response_proto.deterministic_time))
    bound = max(lower, math.ceil(solver.best_objective_bound - 1e-6)) if status != cp_model.UNKNOWN else lower
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and round(solver.objective_value) < len(posts):
        chosen = [c for c in range(n) if solver.value(y[c])]
        new_label = {c: k for k, c in enumerate(chosen)}
        lab = np.full(n, -1, dtype=np.int64)
        for (i, c), v in x.items():
            if solver.value(v):
                lab[i] = new_label[c]
        labels, posts = lab, np.array(chosen, dtype=np.int64)
    optimal = status == cp_model.OPTIMAL or bound >= len(posts)
    return labels, posts, int(min(bound, len(posts))), bool(optimal)


@dataclass
class GroupingResult:
    """Groups of many cells: ``group`` per TPS (global ids), posts, per-cell counts and bounds."""

    group: IntArray  # per TPS, global group id
    post: IntArray  # per group, TPS index of its post
    group_cell: IntArray  # per group, cell id
    cell_groups: IntArray  # per cell
    cell_simple_bound: IntArray  # per cell: ceil(n/B)
    cell_bound: IntArray  # per cell: max(simple, packing, LP / CP-SAT bound)
    cells_refined: int = 0  # cells where the LP bound / CP-SAT ran (within the time budget)
    cells_proven_optimal: int = 0  # cells whose groups equal their proven bound
    refine_time_s: float = 0.0

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


def group_cells(cell: IntArray, capacity_of_cell: IntArray, T_of_cell: Callable[[IntArray], FloatArray], *,
                radius: float, refine_time_s: float = 0.0, cpsat_cell_s: float = 0.5,
                seed: int = 0) -> GroupingResult:
    """Group every cell. ``cell`` is the cell id per TPS (0..C-1); ``T_of_cell(ids)`` returns the travel-time
    matrix among the TPS indices ``ids`` of one cell (callable). ``capacity_of_cell[c]`` is B of that cell.

    Every cell gets the heuristic and the cheap bounds. Then, within a work budget ``refine_time_s``
    (smallest cells first), each cell with a gap gets the LP bound (HiGHS) and, if a gap remains, CP-SAT for
    at most ``cpsat_cell_s`` from the heuristic's grouping: fewer groups where it finds them, a higher proven
    bound where it proves one. The budget is counted in deterministic units (CP-SAT's deterministic time,
    LP size / 10^5 per LP), roughly seconds, so a plan is reproducible: the same input gives the same groups
    however busy the machine is."""
    n = len(cell)
    n_cells = len(capacity_of_cell)
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(n_cells + 1))
    cell_labels: list[IntArray] = [np.zeros(0, np.int64)] * n_cells
    cell_posts: list[IntArray] = [np.zeros(0, np.int64)] * n_cells
    cs = np.zeros(n_cells, dtype=np.int64)
    cb = np.zeros(n_cells, dtype=np.int64)
    for c in range(n_cells):
        ids = order[bounds[c]:bounds[c + 1]]
        if len(ids) == 0:
            continue
        B = int(capacity_of_cell[c])
        cs[c] = math.ceil(len(ids) / max(B, 1))
        if B <= 1:
            cell_labels[c] = np.arange(len(ids), dtype=np.int64)
            cell_posts[c] = np.arange(len(ids), dtype=np.int64)
            cb[c] = len(ids)
        else:
            T = T_of_cell(ids)
            cell_labels[c], cell_posts[c] = group_cell(T, capacity=B, radius=radius)
            cb[c] = cell_bound(T, capacity=B, radius=radius)
    # Refinement: LP bound, then CP-SAT, on cells with a gap, smallest first, within the work budget.
    t0 = time.perf_counter()
    refined = 0
    work: list[float] = []
    if refine_time_s > 0:
        gaps = [c for c in range(n_cells) if len(cell_posts[c]) > cb[c]]
        gaps.sort(key=lambda c: (bounds[c + 1] - bounds[c], c))
        for c in gaps:
            left = refine_time_s - sum(work)
            if left <= 0:
                break
            ids = order[bounds[c]:bounds[c + 1]]
            B = int(capacity_of_cell[c])
            T = T_of_cell(ids)
            refined += 1
            cb[c] = max(int(cb[c]), math.ceil(lp_cell_bound(T, capacity=B, radius=radius) - 1e-6))
            work.append(float(np.count_nonzero(T <= radius + 1e-12) + len(ids)) / 1e5)
            left = refine_time_s - sum(work)
            if len(cell_posts[c]) > cb[c] and left > 0.01:
                lab, post, bd, _ = solve_cell_exact(T, capacity=B, radius=radius, labels=cell_labels[c],
                                                    posts=cell_posts[c], lower=int(cb[c]),
                                                    time_limit_s=min(cpsat_cell_s, left), seed=seed, work=work)
                cell_labels[c], cell_posts[c], cb[c] = lab, post, max(int(cb[c]), bd)
    group = np.full(n, -1, dtype=np.int64)
    posts: list[npt.NDArray[np.int64]] = []
    gcell: list[npt.NDArray[np.int64]] = []
    cg = np.zeros(n_cells, dtype=np.int64)
    next_id = 0
    for c in range(n_cells):
        ids = order[bounds[c]:bounds[c + 1]]
        if len(ids) == 0:
            continue
        p = cell_posts[c]
        group[ids] = cell_labels[c] + next_id
        posts.append(ids[p])
        gcell.append(np.full(len(p), c, dtype=np.int64))
        cg[c] = len(p)
        next_id += len(p)
    return GroupingResult(
        group=group,
        post=np.concatenate(posts) if posts else np.zeros(0, np.int64),
        group_cell=np.concatenate(gcell) if gcell else np.zeros(0, np.int64),
        cell_groups=cg, cell_simple_bound=cs, cell_bound=cb, cells_refined=refined,
        cells_proven_optimal=int((cg == cb).sum() - (cg == 0).sum()),
        refine_time_s=time.perf_counter() - t0,
    )
