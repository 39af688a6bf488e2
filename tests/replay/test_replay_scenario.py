"""The replay's election-day scenario: deterministic, seeded per TPS, and shaped like a real voting day."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from sinergi.replay import scenario as sc

DAY = dt.date(2024, 11, 27)
WITA = dt.timezone(dt.timedelta(hours=8))
ORDER = ["opened", "voting", "closed", "counted", "handed_over"]


def stations(n: int, unit: str = "POLRES-53.01") -> list[sc.Station]:
    return [sc.Station(code=f"53.01.{i // 1000 + 1:02d}.2001-{i % 1000 + 1:03d}", unit=unit,
                       lat=-10.1 + i * 1e-4, lng=123.6, voters=150 + (i * 37) % 450) for i in range(n)]


@pytest.fixture(scope="module")
def texts():
    return sc.load_labelled_texts()


@pytest.fixture(scope="module")
def day(texts):
    return sc.generate(stations(5000), sc.Config(voting_date=DAY, seed=7), texts)


def local_minutes(at: dt.datetime) -> float:
    t = at.astimezone(WITA)
    assert t.date() == DAY
    return t.hour * 60 + t.minute + t.second / 60


def test_same_seed_same_day_other_seed_other_day(texts):
    a = sc.generate(stations(300), sc.Config(voting_date=DAY, seed=3), texts)
    b = sc.generate(stations(300), sc.Config(voting_date=DAY, seed=3), texts)
    c = sc.generate(stations(300), sc.Config(voting_date=DAY, seed=4), texts)
    assert [(e.at, e.key, e.body) for e in a] == [(e.at, e.key, e.body) for e in b]
    assert [e.at for e in a] != [e.at for e in c]
    assert {e.key for e in a}.isdisjoint({e.key for e in c})  # a new seed never collides with an old replay


def test_a_tps_has_the_same_day_alone_or_with_the_province(texts):
    everyone = stations(400)
    cfg = sc.Config(voting_date=DAY, seed=5)
    full = sc.generate(everyone, cfg, texts)
    part = sc.generate(everyone[::40], cfg, texts)
    codes = {s.code for s in everyone[::40]}
    assert [(e.key, e.at) for e in full if e.tps in codes] == [(e.key, e.at) for e in part]


def test_counts_per_kind_are_realistic(day):
    kinds = Counter(e.kind for e in day)
    n = 5000
    assert 0.99 * n <= kinds["opened"] < n                  # a few never report (missing-check-in alerts)
    assert kinds["voting"] == kinds["opened"] == kinds["closed"]
    assert 0.98 * n <= kinds["counted"] <= kinds["closed"]
    assert 0.97 * n <= kinds["handed_over"] <= kinds["counted"]
    assert 0.01 * n <= kinds["problem"] <= 0.02 * n          # ~1-2 % problem check-ins
    assert 0.02 * n <= kinds["incident"] <= 0.06 * n
    keys = [e.key for e in day]
    assert len(keys) == len(set(keys)) and max(map(len, keys)) <= 100


def test_times_follow_the_voting_day(day):
    by_kind = defaultdict(list)
    for e in day:
        by_kind[e.kind].append(local_minutes(e.at))
    opened = by_kind["opened"]
    assert sum(6 * 60 <= m < 8 * 60 for m in opened) >= 0.95 * len(opened)
    assert sum(6 * 60 + 45 <= m <= 7 * 60 + 30 for m in opened) >= 0.9 * len(opened)
    assert 0 < sum(m > 7 * 60 + 30 for m in opened) <= 0.05 * len(opened)    # a few open late
    assert all(m >= 7 * 60 for m in by_kind["voting"])
    assert all(13 * 60 <= m <= 13 * 60 + 30 for m in by_kind["closed"])
    assert all(15 * 60 <= m <= 21 * 60 for m in by_kind["counted"])
    assert all(m < 24 * 60 for m in by_kind["handed_over"])
    assert sorted(day, key=sc.Event.sort_key) == day


def test_each_tps_reports_in_order_and_a_silent_tps_stays_silent(day):
    per_tps = defaultdict(list)
    for e in day:
        if e.channel == "checkin":
            per_tps[e.tps].append(e)
    silent = {s.code for s in stations(5000)} - set(per_tps)
    assert silent, "some TPS never report"
    for code, evs in per_tps.items():
        seq = [e.kind for e in evs if e.kind != "problem"]
        assert seq == ORDER[:len(seq)], (code, seq)              # no gaps: a missing step ends the day's reports
        assert len(seq) >= 3
        times = [e.at for e in evs if e.kind != "problem"]
        assert times == sorted(times)
        for p in (e for e in evs if e.kind == "problem"):
            assert times[1] <= p.at <= times[2] and p.body["note"]
    e = next(e for e in day if e.kind == "opened")
    assert set(e.body) >= {"key", "tps", "kind", "at", "lat", "lng"}
    assert dt.datetime.fromisoformat(e.body["at"]) == e.at and e.body["at"].endswith("+08:00")


def test_incidents_use_the_labelled_texts_at_a_tps(day, texts):
    known = {t for _label, t in texts}
    incidents = [e for e in day if e.kind == "incident"]
    assert incidents
    for e in incidents:
        assert e.body["text"] in known and e.body["tps_code"] == e.tps
        assert dt.datetime.fromisoformat(e.body["occurred_at"]) <= e.at
    dawn = [e for e in incidents if local_minutes(e.at) < 8 * 60]
    assert dawn and len({e.body["text"] for e in incidents}) > 50


def test_window_and_clock(day):
    cfg = sc.Config(voting_date=DAY, seed=7)
    busy = sc.window(day, cfg, sc.parse_clock("06:30"), sc.parse_clock("08:30"))
    kinds = Counter(e.kind for e in busy)
    assert set(kinds) <= {"opened", "voting", "problem", "incident"} and kinds["opened"] > 0.97 * 5000
    assert all(6 * 60 + 30 <= local_minutes(e.at) < 8 * 60 + 30 for e in busy)
    assert sc.parse_clock("24:00") == 1440.0
    with pytest.raises(ValueError):
        sc.parse_clock("25:00")


def test_logistics_legs_depart_before_they_arrive_then_hand_over():
    t = dt.datetime(2024, 11, 28, 8, 0, tzinfo=WITA)
    mv = sc.Movement(id="7", unit="POLRES-53.05", handover=t + dt.timedelta(hours=9),
                     legs=((1, t, t + dt.timedelta(hours=2)), (2, t + dt.timedelta(hours=2, minutes=10),
                                                               t + dt.timedelta(hours=8))))
    cfg = sc.Config(voting_date=DAY)
    evs = sc.generate([], cfg, movements=[mv])
    assert [(e.body.get("leg", "-"), e.body.get("kind", e.body.get("place"))) for e in evs] == [
        (1, "departure"), (1, "arrival"), (2, "departure"), (2, "arrival"), ("-", "destination")]
    assert [e.at for e in evs] == sorted(e.at for e in evs)
    assert all(e.body["_path"].startswith("/api/v1/logistics-movements/7/") for e in evs)
    assert evs == sc.generate([], cfg, movements=[mv])


def test_ballot_boxes_handed_over_at_the_tps_after_the_handed_over_check_in(texts):
    plain = stations(200)
    with_recap = [sc.Station(**{**s.__dict__, "recap_movement": "42"}) for s in plain]
    cfg = sc.Config(voting_date=DAY, seed=2)
    a, b = sc.generate(plain, cfg, texts), sc.generate(with_recap, cfg, texts)
    assert [e for e in b if e.channel != "logistics"] == a     # the other events do not move
    handed = {e.tps: e.at for e in a if e.kind == "handed_over"}
    custody = [e for e in b if e.channel == "logistics"]
    assert {e.tps for e in custody} == set(handed)
    for e in custody:
        assert e.body["place"] == "tps" and e.body["tps_code"] == e.tps and len(e.key) <= 80
        assert e.body["_path"] == "/api/v1/logistics-movements/42/handovers/" and e.at > handed[e.tps]
