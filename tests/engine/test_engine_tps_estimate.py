"""The pure algorithms behind the estimated TPS list (no database)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from sinergi.engine.tps_estimate import (
    apportion,
    round_to_total,
    sample_points_in_polygon,
    sample_points_near,
    spread_tps_over_desa,
    spread_voters,
    stable_seed,
    water_fill,
)

weights_st = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=40)


def test_engine_module_does_not_import_django():
    code = "import sys, sinergi.engine.tps_estimate; sys.exit(1 if 'django' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_docstring_examples():
    assert stable_seed("53.01.04.2003") == 1218219397
    assert water_fill(10, [1, 1, 8], lo=2).tolist() == [2, 2, 6]
    assert round_to_total([1.5, 1.5, 2.0], 5) == [2, 1, 2]
    assert apportion(5477, [612, 770, 445]) == [1835, 2308, 1334]
    assert spread_tps_over_desa(10, [1, 3, 16]) == [1, 1, 8]
    assert spread_tps_over_desa(2, [1, 3, 16]) == [0, 1, 1]
    assert spread_voters(1500, [1, 1, 4]) == [450, 450, 600]


def test_fewer_tps_than_desa_go_to_the_largest_ties_by_position():
    assert spread_tps_over_desa(2, [5, 7, 7, 1]) == [0, 1, 1, 0]
    assert spread_tps_over_desa(1, [3, 3, 3]) == [1, 0, 0]
    assert spread_tps_over_desa(0, [3, 3]) == [0, 0]


def test_equal_weights_ties_go_to_the_first_items():
    assert apportion(5, [1, 1, 1]) == [2, 2, 1]
    assert apportion(7, [0, 0, 0, 0]) == [2, 2, 2, 1]


def test_impossible_bounds_raise():
    with pytest.raises(ValueError):
        spread_voters(1201, [1, 1])  # more than 2 x 600
    with pytest.raises(ValueError):
        spread_voters(1, [1, 1])  # fewer than 1 per TPS
    with pytest.raises(ValueError):
        apportion(3, [1, -1])


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=0, max_value=5000), weights=weights_st)
def test_apportion_is_exact_and_within_one_of_the_quota(total, weights):
    shares = apportion(total, weights)
    assert sum(shares) == total
    assert all(s >= 0 for s in shares)
    w = [float(x) for x in weights] if any(weights) else [1.0] * len(weights)
    for share, weight in zip(shares, w, strict=True):
        quota = total * weight / sum(w)
        assert math.floor(quota) <= share <= math.ceil(quota)  # Hamilton's quota property


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=0, max_value=400), weights=weights_st)
def test_tps_spread_keeps_one_per_desa_where_possible(total, weights):
    shares = spread_tps_over_desa(total, weights)
    assert sum(shares) == total
    if total >= len(weights):
        assert min(shares) >= 1
    else:
        assert set(shares) <= {0, 1}
        chosen = [w for w, s in zip(weights, shares, strict=True) if s]
        skipped = [w for w, s in zip(weights, shares, strict=True) if not s]
        assert not skipped or not chosen or min(chosen) >= max(skipped)


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.floats(min_value=0.0, max_value=50.0, allow_nan=False), min_size=1, max_size=60),
    fill=st.floats(min_value=0.0, max_value=1.0),
)
def test_voter_spread_respects_the_cap_and_the_total(weights, fill):
    n = len(weights)
    total = n + int(fill * (n * 600 - n))
    voters = spread_voters(total, weights)
    assert sum(voters) == total
    assert all(1 <= v <= 600 for v in voters)


@settings(max_examples=100, deadline=None)
@given(weights=st.lists(st.integers(min_value=1, max_value=20), min_size=2, max_size=30))
def test_voter_spread_is_monotone_in_weight(weights):
    n = len(weights)
    voters = spread_voters(n * 400, weights)
    order = sorted(range(n), key=lambda i: weights[i])
    for a, b in zip(order, order[1:], strict=False):
        if weights[a] < weights[b]:
            assert voters[a] <= voters[b] + 1


def test_points_are_inside_and_deterministic():
    poly = shapely.Polygon([(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)])  # an L shape
    a = sample_points_in_polygon(poly, 50, stable_seed("desa-a"), inset=0.05)
    b = sample_points_in_polygon(poly, 50, stable_seed("desa-a"), inset=0.05)
    c = sample_points_in_polygon(poly, 50, stable_seed("desa-b"), inset=0.05)
    assert a.shape == (50, 2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert shapely.contains_xy(poly, a[:, 0], a[:, 1]).all()
    inner = poly.buffer(-0.05)
    assert shapely.contains_xy(inner, a[:, 0], a[:, 1]).all()


def test_points_in_multipolygon_and_thin_polygon():
    multi = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(10, 10, 10.01, 10.01)])
    pts = sample_points_in_polygon(multi, 20, 7)
    assert shapely.contains_xy(multi, pts[:, 0], pts[:, 1]).all()
    thin = shapely.box(0, 0, 1, 0.0001)  # the inset would remove it: falls back to the full polygon
    pts = sample_points_in_polygon(thin, 5, 3, inset=0.001)
    assert shapely.contains_xy(thin, pts[:, 0], pts[:, 1]).all()


def test_points_near_a_centre_stay_inside_the_polygon():
    square = shapely.box(123.0, -10.5, 124.0, -9.5)
    pts = sample_points_near((123.5, -10.0), 30, stable_seed("53.09.01.2001"), radius=0.01, within=square)
    assert np.hypot(pts[:, 0] - 123.5, pts[:, 1] + 10.0).max() <= 0.01 + 1e-12
    # A centre outside a C-shaped polygon: the radius grows until the points land inside it.
    c_shape = shapely.Polygon([(0, 0), (3, 0), (3, 1), (1, 1), (1, 2), (3, 2), (3, 3), (0, 3)])
    pts = sample_points_near((2.0, 1.5), 10, 11, radius=0.1, within=c_shape)
    assert shapely.contains_xy(c_shape, pts[:, 0], pts[:, 1]).all()
    assert np.array_equal(pts, sample_points_near((2.0, 1.5), 10, 11, radius=0.1, within=c_shape))
