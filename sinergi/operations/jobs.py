"""Periodic work of election-day operations, called by `manage.py sinergi_tick` with the time.

tick(now): for each election whose voting day is near, for each check-in kind with a due time
(sinergi/data/operations/checkin_schedule.csv) that has passed in the TPS's local time and whose window is still
open, raise one `checkin_missing` alert per TPS that has not reported that kind (or a later one), keyed
``checkin_missing:<kind>:<tps id>`` and owned by the TPS's Polres; and resolve open ones whose check-in has come
(the check-in service resolves them at once; this is the safety net). Idempotent: a second tick for the same
moment changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from sinergi.core import clock
from sinergi.elections.models import Election, PollingStation

from . import live, stages
from .models import KIND_ORDER, Alert, AlertKind, CheckInKind, TpsStatus
from .scope import polres_by_regency
from .services import alert_resolve_many, alerts_raise_many, missing_key

KIND_LABEL = {k.value: str(k.label) for k in CheckInKind}


def _satisfied_q(kind: str) -> Q:
    q = Q()
    for k in KIND_ORDER[KIND_ORDER.index(kind):]:
        q |= Q(**{f"{k}_at__isnull": False})
    return q


def _provinces(election: Election) -> list[str]:
    return sorted({c[:2] for c in PollingStation.objects.filter(election=election)
                   .values_list("regency_code", flat=True).distinct()})


def raise_missing(election: Election, now: dt.datetime) -> dict[str, int]:
    raised: dict[str, int] = {}
    raised_units: set[int] = set()
    all_stages = stages.stages_of(election)
    polres = None
    for kind in KIND_ORDER:
        sched = stages.schedule().get(kind)
        if sched is None or sched.due is None:
            continue
        for prov in _provinces(election):
            tz = stages.tz_for(prov)
            due = stages.due_at(election, kind, tz)
            window = stages.window(election, kind, tz)
            if due is None or now < due or (window is not None and now > window[1]):
                continue
            if kind not in stages.active_ops(election, due, all_stages).checkin_kinds:
                continue
            done = TpsStatus.objects.filter(_satisfied_q(kind), election=election,
                                            regency_code__startswith=prov + ".").values("pk")
            have = Alert.objects.filter(election=election, kind=AlertKind.CHECKIN_MISSING,
                                        key__startswith=f"checkin_missing:{kind}:").values("polling_station_id")
            todo = list(PollingStation.objects.filter(election=election, regency_code__startswith=prov + ".")
                        .exclude(pk__in=done).exclude(pk__in=have).values_list("pk", "code", "regency_code"))
            if not todo:
                continue
            if polres is None:
                polres = polres_by_regency(PollingStation.objects.filter(election=election)
                                           .values_list("regency_code", flat=True).distinct())
            local_due = due.astimezone(tz)
            label = KIND_LABEL[kind]
            objs = [Alert(election=election, key=missing_key(kind, pk), kind=AlertKind.CHECKIN_MISSING,
                          severity=sched.severity,
                          message=f"TPS {code} belum melapor '{label}' (batas {local_due:%H:%M} waktu setempat)",
                          unit=polres.get(reg), polling_station_id=pk, subject_type="elections.pollingstation",
                          subject_id=str(pk), data={"kind": kind, "tps": code}, raised_at=now, due_at=due)
                    for pk, code, reg in todo]
            # One transaction per kind and province; the audit counts the alerts actually inserted (a second
            # scheduler running by mistake inserts and counts none of them again).
            written = alerts_raise_many(alerts=objs, reopen=False, at=now, audit_data={
                "kind": AlertKind.CHECKIN_MISSING, "checkin_kind": kind, "province": prov, "due_at": due.isoformat()})
            raised[kind] = raised.get(kind, 0) + len(written)
            if written:  # the units of the alerts actually inserted (not of those another process wrote first)
                raised_units.update(Alert.objects.filter(pk__in=written, unit__isnull=False)
                                    .values_list("unit_id", flat=True).distinct())
    if raised:
        live.broadcast("alert", count=sum(raised.values()), units=sorted(raised_units))
    return raised


def resolve_satisfied(election: Election, now: dt.datetime) -> int:
    alerts = []
    for kind in KIND_ORDER:
        done = TpsStatus.objects.filter(_satisfied_q(kind), election=election).values("pk")
        alerts += list(Alert.objects.filter(election=election, kind=AlertKind.CHECKIN_MISSING,
                                            resolved_at__isnull=True, key__startswith=f"checkin_missing:{kind}:",
                                            polling_station_id__in=done))
    return alert_resolve_many(alerts=alerts, reason="tick: laporan sudah masuk", at=now) if alerts else 0


def tick(now: dt.datetime | None = None) -> dict:
    now = now or clock.now()
    today = timezone.localtime(now).date()
    out: dict = {}
    for election in Election.objects.filter(voting_date__range=(today - dt.timedelta(days=3),
                                                                today + dt.timedelta(days=1))):
        resolved = resolve_satisfied(election, now)
        raised = raise_missing(election, now)
        out[election.code] = {"raised": raised, "resolved": resolved}
    return out
