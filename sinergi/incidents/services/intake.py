"""Intake: the one service every channel stores through (report_store_group), single and batch submit, SMS."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from sinergi.core import clock
from sinergi.core.services import audit_log
from sinergi.engine.incidents import (
    HELP_TEXT,
    parse_sms,
)

from .. import location
from ..choices import (
    Channel,
    LocationStatus,
    ProcessingStatus,
)
from ..models import (
    MAX_TEXT,
    Category,
    Report,
)
from ._common import _broadcast_report, _user, log, processing_mode, sms_aliases
from .processing import report_process, reports_process_safely

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
    (`report_store_group`, a group of one); an invalid field raises ValidationError naming it."""
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
    parameters), instead of the ORM's per-object field preparation. SQLite (>= 3.35): one INSERT ... ON CONFLICT
    DO NOTHING RETURNING per 1,000 rows. Other backends: bulk_create (a stored key fails the transaction; callers
    check first)."""
    if connection.vendor == "sqlite":
        fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
        cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        created: dict[str, int] = {}
        with connection.cursor() as cur:
            for start in range(0, len(rows), 1000):
                part = [d.to_report(a, now) for d, a in rows[start:start + 1000]]
                params = [f.get_db_prep_save(getattr(o, f.attname), connection) for o in part for f in fields]
                cur.execute(f"INSERT INTO {Report._meta.db_table} ({cols}) VALUES {', '.join([one] * len(part))} "
                            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key, id", params)
                created.update(dict(cur.fetchall()))
        return created
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
    are validated (`ReportInput.validate`); for token entries the category and TPS code are checked against the
    database (one query each). Such failures answer `refused` with the reasons and store nothing. A key already stored, or repeated
    within the group, answers `duplicate` with the stored report. Audit: one event per author listing every
    stored report id, or with `audit_each` one `incident.report_received` per report. Every entry is answered
    only after the transaction committed. Processing: `process` True/False, or by the processing mode (inline
    for at most INLINE_MAX reports); deferred processing is asked for unless `enqueue` is False (the group
    writer asks at most twice a second)."""
    from sinergi.accounts.tokens import users_for_keys
    from sinergi.elections.models import PollingStation

    from ..permissions import can

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
        # API lanes (token entries): an unknown category or TPS is refused, the full view explains. Other
        # channels keep it: their forms/parsers checked what the user can correct; an SMS or a message is stored
        # whatever it says and processing notes the unknown code for triage staff.
        if e.token and e.data.category_hint and e.data.category_hint not in known_cats:
            errors["category"] = "kategori tidak dikenal"
        if e.token and e.data.tps_code and e.data.tps_code not in known_tps:
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
    # PostgreSQL and SQLite skip stored keys in the INSERT itself (ON CONFLICT) and look up only those: one round
    # trip less per group. Other backends check first (their bulk insert fails on a duplicate).
    existing = {k: (pk, inc) for k, pk, inc in Report.objects.filter(idempotency_key__in=list(first))
                .values_list("idempotency_key", "id", "incident_id")} if first and connection.vendor not in (
                    "postgresql", "sqlite") else {}
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
    if settings.SINERGI_INCIDENT_PROCESSOR == "loop":
        return
    from sinergi.core.background import task_at

    process_pending_reports = task_at("sinergi.incidents.tasks.process_pending_reports")  # not imported: tasks call services

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
