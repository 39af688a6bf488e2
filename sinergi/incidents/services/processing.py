"""Processing in batches: stored reports to located, triaged, deduplicated, routed incidents."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q

from sinergi.accounts.models import Unit
from sinergi.core import clock
from sinergi.core.db.sqlite3.base import writers_waiting
from sinergi.engine.incidents import (
    Candidate,
    best_match,
    due_at,
)
from sinergi.engine.incidents.triage import clean, fingerprint
from sinergi.regions.models import Region

from .. import location
from ..choices import (
    OPEN_STATUSES,
    LocationStatus,
    NotificationChannel,
    ProcessingStatus,
    TimelineKind,
)
from ..models import (
    Category,
    Deadline,
    DeadlineRule,
    Incident,
    Notification,
    NotificationEndpoint,
    Report,
    RoutingRule,
    TimelineEntry,
)
from ._common import DEDUP, _broadcast_many, log
from .deadlines import _holidays, _local, _spec


def route(category: Category, region: Region | None, batch: _Batch | None = None
          ) -> tuple[str, Unit | None, list[Unit]]:
    """(agency, unit, units to share with) for a category at a place, by the most specific routing rule."""
    code = region.code if region is not None else ""
    if batch is not None:
        rules = [r for r in batch.routing_rules() if r.category_id is None or r.category_id == category.pk]
    else:
        rules = RoutingRule.objects.filter(Q(category=category) | Q(category__isnull=True), active=True)
    best = None
    for r in rules:
        if r.region_prefix and not (code == r.region_prefix or code.startswith(r.region_prefix + ".")):
            continue
        rank = (len(r.region_prefix), r.category_id is not None)
        if best is None or rank > best[0]:
            best = (rank, r)
    unit_for = batch.unit_for if batch is not None else _unit_for
    agency = best[1].agency_code if best else category.agency_code
    unit = best[1].unit if best and best[1].unit_id else unit_for(agency, region)
    shared = [u for u in (unit_for(a, region) for a in category.co_agencies if a != agency) if u is not None]
    return agency, unit, shared


def _unit_for(agency: str, region: Region | None) -> Unit | None:
    """The unit of the agency whose jurisdiction holds the place at the deepest level (else its top unit)."""
    if region is not None:
        parts = region.code.split(".")
        prefixes = [".".join(parts[: i + 1]) for i in range(len(parts))]
        for prefix in reversed(prefixes):
            unit = (Unit.objects.filter(agency__code=agency, jurisdiction__code=prefix)
                    .exclude(level="special").order_by("-path").first())
            if unit is not None:
                return unit
    top = Unit.objects.filter(agency__code=agency, parent__isnull=True).order_by("path")
    if region is not None and region.province_code:
        # Never another province's unit (several provinces loaded, docs/provinces.md): its top unit for the
        # place's province, else none.
        return top.filter(jurisdiction__province_code=region.province_code).first()
    return top.first()


# --------------------------------------------------------------------------- processing in batches
#
# One path for every report whatever its channel: `reports_process(ids)`. A batch (1 or many reports) is
# (1) read and understood without holding the write lock: location (TPS, codes, nearest village from an
# in-memory grid), triage of the text (cached gazetteer and model, the fingerprint and triage JSON too); then (2)
# in short transactions (a chunk in one, or on SQLite in several: at most `hold_limit()` each, and committed early
# when an intake writer waits for the lock, docs/adr/0052): the reports still pending are claimed (exactly once),
# the open incidents of the batch's time window are read in one query (or kept from the previous transaction when
# nobody changed an incident since, SQLite), and each report in id order is checked for duplicates (the
# triager's and the place/text matcher) against those incidents AND the ones created earlier in the same chunk,
# then corroborates or creates its incident (routed, deadlines started, units notified); timeline entries,
# deadlines, notifications and the audit events (one per report and per incident, in order) are written in
# bulk. A batch of one is the
# one-by-one path, so a batch gives the same incidents as processing its reports one after the other
# (tests/incidents/test_incidents_processing.py compares them).

DUP_WINDOW = dt.timedelta(hours=12)  # the triager's duplicate candidates: open incidents within +-12 h
DUP_ITEMS = 200                      # ... the newest 200 of them
CANDIDATES = 50                      # place/text matcher: at most 50 candidates (lowest ids first)


def process_chunk() -> int:
    """Reports per write transaction: short on SQLite (intake waits for the single writer), larger on
    PostgreSQL. Setting SINERGI_INCIDENT_PROCESS_CHUNK (0 = by database)."""
    value = int(settings.SINERGI_INCIDENT_PROCESS_CHUNK or 0)
    return value or (500 if connection.vendor == "postgresql" else 50)


def hold_limit() -> float | None:
    """Seconds a processing transaction may hold SQLite's single write lock before it commits the reports done so
    far and lets the intake writers waiting for the lock in (None: no limit, PostgreSQL). Setting
    SINERGI_INCIDENT_PROCESS_HOLD_MS (0 = by database)."""
    value = int(settings.SINERGI_INCIDENT_PROCESS_HOLD_MS or 0)
    if value:
        return value / 1000
    return 0.1 if connection.vendor == "sqlite" else None


# A processing transaction that another writer waits for still goes on this long (SQLite): committing after every
# report under a steady stream of intake writers left the processor a report or two per yield, and the reports of
# an election morning waited seconds for their incident. An intake writer waits at most this (plus one report).
MIN_SLICE = 0.025

OPEN_SLACK = dt.timedelta(hours=1)  # a reused window also serves the reports of the next hour


def _change_mark() -> tuple | None:
    """What changes whenever anyone creates, edits or deletes an incident, on SQLite: every change stamps
    updated_at with the time of the change and SQLite's writers take turns, so a change committed after the mark
    was read raises the latest updated_at (or the count, for a delete). None on PostgreSQL, whose writers overlap:
    there the open incidents are read for every transaction."""
    if connection.vendor != "sqlite":
        return None
    agg = Incident.objects.aggregate(n=Count("id"), m=Max("updated_at"), i=Max("id"))
    return (agg["n"], agg["m"], agg["i"])


class _Batch:
    """What a processing batch looks up once: categories, routing rules, units, deadline rules, holidays,
    notification endpoints, regions and TPS."""

    def __init__(self):
        from .. import triage

        self.triager = triage.triager()
        self.categories = {c.code: c for c in Category.objects.all()}
        self.location: dict = {}
        self._rules: list | None = None
        self._units: dict = {}
        self._jurisdiction: dict | None = None
        self._unit_objs: dict = {}
        self._deadline_rules: list | None = None
        self._holidays: set | None = None
        self._endpoints: dict | None = None
        self.incidents: dict = {}  # _Open's incidents of this batch, kept across its chunks
        self._open: _Open | None = None  # the last transaction's open incidents, with the change mark after it
        self._open_mark: tuple | None = None

    def open_incidents(self, lo: dt.datetime, hi: dt.datetime) -> _Open:
        """The open incidents of [lo, hi] for a transaction (called inside it). On SQLite the previous
        transaction's, when its window holds [lo, hi] and nobody changed an incident since it committed
        (_change_mark); else read (only new or changed incidents in full, the rest from `incidents`)."""
        o = self._open
        if (o is not None and self._open_mark is not None and o.lo <= lo and hi <= o.hi
                and _change_mark() == self._open_mark):
            return o
        self._open = _Open(lo, hi + OPEN_SLACK, self.incidents)
        self._open_mark = None
        return self._open

    def written(self) -> None:
        """Inside a transaction, after its writes: the mark the next transaction compares with."""
        self._open_mark = _change_mark() if self._open is not None else None

    def forget_open(self) -> None:
        self._open, self._open_mark = None, None

    def routing_rules(self) -> list[RoutingRule]:
        if self._rules is None:
            self._rules = list(RoutingRule.objects.filter(active=True).select_related("unit"))
        return self._rules

    def unit_for(self, agency: str, region: Region | None) -> Unit | None:
        """_unit_for, from an index of every unit's jurisdictions read once per batch."""
        key = (agency, region.code if region is not None else None)
        if key not in self._units:
            self._units[key] = self._unit_by_jurisdiction(agency, region) if region is not None else None
            if self._units[key] is None:
                self._units[key] = _unit_for(agency, region)
        return self._units[key]

    def _unit_by_jurisdiction(self, agency: str, region: Region) -> Unit | None:
        if self._jurisdiction is None:
            best: dict[tuple[str, str], tuple[str, int]] = {}
            for pk, code, prefix, path in (Unit.objects.exclude(level="special").filter(jurisdiction__isnull=False)
                                           .values_list("pk", "agency__code", "jurisdiction__code", "path")):
                if (code, prefix) not in best or path > best[(code, prefix)][0]:  # order_by("-path").first()
                    best[(code, prefix)] = (path, pk)
            self._jurisdiction = {k: pk for k, (_, pk) in best.items()}
        parts = region.code.split(".")
        for i in range(len(parts), 0, -1):
            pk = self._jurisdiction.get((agency, ".".join(parts[:i])))
            if pk is not None:
                if pk not in self._unit_objs:
                    self._unit_objs[pk] = Unit.objects.get(pk=pk)
                return self._unit_objs[pk]
        return None

    def deadline_rules(self, codes: list[str], start: str) -> list[DeadlineRule]:
        if self._deadline_rules is None:
            self._deadline_rules = list(DeadlineRule.objects.all())
        return [r for r in self._deadline_rules if r.code in codes and r.start == start]

    def holidays(self) -> set[dt.date]:
        if self._holidays is None:
            self._holidays = _holidays()
        return self._holidays

    def endpoints(self) -> dict[int, NotificationEndpoint]:
        if self._endpoints is None:
            self._endpoints = {e.unit_id: e for e in NotificationEndpoint.objects.filter(active=True)}
        return self._endpoints


@dataclass
class _Known:
    """An open incident as the duplicate checks see it."""

    inc: Incident
    category: str
    tps_code: str
    dup: object  # DupItem


class _Open:
    """The open incidents of a chunk's time window, newest first; new incidents join as they are created."""

    def __init__(self, lo: dt.datetime, hi: dt.datetime, cache: dict | None = None):
        from .. import triage

        self._triage = triage
        self.items: list[_Known] = []
        self.keys: list[tuple[float, int]] = []  # (-occurred_at, -id) of each item: newest first
        # The batch's incidents as the checks see them, kept across its chunks: each chunk reads only the
        # columns the checks use and their updated_at (one light query, no JSON), and reads in full only
        # incidents new or changed since (a staff edit saves updated_at; corroboration changes only counts).
        self._cache = cache if cache is not None else {}
        self.lo, self.hi = lo, hi
        window = Incident.objects.filter(occurred_at__gte=lo, occurred_at__lte=hi, status__in=OPEN_STATUSES,
                                         merged_into__isnull=True)
        sigs = {row[0]: row for row in window.values_list(*self.SIG)}
        read: dict[int, _Known] = {}
        fresh = [pk for pk, sig in sigs.items() if self._cache.get(pk, (None,))[0] != sig]
        for start in range(0, len(fresh), 500):
            for inc in Incident.objects.filter(pk__in=fresh[start:start + 500]).select_related("category", "tps"):
                read[inc.pk] = self._known(inc, inc.category.code, inc.tps.code if inc.tps_id else "")
                self._cache[inc.pk] = (self._sig(inc), read[inc.pk])
        self.items = [read[pk] if pk in read else self._cache[pk][1] for pk in sigs
                      if pk in read or pk in self._cache]
        self.items.sort(key=self._key)
        self.keys = [self._key(k) for k in self.items]
        self.by_category: dict[str, tuple[list, list]] = {}  # category -> (keys, items), the same order
        for key, k in zip(self.keys, self.items, strict=True):
            keys, items = self.by_category.setdefault(k.category, ([], []))
            keys.append(key)
            items.append(k)

    SIG = ("pk", "updated_at", "category_id", "tps_id", "region_id", "lat", "lng", "occurred_at")

    @classmethod
    def _sig(cls, inc: Incident) -> tuple:
        return tuple(getattr(inc, f) for f in cls.SIG)

    @staticmethod
    def _key(k: _Known) -> tuple[float, int]:
        return (-k.inc.occurred_at.timestamp(), -k.inc.pk)

    def _known(self, inc: Incident, category: str, tps_code: str) -> _Known:
        from sinergi.engine.incidents.triage import DupItem

        cats = tuple(c for c, _ in (inc.triage or {}).get("top3", [])) or (category,)
        if cats[0] != category:
            cats = (category, *cats)
        fp = (inc.triage or {}).get("fingerprint") or self._triage.fingerprint_of(inc.description)
        dup = DupItem(key=str(inc.pk), at=self._triage.naive(inc.occurred_at), fingerprint=fp, categories=cats,
                      place=tps_code or (inc.region_id or None), lat=inc.lat, lng=inc.lng)
        return _Known(inc, category, tps_code, dup)

    def add(self, inc: Incident, category: str, tps_code: str) -> None:
        import bisect

        known = self._known(inc, category, tps_code)
        key = self._key(known)
        i = bisect.bisect_left(self.keys, key)
        self.keys.insert(i, key)
        self.items.insert(i, known)
        keys, items = self.by_category.setdefault(category, ([], []))
        j = bisect.bisect_left(keys, key)
        keys.insert(j, key)
        items.insert(j, known)
        self._cache[inc.pk] = (self._sig(inc), known)

    def window(self, at: dt.datetime, span: dt.timedelta, category: str | None = None, limit: int | None = None
               ) -> list[_Known]:
        """The items within at +- span, newest first (at most `limit`): two binary searches and a slice."""
        import bisect

        keys, items = (self.keys, self.items) if category is None else self.by_category.get(category, ([], []))
        start = bisect.bisect_left(keys, (-(at + span).timestamp(), float("-inf")))
        lo = at - span
        end = bisect.bisect_right(keys, (-lo.timestamp(), float("inf")), lo=start)
        while end > start and items[end - 1].inc.occurred_at < lo:  # float keys: the datetime decides
            end -= 1
        while end < len(items) and items[end].inc.occurred_at >= lo:
            end += 1
        if limit is not None:
            end = min(end, start + limit)
        return items[start:end]

    def dup_items(self, at: dt.datetime) -> tuple[list, dict[str, Incident]]:
        found = self.window(at, DUP_WINDOW, limit=DUP_ITEMS)
        return [k.dup for k in found], {k.dup.key: k.inc for k in found}

    def candidates(self, category: Category, at: dt.datetime, res: location.Resolved
                   ) -> list[tuple[Candidate, Incident]]:
        if res.lat is None and res.region is None:
            return []
        d = DEDUP.max_km / 100.0
        found = []
        for k in self.window(at, DEDUP.window, category.code):
            inc = k.inc
            if res.lat is not None:
                near = (inc.lat is not None and inc.lng is not None and res.lat - d <= inc.lat <= res.lat + d
                        and res.lng - d <= inc.lng <= res.lng + d)
                if not (near or (res.region is not None and inc.region_id == res.region.pk)):
                    continue
            elif not (inc.region_id or "").startswith(res.region.code):
                continue
            found.append(k)
        found.sort(key=lambda k: k.inc.pk)
        return [(Candidate(key=k.inc.pk, at=k.inc.occurred_at, category=category.code, text=k.inc.description,
                           lat=k.inc.lat, lng=k.inc.lng, place=k.tps_code or (k.inc.region_id or "")), k.inc)
                for k in found[:CANDIDATES]]


class _Sink:
    """Rows written in bulk at the end of a chunk (in the same transaction)."""

    def __init__(self):
        self.timeline: list[TimelineEntry] = []
        self.deadlines: list[Deadline] = []
        self.notifications: list[Notification] = []
        self.audit: list[dict] = []
        self.broadcast: dict[int, list[int] | None] = {}  # None: an existing incident's units, read in flush
        self.shared: list = []  # shared_units rows of the new incidents
        self.corroborated: dict[int, tuple[int, dt.datetime]] = {}  # incident -> (reports added, last received)
        self.reports: list[Report] = []

    def flush(self) -> None:
        from sinergi.core.services import audit_log_many

        _update_rows(Report, self.reports, _REPORT_FIELDS)
        if self.corroborated:
            at = Incident._meta.get_field("last_reported_at")
            with connection.cursor() as cur:
                cur.executemany(
                    f"UPDATE {Incident._meta.db_table} SET report_count = report_count + %s, last_reported_at = %s "
                    "WHERE id = %s", [(n, at.get_db_prep_value(last, connection), pk)
                                      for pk, (n, last) in self.corroborated.items()])
        Incident.shared_units.through.objects.bulk_create(self.shared)
        TimelineEntry.objects.bulk_create(self.timeline)
        Deadline.objects.bulk_create(self.deadlines)
        created = Notification.objects.bulk_create(self.notifications)
        deliver = [n for n in created if n.channel != NotificationChannel.IN_APP]
        if deliver:
            from sinergi.core.background import task_at

            deliver_notification = task_at("sinergi.incidents.tasks.deliver_notification")  # not imported: tasks call services

            if any(n.pk is None for n in deliver):  # backends without RETURNING (not SQLite >= 3.35, not PG)
                raise RuntimeError("notification ids not returned by the database")
            transaction.on_commit(lambda: [deliver_notification.enqueue(n.pk) for n in deliver])
        audit_log_many(self.audit)
        unread = [pk for pk, units in self.broadcast.items() if units is None]
        if unread:  # _units_of for every corroborated incident at once
            read: dict[int, set] = {pk: set() for pk in unread}
            for start in range(0, len(unread), 500):
                part = unread[start:start + 500]
                for pk, unit in Incident.objects.filter(pk__in=part).values_list("pk", "assigned_unit_id"):
                    read[pk].add(unit)
                for pk, unit in (Incident.shared_units.through.objects.filter(incident_id__in=part)
                                 .values_list("incident_id", "unit_id")):
                    read[pk].add(unit)
            for pk in unread:
                self.broadcast[pk] = sorted(u for u in read[pk] if u)
        msgs = [{"incident": pk, "units": units} for pk, units in self.broadcast.items()]
        if msgs:
            transaction.on_commit(lambda: _broadcast_many(msgs))
        self.__init__()


def _timeline_row(incident: Incident, kind: str, *, note: str = "", data: dict | None = None) -> TimelineEntry:
    return TimelineEntry(incident=incident, at=clock.now(), kind=kind, actor=None, actor_repr="system", unit=None,
                         note=note[:2000], data=data or {})


def _notify_rows(sink: _Sink, batch: _Batch, incident: Incident, units: list[Unit], message: str) -> None:
    """notify() for a batch: in-app notice for each unit, e-mail and webhook where the unit set them up."""
    endpoints = batch.endpoints()
    for unit in {u.pk: u for u in units}.values():
        sink.notifications.append(Notification(unit=unit, incident=incident, channel=NotificationChannel.IN_APP,
                                               message=message[:300]))
        ep = endpoints.get(unit.pk)
        if ep is None:
            continue
        for channel, on in ((NotificationChannel.EMAIL, ep.email), (NotificationChannel.WEBHOOK, ep.webhook_url)):
            if on:
                sink.notifications.append(Notification(unit=unit, incident=incident, channel=channel,
                                                       message=message[:300]))


@dataclass
class _Prepared:
    report: Report
    res: location.Resolved
    tri: object  # TriageResult | None
    description: str
    at: dt.datetime
    sms: dict | None
    lat: float | None
    lng: float | None
    # Worked out before the write lock (they do not depend on the incidents): the text cleaned and its
    # fingerprint for the duplicate check, and the stored triage JSON before the duplicate check.
    cleaned: str | None = None
    cleaned_fp: str | None = None
    tri_json: dict | None = None


def _prepare(report: Report, batch: _Batch) -> _Prepared:
    """Step 1, no writes: where (TPS, codes, coordinates, names) and what (triage of the text, without the
    duplicate check, which needs the incidents as they are when the report's turn comes)."""
    from .. import triage

    sms = report.raw.get("sms") if isinstance(report.raw, dict) else None
    res = location.resolve(tps_code=report.tps_code, lat=report.lat, lng=report.lng, place_text=report.place_text,
                           region_code=(sms or {}).get("region_code") or "", tps_number=(sms or {}).get("tps_number"),
                           cache=batch.location)
    at = report.occurred_at or report.received_at
    lat = report.lat if report.lat is not None else res.lat
    lng = report.lng if report.lng is not None else res.lng
    try:
        tri = batch.triager.triage(report.text, at=triage.naive(at), place_text=report.place_text, lat=lat, lng=lng)
    except Exception:  # never lose a report to triage: store it untriaged, staff triage by hand
        log.exception("triage of report %s failed", report.pk)
        tri = None
    p = _Prepared(report, res, tri, (sms or {}).get("description") or report.text, at, sms, lat, lng)
    if tri is not None:
        try:
            p.cleaned = clean(report.text or "")
            p.cleaned_fp = fingerprint(p.cleaned)
            p.tri_json = triage.result_json(tri, report.text)
        except Exception:  # worked out again in _apply, which handles a failure there
            log.exception("triage of report %s failed", report.pk)
            p.cleaned, p.cleaned_fp, p.tri_json = None, None, None
    return p


def _apply(p: _Prepared, batch: _Batch, known: _Open, sink: _Sink) -> None:
    """Step 2, inside the chunk's transaction: duplicates, incident created or corroborated, routing."""
    from .. import triage

    report, res, at, tri, sms, description = p.report, p.res, p.at, p.tri, p.sms, p.description
    items, by_key = known.dup_items(at)
    if tri is not None:
        try:  # the cleaned text and its fingerprint from _prepare (worked out here when that failed)
            tri = batch.triager.with_duplicate(tri, report.text, items, at=triage.naive(at), lat=p.lat, lng=p.lng,
                                               cleaned=p.cleaned, cleaned_fingerprint=p.cleaned_fp)
        except Exception:
            log.exception("triage of report %s failed", report.pk)
            tri = None
    if tri is None:
        tri_json = {"error": "triase gagal"}
    elif p.tri_json is not None:
        tri_json = triage.with_duplicate_json(p.tri_json, tri)
    else:
        tri_json = triage.result_json(tri, report.text)
    by_name = res.method.startswith(("name", "fuzzy"))  # the older name matcher over place_text only
    if tri is not None and by_name and (tri.out_of_area or (tri.place.code and tri.place.method == "exact")):
        res = location.Resolved(notes=res.notes)  # the gazetteer's reading of the whole text wins
    out_of_area = bool(tri is not None and tri.out_of_area and res.region is None)
    if tri is not None and res.region is None and tri.place.code and not out_of_area:
        region = location.region_by_code(tri.place.code, batch.location)
        if region is not None:
            res.region, res.status = region, LocationStatus.APPROXIMATE
            res.method = f"text:{tri.place.level}"
            res.lat, res.lng = region.lat, region.lng
    if tri is not None and tri.place.code is None and report.place_text:
        res.notes.append(f"nama tempat '{report.place_text}' tidak ditemukan atau ambigu")
    if out_of_area:
        res.notes.append("di luar wilayah: tidak ditempatkan di provinsi ini, antrean penerusan")
    suggested = batch.categories.get(tri.category) if tri is not None else None
    prob = tri.category_confidence if tri is not None else None
    hinted = batch.categories.get(report.category_hint) if report.category_hint else None
    category = (hinted if hinted is not None and hinted.active else None) or suggested or batch.categories["other"]
    report.region, report.tps = res.region, res.tps
    report.location_status, report.location_method = res.status, res.method
    report.suggested_category, report.suggestion_probability = suggested, prob
    report.category = category
    report.triage, report.out_of_area = tri_json, out_of_area
    if res.lat is not None and report.lat is None:
        report.lat, report.lng = res.lat, res.lng
    unreadable = bool(sms) and bool(sms.get("problems")) and not report.category_hint and not (
        tri is not None and tri.category_confidence >= 0.3)
    cands = known.candidates(category, at, res) if not out_of_area else []
    match = best_match(
        Candidate(key=0, at=at, category=category.code, text=description, lat=report.lat, lng=report.lng,
                  place=res.place_code),
        [c for c, _ in cands], DEDUP)
    incident = next(i for c, i in cands if c.key == match.key) if match is not None else None
    score = match.score if match is not None else None
    if incident is None and tri is not None and tri.duplicate_of in by_key:
        incident, score = by_key[tri.duplicate_of], tri.duplicate_score
    if incident is not None:
        n = sink.corroborated.get(incident.pk, (0, None))[0]
        sink.corroborated[incident.pk] = (n + 1, report.received_at)
        report.incident, report.dedup_score = incident, score
        sink.timeline.append(_timeline_row(incident, TimelineKind.CORROBORATED, note=report.text[:300], data={
            "report": report.pk, "channel": report.channel, "score": round(score or 0, 3)}))
        sink.broadcast.setdefault(incident.pk, None)  # its units read in flush, one query for the chunk
    else:
        incident = _incident_from_report(report, category, res, description, tri=tri_json, batch=batch, sink=sink)
        report.incident = incident
        known.add(incident, category.code, res.tps.code if res.tps is not None else "")
    report.processing = ProcessingStatus.UNPARSED if unreadable else ProcessingStatus.DONE
    if res.notes:
        report.raw = {**(report.raw or {}), "location_notes": res.notes}
    sink.audit.append({"actor": None, "action": "incident.report_processed", "obj": report, "data": {
        "incident": incident.pk, "merged": report.dedup_score is not None, "category": category.code,
        "suggested": suggested.code if suggested else None, "location": res.status, "out_of_area": out_of_area,
        "severity": tri.severity if tri is not None else None}})


_REPORT_FIELDS = ["region", "tps", "location_status", "location_method", "suggested_category",
                  "suggestion_probability", "category", "triage", "out_of_area", "lat", "lng", "incident",
                  "dedup_score", "processing", "raw"]


def _update_rows(model, objs: list, fields: list[str]) -> None:
    """One UPDATE statement run for every object (executemany): the ORM's bulk_update builds a CASE per field
    and row, which costs more than the rest of processing."""
    if not objs:
        return
    cols = [model._meta.get_field(f) for f in fields]
    sql = (f"UPDATE {model._meta.db_table} SET {', '.join(f'{c.column} = %s' for c in cols)} "
           f"WHERE {model._meta.pk.column} = %s")
    rows = [[c.get_db_prep_value(getattr(o, c.attname), connection) for c in cols] + [o.pk] for o in objs]
    with connection.cursor() as cur:
        cur.executemany(sql, rows)


def _process_chunk(ids: list[int], batch: _Batch) -> list[Report]:
    reports = list(Report.objects.filter(pk__in=ids, processing=ProcessingStatus.PENDING).order_by("id"))
    if not reports:
        return []
    prepared = [_prepare(r, batch) for r in reports]
    hold = hold_limit()
    done: list[Report] = []
    try:
        while prepared:
            n = _apply_some(prepared, batch, hold)
            done += [p.report for p in prepared[:n] if p.report.processing != ProcessingStatus.PENDING]
            prepared = prepared[n:]
    except BaseException:
        batch.forget_open()  # what it holds may not have been committed
        raise
    return done


def _apply_some(prepared: list[_Prepared], batch: _Batch, hold: float | None) -> int:
    """One transaction: claims the reports still pending, applies them in id order until `hold` seconds have
    passed or (SQLite) another writer waits for the lock (at least one report), writes the rows in bulk. Returns
    how many of `prepared` it took (claimed or not)."""
    sink = _Sink()
    with transaction.atomic():
        t0 = time.monotonic()
        claim = Report.objects.filter(pk__in=[p.report.pk for p in prepared], processing=ProcessingStatus.PENDING)
        if connection.features.has_select_for_update_skip_locked:
            claim = claim.select_for_update(skip_locked=True)
        still = set(claim.values_list("id", flat=True))  # not processed meanwhile by another processor
        if not still:
            return len(prepared)
        ats = [p.at for p in prepared if p.report.pk in still]
        known = batch.open_incidents(min(ats) - DUP_WINDOW, max(ats) + DUP_WINDOW)
        taken, mine = 0, []
        for p in prepared:
            taken += 1
            if p.report.pk not in still:
                continue
            _apply(p, batch, known, sink)
            mine.append(p.report)
            if hold is not None:
                held = time.monotonic() - t0
                if held > hold or (held > MIN_SLICE and writers_waiting()):
                    break
        sink.reports = mine
        sink.flush()
        batch.written()
    return taken


def reports_process(ids: list[int]) -> list[Report]:
    """Process stored reports (any channel) to incidents: located, triaged, deduplicated, routed with deadlines,
    visible. Exactly once: reports no longer pending are skipped. Returns the reports processed here."""
    ids = sorted(set(ids))
    if not ids:
        return []
    batch = _Batch()
    out: list[Report] = []
    size = process_chunk()
    for start in range(0, len(ids), size):
        out += _process_chunk(ids[start:start + size], batch)
    return out


def report_process(*, report_id: int) -> Report | None:
    """One report: a batch of one (the same code as every batch). Idempotent: a processed report is skipped."""
    done = reports_process([report_id])
    return done[0] if done else None


def report_process_safely(*, report_id: int) -> Report | None:
    """Inline processing right after a report was stored: the report is already durable, so a failure here (the
    database restarted, a bug) must not turn the acknowledgement into an error. The report stays pending and the
    processor loop (`incidents_process --loop`) processes it later."""
    try:
        return report_process(report_id=report_id)
    except Exception:  # noqa: BLE001
        log.warning("report %s stored; inline processing failed, left pending for the processor", report_id,
                    exc_info=True)
        return None


def reports_process_safely(ids: list[int]) -> list[Report]:
    """`reports_process` right after storing (inline mode): a failure leaves the reports pending for the
    processor loop instead of failing the acknowledgement."""
    try:
        return reports_process(ids)
    except Exception:  # noqa: BLE001
        log.warning("%d reports stored; inline processing failed, left pending for the processor", len(ids),
                    exc_info=True)
        return []


def _incident_from_report(report: Report, category: Category, res: location.Resolved, description: str,
                          tri: dict | None = None, batch: _Batch | None = None, sink: _Sink | None = None
                          ) -> Incident:
    own = sink is None
    batch = batch or _Batch()
    sink = sink or _Sink()
    occurred = report.occurred_at or report.received_at
    tri = tri or {}
    agency, unit, shared = route(category, res.region, batch)
    severity = report.severity_hint or tri.get("severity") or category.default_severity
    region = res.region
    incident = Incident.objects.create(
        category=category, severity=severity, title=description[:120] or category.name, description=description,
        occurred_at=occurred, first_reported_at=report.received_at, last_reported_at=report.received_at,
        lat=report.lat, lng=report.lng, region=region, tps=res.tps,
        regency_code=region.code[:5] if region is not None and len(region.code) >= 5 else "",
        location_status=res.status, agency_code=agency, assigned_unit=unit, report_count=1,
        out_of_area=bool(report.out_of_area), triage=tri, fatalities=tri.get("fatalities") or None,
    )
    through = Incident.shared_units.through
    sink.shared += [through(incident_id=incident.pk, unit_id=pk) for pk in dict.fromkeys(u.pk for u in shared)]
    sink.timeline.append(_timeline_row(incident, TimelineKind.REPORTED, note=report.text[:300], data={
        "report": report.pk, "channel": report.channel, "agency": agency, "unit": unit.code if unit else None,
        "location": res.status, "location_notes": res.notes}))
    started: set[int] = set()
    for moment, start in ((DeadlineRule.Start.OCCURRED, occurred), (DeadlineRule.Start.REPORTED, report.received_at)):
        rules = batch.deadline_rules(category.deadline_codes, moment)
        holidays = batch.holidays() if any(r.unit == DeadlineRule.Unit.WORKING_DAYS for r in rules) else set()
        for rule in rules:
            if rule.pk in started:
                continue  # as deadlines_start's get_or_create: one deadline per rule and incident
            started.add(rule.pk)
            d = Deadline(incident=incident, rule=rule, starts_at=start,
                         due_at=due_at(_spec(rule), _local(start), holidays=holidays))
            # The report reached the system in time: the 7-day report window is met on arrival.
            if rule.code == "report_window" and d.due_at >= report.received_at:
                d.met_at = report.received_at
            sink.deadlines.append(d)
    sink.audit.append({"actor": None, "action": "incident.created", "obj": incident, "data": {
        "category": category.code, "agency": agency, "unit": unit.code if unit else None, "severity": severity}})
    if unit is not None:
        _notify_rows(sink, batch, incident, [unit, *shared], f"Insiden baru: {incident.title[:200]}")
    sink.broadcast[incident.pk] = sorted({u.pk for u in [unit, *shared] if u is not None})
    if own:
        sink.flush()
    return incident


def process_pending(*, limit: int = 1000, batch: _Batch | None = None) -> int:
    """Process reports still pending (deferred mode, or left by a failure), in batches. Returns how many.
    `batch`: the lookups of an earlier call to reuse (the processor loop keeps one for a few seconds)."""
    ids = list(Report.objects.filter(processing=ProcessingStatus.PENDING).order_by("id")
               .values_list("id", flat=True)[:limit])
    done = 0
    size = process_chunk()
    batch = (batch or _Batch()) if ids else None
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        try:
            done += len(_process_chunk(chunk, batch))
        except Exception as exc:  # keep going; the chunk stays pending and is retried report by report
            from sinergi.core.resilience import is_transient

            if is_transient(exc):  # the database is gone: the caller's loop backs off and retries
                raise
            log.exception("processing reports %s..%s failed; retrying one by one", chunk[0], chunk[-1])
            for pk in chunk:  # one bad report must not hold the others back
                try:
                    done += len(_process_chunk([pk], batch))
                except Exception as exc2:
                    if is_transient(exc2):
                        raise
                    log.exception("processing report %s failed", pk)
    return done
