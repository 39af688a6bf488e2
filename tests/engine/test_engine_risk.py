"""The vulnerability scoring engine (sinergi.engine.risk): properties, missing data, tiers, incidents."""

from __future__ import annotations

import doctest
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sinergi.engine.risk as risk
from sinergi.engine.risk import (
    REGION_TIERS,
    TPS_TIERS,
    IncidentParams,
    Indicator,
    RiskModelSpec,
    TierScheme,
    assign_tiers,
    contributions,
    incident_pressure,
    region_scores,
    score,
)
from sinergi.engine.risk import incidents as incidents_mod
from sinergi.engine.risk import scoring as scoring_mod
from sinergi.engine.risk import tiers as tiers_mod

NAN = float("nan")


def bawaslu_like_spec(**kw: object) -> RiskModelSpec:
    """A small model in the shape of Bawaslu's TPS mapping (dimensions interleaved on purpose)."""
    inds = (
        Indicator("dpt_tms", 2.0, kind="count", cap=20.0, dimension="hak pilih"),
        Indicator("riwayat_kekerasan", 3.0, dimension="keamanan"),
        Indicator("politik_uang", 3.0, dimension="politik uang"),
        Indicator("pemilih_disabilitas", 1.0, kind="count", cap=10.0, dimension="hak pilih"),
        Indicator("intimidasi", 2.5, dimension="keamanan"),
        Indicator("sulit_dijangkau", 1.5, dimension="lokasi"),
        Indicator("sinyal_internet_stabil", 1.0, direction=-1, dimension="jaringan"),
        Indicator("porsi_dpk", 1.0, kind="share", dimension="hak pilih"),
    )
    return RiskModelSpec(indicators=inds, **kw)  # type: ignore[arg-type]


def random_values(rng: np.random.Generator, n: int, k: int, missing: float = 0.1) -> np.ndarray:
    v = rng.random((n, k)).astype(np.float32) * np.float32(3) - np.float32(0.5)
    v[rng.random((n, k)) < missing] = np.nan
    return v


# --- the worked examples in the docstrings are correct -------------------------------------------------


@pytest.mark.parametrize("module", [risk, scoring_mod, incidents_mod, tiers_mod], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or module is not scoring_mod


# --- bounded, deterministic, explained ------------------------------------------------------------------


def test_scores_stay_within_0_and_100_even_for_wild_inputs():
    rng = np.random.default_rng(1)
    v = random_values(rng, 5000, 8) * np.float32(50)
    v[::97, 2] = np.inf
    v[::89, 0] = -np.inf
    spec = bawaslu_like_spec()
    r = score(v, spec, incident_pressure=rng.random(5000).astype(np.float32))
    s = r.score[~np.isnan(r.score)]
    assert s.min() >= 0 and s.max() <= 100
    dims = r.dimensions[~np.isnan(r.dimensions)]
    assert dims.min() >= 0 and dims.max() <= 100
    assert ((r.coverage >= 0) & (r.coverage <= 1)).all()


def test_scoring_is_deterministic_and_independent_of_blocks_and_threads():
    rng = np.random.default_rng(2)
    v = random_values(rng, 3001, 8)
    spec = bawaslu_like_spec()
    a = score(v, spec, workers=1, block_rows=2048)
    b = score(v, spec, workers=2, block_rows=7)
    c = score(v.copy(), spec, workers=1, block_rows=2048)
    for x, y in ((a, b), (a, c)):
        for field in ("score", "tier", "dimensions", "coverage", "top_indices", "top_points"):
            np.testing.assert_array_equal(getattr(x, field), getattr(y, field))


def test_contributions_add_up_to_the_score_and_top_points_are_the_largest():
    rng = np.random.default_rng(3)
    v = random_values(rng, 2000, 8)
    spec = bawaslu_like_spec()
    r = score(v, spec, top_k=8)
    contrib = contributions(v, spec)
    scored = ~np.isnan(r.score)
    np.testing.assert_allclose(contrib[scored].sum(axis=1), r.score[scored], atol=1e-3)
    assert np.isnan(contrib[~scored]).all()
    # top_k = k lists every contributing indicator: they too add up to the score
    np.testing.assert_allclose(r.top_points[scored].sum(axis=1), r.score[scored], atol=1e-3)


def test_contributions_plus_incident_points_add_up_to_the_score():
    rng = np.random.default_rng(4)
    v = random_values(rng, 500, 8)
    spec = bawaslu_like_spec()
    p = rng.random(500).astype(np.float32)
    r = score(v, spec, top_k=8, incident_pressure=p)
    scored = ~np.isnan(r.score)
    total = contributions(v, spec)[scored].sum(axis=1) + r.incident_points[scored]
    np.testing.assert_allclose(total, r.score[scored], atol=1e-3)


def test_top_k_matches_a_brute_force_argsort_on_values_without_near_ties():
    # Values on a coarse grid and small integer weights: contributions either tie exactly or differ a lot.
    rng = np.random.default_rng(5)
    k = 13
    inds = tuple(
        Indicator(f"i{j}", float(rng.integers(0, 4)), kind="count", cap=4.0, dimension=f"d{j % 3}")
        for j in range(k)
    )
    spec = RiskModelSpec(indicators=inds)
    v = rng.integers(0, 5, size=(3000, k)).astype(np.float32)
    v[rng.random((3000, k)) < 0.1] = np.nan
    for top_k in (1, 2, 3, 5, k):
        r = score(v, spec, top_k=top_k, block_rows=500)
        contrib = np.nan_to_num(contributions(v, spec), nan=0.0)
        order = np.argsort(-contrib, axis=1, kind="stable")[:, :top_k]  # stable: ties by lower index
        vals = np.take_along_axis(contrib, order, axis=1)
        expected = np.where(vals > 0, order, -1)
        np.testing.assert_array_equal(r.top_indices, expected)
        np.testing.assert_allclose(r.top_points, np.where(vals > 0, vals, 0), atol=1e-5)


def test_top_points_match_the_sorted_contributions_on_random_values():
    rng = np.random.default_rng(6)
    v = random_values(rng, 4000, 8)
    spec = bawaslu_like_spec()
    r = score(v, spec, top_k=3)
    contrib = np.nan_to_num(contributions(v, spec), nan=0.0)
    top = -np.sort(-contrib, axis=1)[:, :3]
    np.testing.assert_allclose(r.top_points, np.where(top > 0, top, 0), rtol=1e-5, atol=1e-6)
    # every reported index really has the reported contribution
    rows = np.arange(len(v))[:, None]
    picked = contrib[rows, np.maximum(r.top_indices, 0)]
    np.testing.assert_allclose(np.where(r.top_indices >= 0, picked, 0), r.top_points, rtol=1e-6)


def test_ties_go_to_the_lower_indicator_index():
    spec = RiskModelSpec(indicators=tuple(Indicator(f"i{j}", 1.0) for j in range(6)))
    r = score(np.array([[0, 1, 0, 1, 1, 0]], dtype=np.float32), spec, top_k=3)
    assert r.top_indices.tolist() == [[1, 3, 4]]
    assert [code for code, _ in r.top_contributors(0)] == ["i1", "i3", "i4"]
    assert [p for _, p in r.top_contributors(0)] == pytest.approx([100 / 6] * 3)


@settings(max_examples=200, deadline=None)
@given(
    k=st.integers(1, 10),
    data=st.data(),
    rule=st.sampled_from(["renormalise", "neutral_prior"]),
)
def test_score_is_monotone_in_each_indicator(k, data, rule):
    inds = tuple(
        Indicator(
            f"i{j}",
            data.draw(st.one_of(st.just(0.0), st.floats(1e-6, 1e6))),
            kind=data.draw(st.sampled_from(["yes_no", "count", "share"])),
            cap=data.draw(st.floats(0.5, 50)),
            direction=data.draw(st.sampled_from([1, -1])),
            dimension=data.draw(st.sampled_from(["a", "b", "c"])),
        )
        for j in range(k)
    )
    if sum(i.weight for i in inds) <= 0:
        inds = (replace(inds[0], weight=1.0),) + inds[1:]
    spec = RiskModelSpec(indicators=inds, missing_rule=rule)
    value = st.one_of(st.just(NAN), st.floats(-5, 60, allow_nan=False, width=32))
    row = [data.draw(value) for _ in range(k)]
    j = data.draw(st.integers(0, k - 1))
    lo = data.draw(st.floats(-5, 60, width=32))
    hi = data.draw(st.floats(lo, 60, width=32))
    pressure = data.draw(st.floats(0, 1, width=32))
    a, b = list(row), list(row)
    a[j], b[j] = lo, hi
    both = np.array([a, b], dtype=np.float32)
    ra = score(both[:1], spec, incident_pressure=np.array([pressure], np.float32))
    rb = score(both[1:], spec, incident_pressure=np.array([pressure], np.float32))
    sa, sb = float(ra.score[0]), float(rb.score[0])
    assert np.isnan(sa) == np.isnan(sb)  # scored or not depends on what is observed, not on the value
    if np.isnan(sa):
        return
    if inds[j].direction > 0:
        assert sb >= sa
    else:
        assert sb <= sa


# --- missing observations ---------------------------------------------------------------------------------


def test_a_tps_with_nothing_observed_has_no_score_not_zero():
    spec = bawaslu_like_spec()
    r = score(np.full((2, 8), np.nan, dtype=np.float32), spec, incident_pressure=np.ones(2, np.float32))
    assert np.isnan(r.score).all()
    assert r.tier.tolist() == [-1, -1]
    assert r.tier_label(0) is None
    assert r.coverage.tolist() == [0.0, 0.0]
    assert r.low_coverage.all()
    assert (r.top_indices == -1).all() and (r.top_points == 0).all()
    assert np.isnan(r.dimensions).all()
    r2 = score(np.full((1, 8), np.nan, dtype=np.float32), replace(spec, missing_rule="neutral_prior"))
    assert np.isnan(r2.score[0]) and r2.coverage[0] == 0


def test_renormalise_scores_a_tps_on_its_observed_indicators_only():
    spec = bawaslu_like_spec()
    row = np.array([[10, 1, np.nan, 5, np.nan, 0, 1, 0.5]], dtype=np.float32)
    r = score(row, spec)
    observed = [j for j in range(8) if not np.isnan(row[0, j])]
    sub = RiskModelSpec(indicators=tuple(spec.indicators[j] for j in observed))
    r_sub = score(row[:, observed], sub)
    assert r.score[0] == pytest.approx(float(r_sub.score[0]), abs=1e-4)
    # weights 2+3+1+1.5+1+1 of 15 observed
    assert r.coverage[0] == pytest.approx(9.5 / 15)
    assert not r.low_coverage[0]
    # a missing value is not read as "no": reading it as 0 gives a different (lower) score
    zeros = score(np.nan_to_num(row, nan=0.0), spec)
    assert zeros.score[0] < r.score[0]


def test_neutral_prior_counts_a_missing_indicator_as_its_prior():
    inds = (Indicator("a", 2.0), Indicator("b", 2.0, prior=0.25), Indicator("c", 4.0))
    spec = RiskModelSpec(indicators=inds, missing_rule="neutral_prior", min_coverage=0.6)
    r = score(np.array([[1, np.nan, 0]], dtype=np.float32), spec)
    assert r.score[0] == pytest.approx(100 * (2 + 0.25 * 2 + 0) / 8)
    assert r.coverage[0] == pytest.approx(0.75)
    assert not r.low_coverage[0]
    r = score(np.array([[1, np.nan, np.nan]], dtype=np.float32), spec)
    assert r.score[0] == pytest.approx(100 * (2 + 0.5 + 2) / 8)
    assert r.coverage[0] == pytest.approx(0.25)
    assert r.low_coverage[0]


def test_fully_observed_tps_have_coverage_exactly_one_whatever_the_block():
    rng = np.random.default_rng(7)
    spec = bawaslu_like_spec()
    v = np.abs(random_values(rng, 1001, 8, missing=0.0))
    v[::3, 4] = np.nan  # blocks with and without missing values
    for block_rows in (1, 2, 5, 1001):
        r = score(v, spec, block_rows=block_rows)
        full = ~np.isnan(v).any(axis=1)
        assert (r.coverage[full] == 1.0).all()
        assert (r.coverage[~full] < 1.0).all()


# --- tiers ---------------------------------------------------------------------------------------------


def test_tps_tiers_at_the_cut_points_belong_to_the_upper_tier():
    s = [0, 39.99, 40, 69.99, 70, 100, NAN]
    assert assign_tiers(s, TPS_TIERS).tolist() == [0, 0, 1, 1, 2, 2, -1]
    assert [TPS_TIERS.label(c) for c in assign_tiers([10, 40, 70], TPS_TIERS)] == [
        "kurang rawan",
        "rawan",
        "sangat rawan",
    ]


def test_region_tiers_use_bawaslu_cut_points():
    codes = assign_tiers([21.69, 21.7, 56.75, 68.49, 68.5], REGION_TIERS)
    assert [REGION_TIERS.label(c) for c in codes] == ["rendah", "sedang", "sedang", "sedang", "tinggi"]


def test_a_spec_can_set_its_own_tps_tiers():
    spec = replace(bawaslu_like_spec(), tiers=TierScheme((50.0,), ("aman", "rawan")))
    r = score(np.array([[20, 1, 1, 10, 1, 1, 0, 1]], dtype=np.float32), spec)
    assert r.tier_label(0) == "rawan"


def test_bad_tier_schemes_and_specs_are_rejected():
    with pytest.raises(ValueError):
        TierScheme((70.0, 40.0), ("a", "b", "c"))
    with pytest.raises(ValueError):
        TierScheme((40.0,), ("a",))
    with pytest.raises(ValueError):
        Indicator("x", -1.0)
    with pytest.raises(ValueError):
        Indicator("x", 1e-30)
    with pytest.raises(ValueError):
        Indicator("x", 1.0, kind="count", cap=0.0)
    with pytest.raises(ValueError):
        RiskModelSpec(indicators=(Indicator("x", 0.0),))
    with pytest.raises(ValueError):
        RiskModelSpec(indicators=(Indicator("x", 1.0), Indicator("x", 1.0)))
    with pytest.raises(ValueError):
        score(np.zeros((2, 3), np.float32), bawaslu_like_spec())


def test_region_scores_average_the_scored_tps():
    mean, scored = region_scores(np.array([30, 50, NAN, 90], np.float32), [1, 1, 0, 2], 4)
    assert scored.tolist() == [0, 2, 1, 0]
    assert np.isnan(mean[0]) and mean[1] == 40 and mean[2] == 90 and np.isnan(mean[3])


def test_dimension_sub_scores():
    spec = bawaslu_like_spec()
    r = score(np.array([[20, 1, 0, np.nan, 0, np.nan, np.nan, 0.5]], dtype=np.float32), spec)
    dims = dict(zip(r.dimension_names, r.dimensions[0].tolist(), strict=True))
    assert dims["hak pilih"] == pytest.approx(100 * (2 + 0.5) / 3)
    assert dims["keamanan"] == pytest.approx(100 * 3 / 5.5)
    assert dims["politik uang"] == 0
    assert np.isnan(dims["lokasi"]) and np.isnan(dims["jaringan"])


# --- incidents ------------------------------------------------------------------------------------------


KUPANG = (-10.1772, 123.6070)


def test_incidents_raise_scores_only_near_recent_incidents():
    params = IncidentParams(radius_km=5, window_days=60, half_life_days=20, cap=2, weight=0.4)
    # TPS: at the incident, 2 km north, 20 km north
    lat = [KUPANG[0], KUPANG[0] + 2 / 111.19508, KUPANG[0] + 20 / 111.19508]
    lng = [KUPANG[1]] * 3
    p = incident_pressure(lat, lng, [KUPANG[0]], [KUPANG[1]], [0.0], params=params)
    assert p[0] == pytest.approx(0.5)
    assert p[1] == pytest.approx(0.5 * (1 - 2 / 5), rel=1e-4)
    assert p[2] == 0
    spec = replace(bawaslu_like_spec(), incidents=params)
    v = np.tile(np.array([[5, 0, 1, 2, 0, 1, 1, 0.2]], dtype=np.float32), (3, 1))
    base = score(v, spec)
    raised = score(v, spec, incident_pressure=p)
    assert raised.score[0] > raised.score[1] > base.score[1]
    assert raised.score[2] == base.score[2] and raised.incident_points[2] == 0
    expected = base.score[0] + 0.4 * 0.5 * (100 - base.score[0])
    assert raised.score[0] == pytest.approx(float(expected), abs=1e-4)


def test_incident_influence_decays_with_age_and_ends_with_the_window():
    params = IncidentParams(radius_km=5, window_days=90, half_life_days=30, cap=1, weight=0.3)

    def at_age(age: float) -> float:
        return float(
            incident_pressure([KUPANG[0]], [KUPANG[1]], [KUPANG[0]], [KUPANG[1]], [age], params=params)[0]
        )

    ages = [0, 10, 30, 60, 90]
    ps = [at_age(a) for a in ages]
    assert ps == sorted(ps, reverse=True)
    assert ps[2] == pytest.approx(0.5) and ps[3] == pytest.approx(0.25)
    assert at_age(91) == 0  # outside the window
    assert at_age(-1) == 0  # dated in the future


def test_incident_pressure_is_capped_and_weighted_by_severity():
    params = IncidentParams(cap=3)
    n_inc = 10
    p = incident_pressure(
        [KUPANG[0]], [KUPANG[1]], [KUPANG[0]] * n_inc, [KUPANG[1]] * n_inc, [0.0] * n_inc, params=params
    )
    assert p[0] == 1.0
    p = incident_pressure([KUPANG[0]], [KUPANG[1]], [KUPANG[0]], [KUPANG[1]], [0.0], [2.0], params=params)
    assert p[0] == pytest.approx(2 / 3)
    # TPS without coordinates get nothing; no incidents give nothing
    p = incident_pressure([NAN, KUPANG[0]], [NAN, KUPANG[1]], [KUPANG[0]], [KUPANG[1]], [0.0])
    assert p[0] == 0 and p[1] > 0
    assert incident_pressure([KUPANG[0]], [KUPANG[1]], [], [], []).tolist() == [0.0]


def test_incident_pressure_uses_great_circle_distance():
    # 0.045 degrees of longitude is 4.9 km at the equator but 3.5 km at 45 degrees south
    params = IncidentParams(radius_km=4.0, cap=1.0)
    near_equator = incident_pressure([0.0], [0.045], [0.0], [0.0], [0.0], params=params)
    far_south = incident_pressure([-45.0], [0.045], [-45.0], [0.0], [0.0], params=params)
    lat = np.radians(-45.0)
    d_km = 2 * 6371.0088 * np.arcsin(np.cos(lat) * np.sin(np.radians(0.045) / 2))  # haversine, same latitude
    assert near_equator[0] == 0
    assert 3.5 < d_km < 3.6
    assert far_south[0] == pytest.approx(1 - d_km / 4.0, abs=1e-6)


def test_incident_pressure_must_be_a_share():
    spec = bawaslu_like_spec()
    with pytest.raises(ValueError):
        score(np.zeros((1, 8), np.float32), spec, incident_pressure=np.array([1.5], np.float32))
