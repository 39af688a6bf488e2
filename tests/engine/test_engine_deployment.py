"""Deployment engine: travel model on known NTT pairs, guard groups vs CP-SAT, min-cost flow, reserves.

No database: the travel model is built from the shipped data files.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sinergi.engine.deployment.flow import reinforce
from sinergi.engine.deployment.grouping import cell_bound, check_groups, exact_groups, group_cell
from sinergi.engine.deployment.reserves import _pmedian_lagrangian, _pmedian_lp, p_center, p_median
from sinergi.engine.deployment.travel import haversine_km

KUPANG = (-10.17, 123.60)
BAA = (-10.73, 123.06)
KALABAHI = (-8.22, 124.52)
SOE = (-9.86, 124.28)


@pytest.fixture(scope="module")
def ntt():
    from sinergi.deployment.geo import ntt_land_masses, travel_model

    lm = ntt_land_masses()
    return lm, travel_model(lm)


def _hours(ntt, a, b, cancelled=frozenset()):
    from sinergi.deployment.geo import travel_model

    lm, model = ntt
    if cancelled:
        model = travel_model(lm, cancelled=cancelled)
    ia, ib = (int(x) for x in lm.assign([a[0], b[0]], [a[1], b[1]]))
    return model.hours(a[0], a[1], ia, b[0], b[1], ib)


def test_land_masses_name_the_main_islands(ntt):
    lm, _ = ntt
    names = set(lm.names)
    for island in ("Timor", "Flores", "Sumba", "Alor", "Pantar", "Lembata", "Rote", "Sabu", "Semau", "Adonara"):
        assert island in names
    assert lm.names[int(lm.assign([KUPANG[0]], [KUPANG[1]])[0])] == "Timor"


def test_kupang_to_baa_is_fast_boat_plus_road(ntt):
    h = _hours(ntt, KUPANG, BAA)
    assert 2.0 <= h <= 3.5  # 2 h fast boat + port access + a short drive to Tenau


def test_kupang_to_kalabahi_is_the_14_hour_ferry(ntt):
    h = _hours(ntt, KUPANG, KALABAHI)
    assert 14.0 <= h <= 16.0
    _, model = ntt
    lm, _ = ntt
    ia, ib = (int(x) for x in lm.assign([KUPANG[0], KALABAHI[0]], [KUPANG[1], KALABAHI[1]]))
    assert "Bolok" in model.route(*KUPANG, ia, *KALABAHI, ib)


def test_cancelled_ferry_reroutes_or_costs_more(ntt):
    normal = _hours(ntt, KUPANG, KALABAHI)
    cancelled = _hours(ntt, KUPANG, KALABAHI, frozenset({"Kupang–Kalabahi"}))
    assert cancelled > normal  # via Atapupu (road across Timor + ferry)


def test_same_island_travel_is_road_distance_with_detour(ntt):
    _, model = ntt
    km = float(haversine_km(KUPANG[0], KUPANG[1], SOE[0], SOE[1]))
    h = _hours(ntt, KUPANG, SOE)
    assert h == pytest.approx(km * 1.4 / 35.0)
    assert 2.0 < h < 3.5


def _random_cell(rng, n, spread):
    pts = rng.uniform(0, spread, size=(n, 2))
    return np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))


@pytest.mark.parametrize("seed", range(12))
def test_guard_groups_are_feasible_and_near_optimal_against_cpsat(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 13))
    T = _random_cell(rng, n, spread=1.0)
    B, R = int(rng.integers(2, 5)), 0.3
    labels, posts = group_cell(T, capacity=B, radius=R)
    assert check_groups(T, labels, posts, capacity=B, radius=R) == []
    assert sorted(np.bincount(labels).tolist()) and (labels >= 0).all()  # every TPS in exactly one group
    opt = exact_groups(T, capacity=B, radius=R)
    bound = cell_bound(T, capacity=B, radius=R)
    groups = int(labels.max()) + 1
    assert bound <= opt <= groups
    assert groups <= opt + 1  # heuristic within one group of the optimum on small cells


def test_min_cost_flow_hand_checked_case():
    # Polda HQ (3 people) and Brimob (2); Polres X short of 2, Polres Y short of 4.
    minutes = np.array([[10.0, 30.0], [20.0, 15.0]])
    r = reinforce(np.array([3, 2]), np.array([2, 4]), minutes)
    assert r.flow.tolist() == [[2, 1], [0, 2]]
    assert r.cost == 2 * 10 + 1 * 30 + 2 * 15
    assert r.shortfall.tolist() == [0, 1]
    # Every alternative integral assignment costs at least as much.
    best = min(
        a * 10 + b * 30 + c * 20 + d * 15
        for a, b, c, d in itertools.product(range(4), range(4), range(3), range(3))
        if a + b <= 3 and c + d <= 2 and a + c <= 2 and b + d <= 4 and a + b + c + d == 5
    )
    assert r.cost == best


def test_min_cost_flow_respects_unreachable_routes():
    minutes = np.array([[np.inf, 5.0]])
    r = reinforce(np.array([10]), np.array([3, 2]), minutes)
    assert r.flow.tolist() == [[0, 2]]
    assert r.shortfall.tolist() == [3, 0]


def _exact_pmedian(C, k, w):
    best = np.inf
    for combo in itertools.combinations(range(C.shape[0]), k):
        best = min(best, float(np.min(C[list(combo)], axis=0) @ w / w.sum()))
    return best


def _exact_pcenter(C, k):
    return min(float(np.max(np.min(C[list(c)], axis=0))) for c in itertools.combinations(range(C.shape[0]), k))


@pytest.mark.parametrize("seed", range(6))
def test_reserves_against_exhaustive_search(seed):
    rng = np.random.default_rng(100 + seed)
    sites = rng.uniform(0, 10, size=(8, 2))
    demand = rng.uniform(0, 10, size=(25, 2))
    C = np.sqrt(((sites[:, None] - demand[None]) ** 2).sum(-1))
    w = rng.integers(1, 3, size=25).astype(float)
    med = p_median(C, 3, w)
    opt = _exact_pmedian(C, 3, w)
    assert med.bound <= opt + 1e-9 <= med.objective + 1e-9
    assert med.objective <= opt * 1.05
    assert med.bound_method.startswith("LP")
    cen = p_center(C, 3)
    optc = _exact_pcenter(C, 3)
    assert cen.bound <= optc + 1e-9 <= cen.objective + 1e-9
    assert 0 <= cen.gap < 1


def test_lagrangian_bound_never_exceeds_lp_bound():
    rng = np.random.default_rng(7)
    C = rng.uniform(0, 10, size=(10, 40))
    lp = _pmedian_lp(C, 3)
    lag = _pmedian_lagrangian(C, 3, upper=lp * 1.2, time_limit_s=2.0)
    assert lag <= lp + 1e-6
    assert lag >= 0.9 * lp


# -- ferry schedules: expected wait for a departure (half the headway) ---------------------------------------
def _model(ntt, wait_factor, cancelled=frozenset()):
    from sinergi.deployment.geo import travel_model

    lm, _ = ntt
    return travel_model(lm, cancelled=cancelled, wait_factor=wait_factor)


def _hours_with(ntt, model, a, b):
    lm, _ = ntt
    ia, ib = (int(x) for x in lm.assign([a[0], b[0]], [a[1], b[1]]))
    return model.hours(a[0], a[1], ia, b[0], b[1], ib), model.route_legs(a[0], a[1], ia, b[0], b[1], ib)


def test_sea_links_carry_departures_per_week_from_the_route_table():
    from sinergi.deployment.geo import default_wait_factor, sea_links

    links = {link.label: link for link in sea_links()}
    assert links["Kupang–Ba'a"].departures_per_week == 7  # daily morning fast boat
    assert links["Kupang–Seba"].departures_per_week == 6  # daily except Saturday
    assert links["Kupang–Kalabahi"].departures_per_week == 1  # weekly-ish ferry
    assert links["Kupang–Lewoleba"].departures_per_week == 2  # Tue and Fri
    assert all(link.departures_per_week and link.departures_per_week > 0 for link in links.values())
    assert default_wait_factor() == 0.0  # plans move BKO around the timetable; a scenario adds the wait


def test_kupang_to_kalabahi_waits_half_a_week_for_the_weekly_ferry(ntt):
    plain, _ = _hours_with(ntt, _model(ntt, 0.0), KUPANG, KALABAHI)
    waited, legs = _hours_with(ntt, _model(ntt, 0.5), KUPANG, KALABAHI)
    assert 14.0 <= plain <= 16.0  # crossing ~14 h + port access + a short drive to Bolok
    assert waited == pytest.approx(plain + 84.0, abs=0.01)  # + half of a 168 h headway
    sea = [leg for leg in legs if leg.mode == "laut"]
    assert [leg.label for leg in sea] == ["Kupang–Kalabahi"] and sea[0].wait_h == 84.0
    assert [leg.mode for leg in legs] == ["darat", "laut", "darat"]
    assert legs[0].points[0] == KUPANG and legs[-1].points[-1] == KALABAHI


def test_kupang_to_baa_waits_half_a_day_for_the_daily_fast_boat(ntt):
    plain, _ = _hours_with(ntt, _model(ntt, 0.0), KUPANG, BAA)
    waited, legs = _hours_with(ntt, _model(ntt, 0.5), KUPANG, BAA)
    assert 2.0 <= plain <= 3.5
    assert waited == pytest.approx(plain + 12.0, abs=0.01)  # daily: 24 h headway / 2
    assert [leg.label for leg in legs if leg.mode == "laut"] == ["Kupang–Ba'a"]


def test_waiting_never_shortens_a_trip_and_the_same_island_does_not_wait(ntt):
    for b in (BAA, KALABAHI, SOE):
        plain, _ = _hours_with(ntt, _model(ntt, 0.0), KUPANG, b)
        waited, _ = _hours_with(ntt, _model(ntt, 0.5), KUPANG, b)
        assert waited >= plain
    plain, legs = _hours_with(ntt, _model(ntt, 0.5), KUPANG, SOE)
    assert [leg.mode for leg in legs] == ["darat"] and plain == pytest.approx(_hours(ntt, KUPANG, SOE))
    # With the ferry cancelled, the weekly alternative via Atapupu is no faster.
    c, legs = _hours_with(ntt, _model(ntt, 0.5, frozenset({"Kupang–Kalabahi"})), KUPANG, KALABAHI)
    n, _ = _hours_with(ntt, _model(ntt, 0.5), KUPANG, KALABAHI)
    assert c > n and "Kupang–Kalabahi" not in [leg.label for leg in legs]


# -- guard groups: LP bound and CP-SAT refinement --------------------------------------------------------------
@pytest.mark.parametrize("seed", range(10))
def test_lp_bound_is_valid_and_refinement_reaches_the_cpsat_optimum(seed):
    import math

    from sinergi.engine.deployment.grouping import group_cells, lp_cell_bound, solve_cell_exact

    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(6, 14))
    T = _random_cell(rng, n, spread=1.2)
    B, R = int(rng.integers(2, 6)), 0.3
    opt = exact_groups(T, capacity=B, radius=R)
    lp = lp_cell_bound(T, capacity=B, radius=R)
    assert math.ceil(lp - 1e-6) <= opt  # a proven lower bound
    assert math.ceil(lp - 1e-6) >= math.ceil(n / B)  # at least the manual count
    labels, posts = group_cell(T, capacity=B, radius=R)
    lab, post, bound, optimal = solve_cell_exact(T, capacity=B, radius=R, labels=labels, posts=posts,
                                                 lower=cell_bound(T, capacity=B, radius=R), time_limit_s=5.0)
    assert check_groups(T, lab, post, capacity=B, radius=R) == []
    assert optimal and len(post) == opt == bound
    # Through group_cells with a time budget: every cell ends at its optimum, groups == proven bound.
    g = group_cells(np.zeros(n, dtype=np.int64), np.array([B]), lambda ids: T[np.ix_(ids, ids)], radius=R,
                    refine_time_s=5.0)
    assert g.groups == opt == g.bound and g.gap() == 0.0
    assert check_groups(T, g.group, g.post, capacity=B, radius=R) == []


def test_refinement_without_time_keeps_the_heuristic():
    from sinergi.engine.deployment.grouping import group_cells

    rng = np.random.default_rng(7)
    T = _random_cell(rng, 30, spread=2.0)
    plain = group_cells(np.zeros(30, dtype=np.int64), np.array([4]), lambda ids: T[np.ix_(ids, ids)], radius=0.3)
    labels, posts = group_cell(T, capacity=4, radius=0.3)
    assert plain.groups == len(posts) and plain.cells_refined == 0
    refined = group_cells(np.zeros(30, dtype=np.int64), np.array([4]), lambda ids: T[np.ix_(ids, ids)],
                          radius=0.3, refine_time_s=5.0)
    assert refined.groups <= plain.groups and refined.bound >= plain.bound
