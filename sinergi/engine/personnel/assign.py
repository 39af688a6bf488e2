"""Fill a deployment plan's posts with named officers, shift by shift.

Inputs are plain indices: every officer has a *home* (the Polres or special unit he serves in), optionally a
*sub* (his Polsek), a seniority flag (senior bintara Bripka/Aipda/Aiptu or higher may lead a group), the weeks
he is on leave and ``bko_only`` (a TNI member: he serves only when a BKO movement of the plan brings him; TNI acts
as BKO on Polri's request, never on its own posts). A post (guard group or reserve team) sits in an *area* (a home index) and optionally a *sub*,
needs ``seats`` officers of whom one leads when ``needs_leader``. A movement (BKO) sends ``count`` officers of
home ``source`` to serve in home ``dest`` for the shift. ``minutes[h, a]`` is the travel time from home ``h`` to
area ``a`` (``inf``: unreachable).

Per shift, greedily and deterministically (``seed`` breaks ties among equals):

1. officers on leave that week, or who worked the previous shift (``rest_between_shifts``), are unavailable;
2. movements take their officers from the source, fewest shifts worked first; these serve in the destination,
   ahead of the destination's own officers (they were sent for those seats); a movement short of officers is
   reported with the reason: ``no_one_at_source`` (nobody of that source on the roster), ``on_leave_or_rest``
   (members exist but are on leave or resting), ``source_short`` (the roster holds fewer than the plan sends);
3. every post that needs a leader takes a senior officer: own Polsek, own Polres, then the nearest homes;
4. the remaining seats are filled the same way (own Polsek, own Polres, nearest homes within ``max_minutes``).

No officer holds two posts in one shift (each is taken once per shift). Filling is maximal for the count when
every home can reach every area: the greedy stops only when no available officer is left in reach, so the
bound ``sum over shifts of min(seats, available officers)`` is met. Unfilled seats are reported per post with
the reason: ``no_leader`` (no senior officer in reach), ``on_leave_or_rest`` (officers in reach exist but are
on leave or resting), ``no_one_in_reach``.

Worked example: one home with three officers (one senior), one post of two seats with a leader.

>>> import numpy as np
>>> people = [Person(home=0, senior=True), Person(home=0), Person(home=0)]
>>> r = assign(people, [Post(area=0, seats=2, needs_leader=True)], [Shift(week=0)], np.zeros((1, 1)))
>>> r.filled, r.total, r.bound, r.gap, [(s.person, s.leader) for s in r.seats][0]
(2, 2, 2, 0.0, (0, True))
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

NO_LEADER = "no_leader"
ON_LEAVE_OR_REST = "on_leave_or_rest"
NO_ONE_IN_REACH = "no_one_in_reach"
NO_ONE_AT_SOURCE = "no_one_at_source"
SOURCE_SHORT = "source_short"


@dataclass(frozen=True)
class Person:
    home: int
    sub: int = -1
    senior: bool = False
    leave_weeks: frozenset[int] = frozenset()
    bko_only: bool = False


@dataclass(frozen=True)
class Post:
    area: int
    seats: int
    sub: int = -1
    needs_leader: bool = False


@dataclass(frozen=True)
class Movement:
    source: int
    dest: int
    count: int


@dataclass(frozen=True)
class Shift:
    week: int
    label: str = ""


@dataclass(frozen=True)
class Seat:
    shift: int
    post: int
    person: int
    leader: bool
    minutes: float
    movement: int = -1  # the BKO movement that brought the officer, -1 if none


@dataclass(frozen=True)
class Unfilled:
    shift: int
    post: int
    missing: int
    reason: str


@dataclass(frozen=True)
class MovementShort:
    """A BKO movement that could not send all its officers in one shift, and why."""

    shift: int
    movement: int
    missing: int
    reason: str


@dataclass
class AssignResult:
    seats: list[Seat]
    unfilled: list[Unfilled]
    movement_fill: list[list[int]]  # per shift, officers sent per movement
    filled: int
    total: int
    bound: int
    travel_minutes: float
    seconds: float
    stopped_early: bool = False
    shifts_worked: list[int] = field(default_factory=list)
    movement_short: list[MovementShort] = field(default_factory=list)

    @property
    def objective(self) -> int:
        """Seats filled (maximised); travel minutes break ties."""
        return self.filled

    @property
    def gap(self) -> float:
        """Relative distance of the filled seats to the bound (0 = provably as many as possible)."""
        return (self.bound - self.filled) / self.bound if self.bound else 0.0


class _Pool:
    """Available officers of one bucket in priority order, taken lazily (an officer may sit in several)."""

    __slots__ = ("queue",)

    def __init__(self, items: list[int]) -> None:
        self.queue: deque[int] = deque(items)

    def take(self, used: list[bool]) -> int:
        q = self.queue
        while q:
            p = q.popleft()
            if not used[p]:
                return p
        return -1


def _take(post: Post, pools_sub: dict[int, _Pool], pools_home: dict[int, _Pool], order: list[list[int]],
          used: list[bool]) -> tuple[int, int]:
    """The next available officer for a post and the home he comes from: own Polsek, own Polres, nearest."""
    if post.sub >= 0 and post.sub in pools_sub:
        p = pools_sub[post.sub].take(used)
        if p >= 0:
            return p, post.area
    for h in order[post.area] if post.area < len(order) else []:
        pool = pools_home.get(h)
        if pool is not None:
            p = pool.take(used)
            if p >= 0:
                return p, h
    return -1, -1


def _order(areas: int, homes: int, minutes: FloatArray, max_minutes: float) -> list[list[int]]:
    """For every area, the homes in reach sorted by travel time (own home first)."""
    out: list[list[int]] = []
    for a in range(areas):
        col = minutes[:, a] if homes else np.zeros(0)
        reach = [h for h in np.argsort(col, kind="stable").tolist() if col[h] <= max_minutes and h != a]
        out.append(([a] if a < homes else []) + reach)
    return out


def assign(people: list[Person], posts: list[Post], shifts: list[Shift], minutes: FloatArray,
           movements: list[Movement] | None = None, *, seed: int = 0, time_limit_s: float = 15.0,
           rest_between_shifts: bool = False, max_minutes: float = math.inf) -> AssignResult:
    """Assign officers to posts for every shift (see the module docstring)."""
    t0 = time.perf_counter()
    movements = movements or []
    homes = int(minutes.shape[0])
    rng = random.Random(seed)
    tiebreak = list(range(len(people)))
    rng.shuffle(tiebreak)
    worked = [0] * len(people)
    last_shift = [-2] * len(people)
    order = _order(int(minutes.shape[1]) if minutes.ndim == 2 else 0, homes, minutes, max_minutes)
    seats: list[Seat] = []
    unfilled: list[Unfilled] = []
    movement_fill: list[list[int]] = []
    total = bound = 0
    travel = 0.0
    stopped = False
    seats_per_shift = sum(p.seats for p in posts)
    movement_short: list[MovementShort] = []
    at_source: dict[int, int] = {}
    for p in people:
        at_source[p.home] = at_source.get(p.home, 0) + 1
    for si, shift in enumerate(shifts):
        total += seats_per_shift
        if time.perf_counter() - t0 > time_limit_s:
            stopped = True
            unfilled += [Unfilled(si, pi, p.seats, NO_ONE_IN_REACH) for pi, p in enumerate(posts) if p.seats]
            bound += seats_per_shift
            movement_fill.append([0] * len(movements))
            continue
        resting = [rest_between_shifts and last_shift[i] == si - 1 for i in range(len(people))]
        avail = [shift.week not in p.leave_weeks and not resting[i] for i, p in enumerate(people)]
        used = [not a for a in avail]
        rank = sorted(range(len(people)), key=lambda i: (worked[i], tiebreak[i]))
        home_of = [p.home for p in people]
        via = [-1] * len(people)
        # 2. movements (BKO): officers of the source serve in the destination this shift
        moved: list[int] = []
        by_source: dict[int, list[int]] = {}
        for i in rank:
            if avail[i]:
                by_source.setdefault(people[i].home, []).append(i)
        taken_from: dict[int, int] = {}
        for mi, mv in enumerate(movements):
            lst = by_source.get(mv.source, [])
            start = taken_from.get(mv.source, 0)
            chosen = lst[start:start + mv.count]
            taken_from[mv.source] = start + len(chosen)
            for i in chosen:
                home_of[i] = mv.dest
                via[i] = mi
            moved.append(len(chosen))
            if len(chosen) < mv.count:
                if not at_source.get(mv.source):
                    why = NO_ONE_AT_SOURCE
                elif len(lst) < at_source[mv.source]:
                    why = ON_LEAVE_OR_REST
                else:
                    why = SOURCE_SHORT
                movement_short.append(MovementShort(si, mi, mv.count - len(chosen), why))
        movement_fill.append(moved)
        n_avail = sum(1 for i, p in enumerate(people) if avail[i] and (not p.bko_only or via[i] >= 0))
        bound += min(seats_per_shift, n_avail)
        # pools per (sub), (home) and seniors, in priority order
        sub_pool: dict[int, _Pool] = {}
        home_pool: dict[int, _Pool] = {}
        sen_sub: dict[int, _Pool] = {}
        sen_home: dict[int, _Pool] = {}
        buckets: dict[tuple[str, int], list[int]] = {}
        # officers a movement brought come first in their destination's pools, then the others by rank
        for i in [i for i in rank if via[i] >= 0] + [i for i in rank if via[i] < 0]:
            if not avail[i]:
                continue
            p = people[i]
            if p.bko_only and via[i] < 0:
                continue  # a TNI member serves only as BKO
            h = home_of[i]
            if p.sub >= 0 and via[i] < 0:
                buckets.setdefault(("s", p.sub), []).append(i)
                if p.senior:
                    buckets.setdefault(("S", p.sub), []).append(i)
            buckets.setdefault(("h", h), []).append(i)
            if p.senior:
                buckets.setdefault(("H", h), []).append(i)
        for (kind, key), items in buckets.items():
            {"s": sub_pool, "h": home_pool, "S": sen_sub, "H": sen_home}[kind][key] = _Pool(items)

        first_seat = len(seats)
        filled_per_post = [0] * len(posts)
        leader_missing = [False] * len(posts)
        # 3. leaders first, 4. then the other seats
        for pi, post in enumerate(posts):
            if post.needs_leader and post.seats > 0:
                who, h = _take(post, sen_sub, sen_home, order, used)
                if who < 0:
                    leader_missing[pi] = True
                    continue
                used[who] = True
                m = float(minutes[h, post.area]) if h != post.area else 0.0
                seats.append(Seat(si, pi, who, True, m, via[who]))
                travel += m
                filled_per_post[pi] += 1
        for pi, post in enumerate(posts):
            # the leader's seat stays empty (and is reported) when no senior officer could take it
            while filled_per_post[pi] < post.seats - (1 if leader_missing[pi] else 0):
                who, h = _take(post, sub_pool, home_pool, order, used)
                if who < 0:
                    break
                used[who] = True
                m = float(minutes[h, post.area]) if h != post.area else 0.0
                seats.append(Seat(si, pi, who, False, m, via[who]))
                travel += m
                filled_per_post[pi] += 1
        in_reach_unavailable: dict[int, bool] = {}
        for pi, post in enumerate(posts):
            missing = post.seats - filled_per_post[pi]
            if missing <= 0:
                continue
            if leader_missing[pi]:
                reason = NO_LEADER
            else:
                if post.area not in in_reach_unavailable:
                    reach = set(order[post.area]) if post.area < len(order) else set()
                    in_reach_unavailable[post.area] = any(
                        not avail[i] and people[i].home in reach for i in range(len(people)))
                reason = ON_LEAVE_OR_REST if in_reach_unavailable[post.area] else NO_ONE_IN_REACH
            unfilled.append(Unfilled(si, pi, missing, reason))
        for s in seats[first_seat:]:
            worked[s.person] += 1
            last_shift[s.person] = si
    filled = len(seats)
    return AssignResult(seats=seats, unfilled=unfilled, movement_fill=movement_fill, filled=filled, total=total,
                        bound=bound, travel_minutes=round(travel, 1), seconds=time.perf_counter() - t0,
                        stopped_early=stopped, shifts_worked=worked, movement_short=movement_short)
