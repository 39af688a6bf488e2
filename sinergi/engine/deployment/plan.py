"""A whole deployment plan from arrays: guard groups, officers, reinforcements, reserves, with bounds.

Steps (each solver returns objective, bound, gap):

1. Guard groups per cell (Polres x tier x kecamatan) with :func:`.grouping.group_cells`; officers per group
   by the Polres' pattern of that tier (:mod:`.patterns`).
2. Officers required per Polres vs deployable (strength x ``cap_share``); deficits are met by
   reinforcements (:func:`.flow.reinforce`) from the given sources (Polda HQ, Brimob, TNI BKO) and the other
   Polres' surplus, at minimum travel time x people; the remainder is the honest shortfall.
3. Reserve teams at ``reserve_k`` sites (p-median and/or p-center, :mod:`.reserves`) for rawan and sangat
   rawan TPS; reserve teams are staffed from the first sources (Brimob, then Polda HQ) before reinforcing.
4. The manual baseline: pattern applied to tier counts per Polres, no geography.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .flow import FlowResult, reinforce
from .grouping import GroupingResult, group_cells
from .patterns import TIERS, Pattern, deployable, linmas_for_group, manual_officers, officers_for_group
from .reserves import ReserveResult, p_center, p_median
from .travel import TravelModel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

VULNERABLE = (1, 2)  # tier indices of rawan, sangat_rawan


@dataclass
class Place:
    lat: float
    lng: float
    island: int


@dataclass
class Source:
    name: str
    kind: str  # polda | brimob | tni | polres
    place: Place
    available: int
    penalty_min: float = 0.0  # policy order in the flow (minutes per person added to its cost)


@dataclass
class PlanParams:
    radius_h: float = 0.25
    cap_share: float = 2 / 3
    reserve_k: int = 10
    reserve_objective: str = "both"  # median | center | both
    reserve_team_size: int = 10
    seed: int = 0
    time_limit_s: float = 5.0
    group_refine_s: float = 0.0  # time budget for LP bounds + CP-SAT on guard-group cells with a gap


@dataclass
class PlanInput:
    tps_lat: FloatArray
    tps_lng: FloatArray
    tps_island: IntArray
    tps_unit: IntArray  # Polres index
    tps_district: IntArray  # kecamatan index (any integer id)
    tps_tier: IntArray  # index into TIERS
    unit_places: Sequence[Place]
    unit_strength: IntArray
    patterns: Sequence[Sequence[Pattern]]  # [unit][tier]
    sources: Sequence[Source]
    sites: Sequence[Place]
    params: PlanParams = field(default_factory=PlanParams)


@dataclass
class PlanOutput:
    grouping: GroupingResult
    group_unit: IntArray
    group_tier: IntArray
    group_district: IntArray
    group_officers: IntArray
    group_linmas: IntArray
    group_size: IntArray
    group_max_h: FloatArray  # farthest member from the post
    unit_required: IntArray
    unit_deployable: IntArray
    unit_manual: IntArray
    unit_groups: IntArray
    unit_simple_bound: IntArray
    unit_bound: IntArray
    unit_linmas: IntArray
    flow: FlowResult
    flow_sources: list[str]  # names of flow rows (sources then Polres)
    flow_minutes: FloatArray
    unit_reinforced: IntArray
    unit_shortfall: IntArray
    reserve_median: ReserveResult | None
    reserve_center: ReserveResult | None
    reserve_demand: IntArray  # TPS indices of the reserve demand
    timings: dict[str, float]

    def metrics(self) -> dict[str, float | int | str | None]:
        g = self.grouping
        out: dict[str, float | int | str | None] = {
            "tps": int(len(g.group)),
            "groups": g.groups,
            "groups_lower_bound": g.simple_bound,
            "groups_bound": g.bound,
            "groups_gap_vs_lower_bound": round(g.gap(simple=True), 4),
            "groups_gap": round(g.gap(), 4),
            "groups_cells": int((g.cell_groups > 0).sum()),
            "groups_cells_refined": g.cells_refined,
            "groups_cells_proven_optimal": g.cells_proven_optimal,
            "time_groups_refine_s": round(g.refine_time_s, 3),
            "officers_required": int(self.unit_required.sum()),
            "officers_deployable": int(self.unit_deployable.sum()),
            "officers_manual": int(self.unit_manual.sum()),
            "linmas_required": int(self.unit_linmas.sum()),
            "reinforcements": int(self.unit_reinforced.sum()),
            "reinforcement_person_minutes": round(self.flow.cost, 1),
            "shortfall": int(self.unit_shortfall.sum()),
        }
        for key, r in (("median", self.reserve_median), ("center", self.reserve_center)):
            if r is not None:
                out[f"reserve_{key}_objective_h"] = round(r.objective, 3)
                out[f"reserve_{key}_bound_h"] = round(r.bound, 3)
                out[f"reserve_{key}_gap"] = round(r.gap, 4)
                out[f"reserve_{key}_bound_method"] = r.bound_method
        out.update({f"time_{k}_s": round(v, 3) for k, v in self.timings.items()})
        return out


def run_plan(inp: PlanInput, model: TravelModel, on_step: Callable[[str], object] | None = None) -> PlanOutput:
    """The plan. `on_step(name)` (optional) is called as each stage starts: "groups", "officers", "reserves",
    "reinforcements" (for progress reports; the engine knows nothing of how they are shown)."""
    p = inp.params
    timings: dict[str, float] = {}
    step: Callable[[str], object] = on_step or (lambda name: None)
    step("groups")
    t = time.perf_counter()
    n_units = len(inp.unit_places)
    # Cells: (unit, tier, district).
    key = np.stack([inp.tps_unit, inp.tps_tier, inp.tps_district], axis=1)
    uniq, cell = np.unique(key, axis=0, return_inverse=True)
    cell = cell.ravel().astype(np.int64)
    pats = [inp.patterns[int(u)][int(tr)] for u, tr, _ in uniq]
    capacity = np.array([pt.tps for pt in pats], dtype=np.int64)

    lat, lng, isl = inp.tps_lat, inp.tps_lng, inp.tps_island

    def matrix(ids: IntArray) -> FloatArray:
        if len(np.unique(isl[ids])) == 1:
            return model.road_hours(lat[ids, None], lng[ids, None], lat[None, ids], lng[None, ids], int(isl[ids[0]]))
        return model.matrix(lat[ids], lng[ids], isl[ids], lat[ids], lng[ids], isl[ids])

    g = group_cells(cell, capacity, matrix, radius=p.radius_h, refine_time_s=p.group_refine_s, seed=p.seed)
    timings["groups"] = time.perf_counter() - t
    step("officers")

    t = time.perf_counter()
    gc = g.group_cell
    group_unit = uniq[gc, 0].astype(np.int64)
    group_tier = uniq[gc, 1].astype(np.int64)
    group_district = uniq[gc, 2].astype(np.int64)
    size = np.bincount(g.group, minlength=len(g.post)).astype(np.int64)
    officers = np.array([officers_for_group(pats[c]) for c in gc], dtype=np.int64)
    linmas = np.array([linmas_for_group(pats[c], int(s)) for c, s in zip(gc, size, strict=True)], dtype=np.int64)
    post_of_tps = g.post[g.group]
    if len(post_of_tps):
        same = isl == isl[post_of_tps]
        d = np.where(same, 0.0, np.inf)
        for il in np.unique(isl):
            m = same & (isl == il)
            d[m] = model.road_hours(lat[m], lng[m], lat[post_of_tps[m]], lng[post_of_tps[m]], int(il))
        max_h = np.zeros(len(g.post))
        np.maximum.at(max_h, g.group, d)
    else:
        max_h = np.zeros(0)
    required = np.bincount(group_unit, weights=officers, minlength=n_units).astype(np.int64)
    unit_linmas = np.bincount(group_unit, weights=linmas, minlength=n_units).astype(np.int64)
    unit_groups = np.bincount(group_unit, minlength=n_units).astype(np.int64)
    cu = uniq[:, 0].astype(np.int64)
    unit_simple = np.bincount(cu, weights=g.cell_simple_bound, minlength=n_units).astype(np.int64)
    unit_bound = np.bincount(cu, weights=g.cell_bound, minlength=n_units).astype(np.int64)
    manual = np.zeros(n_units, dtype=np.int64)
    for u in range(n_units):
        counts = np.bincount(inp.tps_tier[inp.tps_unit == u], minlength=len(TIERS))
        manual[u] = sum(manual_officers(inp.patterns[u][tr], int(counts[tr])) for tr in range(len(TIERS)))
    dep = np.array([deployable(int(s), p.cap_share) for s in inp.unit_strength], dtype=np.int64)
    timings["officers"] = time.perf_counter() - t

    # Reserves.
    step("reserves")
    t = time.perf_counter()
    demand_idx = np.flatnonzero(np.isin(inp.tps_tier, VULNERABLE)).astype(np.int64)
    res_med: ReserveResult | None = None
    res_cen: ReserveResult | None = None
    if p.reserve_k > 0 and len(demand_idx) and len(inp.sites):
        slat = np.array([s.lat for s in inp.sites])
        slng = np.array([s.lng for s in inp.sites])
        sisl = np.array([s.island for s in inp.sites], dtype=np.int64)
        C = model.matrix(slat, slng, sisl, lat[demand_idx], lng[demand_idx], isl[demand_idx])
        w = np.where(inp.tps_tier[demand_idx] == 2, 2.0, 1.0)
        if p.reserve_objective in ("median", "both"):
            res_med = p_median(C, p.reserve_k, w, time_limit_s=p.time_limit_s, seed=p.seed)
        if p.reserve_objective in ("center", "both"):
            res_cen = p_center(C, p.reserve_k, w, time_limit_s=p.time_limit_s)
    timings["reserves"] = time.perf_counter() - t

    # Reinforcements.
    step("reinforcements")
    t = time.perf_counter()
    avail = np.array([s.available for s in inp.sources], dtype=np.int64)
    reserve_people = p.reserve_k * p.reserve_team_size if (res_med or res_cen) else 0
    for i in range(len(avail)):  # staff reserve teams from the first sources
        take = min(int(avail[i]), reserve_people)
        avail[i] -= take
        reserve_people -= take
    surplus = np.maximum(dep - required, 0)
    deficit = np.maximum(required - dep, 0)
    supply = np.concatenate([avail, surplus])
    places = [s.place for s in inp.sources] + list(inp.unit_places)
    names = [s.name for s in inp.sources] + [f"unit:{u}" for u in range(n_units)]
    a_lat = np.array([pl.lat for pl in places])
    a_lng = np.array([pl.lng for pl in places])
    a_isl = np.array([pl.island for pl in places], dtype=np.int64)
    u_lat = np.array([pl.lat for pl in inp.unit_places])
    u_lng = np.array([pl.lng for pl in inp.unit_places])
    u_isl = np.array([pl.island for pl in inp.unit_places], dtype=np.int64)
    minutes = model.matrix(a_lat, a_lng, a_isl, u_lat, u_lng, u_isl) * 60.0
    penalty = np.concatenate([np.array([s.penalty_min for s in inp.sources], dtype=np.float64),
                              np.zeros(n_units)])
    flow = reinforce(supply, deficit, minutes, penalty)
    reinforced = flow.flow.sum(axis=0).astype(np.int64)
    timings["reinforcements"] = time.perf_counter() - t

    return PlanOutput(
        grouping=g, group_unit=group_unit, group_tier=group_tier, group_district=group_district,
        group_officers=officers, group_linmas=linmas, group_size=size, group_max_h=max_h,
        unit_required=required, unit_deployable=dep, unit_manual=manual, unit_groups=unit_groups,
        unit_simple_bound=unit_simple, unit_bound=unit_bound, unit_linmas=unit_linmas, flow=flow,
        flow_sources=names, flow_minutes=minutes, unit_reinforced=reinforced, unit_shortfall=flow.shortfall,
        reserve_median=res_med, reserve_center=res_cen, reserve_demand=demand_idx, timings=timings,
    )
