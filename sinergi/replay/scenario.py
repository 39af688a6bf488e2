"""A realistic, seeded election-day timeline (pure Python: no Django, no I/O beyond reading a text file).

Input: the TPS of an election (code, responsible Polres, coordinates, voters), the labelled Indonesian incident
texts and a :class:`Config`. Output: a list of :class:`Event` sorted by time, each with a deterministic
idempotency key, so replaying the same scenario twice stores nothing twice.

Every TPS draws from its own random stream (seeded by ``seed`` and the TPS code), so a TPS's timeline is the
same whether it is replayed alone (``--limit-tps``) or with the whole province.

Timeline per TPS (local time, WITA = UTC+8 for NTT; the defaults below are data, all in :class:`Config`):

- ``opened`` around 07:00 (normal, sd 8 min, clipped to 06:45–07:30); ``late_rate`` of the TPS open late
  (07:31–09:00); ``missing_rate`` never report at all (the missing-check-in alert must fire for them);
- ``voting`` a few minutes after opening, not before 07:00;
- ``closed`` 13:00–13:30; ``counted`` 15:00–21:00 (larger TPS count longer); ``no_count_rate`` of the TPS
  never report counting (and so never report the hand-over); ``handed_over`` 20–150 min after counting (before
  23:55); ``no_handover_rate`` never report the hand-over;
- ``problem_rate`` of the TPS send one ``problem`` check-in with a note between opening and closing;
- incidents: each TPS has ``incident_rate`` expected incidents (Poisson); the text comes from the labelled set,
  the time depends on the category (money politics at dawn, clashes after counting, logistics and procedure
  problems while voting), reported 2–30 min after it happened.
- logistics: optional movements (from the logistics plan) turn into leg departures/arrivals and hand-overs.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHECKIN_KINDS = ("opened", "voting", "closed", "counted", "handed_over", "problem")
KIND_ORDER = {k: i for i, k in enumerate(("logistics", *CHECKIN_KINDS, "incident"))}
LABELLED_TEXTS = Path(__file__).resolve().parent.parent / "data" / "incidents" / "training.txt"

# Hours (local) in which incidents of a category typically happen: (start, mode, end) of a triangular law.
INCIDENT_HOURS: dict[str, tuple[float, float, float]] = {
    "money_politics": (4.5, 6.0, 10.0),        # "serangan fajar"
    "logistics": (6.0, 7.0, 13.0),
    "voting_procedure": (7.0, 12.0, 21.0),
    "voter_list": (7.0, 9.0, 13.0),
    "intimidation": (6.0, 9.0, 14.0),
    "neutrality": (6.0, 9.0, 13.0),
    "campaign_violation": (5.0, 7.0, 12.0),
    "hate_speech": (6.0, 12.0, 22.0),
    "violence_clash": (12.0, 18.0, 23.5),
    "protest": (13.0, 18.0, 23.5),
    "property_damage": (6.0, 15.0, 23.5),
    "natural_hazard": (5.0, 12.0, 22.0),
}
DEFAULT_HOURS = (6.0, 12.0, 22.0)
# Categories whose texts make a believable note of a "problem" check-in by the officer at the TPS.
PROBLEM_CATEGORIES = ("logistics", "voting_procedure", "voter_list")


@dataclass(frozen=True)
class Station:
    """One TPS as the scenario needs it. `unit` names whose officers report for it (the Polres code)."""

    code: str
    unit: str
    lat: float | None = None
    lng: float | None = None
    voters: int = 300
    polsek: str = ""
    recap_movement: str = ""   # id of the recapitulation hop (PPS -> PPK) serving the TPS's desa, if planned


@dataclass(frozen=True)
class Movement:
    """A logistics movement to replay: its legs (id, planned departure, planned arrival) and hand-over."""

    id: str
    unit: str
    legs: tuple[tuple[int, dt.datetime, dt.datetime], ...]    # (order 1..n, planned departure, expected arrival)
    handover: dt.datetime | None = None


@dataclass(frozen=True)
class Config:
    voting_date: dt.date
    seed: int = 1
    utc_offset_hours: float = 8.0
    missing_rate: float = 0.004
    late_rate: float = 0.03
    no_count_rate: float = 0.004
    no_handover_rate: float = 0.01
    problem_rate: float = 0.015
    incident_rate: float = 0.04
    key_prefix: str = "rp"

    @property
    def tz(self) -> dt.timezone:
        return dt.timezone(dt.timedelta(hours=self.utc_offset_hours))

    def local(self, minutes: float) -> dt.datetime:
        """Voting day at `minutes` after local midnight, as an aware datetime in local time (whole seconds)."""
        midnight = dt.datetime.combine(self.voting_date, dt.time(0), tzinfo=self.tz)
        return midnight + dt.timedelta(seconds=round(minutes * 60))


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str          # a check-in kind, "incident" or "logistics"
    key: str
    unit: str
    tps: str
    body: dict[str, Any] = field(compare=False, hash=False)

    @property
    def channel(self) -> str:
        if self.kind == "incident":
            return "incident"
        if self.kind == "logistics":
            return "logistics"
        return "checkin"

    def sort_key(self) -> tuple[dt.datetime, str, int, str]:
        return (self.at, self.tps, KIND_ORDER.get(self.kind, 99), self.key)


def load_labelled_texts(path: Path = LABELLED_TEXTS) -> list[tuple[str, str]]:
    """(label, text) pairs of the shipped labelled incident texts (`label|text` per line)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "|" in line:
            label, text = line.split("|", 1)
            out.append((label.strip(), text.strip()))
    return out


def _iso(at: dt.datetime) -> str:
    return at.isoformat()


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _clip(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def station_events(st: Station, cfg: Config, texts: Sequence[tuple[str, str]]) -> list[Event]:
    """The day of one TPS: its check-ins and the incidents reported at it."""
    rng = random.Random(f"{cfg.seed}|{st.code}")
    pre = f"{cfg.key_prefix}{cfg.seed}"
    events: list[Event] = []

    def where() -> dict[str, float]:
        if st.lat is None or st.lng is None:
            return {}
        # The officer's phone: within ~30 m of the TPS point.
        return {"lat": round(st.lat + rng.gauss(0, 0.0002), 6), "lng": round(st.lng + rng.gauss(0, 0.0002), 6)}

    def checkin(kind: str, minutes: float, note: str = "", n: int = 0) -> None:
        at = cfg.local(minutes)
        key = f"{pre}:{kind}:{st.code}" + (f":{n}" if n else "")
        body: dict[str, Any] = {"key": key, "tps": st.code, "kind": kind, "at": _iso(at), **where()}
        if note:
            body["note"] = note
        events.append(Event(at, kind, key, st.unit, st.code, body))

    # Draw every random number in a fixed order whatever the branch, so rates can change without
    # reshuffling the other TPS's times.
    u_missing, u_late, u_nocount, u_nohand, u_problem = (rng.random() for _ in range(5))
    open_normal = _clip(rng.gauss(420.0, 8.0), 405.0, 450.0)
    open_late = rng.uniform(451.0, 540.0)
    vote_delay = rng.uniform(2.0, 10.0)
    vote_floor = 420.0 + rng.uniform(0.5, 10.0)
    closed = 780.0 + rng.triangular(0.0, 30.0, 6.0)
    size = _clip(st.voters / 600.0, 0.0, 1.0)
    counted = _clip(rng.triangular(900.0, 1260.0, 960.0 + 180.0 * size), 900.0, 1260.0)
    handed = min(counted + rng.uniform(20.0, 150.0), 1435.0)
    problem_u = rng.random()
    problem_text = rng.randrange(1 << 30)
    n_incidents = _poisson(rng, cfg.incident_rate)
    incident_draws = [(rng.randrange(1 << 30), rng.random(), rng.uniform(2.0, 30.0)) for _ in range(n_incidents)]
    handover_delay = rng.uniform(2.0, 15.0)

    if u_missing >= cfg.missing_rate:
        opened = open_late if u_late < cfg.late_rate else open_normal
        voting = max(opened + vote_delay, vote_floor)
        checkin("opened", opened)
        checkin("voting", voting)
        checkin("closed", closed)
        if u_nocount >= cfg.no_count_rate:
            checkin("counted", counted)
            if u_nohand >= cfg.no_handover_rate:
                checkin("handed_over", handed)
                if st.recap_movement:
                    # Chain of custody: the KPPS hands the ballot boxes to the PPS at the TPS on voting night,
                    # recorded on the recapitulation hop of the desa (logistics API).
                    at = cfg.local(min(handed + handover_delay, 1439.0))
                    key = f"{pre}:ho:{st.code}"
                    events.append(Event(at, "logistics", key, st.unit, st.code, {
                        "key": key, "place": "tps", "tps_code": st.code, "at": _iso(at),
                        "from_name": f"KPPS TPS {st.code}", "from_agency": "KPU", "to_name": "PPS",
                        "to_agency": "KPU", "seal_check": "not_checked",
                        "_path": f"/api/v1/logistics-movements/{st.recap_movement}/handovers/"}))
        if u_problem < cfg.problem_rate:
            notes = [t for label, t in texts if label in PROBLEM_CATEGORIES] or ["Kendala di TPS"]
            checkin("problem", voting + problem_u * (closed - voting), note=notes[problem_text % len(notes)], n=1)

    for i, (pick, u, delay) in enumerate(incident_draws, start=1):
        if not texts:
            break
        label, text = texts[pick % len(texts)]
        lo, mode, hi = INCIDENT_HOURS.get(label, DEFAULT_HOURS)
        occurred_min = 60.0 * _triangular_inv(u, lo, mode, hi)
        occurred = cfg.local(occurred_min)
        reported = cfg.local(min(occurred_min + delay, 1439.0))
        key = f"{pre}:inc:{st.code}:{i}"
        body = {"key": key, "text": text, "tps_code": st.code, "occurred_at": _iso(occurred)}
        events.append(Event(reported, "incident", key, st.unit, st.code, body))
    return events


def _triangular_inv(u: float, lo: float, mode: float, hi: float) -> float:
    c = (mode - lo) / (hi - lo)
    if u < c:
        return lo + math.sqrt(u * (hi - lo) * (mode - lo))
    return hi - math.sqrt((1 - u) * (hi - lo) * (hi - mode))


def movement_events(mv: Movement, cfg: Config) -> list[Event]:
    """Departure and arrival of each leg (a little off plan, seeded) and the final hand-over of a movement."""
    rng = random.Random(f"{cfg.seed}|mv|{mv.id}")
    pre = f"{cfg.key_prefix}{cfg.seed}:lg:{mv.id}"
    out: list[Event] = []
    slip = 0.0
    previous: dt.datetime | None = None
    for leg_id, dep, arr in mv.legs:
        slip += rng.triangular(-5.0, 45.0, 5.0)
        d = dep + dt.timedelta(minutes=max(slip, 0.0))
        if previous is not None:  # a leg leaves once the previous one has arrived
            d = max(d, previous + dt.timedelta(minutes=5))
        a = arr + dt.timedelta(minutes=max(slip + rng.triangular(-10.0, 60.0, 5.0), 1.0))
        a = max(a, d + dt.timedelta(minutes=1))
        previous = a
        for what, at in (("departure", d), ("arrival", a)):
            key = f"{pre}:{leg_id}:{what[:3]}"
            out.append(Event(at, "logistics", key, mv.unit, "", {
                "key": key, "leg": leg_id, "kind": what, "at": _iso(at),
                "_path": f"/api/v1/logistics-movements/{mv.id}/events/"}))
    if mv.handover is not None:
        at = max(mv.handover, out[-1].at + dt.timedelta(minutes=2)) if out else mv.handover
        key = f"{pre}:handover"
        out.append(Event(at, "logistics", key, mv.unit, "", {
            "key": key, "place": "destination", "at": _iso(at), "from_name": "Pengawal", "to_name": "Penerima",
            "seal_check": "not_checked", "_path": f"/api/v1/logistics-movements/{mv.id}/handovers/"}))
    return out


def generate(stations: Iterable[Station], cfg: Config, texts: Sequence[tuple[str, str]] = (),
             movements: Iterable[Movement] = ()) -> list[Event]:
    """The whole day, sorted by time (ties: TPS code, then check-in order)."""
    events: list[Event] = []
    for st in stations:
        events.extend(station_events(st, cfg, texts))
    for mv in movements:
        events.extend(movement_events(mv, cfg))
    events.sort(key=Event.sort_key)
    return events


def parse_clock(text: str) -> float:
    """'06:30' -> 390.0 minutes after local midnight; '24:00' allowed (end of the day)."""
    h, _, m = text.strip().partition(":")
    minutes = int(h) * 60 + int(m or 0)
    if not 0 <= minutes <= 24 * 60:
        raise ValueError(f"time of day out of range: {text!r}")
    return float(minutes)


def window(events: Iterable[Event], cfg: Config, start_min: float, end_min: float) -> list[Event]:
    """Events whose time falls in [start, end) local time of the voting day."""
    lo, hi = cfg.local(start_min), cfg.local(end_min)
    return [e for e in events if lo <= e.at < hi]


def summary(events: Sequence[Event]) -> dict[str, Any]:
    kinds = Counter(e.kind for e in events)
    return {"events": len(events), "by_kind": dict(sorted(kinds.items(), key=lambda kv: KIND_ORDER.get(kv[0], 99))),
            "first": _iso(events[0].at) if events else None, "last": _iso(events[-1].at) if events else None}
