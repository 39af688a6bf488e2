"""Periodic work of the situation report, called by `manage.py sinergi_tick` (every 30 s under `sinergi up`).

At the configured local time (settings.SINERGI_SITREP_TIME, "HH:MM" WITA, default 06:00) the automatic report
of the day is queued for each scope unit (settings.SINERGI_SITREP_UNITS: unit codes; default the Polda of the
election's province) of each election in operation (between the first and last day of its stage calendar). The
unique constraint on (election, scope unit, day) for automatic reports makes this idempotent, also with two
tick processes. Webhook deliveries whose retry is due are sent again.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.accounts.models import Unit
from sinergi.elections.models import Election

from . import services
from .choices import ReportKind


def report_time() -> dt.time:
    value = settings.SINERGI_SITREP_TIME
    hours, minutes = (int(p) for p in str(value).split(":")[:2])
    return dt.time(hours, minutes)


def elections_in_operation(day: dt.date) -> list[Election]:
    out = []
    for election in Election.objects.annotate(first=Min("stages__start_date"), last=Max("stages__end_date")):
        first = election.first or election.voting_date
        last = election.last or election.voting_date
        if first <= day <= last:
            out.append(election)
    return out


def scope_units(election: Election) -> list[Unit]:
    codes = settings.SINERGI_SITREP_UNITS
    if codes:
        return list(Unit.objects.filter(code__in=codes).select_related("agency"))
    qs = Unit.objects.filter(agency__code=AgencyKind.POLRI, level=UnitLevel.PROVINCE, parent__isnull=True)
    if election.province_id:
        qs = qs.filter(jurisdiction__code=election.province_id)
    return list(qs.select_related("agency").distinct())


def tick(now: dt.datetime) -> dict:
    tz = timezone.get_default_timezone()
    local = timezone.localtime(now, tz)
    at = report_time()
    requested: list[int] = []
    if local.time() >= at:
        period_end = timezone.make_aware(dt.datetime.combine(local.date(), at), tz)
        for election in elections_in_operation(local.date()):
            for unit in scope_units(election):
                report, created = services.report_request(
                    actor=None, election=election, scope_unit=unit, kind=ReportKind.AUTOMATIC,
                    period_end=period_end)
                if created:
                    requested.append(report.pk)
    retried = services.deliveries_retry_due(now=now)
    return {"requested": requested, "retried": retried}
