"""The only writers of incident records: intake, processing (location, category, dedup, routing), workflow,
deadlines and escalation, notifications. Every function writes its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from sinergi.accounts.models import Unit
from sinergi.core import clock
from sinergi.core.live import group_send
from sinergi.core.services import audit_log
from sinergi.engine.incidents import (
    HELP_TEXT,
    Candidate,
    DeadlineSpec,
    DedupParams,
    NaiveBayes,
    best_match,
    due_at,
    parse_sms,
    train,
)
from sinergi.engine.incidents.text import normalize
from sinergi.regions.models import Region

from . import defaults, location
from .choices import (
    OPEN_STATUSES,
    TRANSITIONS,
    Channel,
    IncidentStatus,
    LocationStatus,
    NotificationChannel,
    ProcessingStatus,
    TimelineKind,
)
from .models import (
    MAX_TEXT,
    Category,
    Deadline,
    DeadlineRule,
    Holiday,
    Incident,
    Notification,
    NotificationEndpoint,
    Report,
    RoutingRule,
    TimelineEntry,
)

log = logging.getLogger(__name__)
DEDUP = DedupParams()


# --------------------------------------------------------------------------- helpers

def _actor_repr(actor) -> str:
    return actor.get_username() if actor is not None and getattr(actor, "is_authenticated", False) else "system"


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _timeline(incident: Incident, kind: str, *, actor=None, note: str = "", data: dict | None = None,
              at: dt.datetime | None = None) -> TimelineEntry:
    user = _user(actor)
    return TimelineEntry.objects.create(incident=incident, at=at or clock.now(), kind=kind, actor=user,
                                        actor_repr=_actor_repr(actor), unit=getattr(user, "unit", None),
                                        note=note[:2000], data=data or {})


def processing_mode() -> str:
    """'inline' (default: each report is processed right after it is stored) or 'deferred' (a worker runs
    `incidents_process`; used for high-rate intake). Setting SINERGI_INCIDENT_PROCESSING or the env var."""
    import os

    return getattr(settings, "SINERGI_INCIDENT_PROCESSING", os.environ.get("SINERGI_INCIDENT_PROCESSING", "inline"))


@lru_cache(maxsize=1)
def classifier() -> NaiveBayes:
    """The category suggester: Naive Bayes on the shipped labelled set plus the taxonomy's keywords."""
    examples = list(defaults.training_examples())
    for c in defaults.taxonomy():
        examples.append((" ".join([c["name"], *c.get("sms", [])]), c["code"]))
    return train(examples)


def category_suggest(text: str) -> tuple[Category | None, float]:
    s = classifier().suggest(text)
    return Category.objects.filter(code=s.label).first(), s.probability


def sms_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, aliases, name in Category.objects.filter(active=True).values_list("code", "sms_aliases", "name"):
        for a in [*aliases, name, code.replace("_", " ")]:
            out.setdefault(normalize(a), code)
    return out


# --------------------------------------------------------------------------- intake

@dataclass
class ReportInput:
    """Validated fields of one report (forms, serializers and the SMS webhook build this)."""

    key: str
    text: str
    channel: str
    occurred_at: dt.datetime | None = None
    lat: float | None = None
    lng: float | None = None
    tps_code: str = ""
    place_text: str = ""
    category_hint: str = ""
    severity_hint: int | None = None
    reporter_name: str = ""
    reporter_contact: str = ""
    anonymous: bool = False
    raw: dict | None = None

    def validate(self) -> None:
        errors: dict[str, str] = {}
        if not self.key or len(self.key) > 100:
            errors["key"] = "kunci idempotensi wajib, paling panjang 100 karakter"
        if not self.text.strip():
            errors["text"] = "uraian wajib diisi"
        elif len(self.text) > MAX_TEXT:
            errors["text"] = f"uraian paling panjang {MAX_TEXT} karakter"
        if (self.lat is None) != (self.lng is None) or (
                self.lat is not None and not location.valid_coordinates(self.lat, self.lng)):
            errors["lat"] = "koordinat tidak sah"
        if self.severity_hint is not None and not 1 <= self.severity_hint <= 4:
            errors["severity"] = "keparahan 1-4"
        if self.occurred_at is not None and self.occurred_at > clock.now() + dt.timedelta(hours=1):
            errors["occurred_at"] = "waktu kejadian di masa depan"
        if errors:
            raise ValidationError(errors)

    def to_report(self, actor, now: dt.datetime) -> Report:
        return Report(
            idempotency_key=self.key, channel=self.channel, received_at=now, occurred_at=self.occurred_at,
            text=self.text, reporter_user=_user(actor), reporter_name=self.reporter_name[:120],
            reporter_contact=self.reporter_contact[:120], anonymous=self.anonymous, lat=self.lat, lng=self.lng,
            tps_code=self.tps_code[:24], place_text=self.place_text[:255], category_hint=self.category_hint[:40],
            severity_hint=self.severity_hint, raw=self.raw or {},
        )


def report_submit(*, actor, data: ReportInput, process: bool | None = None) -> tuple[Report, bool]:
    """Store one report exactly once (every single-report channel: API, staff and public forms, SMS, messaging
    adapters). Returns (report, created). A retry with the same key returns the stored report; concurrent retries
    race on the unique key and all but one get the winner's row. The one intake service does the work
    (`report_store_group`, a group of one); an unknown category or TPS code raises ValidationError naming it."""
    data.validate()
    out = report_store_group(entries=[GroupEntry(data=data, actor=actor)], process=process, audit_each=True)[0]
    if out.status == "refused":
        raise ValidationError(out.errors or {"key": "laporan ditolak"})
    report = Report.objects.get(pk=out.report_id)
    if out.status == "accepted":
        transaction.on_commit(lambda: _broadcast_report(report.pk))
    return report, out.status == "accepted"


@dataclass
class BatchResult:
    index: int
    key: str
    status: str  # accepted | duplicate | rejected
    report_id: int | None = None
    errors: dict | None = None


def report_submit_batch(*, actor, items: list[ReportInput | dict], channel: str = Channel.API,
                        process: bool | None = None) -> list[BatchResult]:
    """Offline sync: store many reports, each answered individually (accepted / duplicate / rejected).

    Invalid items are rejected with their reasons and do not stop the others. The valid ones go to the one intake
    service (`report_store_group`) together: one transaction, one insert, one audit event listing every stored
    report; processing runs afterwards (inline for small batches, else by the processor)."""
    results: list[BatchResult] = []
    valid: list[tuple[int, ReportInput]] = []
    for i, item in enumerate(items):
        if isinstance(item, dict):  # already rejected by the caller's validation
            results.append(BatchResult(i, str(item.get("key", "")), "rejected", errors=item.get("errors")))
            continue
        try:
            item.validate()
        except ValidationError as exc:
            results.append(BatchResult(i, item.key, "rejected", errors=exc.message_dict))
            continue
        valid.append((i, item))
    outcomes = report_store_group(entries=[GroupEntry(data=v, actor=actor) for _, v in valid], process=process) \
        if valid else []
    for (i, v), out in zip(valid, outcomes, strict=True):
        if out.status == "refused":
            results.append(BatchResult(i, v.key, "rejected", errors=out.errors))
        else:
            results.append(BatchResult(i, v.key, out.status, report_id=out.report_id))
    results.sort(key=lambda r: r.index)
    return results


# Columns written on intake (the rest stay NULL until processing); PostgreSQL array types for unnest().
_INSERT_COLS = (("idempotency_key", "varchar"), ("channel", "varchar"), ("received_at", "timestamptz"),
                ("occurred_at", "timestamptz"), ("text", "text"), ("reporter_user_id", "int8"),
                ("reporter_name", "varchar"), ("reporter_contact", "varchar"), ("anonymous", "bool"),
                ("lat", "float8"), ("lng", "float8"), ("tps_code", "varchar"), ("place_text", "varchar"),
                ("category_hint", "varchar"), ("severity_hint", "int2"), ("raw", "jsonb"), ("processing", "varchar"),
                ("location_status", "varchar"), ("location_method", "varchar"), ("reply_text", "varchar"),
                ("triage", "jsonb"), ("out_of_area", "bool"))


def _insert_new(rows: list[tuple[ReportInput, object]], now: dt.datetime) -> dict[str, int]:
    """Insert reports (inside the caller's transaction); a key that is already stored, or being stored by a
    concurrent transaction, is skipped. Returns {key: id} of the rows inserted here.

    PostgreSQL: ONE statement whatever the count (arrays unnested, ON CONFLICT DO NOTHING, RETURNING, binary
    parameters), instead of the ORM's per-object field preparation. Other backends: bulk_create."""
    if connection.vendor != "postgresql":
        objs = Report.objects.bulk_create([d.to_report(a, now) for d, a in rows])
        created = {o.idempotency_key: o.pk for o in objs}
        if any(pk is None for pk in created.values()):  # backends without RETURNING
            created = dict(Report.objects.filter(idempotency_key__in=list(created))
                           .values_list("idempotency_key", "id"))
        return created
    import json

    import psycopg

    pending, unresolved = ProcessingStatus.PENDING.value, LocationStatus.UNRESOLVED.value
    values = [(d.key, d.channel, now, d.occurred_at, d.text, getattr(_user(a), "pk", None), d.reporter_name[:120],
               d.reporter_contact[:120], d.anonymous, d.lat, d.lng, d.tps_code[:24], d.place_text[:255],
               d.category_hint[:40], d.severity_hint, json.dumps(d.raw or {}), pending, unresolved, "", "", "{}", False)
              for d, a in rows]
    names = ", ".join(c for c, _ in _INSERT_COLS)
    table = Report._meta.db_table
    conflict = "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key, id"
    connection.ensure_connection()
    pg = connection.connection
    with psycopg.Cursor(pg) as cur:  # server-side binding, same transaction as the caller's
        if len(values) < _COPY_FROM:
            arrays = ", ".join(f"%s::{t if t != 'jsonb' else 'text'}[]" for _, t in _INSERT_COLS)
            select = ", ".join(f"u.{c}::jsonb" if t == "jsonb" else f"u.{c}" for c, t in _INSERT_COLS)
            cur.execute(f"INSERT INTO {table} ({names}) SELECT {select} FROM unnest({arrays}) AS u({names}) {conflict}",
                        [list(col) for col in zip(*values, strict=True)])
            return dict(cur.fetchall())
        # Large batches: COPY into a per-connection temporary table (emptied at commit), then one INSERT.
        if not getattr(pg, "_sinergi_intake_stage", False):
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS sinergi_intake_stage ON COMMIT DELETE ROWS AS "
                        f"SELECT {names} FROM {table} WITH NO DATA")
            transaction.on_commit(lambda: setattr(pg, "_sinergi_intake_stage", True))
        with cur.copy(f"COPY sinergi_intake_stage ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM sinergi_intake_stage {conflict}")
        return dict(cur.fetchall())


_COPY_FROM = 200  # rows: below this one INSERT ... unnest() is cheaper than COPY + INSERT


@dataclass
class GroupEntry:
    """One report waiting for a group commit: its author (already authenticated) or the API token to check."""

    data: ReportInput
    actor: object = None
    token: str = ""


@dataclass
class GroupOutcome:
    status: str  # accepted | duplicate | refused (token, permission or a check failed: not stored)
    key: str = ""
    report_id: int | None = None
    incident_id: int | None = None
    errors: dict | None = None  # why it was refused, by field


INLINE_MAX = 200  # inline mode: a larger group (an offline sync) is left to the processor


def report_store_group(*, entries: list[GroupEntry], enqueue: bool = True, process: bool | None = None,
                       audit_each: bool = False) -> list[GroupOutcome]:
    """THE intake service: every channel ends here (report_submit and report_submit_batch call it; the fast lanes
    and the group-commit writer call it directly). Validates, stores exactly once and audits the reports that
    arrived together, in ONE transaction, then has them processed (inline or by the processor).

    Entries carrying an API token are authenticated here, all in one query, and need `incident.report`; fields
    are validated (`ReportInput.validate`), the category and TPS code checked against the database (one query
    each). Such failures answer `refused` with the reasons and store nothing. A key already stored, or repeated
    within the group, answers `duplicate` with the stored report. Audit: one event per author listing every
    stored report id, or with `audit_each` one `incident.report_received` per report. Every entry is answered
    only after the transaction committed. Processing: `process` True/False, or by the processing mode (inline
    for at most INLINE_MAX reports); deferred processing is asked for unless `enqueue` is False (the group
    writer asks at most twice a second)."""
    from sinergi.accounts.tokens import users_for_keys
    from sinergi.elections.models import PollingStation

    from .permissions import can

    out = [GroupOutcome("refused", e.data.key) for e in entries]
    tokens = {e.token for e in entries if e.token}
    users = users_for_keys(tokens) if tokens else {}  # one query: keys are looked up by their SHA-256
    hints = {e.data.category_hint for e in entries if e.data.category_hint}
    known_cats = set(Category.objects.filter(active=True, code__in=hints).values_list("code", flat=True)) \
        if hints else set()
    codes = {e.data.tps_code for e in entries if e.data.tps_code}
    # a TPS of any election held in the database (other provinces have their own, docs/provinces.md)
    known_tps = set(PollingStation.objects.filter(code__in=codes).values_list("code", flat=True)) if codes else set()
    ok: list[int] = []
    actors: list = [None] * len(entries)
    for i, e in enumerate(entries):
        actor = users.get(e.token) if e.token else e.actor
        if e.token and (actor is None or not actor.is_active or not can(actor, "incident.report")):
            out[i].errors = {"token": "token tidak sah atau tanpa hak melapor"}
            continue
        errors = {}
        if e.data.category_hint and e.data.category_hint not in known_cats:
            errors["category"] = "kategori tidak dikenal"
        if e.data.tps_code and e.data.tps_code not in known_tps:
            errors["tps_code"] = "kode TPS tidak dikenal"
        try:
            e.data.validate()
        except ValidationError as exc:
            errors.update({k: "; ".join(v) for k, v in exc.message_dict.items()})
        if errors:
            out[i].errors = errors
            continue
        actors[i] = actor
        ok.append(i)
    first: dict[str, int] = {}
    for i in ok:
        first.setdefault(entries[i].data.key, i)
    # PostgreSQL skips stored keys in the INSERT itself (ON CONFLICT) and looks up only those: one round trip
    # less per group. Other backends check first (their bulk insert fails on a duplicate).
    existing = {k: (pk, inc) for k, pk, inc in Report.objects.filter(idempotency_key__in=list(first))
                .values_list("idempotency_key", "id", "incident_id")} if first and connection.vendor != "postgresql" \
        else {}
    fresh = [i for k, i in first.items() if k not in existing]
    created: dict[str, int] = {}
    if fresh:
        try:
            with transaction.atomic():
                created = _store(entries, actors, fresh, existing, audit_each)
        except IntegrityError:
            # Another process stored some of the same keys meanwhile: one by one sorts it out (each audited).
            created = {}
            for i in fresh:
                try:
                    with transaction.atomic():
                        created.update(_store(entries, actors, [i], existing, audit_each))
                except IntegrityError:
                    key = entries[i].data.key
                    row = Report.objects.filter(idempotency_key=key).values_list("id", "incident_id").first()
                    if row is None:
                        raise
                    existing[key] = row
    incidents: dict[int, int | None] = {}
    if created:
        inline = process if process is not None else (processing_mode() == "inline" and len(created) <= INLINE_MAX)
        if inline:
            ids = list(created.values())
            reports_process_safely(ids)
            try:
                incidents = dict(Report.objects.filter(pk__in=ids).values_list("id", "incident_id"))
            except Exception:  # noqa: BLE001 - stored and committed: answer without the incident ids
                log.warning("incident ids of stored reports not read", exc_info=True)
        elif enqueue and process is None:
            transaction.on_commit(processing_enqueue)
    answered: set[str] = set()
    for i in ok:
        key = entries[i].data.key
        if key in created and key not in answered:
            answered.add(key)
            out[i] = GroupOutcome("accepted", key, created[key], incidents.get(created[key]))
        elif key in created:
            out[i] = GroupOutcome("duplicate", key, created[key], incidents.get(created[key]))
        elif key in existing:
            out[i] = GroupOutcome("duplicate", key, *existing[key])
    return out


def _store(entries: list[GroupEntry], actors: list, fresh: list[int], existing: dict, audit_each: bool
           ) -> dict[str, int]:
    """Insert and audit (inside the caller's transaction); keys stored meanwhile go to `existing`."""
    created = _insert_new([(entries[i].data, actors[i]) for i in fresh], clock.now())
    skipped = [entries[i].data.key for i in fresh if entries[i].data.key not in created]
    if skipped:  # already stored (a retry), or meanwhile by another transaction: duplicates
        existing.update({k: (pk, inc) for k, pk, inc in Report.objects.filter(
            idempotency_key__in=skipped).values_list("idempotency_key", "id", "incident_id")})
    stored = [i for i in fresh if entries[i].data.key in created]
    if audit_each:
        from sinergi.core.services import audit_log_many

        audit_log_many([{"actor": actors[i], "action": "incident.report_received", "object_type": "incidents.report",
                         "object_id": created[entries[i].data.key],
                         "data": {"channel": entries[i].data.channel, "key": entries[i].data.key}} for i in stored])
        return created
    by_actor: dict[int | None, list[int]] = {}
    for i in stored:
        by_actor.setdefault(getattr(actors[i], "pk", None), []).append(i)
    for idx in by_actor.values():
        keys = sorted(entries[i].data.key for i in idx)
        ids = sorted(created[entries[i].data.key] for i in idx)
        audit_log(actor=actors[idx[0]], action="incident.report_batch_received", object_type="incidents.report",
                  data={"channel": entries[idx[0]].data.channel, "count": len(idx), "group_commit": True,
                        "report_ids": ids, "first_id": ids[0], "last_id": ids[-1],
                        "keys_sha256": hashlib.sha256("\n".join(keys).encode()).hexdigest()})
    return created


def processing_enqueue() -> None:
    """Ask the task worker to process the pending reports (deferred mode) — unless the processor loop runs
    beside this process (`sinergi up` / `sinergi serve` set SINERGI_INCIDENT_PROCESSOR=loop): it polls."""
    import os

    if os.environ.get("SINERGI_INCIDENT_PROCESSOR") == "loop":
        return
    from .tasks import process_pending_reports

    try:
        process_pending_reports.enqueue()
    except Exception:  # noqa: BLE001 - the reports are stored; the processor loop picks pending ones up anyway
        log.warning("processing task not queued; the processor loop will process the pending reports",
                    exc_info=True)


def sms_receive(*, message_id: str, sender: str, text: str) -> tuple[Report, str]:
    """Store an SMS (always, even when unreadable) and return the reply text for the gateway."""
    text = (text or "")[:MAX_TEXT]
    parsed = parse_sms(text, sms_aliases())
    data = ReportInput(
        key=f"sms:{message_id}"[:100], text=text or "(kosong)", channel=Channel.SMS, tps_code=parsed.tps_code,
        place_text=parsed.place_text, category_hint=parsed.category_code, reporter_contact=sender[:120],
        raw={"sms": {"from": sender, "id": message_id, "region_code": parsed.region_code,
                     "tps_number": parsed.tps_number, "description": parsed.description,
                     "problems": list(parsed.problems)}},
    )
    report, created = report_submit(actor=None, data=data, process=False)
    if not created:
        return report, report.reply_text
    if parsed.ok:
        reply = f"Laporan diterima (no. {report.pk}). Terima kasih."
    else:
        reply = f"Laporan no. {report.pk} tersimpan tetapi belum lengkap: {', '.join(parsed.problems)}. {HELP_TEXT}"
    Report.objects.filter(pk=report.pk).update(reply_text=reply[:320])
    report.reply_text = reply[:320]
    if processing_mode() == "inline":
        report = report_process(report_id=report.pk) or report
    return report, reply


# --------------------------------------------------------------------------- processing

def _holidays() -> set[dt.date]:
    return set(Holiday.objects.values_list("date", flat=True))


def _spec(rule: DeadlineRule) -> DeadlineSpec:
    return DeadlineSpec(code=rule.code, amount=rule.amount, unit=rule.unit, extension=rule.extension)


def _local(ts: dt.datetime) -> dt.datetime:
    return timezone.localtime(ts)


def deadlines_start(incident: Incident, moment: str, at: dt.datetime) -> list[Deadline]:
    """Start the incident's deadlines that count from `moment` (occurred/reported/verified/assigned)."""
    rules = DeadlineRule.objects.filter(code__in=incident.category.deadline_codes, start=moment)
    holidays = _holidays() if any(r.unit == DeadlineRule.Unit.WORKING_DAYS for r in rules) else set()
    out = []
    for rule in rules:
        due = due_at(_spec(rule), _local(at), holidays=holidays)
        obj, created = Deadline.objects.get_or_create(incident=incident, rule=rule,
                                                      defaults={"starts_at": at, "due_at": due})
        if created:
            out.append(obj)
    return out


def _meets(rule: DeadlineRule, actor, incident: Incident) -> bool:
    """Whether `actor`'s action meets a deadline of `rule`: only the responsible body's own action does (the
    rule's `met_by` agencies, or "assigned" = the assigned unit); the system and other agencies do not."""
    who = rule.met_by or []
    if not who:
        return True
    if not _person(actor):
        return False
    if "assigned" in who and _in_assigned_unit(actor, incident):
        return True
    return bool(actor.unit_id) and actor.unit.agency.code in who


def _deadline_met(incident: Incident, codes: list[str], at: dt.datetime, actor=None) -> None:
    """Mark the open deadlines of `codes` met when the actor's body is the responsible one; otherwise they keep
    running (a triage user can still declare one met with a written reason: deadline_override)."""
    for d in Deadline.objects.filter(incident=incident, rule__code__in=codes, met_at__isnull=True,
                                     ended_at__isnull=True).select_related("rule"):
        if _meets(d.rule, actor, incident):
            d.met_at = at
            d.met_agency = actor.unit.agency.code if _person(actor) and actor.unit_id else ""
            d.save(update_fields=["met_at", "met_agency"])


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
# in-memory grid), triage of the text (cached gazetteer and model); then (2) in ONE short transaction per chunk:
# the reports still pending are claimed (exactly once), the open incidents of the batch's time window are read
# in one query, and each report in id order is checked for duplicates (the triager's and the place/text
# matcher) against those incidents AND the ones created earlier in the same chunk, then corroborates or creates
# its incident (routed, deadlines started, units notified); timeline entries, deadlines, notifications and
# the audit events (one per report and per incident, in order) are written in bulk. A batch of one is the
# one-by-one path, so a batch gives the same incidents as processing its reports one after the other
# (tests/incidents/test_incidents_processing.py compares them).

DUP_WINDOW = dt.timedelta(hours=12)  # the triager's duplicate candidates: open incidents within +-12 h
DUP_ITEMS = 200                      # ... the newest 200 of them
CANDIDATES = 50                      # place/text matcher: at most 50 candidates (lowest ids first)


def process_chunk() -> int:
    """Reports per write transaction: short on SQLite (intake waits for the single writer), larger on
    PostgreSQL. Setting SINERGI_INCIDENT_PROCESS_CHUNK (0 = by database)."""
    value = int(getattr(settings, "SINERGI_INCIDENT_PROCESS_CHUNK", 0) or 0)
    return value or (500 if connection.vendor == "postgresql" else 50)


class _Batch:
    """What a processing batch looks up once: categories, routing rules, units, deadline rules, holidays,
    notification endpoints, regions and TPS."""

    def __init__(self):
        from . import triage

        self.triager = triage.triager()
        self.categories = {c.code: c for c in Category.objects.all()}
        self.location: dict = {}
        self._rules: list | None = None
        self._units: dict = {}
        self._deadline_rules: list | None = None
        self._holidays: set | None = None
        self._endpoints: dict | None = None

    def routing_rules(self) -> list[RoutingRule]:
        if self._rules is None:
            self._rules = list(RoutingRule.objects.filter(active=True).select_related("unit"))
        return self._rules

    def unit_for(self, agency: str, region: Region | None) -> Unit | None:
        key = (agency, region.code if region is not None else None)
        if key not in self._units:
            self._units[key] = _unit_for(agency, region)
        return self._units[key]

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

    def __init__(self, lo: dt.datetime, hi: dt.datetime):
        from . import triage

        self._triage = triage
        self.items: list[_Known] = []
        for inc in (Incident.objects.filter(occurred_at__gte=lo, occurred_at__lte=hi, status__in=OPEN_STATUSES,
                                            merged_into__isnull=True).select_related("category", "tps")):
            self.add(inc, inc.category.code, inc.tps.code if inc.tps_id else "")

    def add(self, inc: Incident, category: str, tps_code: str) -> None:
        import bisect

        from sinergi.engine.incidents.triage import DupItem

        cats = tuple(c for c, _ in (inc.triage or {}).get("top3", [])) or (category,)
        if cats[0] != category:
            cats = (category, *cats)
        fp = (inc.triage or {}).get("fingerprint") or self._triage.fingerprint_of(inc.description)
        dup = DupItem(key=str(inc.pk), at=self._triage.naive(inc.occurred_at), fingerprint=fp, categories=cats,
                      place=tps_code or (inc.region_id or None), lat=inc.lat, lng=inc.lng)
        known = _Known(inc, category, tps_code, dup)
        sort_key = (-inc.occurred_at.timestamp(), -inc.pk)
        i = bisect.bisect_left([(-k.inc.occurred_at.timestamp(), -k.inc.pk) for k in self.items], sort_key)
        self.items.insert(i, known)

    def window(self, at: dt.datetime, span: dt.timedelta):
        for k in self.items:
            if k.inc.occurred_at > at + span:
                continue
            if k.inc.occurred_at < at - span:
                break
            yield k

    def dup_items(self, at: dt.datetime) -> tuple[list, dict[str, Incident]]:
        items, by_key = [], {}
        for k in self.window(at, DUP_WINDOW):
            items.append(k.dup)
            by_key[k.dup.key] = k.inc
            if len(items) >= DUP_ITEMS:
                break
        return items, by_key

    def candidates(self, category: Category, at: dt.datetime, res: location.Resolved
                   ) -> list[tuple[Candidate, Incident]]:
        if res.lat is None and res.region is None:
            return []
        d = DEDUP.max_km / 100.0
        found = []
        for k in self.window(at, DEDUP.window):
            inc = k.inc
            if k.category != category.code:
                continue
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
        self.broadcast: dict[int, list[int]] = {}
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
        TimelineEntry.objects.bulk_create(self.timeline)
        Deadline.objects.bulk_create(self.deadlines)
        created = Notification.objects.bulk_create(self.notifications)
        deliver = [n for n in created if n.channel != NotificationChannel.IN_APP]
        if deliver:
            from .tasks import deliver_notification

            if any(n.pk is None for n in deliver):  # backends without RETURNING (not SQLite >= 3.35, not PG)
                raise RuntimeError("notification ids not returned by the database")
            transaction.on_commit(lambda: [deliver_notification.enqueue(n.pk) for n in deliver])
        audit_log_many(self.audit)
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


def _prepare(report: Report, batch: _Batch) -> _Prepared:
    """Step 1, no writes: where (TPS, codes, coordinates, names) and what (triage of the text, without the
    duplicate check, which needs the incidents as they are when the report's turn comes)."""
    from . import triage

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
    return _Prepared(report, res, tri, (sms or {}).get("description") or report.text, at, sms, lat, lng)


def _apply(p: _Prepared, batch: _Batch, known: _Open, sink: _Sink) -> None:
    """Step 2, inside the chunk's transaction: duplicates, incident created or corroborated, routing."""
    from . import triage

    report, res, at, tri, sms, description = p.report, p.res, p.at, p.tri, p.sms, p.description
    items, by_key = known.dup_items(at)
    if tri is not None:
        try:
            tri = batch.triager.with_duplicate(tri, report.text, items, at=triage.naive(at), lat=p.lat, lng=p.lng)
        except Exception:
            log.exception("triage of report %s failed", report.pk)
            tri = None
    tri_json = triage.result_json(tri, report.text) if tri is not None else {"error": "triase gagal"}
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
        if incident.pk not in sink.broadcast:
            sink.broadcast[incident.pk] = _units_of(incident.pk)
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
    sink = _Sink()
    with transaction.atomic():
        claim = Report.objects.filter(pk__in=[r.pk for r in reports], processing=ProcessingStatus.PENDING)
        if connection.features.has_select_for_update_skip_locked:
            claim = claim.select_for_update(skip_locked=True)
        still = set(claim.values_list("id", flat=True))  # not processed meanwhile by another processor
        prepared = [p for p in prepared if p.report.pk in still]
        if not prepared:
            return []
        ats = [p.at for p in prepared]
        known = _Open(min(ats) - DUP_WINDOW, max(ats) + DUP_WINDOW)
        for p in prepared:
            _apply(p, batch, known, sink)
        done = [p.report for p in prepared]
        sink.reports = done
        sink.flush()
    return done


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
    if shared:
        incident.shared_units.add(*shared)
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


def process_pending(*, limit: int = 1000) -> int:
    """Process reports still pending (deferred mode, or left by a failure), in batches. Returns how many."""
    ids = list(Report.objects.filter(processing=ProcessingStatus.PENDING).order_by("id")
               .values_list("id", flat=True)[:limit])
    done = 0
    size = process_chunk()
    batch = _Batch() if ids else None
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


# --------------------------------------------------------------------------- workflow

def _lock(incident: Incident) -> Incident:
    return (Incident.objects.select_for_update(of=("self",)).select_related("category", "assigned_unit")
            .get(pk=incident.pk))


# Record-level checks for people (actor None is the system: escalation, defaults, imports). Every caller — the
# page, the API, commands — gets them here, so a page cannot skip what the API checks.

def _person(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _in_assigned_unit(actor, inc: Incident) -> bool:
    return bool(inc.assigned_unit_id and actor.unit_id and inc.assigned_unit.is_within(actor.unit))


def _require_visible(actor, inc: Incident) -> None:
    from .selectors import incident_list

    if not incident_list(user=actor).filter(pk=inc.pk).exists():
        raise PermissionDenied("incident not in scope")


def _require_transition(actor, inc: Incident, to: str) -> None:
    from .permissions import can
    from .selectors import sees_all

    if not _person(actor):
        return
    _require_visible(actor, inc)
    if to == IncidentStatus.CLOSED:
        ok = can(actor, "incident.close")
    elif to in (IncidentStatus.IN_PROGRESS, IncidentStatus.RESOLVED):
        # Working the incident is for the assigned (responsible) unit; the province situation room may too.
        ok = (can(actor, "incident.work") or can(actor, "incident.triage")) and (
            _in_assigned_unit(actor, inc) or (sees_all(actor) and can(actor, "incident.triage")))
    else:
        ok = can(actor, "incident.triage")
    if not ok:
        raise PermissionDenied(f"not allowed: incident.{to}")


def _require_triage(actor, *incidents: Incident) -> None:
    """Category, severity, merge, split, share and deadline extension: triage staff who can read the incident."""
    from .permissions import can

    if not _person(actor):
        return
    if not can(actor, "incident.triage"):
        raise PermissionDenied("not allowed: incident.triage")
    for inc in incidents:
        _require_visible(actor, inc)


@transaction.atomic
def incident_transition(*, actor, incident: Incident, to: str, note: str = "", unit: Unit | None = None
                        ) -> Incident:
    """Move an incident along the workflow; every step goes on the timeline with who and when."""
    inc = _lock(incident)
    _require_transition(actor, inc, to)
    if to not in TRANSITIONS.get(inc.status, set()):
        raise ValidationError({"status": f"tidak bisa dari {inc.get_status_display()} ke {IncidentStatus(to).label}"})
    now = clock.now()
    before = inc.status
    inc.status = to
    fields = ["status", "updated_at"]
    if to == IncidentStatus.ASSIGNED:
        target = unit or inc.assigned_unit
        if target is None:
            raise ValidationError({"unit": "satuan tujuan wajib"})
        inc.assigned_unit, inc.agency_code = target, target.agency.code
        inc.acknowledged_at, inc.acknowledged_by = None, None
        fields += ["assigned_unit", "agency_code", "acknowledged_at", "acknowledged_by"]
    inc.save(update_fields=fields)
    _timeline(inc, TimelineKind.ASSIGNED if to == IncidentStatus.ASSIGNED else TimelineKind.STATUS, actor=actor,
              note=note, data={"from": before, "to": to, "unit": inc.assigned_unit.code if inc.assigned_unit else None})
    if to in (IncidentStatus.VERIFIED, IncidentStatus.REJECTED):
        _deadline_met(inc, ["bawaslu_decision"], now, actor)
    if to == IncidentStatus.VERIFIED:
        deadlines_start(inc, DeadlineRule.Start.VERIFIED, now)
    if to == IncidentStatus.ASSIGNED:
        _deadline_met(inc, ["crime_forward"], now, actor)
        Deadline.objects.filter(incident=inc, rule__code="ack").delete()  # a new assignment restarts the countdown
        deadlines_start(inc, DeadlineRule.Start.ASSIGNED, now)
        notify(incident=inc, units=[inc.assigned_unit], message=f"Insiden ditugaskan: {inc.title[:200]}")
    if to == IncidentStatus.RESOLVED:
        _deadline_met(inc, ["investigation"], now, actor)
    if to in (IncidentStatus.REJECTED, IncidentStatus.CLOSED):
        # The incident is over: open deadlines stop running, but they are not "met" by that.
        Deadline.objects.filter(incident=inc, met_at__isnull=True, ended_at__isnull=True).update(ended_at=now)
    audit_log(actor=actor, action=f"incident.{to}", obj=inc, data={"from": before, "note": note[:500]})
    transaction.on_commit(lambda: _broadcast_incident(inc.pk))
    if to in (IncidentStatus.VERIFIED, IncidentStatus.REJECTED) or before == IncidentStatus.REJECTED:
        # Verified incidents raise nearby TPS scores: ask for a (debounced) vulnerability recompute.
        transaction.on_commit(lambda: _risk_recompute(actor, f"insiden #{inc.pk} {to}"))
    return inc


def _risk_recompute(actor, reason: str) -> None:
    from sinergi.risk.services import risk_recompute_request

    risk_recompute_request(election=None, actor=actor, reason=reason)


@transaction.atomic
def incident_acknowledge(*, actor, incident: Incident) -> Incident:
    """The assigned unit confirms it has the incident (admins may too)."""
    from sinergi.accounts.selectors import is_global

    from .permissions import can

    inc = _lock(incident)
    if _person(actor):
        _require_visible(actor, inc)
        if not (can(actor, "incident.work") and (is_global(actor) or _in_assigned_unit(actor, inc))):
            raise PermissionDenied("only the assigned unit acknowledges")
    if inc.acknowledged_at is None:
        inc.acknowledged_at, inc.acknowledged_by = clock.now(), _user(actor)
        inc.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
        _deadline_met(inc, ["ack"], inc.acknowledged_at, actor)
        _timeline(inc, TimelineKind.ACKNOWLEDGED, actor=actor)
        audit_log(actor=actor, action="incident.acknowledged", obj=inc)
    return inc


@transaction.atomic
def incident_update(*, actor, incident: Incident, category: Category | None = None, severity: int | None = None,
                    note: str = "") -> Incident:
    """Staff confirm or change the category and severity."""
    inc = _lock(incident)
    _require_triage(actor, inc)
    changes = {}
    if category is not None and category.pk != inc.category_id:
        changes["category"] = [inc.category.code, category.code]
        inc.category = category
        _timeline(inc, TimelineKind.CATEGORY, actor=actor, note=note, data={"from": changes["category"][0],
                                                                           "to": category.code})
    if severity is not None and severity != inc.severity:
        if not 1 <= severity <= 4:
            raise ValidationError({"severity": "keparahan 1-4"})
        changes["severity"] = [inc.severity, severity]
        inc.severity = severity
        _timeline(inc, TimelineKind.SEVERITY, actor=actor, note=note, data={"from": changes["severity"][0],
                                                                           "to": severity})
    if changes:
        inc.save()
        audit_log(actor=actor, action="incident.updated", obj=inc, data=changes)
        transaction.on_commit(lambda: _broadcast_incident(inc.pk))
    return inc


@transaction.atomic
def incident_triage_correct(*, actor, incident: Incident, category: Category | None = None,
                            severity: int | None = None, region_code: str | None = None,
                            out_of_area: bool | None = None, fatalities: int | None = None,
                            note: str = "") -> Incident:
    """Staff confirm or correct the triage suggestions. Each decision is stored as a TriageCorrection (what was
    suggested, what staff set; the retraining reads them) and audited; the incident takes the staff's values."""
    from .models import TriageCorrection

    inc = _lock(incident)
    tri = inc.triage or {}
    report = inc.reports.order_by("received_at").first()
    rows: list[tuple[str, str, str]] = []
    if category is not None:
        rows.append(("category", str(tri.get("category", "")), category.code))
    if severity is not None:
        if not 1 <= severity <= 4:
            raise ValidationError({"severity": "keparahan 1-4"})
        rows.append(("severity", str(tri.get("severity", "")), str(severity)))
    fields = []
    if region_code is not None:
        region = Region.objects.filter(code=region_code).first() if region_code else None
        if region_code and region is None:
            raise ValidationError({"region": "kode wilayah tidak dikenal"})
        rows.append(("place", str((tri.get("place") or {}).get("code") or ""), region_code))
        inc.region = region
        inc.regency_code = region.code[:5] if region is not None and len(region.code) >= 5 else ""
        if region is not None:
            inc.lat, inc.lng, inc.location_status = region.lat, region.lng, LocationStatus.APPROXIMATE
            inc.out_of_area = False
        fields += ["region", "regency_code", "lat", "lng", "location_status", "out_of_area"]
    if out_of_area is not None:
        rows.append(("out_of_area", str(bool((tri.get("place") or {}).get("out_of_area"))), str(out_of_area)))
        inc.out_of_area = out_of_area
        if out_of_area:  # never placed inside the province
            inc.region, inc.regency_code, inc.lat, inc.lng = None, "", None, None
            inc.location_status = LocationStatus.UNRESOLVED
        fields += ["out_of_area", "region", "regency_code", "lat", "lng", "location_status"]
    if fatalities is not None:
        if fatalities < 0 or fatalities > 100000:
            raise ValidationError({"fatalities": "jumlah korban jiwa tidak sah"})
        rows.append(("fatalities", str(tri.get("fatalities", "")), str(fatalities)))
        inc.fatalities = fatalities
        fields.append("fatalities")
    if not rows:
        raise ValidationError({"triage": "tidak ada yang dikonfirmasi atau dikoreksi"})
    TriageCorrection.objects.bulk_create([
        TriageCorrection(incident=inc, report=report, field=f, suggested=sug[:40], corrected=cor[:40],
                         actor=_user(actor)) for f, sug, cor in rows])
    if fields:
        inc.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    _timeline(inc, TimelineKind.NOTE, actor=actor, note=note or "Triase dikonfirmasi/dikoreksi",
              data={"triage": [{"field": f, "suggested": s, "corrected": c} for f, s, c in rows]})
    audit_log(actor=actor, action="incident.triage_corrected", obj=inc,
              data={"fields": [{"field": f, "suggested": s, "corrected": c} for f, s, c in rows]})
    if category is not None or severity is not None:
        incident_update(actor=actor, incident=inc, category=category, severity=severity, note=note)
    transaction.on_commit(lambda: _broadcast_incident(inc.pk))
    return inc


@transaction.atomic
def incident_note(*, actor, incident: Incident, note: str) -> TimelineEntry:
    """A note on the timeline: by staff who report, work or triage incidents (never observers)."""
    from .permissions import can

    if _person(actor):
        _require_visible(actor, incident)
        if not any(can(actor, a) for a in ("incident.report", "incident.work", "incident.triage")):
            raise PermissionDenied("not allowed: incident.note")
    if not note.strip():
        raise ValidationError({"note": "catatan kosong"})
    entry = _timeline(incident, TimelineKind.NOTE, actor=actor, note=note)
    audit_log(actor=actor, action="incident.noted", obj=incident)
    return entry


@transaction.atomic
def incident_merge(*, actor, source: Incident, target: Incident) -> Incident:
    """Fold `source` into `target`: its reports move, it stays as a 'merged' record pointing to the target."""
    if source.pk == target.pk:
        raise ValidationError({"target": "tidak bisa menggabung ke dirinya sendiri"})
    src, tgt = _lock(source), _lock(target)
    _require_triage(actor, src, tgt)
    if src.status == IncidentStatus.MERGED or tgt.status == IncidentStatus.MERGED:
        raise ValidationError({"target": "insiden sudah digabung"})
    moved = list(Report.objects.filter(incident=src).values_list("id", flat=True))
    Report.objects.filter(incident=src).update(incident=tgt)
    tgt.report_count = Report.objects.filter(incident=tgt).count()
    tgt.last_reported_at = max(tgt.last_reported_at, src.last_reported_at)
    tgt.first_reported_at = min(tgt.first_reported_at, src.first_reported_at)
    tgt.save()
    src.status, src.merged_into, src.report_count = IncidentStatus.MERGED, tgt, 0
    src.save()
    _timeline(tgt, TimelineKind.MERGED, actor=actor, data={"from_incident": src.pk, "reports": moved})
    _timeline(src, TimelineKind.MERGED, actor=actor, data={"into_incident": tgt.pk, "reports": moved})
    audit_log(actor=actor, action="incident.merged", obj=tgt, data={"source": src.pk, "reports": moved})
    transaction.on_commit(lambda: (_broadcast_incident(src.pk), _broadcast_incident(tgt.pk)))
    return tgt


@transaction.atomic
def incident_split(*, actor, incident: Incident, report_ids: list[int]) -> Incident:
    """Move some reports of an incident into a new incident (same category, routed again)."""
    src = _lock(incident)
    _require_triage(actor, src)
    reports = list(Report.objects.filter(incident=src, pk__in=report_ids).order_by("received_at"))
    if not reports or len(reports) >= src.reports.count():
        raise ValidationError({"reports": "pilih sebagian laporan (bukan semua) dari insiden ini"})
    first = reports[0]
    res = location.Resolved(status=first.location_status, method=first.location_method, region=first.region,
                            tps=first.tps, lat=first.lat, lng=first.lng)
    new = _incident_from_report(first, src.category, res, first.text)
    Report.objects.filter(pk__in=[r.pk for r in reports]).update(incident=new)
    new.report_count = len(reports)
    new.last_reported_at = reports[-1].received_at
    new.save(update_fields=["report_count", "last_reported_at"])
    src.report_count = Report.objects.filter(incident=src).count()
    src.save(update_fields=["report_count", "updated_at"])
    ids = [r.pk for r in reports]
    _timeline(src, TimelineKind.SPLIT, actor=actor, data={"to_incident": new.pk, "reports": ids})
    _timeline(new, TimelineKind.SPLIT, actor=actor, data={"from_incident": src.pk, "reports": ids})
    audit_log(actor=actor, action="incident.split", obj=src, data={"new": new.pk, "reports": ids})
    return new


@transaction.atomic
def incident_share(*, actor, incident: Incident, units: list[Unit]) -> Incident:
    _require_triage(actor, incident)
    incident.shared_units.add(*units)
    codes = [u.code for u in units]
    _timeline(incident, TimelineKind.SHARED, actor=actor, data={"units": codes})
    audit_log(actor=actor, action="incident.shared", obj=incident, data={"units": codes})
    notify(incident=incident, units=units, message=f"Insiden dibagikan: {incident.title[:200]}")
    return incident


@transaction.atomic
def deadline_extend(*, actor, deadline: Deadline) -> Deadline:
    """Use a rule's extension (e.g. Bawaslu's +2 days when it asks for more information)."""
    if deadline.extended or not deadline.rule.extension:
        raise ValidationError({"deadline": "tenggat ini tidak bisa diperpanjang"})
    _require_triage(actor, deadline.incident)
    deadline.due_at = due_at(_spec(deadline.rule), _local(deadline.starts_at), extended=True, holidays=_holidays())
    deadline.extended = True
    deadline.save(update_fields=["due_at", "extended"])
    _timeline(deadline.incident, TimelineKind.DEADLINE, actor=actor,
              data={"rule": deadline.rule.code, "extended_to": deadline.due_at.isoformat()})
    audit_log(actor=actor, action="incident.deadline_extended", obj=deadline.incident,
              data={"rule": deadline.rule.code})
    return deadline


@transaction.atomic
def deadline_override(*, actor, deadline: Deadline, reason: str) -> Deadline:
    """Declare a deadline met although the responsible body has not acted (e.g. it acted outside Sinergi): triage
    staff only, with a written reason, on the incident's timeline and in the audit chain."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "alasan wajib diisi"})
    if len(reason) > 300:
        raise ValidationError({"reason": "alasan paling banyak 300 karakter"})
    _require_triage(actor, deadline.incident)
    if deadline.met_at is not None or deadline.ended_at is not None:
        raise ValidationError({"deadline": "tenggat ini sudah tidak berjalan"})
    deadline.met_at = clock.now()
    deadline.met_agency = actor.unit.agency.code if _person(actor) and actor.unit_id else ""
    deadline.override_reason = reason
    deadline.save(update_fields=["met_at", "met_agency", "override_reason"])
    _timeline(deadline.incident, TimelineKind.DEADLINE, actor=actor, note=reason,
              data={"rule": deadline.rule.code, "override": True})
    audit_log(actor=actor, action="incident.deadline_override", obj=deadline.incident,
              data={"rule": deadline.rule.code, "reason": reason})
    return deadline


def deadlines_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate every overdue, unmet deadline once: the incident is shared with the next level up."""
    now = now or clock.now()
    count = 0
    for d in Deadline.objects.filter(due_at__lt=now, met_at__isnull=True, ended_at__isnull=True, escalated_at__isnull=True
                                     ).select_related("incident", "rule", "incident__assigned_unit"):
        with transaction.atomic():
            inc = _lock(d.incident)
            parent = inc.assigned_unit.parent if inc.assigned_unit_id else None
            Deadline.objects.filter(pk=d.pk).update(escalated_at=now)
            inc.escalation_level += 1
            inc.save(update_fields=["escalation_level", "updated_at"])
            if parent is not None:
                inc.shared_units.add(parent)
            _timeline(inc, TimelineKind.ESCALATED, note=f"Lewat tenggat: {d.rule.name}",
                      data={"rule": d.rule.code, "due_at": d.due_at.isoformat(),
                            "to_unit": parent.code if parent else None})
            audit_log(actor=None, action="incident.escalated", obj=inc,
                      data={"rule": d.rule.code, "to_unit": parent.code if parent else None})
            targets = [u for u in (parent, inc.assigned_unit) if u is not None]
            if targets:
                notify(incident=inc, units=targets, message=f"Lewat tenggat ({d.rule.name}): {inc.title[:150]}")
            count += 1
    return count


# --------------------------------------------------------------------------- reporter identity, notifications

def report_reporter_reveal(*, actor, report: Report) -> dict:
    """The reporter's identity, for roles that need it; every view is audited."""
    from .permissions import require

    require(actor, "incident.view_reporter")
    audit_log(actor=actor, action="incident.reporter_viewed", obj=report,
              data={"incident": report.incident_id})
    user = report.reporter_user
    return {"name": report.reporter_name or (user.get_full_name() or user.username if user else ""),
            "contact": report.reporter_contact, "anonymous": report.anonymous,
            "user": user.username if user else None}


def notify(*, incident: Incident, units: list[Unit], message: str) -> list[Notification]:
    """In-app notice for each unit, plus e-mail and signed webhook where the unit has set them up."""
    out = []
    endpoints = {e.unit_id: e for e in NotificationEndpoint.objects.filter(unit__in=units, active=True)}
    for unit in {u.pk: u for u in units}.values():
        out.append(Notification.objects.create(unit=unit, incident=incident, channel=NotificationChannel.IN_APP,
                                               message=message[:300]))
        ep = endpoints.get(unit.pk)
        if ep is None:
            continue
        for channel, on in ((NotificationChannel.EMAIL, ep.email), (NotificationChannel.WEBHOOK, ep.webhook_url)):
            if on:
                n = Notification.objects.create(unit=unit, incident=incident, channel=channel, message=message[:300])
                out.append(n)
                from .tasks import deliver_notification

                transaction.on_commit(lambda pk=n.pk: deliver_notification.enqueue(pk))
    return out


def notification_mark_read(*, actor, notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=clock.now())


# --------------------------------------------------------------------------- live updates

def _broadcast(message: dict) -> None:
    group_send("incidents", "incident.event", **message)


def _units_of(incident_id: int | None) -> list[int]:
    """The units an incident is assigned or shared to: the scope fields of its live event (consumers.decide)."""
    if incident_id is None:
        return []
    assigned = Incident.objects.filter(pk=incident_id).values_list("assigned_unit_id", flat=True).first()
    shared = Incident.shared_units.through.objects.filter(incident_id=incident_id).values_list("unit_id", flat=True)
    return sorted({u for u in [assigned, *shared] if u})


def _broadcast_many(messages: list[dict]) -> None:
    """The live events of a processing batch, sent in one go (best-effort, like group_send)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from sinergi.core.clock import current_exercise
    from sinergi.core.live import exercise_group

    layer = get_channel_layer()
    if layer is None:
        return
    exercise = current_exercise()
    group = exercise_group("incidents", exercise.exercise_id if exercise else None)

    async def send_all():
        for m in messages:
            await layer.group_send(group, {"type": "incident.event", **m})

    try:
        async_to_sync(send_all)()
    except Exception:  # live updates are best-effort
        log.warning("live update to %s failed", group, exc_info=True)


def _broadcast_incident(pk: int) -> None:
    _broadcast({"incident": pk, "units": _units_of(pk)})


def _broadcast_report(pk: int) -> None:
    incident_id = Report.objects.filter(pk=pk).values_list("incident_id", flat=True).first()
    _broadcast({"report": pk, "units": _units_of(incident_id)})
