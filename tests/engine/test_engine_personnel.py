"""Personnel engine: assignment of named officers to posts, and dispatch suggestions (no database)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from sinergi.engine.deployment.travel import TravelModel
from sinergi.engine.personnel import assign as assign_mod
from sinergi.engine.personnel import dispatch as dispatch_mod
from sinergi.engine.personnel.assign import (
    NO_LEADER,
    NO_ONE_IN_REACH,
    ON_LEAVE_OR_REST,
    Movement,
    Person,
    Post,
    Shift,
    assign,
)


@pytest.mark.parametrize("module", [assign_mod, dispatch_mod])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_own_polsek_then_own_polres_then_nearest_home():
    minutes = np.array([[0.0, 30.0, 90.0], [30.0, 0.0, 60.0], [90.0, 60.0, 0.0]])
    people = [Person(home=0, sub=10, senior=True), Person(home=0, sub=11), Person(home=1), Person(home=2)]
    posts = [Post(area=0, sub=10, seats=1, needs_leader=True), Post(area=0, sub=11, seats=1),
             Post(area=0, seats=2)]
    r = assign(people, posts, [Shift(0)], minutes)
    by_post: dict[int, list[int]] = {}
    for s in r.seats:
        by_post.setdefault(s.post, []).append(s.person)
    assert by_post[0] == [0] and by_post[1] == [1]
    assert by_post[2] == [2, 3]  # home 1 (30 min) before home 2 (90 min)
    assert r.filled == r.total == r.bound == 4 and r.gap == 0.0
    assert r.travel_minutes == 120.0


def test_no_officer_twice_in_a_shift_and_reasons_for_unfilled_seats():
    minutes = np.array([[0.0, math.inf], [math.inf, 0.0]])
    people = [Person(home=0), Person(home=0), Person(home=1, leave_weeks=frozenset({0}))]
    posts = [Post(area=0, seats=3, needs_leader=True), Post(area=1, seats=1)]
    r = assign(people, posts, [Shift(0)], minutes, max_minutes=120)
    persons = [s.person for s in r.seats]
    assert len(persons) == len(set(persons)) == 2
    reasons = {u.post: (u.missing, u.reason) for u in r.unfilled}
    assert reasons == {0: (1, NO_LEADER), 1: (1, ON_LEAVE_OR_REST)}
    r2 = assign([Person(home=0)], [Post(area=1, seats=1)], [Shift(0)], minutes, max_minutes=120)
    assert r2.unfilled[0].reason == NO_ONE_IN_REACH and r2.bound == 1 and r2.gap == 1.0


def test_rotation_over_weeks_leave_and_rest():
    people = [Person(home=0, senior=True), Person(home=0, senior=True), Person(home=0, leave_weeks=frozenset({1}))]
    shifts = [Shift(0, "m1 pagi"), Shift(0, "m1 malam"), Shift(1, "m2 pagi"), Shift(1, "m2 malam")]
    r = assign(people, [Post(area=0, seats=1, needs_leader=True)], shifts, np.zeros((1, 1)),
               rest_between_shifts=True, seed=3)
    per_shift = {s.shift: s.person for s in r.seats}
    assert all(per_shift[i] != per_shift[i + 1] for i in range(3))  # rest after a shift
    assert 2 not in [per_shift[2], per_shift[3]]  # on leave in week 1
    assert r.filled == 4 and max(r.shifts_worked) - min(r.shifts_worked[:2]) <= 2


def test_bko_movement_serves_in_destination():
    minutes = np.array([[0.0, 600.0], [600.0, 0.0]])
    people = [Person(home=0, senior=True), Person(home=0)]
    r = assign(people, [Post(area=1, seats=2, needs_leader=True)], [Shift(0)], minutes,
               [Movement(source=0, dest=1, count=2)], max_minutes=60)
    assert r.movement_fill == [[2]] and r.filled == 2
    assert all(s.movement == 0 and s.minutes == 0.0 for s in r.seats)


def test_same_seed_same_result_and_scale():
    rng = np.random.default_rng(1)
    homes = 22
    minutes = rng.uniform(10, 600, (homes, homes))
    np.fill_diagonal(minutes, 0)
    people = [Person(home=int(rng.integers(homes)), sub=int(rng.integers(300)), senior=bool(rng.random() < 0.3))
              for _ in range(8000)]
    posts = [Post(area=int(rng.integers(homes)), sub=int(rng.integers(300)), seats=3, needs_leader=True)
             for _ in range(2000)]
    a = assign(people, posts, [Shift(0)], minutes, seed=7)
    b = assign(people, posts, [Shift(0)], minutes, seed=7)
    assert [s.person for s in a.seats] == [s.person for s in b.seats]
    assert a.filled == a.bound == 6000 and a.seconds < 5


def test_dispatch_prefers_road_over_sea_and_skips_unavailable():
    m = TravelModel(ports=[], links=[])
    lat = np.array([-10.0, -10.3, -10.01])
    lng = np.array([123.6, 123.6, 123.6])
    isl = np.array([0, 0, 1])  # the third is on another island with no ports: unreachable
    s = dispatch_mod.suggest(m, lat, lng, isl, np.array([True, True, True]), -10.0, 123.6, 0, k=5)
    assert [c.index for c in s] == [0, 1] and s[0].minutes == 0.0
    s = dispatch_mod.suggest(m, lat, lng, isl, np.array([False, True, True]), -10.0, 123.6, 0, k=5)
    assert [c.index for c in s] == [1]


def test_bko_only_members_serve_only_when_a_movement_brings_them_and_shortfalls_say_why():
    from sinergi.engine.personnel.assign import NO_ONE_AT_SOURCE, SOURCE_SHORT

    # home 0: a Polres with one senior officer; home 1: a Kodim with two TNI members; home 2: a Kodim with none
    people = [Person(home=0, senior=True), Person(home=1, bko_only=True), Person(home=1, bko_only=True)]
    minutes = np.array([[0.0, 30.0, 60.0], [30.0, 0.0, 60.0], [60.0, 60.0, 0.0]])
    post = Post(area=0, seats=3, needs_leader=True)
    alone = assign_mod.assign(people, [post], [Shift(week=0)], minutes)
    # without a movement the TNI members stay home, even though home 1 is in reach
    assert alone.filled == 1 and alone.bound == 1 and {s.person for s in alone.seats} == {0}
    r = assign_mod.assign(people, [post], [Shift(week=0)], minutes,
                          [Movement(source=1, dest=0, count=3), Movement(source=2, dest=0, count=2)])
    assert r.filled == 3 and r.bound == 3
    tni = [s for s in r.seats if s.person in (1, 2)]
    assert len(tni) == 2 and all(s.movement == 0 and not s.leader for s in tni)
    assert [(m.movement, m.missing, m.reason) for m in r.movement_short] == [(0, 1, SOURCE_SHORT),
                                                                            (1, 2, NO_ONE_AT_SOURCE)]
