"""The debrief (evaluasi) of an exercise: alerts raised and acknowledged over time, check-in coverage over time and
response times per Polres, read from the exercise's own database. Computed while the exercise runs (live) and
kept with the exercise when it stops (so it can be read and exported without entering the exercise)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from django.utils import timezone

from sinergi.core import sandbox
from sinergi.core.clock import wall_now

from .models import Exercise

TIMELINE_LIMIT = 300
KINDS = ("opened", "voting", "closed", "counted", "handed_over")


def _minutes(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def _hours(ex: Exercise, until: dt.datetime) -> list[dt.datetime]:
    out, t = [], ex.sim_start
    while t <= until:
        out.append(t)
        t += dt.timedelta(hours=1)
    if not out or out[-1] < until:
        out.append(until)
    return out


def build_debrief(ex: Exercise) -> dict:
    """Everything the debrief page and PDF show, as plain JSON (times ISO, durations in minutes)."""
    clock = ex.clock()
    with sandbox.enter(clock):
        return _build(ex, clock.at(wall_now()))


def _build(ex: Exercise, sim_now: dt.datetime) -> dict:
    from sinergi.elections.models import PollingStation
    from sinergi.incidents.models import Incident
    from sinergi.operations.models import Alert, AlertKind, CheckIn, TpsStatus

    tz = ZoneInfo(ex.tz)
    until = min(max(sim_now, ex.sim_start), ex.sim_end)
    hours = _hours(ex, until)
    kind_label = {k.value: str(k.label) for k in AlertKind}

    # --- alerts: raised / acknowledged per hour, and the first events in time order
    alerts = list(Alert.objects.filter(election_id=ex.election_id)
                  .values("id", "kind", "message", "severity", "raised_at", "acknowledged_at", "resolved_at",
                          "unit__name", "unit_id").order_by("raised_at", "id"))
    per_hour_raised: Counter = Counter()
    per_hour_acked: Counter = Counter()
    events = []
    for a in alerts:
        per_hour_raised[_bucket(hours, a["raised_at"])] += 1
        events.append((a["raised_at"], "raised", a))
        if a["acknowledged_at"]:
            per_hour_acked[_bucket(hours, a["acknowledged_at"])] += 1
            events.append((a["acknowledged_at"], "acknowledged", a))
    events.sort(key=lambda e: (e[0], e[1] != "raised"))
    timeline = [{"at": timezone.localtime(t, tz).strftime("%H:%M"), "event": what,
                 "kind": kind_label.get(a["kind"], a["kind"]), "message": a["message"][:200],
                 "unit": a["unit__name"] or "", "severity": a["severity"]}
                for t, what, a in events[:TIMELINE_LIMIT]]

    # --- check-in coverage: share of TPS that had reported each step by each hour
    total = PollingStation.objects.filter(election_id=ex.election_id).count()
    firsts = {k: sorted(t for t in TpsStatus.objects.filter(election_id=ex.election_id, **{f"{k}_at__isnull": False})
                        .values_list(f"{k}_at", flat=True)) for k in KINDS}
    coverage = []
    for h in hours:
        row = {"at": timezone.localtime(h, tz).strftime("%H:%M")}
        for k in KINDS:
            n = _count_le(firsts[k], h)
            row[k] = n
            row[f"{k}_pct"] = round(100 * n / total, 1) if total else 0.0
        coverage.append(row)

    # --- response times per Polres: alert acknowledged - raised; incidents acknowledged - first reported
    per_unit: dict[str, dict] = defaultdict(lambda: {"alerts": 0, "acknowledged": 0, "ack_minutes": [],
                                                      "incidents": 0, "incident_minutes": []})
    for a in alerts:
        u = per_unit[a["unit__name"] or "-"]
        u["alerts"] += 1
        if a["acknowledged_at"]:
            u["acknowledged"] += 1
            u["ack_minutes"].append(_minutes(a["acknowledged_at"] - a["raised_at"]))
    for i in Incident.objects.values("assigned_unit__name", "first_reported_at", "acknowledged_at"):
        u = per_unit[i["assigned_unit__name"] or "-"]
        u["incidents"] += 1
        if i["acknowledged_at"]:
            u["incident_minutes"].append(_minutes(i["acknowledged_at"] - i["first_reported_at"]))
    polres = []
    for name, u in sorted(per_unit.items()):
        polres.append({"unit": name, "alerts": u["alerts"], "acknowledged": u["acknowledged"],
                       "ack_median_min": _median(u["ack_minutes"]), "ack_max_min": max(u["ack_minutes"], default=None),
                       "incidents": u["incidents"], "incident_median_min": _median(u["incident_minutes"])})
    return {
        "generated_at": wall_now().isoformat(), "sim_at": until.isoformat(),
        "sim_at_local": timezone.localtime(until, tz).strftime("%d-%m-%Y %H:%M"),
        "window": f"{timezone.localtime(ex.sim_start, tz):%d-%m-%Y %H:%M} - "
                  f"{timezone.localtime(ex.sim_end, tz):%d-%m-%Y %H:%M}",
        "tz": ex.tz, "tps_total": total,
        "checkins": CheckIn.objects.filter(election_id=ex.election_id).count(),
        "alerts": {"raised": len(alerts), "acknowledged": sum(1 for a in alerts if a["acknowledged_at"]),
                   "resolved": sum(1 for a in alerts if a["resolved_at"]),
                   "per_hour": [{"at": timezone.localtime(h, tz).strftime("%H:%M"), "raised": per_hour_raised[i],
                                 "acknowledged": per_hour_acked[i]} for i, h in enumerate(hours)],
                   "timeline": timeline, "timeline_truncated": len(events) > TIMELINE_LIMIT},
        "coverage": coverage, "polres": polres,
    }


def _bucket(hours: list[dt.datetime], t: dt.datetime) -> int:
    """Index of the hour mark at or before `t` (0 for anything before the window)."""
    idx = 0
    for i, h in enumerate(hours):
        if h <= t:
            idx = i
    return idx


def _count_le(sorted_times: list[dt.datetime], t: dt.datetime) -> int:
    import bisect

    return bisect.bisect_right(sorted_times, t)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
