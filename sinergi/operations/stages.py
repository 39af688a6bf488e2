"""Stage-aware operations: the election's stage calendar (elections.Stage, PKPU 2/2024) and
sinergi/data/operations/stage_activities.csv decide which check-in kinds, forms and dashboard panels are active;
sinergi/data/operations/checkin_schedule.csv gives each kind's accepted window and due time (local time of the
TPS: WIB/WITA/WIT from province_timezones.csv)."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from sinergi.core import clock
from sinergi.elections.models import Election, Stage

DATA = Path(__file__).resolve().parent.parent / "data" / "operations"
ALL_PANELS = ("coverage", "counters", "alerts", "logistics", "incidents", "map")
#: an umbrella stage (the police operation) never hides a specific one
UMBRELLA = {"police_operation"}


@dataclass(frozen=True)
class StageActivity:
    stage_code: str
    checkin_kinds: tuple[str, ...]
    forms: tuple[str, ...]
    panels: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class ActiveOps:
    """What is active at one moment: the union over every stage that covers the day."""

    stage: Stage | None
    stages: tuple[Stage, ...] = ()
    checkin_kinds: frozenset[str] = field(default_factory=frozenset)
    forms: frozenset[str] = field(default_factory=frozenset)
    panels: frozenset[str] = field(default_factory=frozenset)

    def panel(self, name: str) -> bool:
        return name in self.panels


@dataclass(frozen=True)
class KindSchedule:
    kind: str
    window_start: tuple[int, dt.time] | None
    due: tuple[int, dt.time] | None
    window_end: tuple[int, dt.time] | None
    normal_from: tuple[int, dt.time] | None
    severity: int
    source: str


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(";") if v.strip())


@lru_cache(maxsize=1)
def activities() -> dict[str, StageActivity]:
    with open(DATA / "stage_activities.csv", encoding="utf-8") as f:
        return {r["stage_code"]: StageActivity(r["stage_code"], _split(r["checkin_kinds"]), _split(r["forms"]),
                                               _split(r["panels"]), r["note"]) for r in csv.DictReader(f)}


def _day_time(day: str, time: str) -> tuple[int, dt.time] | None:
    if not day.strip() or not time.strip():
        return None
    return int(day), dt.time.fromisoformat(time)


@lru_cache(maxsize=1)
def schedule() -> dict[str, KindSchedule]:
    with open(DATA / "checkin_schedule.csv", encoding="utf-8") as f:
        return {r["kind"]: KindSchedule(
            r["kind"], _day_time(r["window_start_day"], r["window_start_time"]),
            _day_time(r["due_day"], r["due_time"]), _day_time(r["window_end_day"], r["window_end_time"]),
            _day_time(r["normal_from_day"], r["normal_from_time"]), int(r["severity"] or 2), r["source"]) for r in csv.DictReader(f)}


@lru_cache(maxsize=1)
def _province_tz() -> dict[str, str]:
    with open(DATA / "province_timezones.csv", encoding="utf-8") as f:
        return {r["province_prefix"]: r["tz"] for r in csv.DictReader(f)}


def tz_for(region_code: str) -> ZoneInfo:
    """Local time zone of a place by its Kemendagri code (default: settings.TIME_ZONE)."""
    return ZoneInfo(_province_tz().get(region_code[:2], settings.TIME_ZONE))


def local_moment(election: Election, offset: tuple[int, dt.time], tz: ZoneInfo) -> dt.datetime:
    day, time = offset
    return dt.datetime.combine(election.voting_date + dt.timedelta(days=day), time, tzinfo=tz)


def window(election: Election, kind: str, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime] | None:
    s = schedule().get(kind)
    if s is None or s.window_start is None or s.window_end is None:
        return None
    end = local_moment(election, s.window_end, tz)
    if s.window_end[1] == dt.time(23, 59):
        end += dt.timedelta(seconds=59)
    return local_moment(election, s.window_start, tz), end


def early(election: Election, kind: str, at: dt.datetime, tz: ZoneInfo) -> bool:
    """True when `at` is before the kind's normal time (e.g. voting closed before 13:00): accepted, but flagged."""
    s = schedule().get(kind)
    return bool(s and s.normal_from and at < local_moment(election, s.normal_from, tz))


def due_at(election: Election, kind: str, tz: ZoneInfo) -> dt.datetime | None:
    s = schedule().get(kind)
    if s is None or s.due is None:
        return None
    return local_moment(election, s.due, tz)


def stages_of(election: Election) -> tuple[Stage, ...]:
    return tuple(Stage.objects.filter(election_id=election.pk).order_by("order", "start_date"))


def stages_cached(election: Election) -> tuple[Stage, ...]:
    """stages_of, cached per process (sinergi.operations.cache: TTL, dropped when a Stage is saved)."""
    from . import cache

    return cache.get("stages", election.pk, lambda: stages_of(election))


def _covering(election: Election, day: dt.date, stages: tuple[Stage, ...] | None = None) -> list[Stage]:
    return [s for s in (stages if stages is not None else stages_of(election)) if s.start_date <= day <= s.end_date]


def current_stage(election: Election, at: dt.datetime | None = None,
                  stages: tuple[Stage, ...] | None = None) -> Stage | None:
    """The most specific stage on the local day of `at`: the shortest covering stage (an umbrella stage such as
    the police operation only when nothing else covers the day)."""
    day = timezone.localtime(at or clock.now()).date()
    covering = _covering(election, day, stages)
    specific = [s for s in covering if s.code not in UMBRELLA] or covering
    if not specific:
        return None
    return min(specific, key=lambda s: ((s.end_date - s.start_date).days, -s.order))


def active_ops(election: Election, at: dt.datetime | None = None,
               stages: tuple[Stage, ...] | None = None) -> ActiveOps:
    """Check-in kinds, forms and dashboard panels active at `at` (union over the stages covering the day)."""
    day = timezone.localtime(at or clock.now()).date()
    covering = _covering(election, day, stages)
    acts = activities()
    kinds: set[str] = set()
    forms: set[str] = set()
    panels: set[str] = set()
    for s in covering:
        a = acts.get(s.code)
        if a is None:
            continue
        kinds.update(a.checkin_kinds)
        forms.update(a.forms)
        panels.update(a.panels)
    return ActiveOps(stage=current_stage(election, at, stages), stages=tuple(covering), checkin_kinds=frozenset(kinds),
                     forms=frozenset(forms), panels=frozenset(panels))


def check_time(election: Election, kind: str, at: dt.datetime, tz: ZoneInfo,
               stages: tuple[Stage, ...] | None = None) -> str:
    """'' when a check-in of `kind` at `at` is acceptable, else the reason it is refused (Indonesian).
    Pass `stages` (stages_of(election)) when checking many."""
    stages = stages if stages is not None else stages_of(election)
    w = window(election, kind, tz)
    if w is not None:
        start, end = w
        if not start <= at <= end:
            ls, le = start.astimezone(tz), end.astimezone(tz)
            return (f"di luar jendela waktu laporan '{kind}': {ls:%d-%m-%Y %H:%M} s.d. {le:%d-%m-%Y %H:%M} "
                    f"waktu setempat")
        if (kind in active_ops(election, at, stages).checkin_kinds
                or kind in active_ops(election, start, stages).checkin_kinds):
            return ""
    elif kind in active_ops(election, at, stages).checkin_kinds:
        return ""
    stage = current_stage(election, at, stages)
    return f"laporan '{kind}' tidak aktif pada tahapan {stage.name if stage else '(tidak ada tahapan)'}"


def calendar(election: Election, at: dt.datetime | None = None) -> list[dict]:
    """The stage calendar with what each stage activates, for the stages page."""
    acts = activities()
    day = timezone.localtime(at or clock.now()).date()
    out = []
    for s in stages_of(election):
        a = acts.get(s.code)
        out.append({"stage": s, "active": s.start_date <= day <= s.end_date,
                    "checkin_kinds": a.checkin_kinds if a else (), "forms": a.forms if a else (),
                    "panels": a.panels if a else (), "note": a.note if a else ""})
    return out
