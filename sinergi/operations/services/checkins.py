"""TPS check-ins: one (`checkin_submit`) or a batch (`checkin_submit_batch`), each checked against the TPS, the
officer's grant and the stage calendar, merged into the TPS status row and resolving the missing-check-in alerts.
Every change is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from sinergi.core import clock
from sinergi.core.permissions import require_perm
from sinergi.core.prepared import rows
from sinergi.core.providers import provider
from sinergi.core.services import audit_log
from sinergi.elections.models import PollingStation

from .. import cache, live, stages
from ..models import (
    KIND_ORDER,
    Alert,
    AlertKind,
    CheckIn,
    CheckInChannel,
    CheckInKind,
    TpsStatus,
)
from ..scope import checkin_grant, planned_tps_ids, polres_by_regency, polres_of_regency
from .alerts import _units_of_alerts, alert_raise, alert_resolve_many

# --------------------------------------------------------------------------- check-ins

MAX_BATCH = 5000
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
KIND_VALUES = {k.value for k in CheckInKind}


@dataclass
class CheckInInput:
    """Validated fields of one check-in (the API, the web page and the SMS path build this)."""

    key: str
    tps: str
    kind: str
    at: dt.datetime | None = None
    note: str = ""
    lat: float | None = None
    lng: float | None = None
    channel: str = CheckInChannel.API

    @classmethod
    def parse(cls, data, *, channel: str = CheckInChannel.API) -> CheckInInput:
        """From a JSON-like dict; raises ValidationError naming each bad field."""
        if isinstance(data, CheckInInput):
            return data
        if not isinstance(data, dict):
            raise ValidationError({"item": "objek JSON diharapkan"})
        errors: dict[str, str] = {}
        key = data.get("key")
        if not isinstance(key, str) or not key.strip() or len(key) > 100:
            errors["key"] = "kunci idempotensi wajib (teks), paling panjang 100 karakter"
        tps = data.get("tps")
        if not isinstance(tps, str) or not tps.strip() or len(tps) > 24:
            errors["tps"] = "kode TPS wajib, mis. 53.71.01.1001-003"
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in KIND_VALUES:  # a dict/list is a 400, not unhashable
            errors["kind"] = "jenis harus salah satu dari: " + "|".join(k.value for k in CheckInKind)
        at = data.get("at")
        if at in (None, ""):
            at = None
        elif isinstance(at, dt.datetime):
            pass
        elif isinstance(at, str):
            try:
                at = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
            except ValueError:
                errors["at"] = "waktu ISO 8601, mis. 2024-11-27T07:05:00+08:00"
                at = None
        else:
            errors["at"] = "waktu ISO 8601, mis. 2024-11-27T07:05:00+08:00"
            at = None
        if at is not None and not 1 < at.year < 9999:  # no room to convert to UTC
            errors["at"] = "waktu ISO 8601, mis. 2024-11-27T07:05:00+08:00"
            at = None
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at)
        note = data.get("note") or ""
        if not isinstance(note, str) or len(note) > 1000:
            errors["note"] = "catatan teks, paling panjang 1000 karakter"
            note = ""
        lat, lng = data.get("lat"), data.get("lng")
        try:
            lat = None if lat in (None, "") else float(lat)
            lng = None if lng in (None, "") else float(lng)
        except (TypeError, ValueError):
            errors["lat"] = "koordinat tidak sah"
            lat = lng = None
        if (lat is None) != (lng is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180)):
            errors["lat"] = "koordinat tidak sah (lat dan lng keduanya)"
        if errors:
            raise ValidationError(errors)
        return cls(key=key.strip(), tps=tps.strip(), kind=kind, at=at, note=note.strip(), lat=lat, lng=lng,
                   channel=channel)


@dataclass
class BatchResult:
    index: int
    key: str
    status: str  # accepted | duplicate | rejected
    id: int | None = None
    error: dict | None = None

    def as_dict(self) -> dict:
        out: dict = {"index": self.index, "key": self.key, "status": self.status}
        if self.id is not None:
            out["id"] = self.id
        if self.error:
            out["error"] = self.error
        return out


def _merge(status: TpsStatus, kind: str, at: dt.datetime) -> list[str]:
    """Apply one check-in to the status row (in memory); return its flags."""
    flags: list[str] = []
    status.checkin_count += 1
    status.last_at = at if status.last_at is None or at > status.last_at else status.last_at
    if kind == CheckInKind.PROBLEM:
        status.problem_count += 1
        if status.last_problem_at is None or at > status.last_problem_at:
            status.last_problem_at = at
        return flags
    idx = KIND_ORDER.index(kind)
    field = f"{kind}_at"
    if getattr(status, field) is not None:
        flags.append("repeat")
    # "voting" (under way) is an optional mid-day report: its absence is no oddity
    if any(getattr(status, f"{k}_at") is None for k in KIND_ORDER[:idx] if k != CheckInKind.VOTING):
        flags.append("out_of_order")  # e.g. closed before opened: accepted but flagged
    elif any(getattr(status, f"{k}_at") is not None and getattr(status, f"{k}_at") > at
             for k in KIND_ORDER[:idx]):
        flags.append("out_of_order")  # earlier step reported with a later time
    current = getattr(status, field)
    if current is None or at < current:
        setattr(status, field, at)
    if not status.state or status.state == CheckInKind.PROBLEM or KIND_ORDER.index(status.state) <= idx:
        status.state = kind
    if "out_of_order" in flags:
        status.flagged += 1
    return flags


def _missing_keys(ps_id: int, kind: str) -> list[str]:
    """Missing-check-in alert keys a check-in of `kind` satisfies (its own kind and every earlier one)."""
    if kind not in KIND_ORDER:
        return []
    return [missing_key(k, ps_id) for k in KIND_ORDER[:KIND_ORDER.index(kind) + 1]]


def missing_key(kind: str, ps_id: int) -> str:
    return f"checkin_missing:{kind}:{ps_id}"


class _Context:
    """What a submitter may do, computed once per call (single) or per batch."""

    def __init__(self, actor, scope=None):
        self.actor = actor
        self.scope = scope if scope is not None else checkin_grant(actor)[1]
        self.stages: dict[int, tuple] = {}

        self.memo: dict = {}

    def stages_for(self, election):
        if election.pk not in self.stages:
            self.stages[election.pk] = stages.stages_cached(election)
        return self.stages[election.pk]

    def time_problem(self, election, kind: str, at: dt.datetime, tz) -> str:
        """stages.check_time, memoised per kind, zone and local day (a batch checks thousands of times)."""
        key = ("w", election.pk, kind, tz.key)
        if key not in self.memo:
            self.memo[key] = stages.window(election, kind, tz)
        window = self.memo[key]
        if window is not None and not window[0] <= at <= window[1]:
            return stages.check_time(election, kind, at, tz, self.stages_for(election))
        day_key = (election.pk, kind, tz.key, timezone.localtime(at).date())
        if day_key not in self.memo:
            self.memo[day_key] = stages.check_time(election, kind, at, tz, self.stages_for(election))
        return self.memo[day_key]


def _election(data_election=None):
    from sinergi.elections.selectors import default_election

    return data_election or cache.get("election", None, default_election, cache_none=False)


_TPS_FIELDS = ("id", "code", "election_id", "regency_code", "district_code")


def _tps(election, code: str) -> PollingStation | None:
    """The TPS by code (only the fields a check-in needs, its election attached), cached per process; an unknown
    code is not cached."""
    def load():
        # compiled once per process (sinergi.core.prepared); the instance is the one `.only(*fields)` would give
        names = [f.attname for f in PollingStation._meta.concrete_fields if f.attname in _TPS_FIELDS]  # from_db's order
        found = rows("checkin_tps", lambda election, code: PollingStation.objects.filter(
            election_id=election, code=code).order_by().values_list(*names)[:1], election=election.pk, code=code)
        if not found:
            return None
        ps = PollingStation.from_db(PollingStation.objects.db, names, found[0])  # the alias the ORM would give
        ps.election = election
        return ps

    return cache.get("tps", (election.pk, code), load, cache_none=False)


def _lock_statuses(polling_stations, polres: dict) -> dict[int, TpsStatus]:
    """Create missing status rows and lock them (in pk order, so concurrent writers never deadlock)."""
    ids = sorted({p.pk for p in polling_stations})
    existing = set(TpsStatus.objects.filter(pk__in=ids).values_list("pk", flat=True))
    fresh = [TpsStatus(polling_station_id=p.pk, election_id=p.election_id, polres=polres.get(p.regency_code),
                       regency_code=p.regency_code, district_code=p.district_code)
             for p in {p.pk: p for p in polling_stations}.values() if p.pk not in existing]
    if fresh:
        TpsStatus.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=2000)
    rows = TpsStatus.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {r.pk: r for r in rows}


STATUS_FIELDS = ("state", "last_at", *(f"{k}_at" for k in KIND_ORDER), "problem_count", "last_problem_at",
                 "flagged", "checkin_count")


def _write_statuses(rows: list[TpsStatus]) -> None:
    """Write merged status rows fast. PostgreSQL: one UPDATE ... FROM unnest(arrays) (a dozen array parameters,
    whatever the row count); SQLite: one parameterised UPDATE run with executemany (a C loop in-process). Django's
    bulk_update builds CASE expressions and took ~30 s for 5,000 rows."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(TpsStatus._meta.db_table)
    fields = [TpsStatus._meta.get_field(f) for f in STATUS_FIELDS]
    pk = ops.quote_name(TpsStatus._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = [f.db_type(connection).split("(")[0] for f in fields]
            cols = [ops.quote_name(f.column) for f in fields]
            arrays = [[getattr(r, f.attname) for r in rows] for f in fields] + [[r.pk for r in rows]]
            sets = ", ".join(f"{c} = v.{c}" for c in cols)
            unnest = ", ".join([f"%s::{c}[]" for c in casts] + ["%s::integer[]"])
            cursor.execute(f"UPDATE {table} AS t SET {sets} FROM unnest({unnest}) AS v({', '.join(cols)}, pk_) "  # noqa: S608
                           f"WHERE t.{pk} = v.pk_", arrays)
        else:
            def adapter(f):
                if f.get_internal_type() == "DateTimeField":
                    return ops.adapt_datetimefield_value
                return lambda v: v
            adapt = [adapter(f) for f in fields]
            params = [[a(getattr(r, f.attname)) for a, f in zip(adapt, fields, strict=True)] + [r.pk] for r in rows]
            sets = ", ".join(f"{ops.quote_name(f.column)} = %s" for f in fields)
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", params)  # noqa: S608 - names quoted


def _insert_checkins(objs: list[CheckIn]) -> dict[str, int]:
    """Insert many check-ins; returns key -> id. PostgreSQL: one INSERT ... SELECT FROM unnest(arrays) RETURNING
    per 5,000 rows; SQLite: executemany, then the ids by key. (Django's bulk_create spends ~2 s of Python on 5,000
    rows of this width.) A duplicate key raises IntegrityError like bulk_create."""
    ops = connection.ops
    meta = CheckIn._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    table = ops.quote_name(meta.db_table)
    cols = ", ".join(ops.quote_name(f.column) for f in fields)
    key_col = ops.quote_name(meta.get_field("key").column)
    pk_col = ops.quote_name(meta.pk.column)
    out: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = [f.db_type(connection).split("(")[0] if not f.is_relation else "integer" for f in fields]
            for start in range(0, len(objs), 5000):
                chunk = objs[start:start + 5000]
                arrays = [[_pg_value(f, o) for o in chunk] for f in fields]
                unnest = ", ".join(f"%s::{c}[]" for c in casts)
                cursor.execute(f"INSERT INTO {table} ({cols}) SELECT * FROM unnest({unnest}) "  # noqa: S608
                               f"RETURNING {key_col}, {pk_col}", arrays)
                out.update(dict(cursor.fetchall()))
        else:
            marks = ", ".join(["%s"] * len(fields))
            params = [[f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields] for o in objs]
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", params)  # noqa: S608
            keys = [o.key for o in objs]
            for start in range(0, len(keys), 900):
                out.update(CheckIn.objects.filter(key__in=keys[start:start + 900]).values_list("key", "id"))
    return out


def _pg_value(field, obj):
    value = getattr(obj, field.attname)
    if field.get_internal_type() == "JSONField":
        return json.dumps(value)
    return value


def _check(ctx: _Context, item: CheckInInput, ps, now: dt.datetime, planned: set[int] | None = None) -> None:
    """Scope and time rules; raises PermissionDenied / ValidationError with a clear reason."""
    if not ctx.scope.covers(ps.district_code) and ps.pk not in (
            planned if planned is not None else planned_tps_ids(ctx.actor, [ps.pk])):
        raise PermissionDenied(f"TPS {ps.code} di luar wilayah satuan Anda")
    at = item.at or now
    if at > now + FUTURE_TOLERANCE:
        raise ValidationError({"at": "waktu di masa depan"})
    reason = ctx.time_problem(ps.election, item.kind, at, stages.tz_for(ps.district_code))
    if reason:
        raise ValidationError({"at": reason})


def _new_checkin(actor, item: CheckInInput, ps, polres, now: dt.datetime, flags: list[str]) -> CheckIn:
    return CheckIn(
        election_id=ps.election_id, polling_station=ps, kind=item.kind, at=item.at or now, received_at=now,
        officer=actor if getattr(actor, "is_authenticated", False) else None,
        unit_id=getattr(actor, "unit_id", None), polres=polres, regency_code=ps.regency_code,
        district_code=ps.district_code, channel=item.channel, key=item.key, note=item.note[:1000],
        lat=item.lat, lng=item.lng, flags=flags)


def _problem_report(actor, checkin: CheckIn, ps) -> None:
    """A "problem" check-in becomes an incident report at the TPS (incidents intake), linked both ways."""
    from sinergi.incidents.choices import Channel
    from sinergi.incidents.services import ReportInput, report_submit

    channel = {"sms": Channel.SMS, "web": Channel.STAFF}.get(checkin.channel, Channel.API)
    text = checkin.note or f"Masalah dilaporkan dari TPS {ps.code} (laporan TPS tanpa uraian)"
    report, _created = report_submit(actor=actor, data=ReportInput(
        key=f"checkin:{checkin.key}"[:100], text=text, channel=channel, occurred_at=min(checkin.at, clock.now()),
        tps_code=ps.code, lat=checkin.lat, lng=checkin.lng, raw={"checkin": checkin.pk}))
    CheckIn.objects.filter(pk=checkin.pk).update(report=report)
    checkin.report = report
    alert_raise(election=ps.election, key=f"checkin_problem:{checkin.pk}", kind=AlertKind.CHECKIN_PROBLEM,
                message=f"Masalah di TPS {ps.code}: {text[:200]}", severity=3, unit=checkin.polres,
                polling_station=ps, subject=checkin, at=checkin.at, data={"report": report.pk})


def checkin_submit(*, actor, data, election=None) -> tuple[CheckIn, bool]:
    """Store one check-in exactly once per key. Returns (check-in, created).

    Rules: `checkin.submit` and the TPS in the actor's check-in scope (sinergi.operations.scope); the time within
    the kind's window and stage (stages.check_time); order oddities accepted but flagged. The status row, the
    missing-check-in alerts and the audit event change in the same transaction; a "problem" becomes an incident
    report. Raises PermissionDenied or ValidationError (field -> reason). A key already stored is answered
    (existing, False) whatever the rules say now.

    Lean path (docs/operations.md "Measured"): the grant, the TPS, its Polres and the stage calendar come from the
    per-process cache (sinergi.operations.cache); the key is not looked up first: the insert's unique key decides
    (a duplicate rolls the transaction back and is answered from the stored row); the status row is created and
    locked by one upsert; the missing-check-in alerts are resolved by one UPDATE ... RETURNING, skipped while no
    such alert can exist yet (before the first due time of the day at the TPS)."""
    allowed, scope = checkin_grant(actor)
    if not allowed:
        require_perm(actor, "checkin.submit")
    item = CheckInInput.parse(data)
    now = clock.now()
    try:
        election = _election(election)
        ps = _tps(election, item.tps) if election is not None else None
        if ps is None:
            raise ValidationError({"tps": f"TPS {item.tps} tidak dikenal"})
        ctx = _Context(actor, scope=scope)
        _check(ctx, item, ps, now)
    except (ValidationError, PermissionDenied):
        existing = CheckIn.objects.filter(key=item.key).first()
        if existing is not None:
            return existing, False
        raise
    polres = polres_of_regency(ps.regency_code)
    at = item.at or now
    roster = provider("personnel.checkin_roster_officer")  # the named officer on the roster (1 query)
    tie = roster(user_id=getattr(actor, "pk", None), tps_id=ps.pk) if roster is not None else None
    try:
        with transaction.atomic():
            status = _upsert_status(ps, polres)
            flags = _merge(status, item.kind, at)
            if stages.early(ps.election, item.kind, at, stages.tz_for(ps.district_code)):
                flags.append("early")
            checkin = _new_checkin(actor, item, ps, polres, now, flags)
            checkin.roster_officer_id = tie
            checkin.save(force_insert=True)
            status.save(update_fields=STATUS_FIELDS)
            audit_log(actor=actor, action="ops.checkin", obj=checkin,
                      data={"key": item.key, "tps": ps.code, "kind": item.kind, "channel": item.channel,
                            "flags": flags})
            _resolve_missing(ps, item.kind, now, reason=f"checkin {checkin.pk}")
    except IntegrityError:
        existing = CheckIn.objects.filter(key=item.key).first()
        if existing is None:
            raise
        return existing, False
    if item.kind == CheckInKind.PROBLEM:
        _problem_report(actor, checkin, ps)
    transaction.on_commit(lambda: live.broadcast("checkin", id=checkin.pk, district=checkin.district_code))
    return checkin, True


def _upsert_status(ps, polres) -> TpsStatus:
    """The TPS's status row, created when missing and locked until the transaction ends: one INSERT ... ON CONFLICT
    DO UPDATE (a no-op update that takes the row lock) ... RETURNING, on PostgreSQL and SQLite alike."""
    meta = TpsStatus._meta
    qn = connection.ops.quote_name
    fields = meta.concrete_fields
    table = qn(meta.db_table)
    blank = TpsStatus(polling_station_id=ps.pk, election_id=ps.election_id, polres=polres,
                      regency_code=ps.regency_code, district_code=ps.district_code)
    cols = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(getattr(blank, f.attname), connection) for f in fields]
    count = qn(meta.get_field("checkin_count").column)
    sql = (f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({qn(meta.pk.column)}) "  # noqa: S608
           f"DO UPDATE SET {count} = {table}.{count} RETURNING {cols}")
    return list(TpsStatus.objects.raw(sql, params))[0]


def _alerts_possible(election, kind: str, district_code: str, now: dt.datetime) -> bool:
    """Can an open missing-check-in alert satisfied by `kind` exist? The tick raises one only once the kind's due
    time has passed (local time of the TPS), so before the earliest due time of the kinds it satisfies there is
    none (this assumes the tick is not run with a clock ahead of the server's)."""
    tz = stages.tz_for(district_code)
    dues = [d for k in KIND_ORDER[:KIND_ORDER.index(kind) + 1] if (d := stages.due_at(election, k, tz))]
    return not dues or now >= min(dues)


def _resolve_missing(ps, kind: str, now: dt.datetime, *, reason: str) -> int:
    """Resolve the open missing-check-in alerts a check-in of `kind` at `ps` satisfies: one UPDATE ... RETURNING
    (and one audit event naming the ids when any was open), nothing while none can exist yet."""
    keys = _missing_keys(ps.pk, kind)
    if not keys or not _alerts_possible(ps.election, kind, ps.district_code, now):
        return 0
    meta = Alert._meta
    qn = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(meta.db_table)} SET {qn('resolved_at')} = %s "  # noqa: S608 - names quoted
            f"WHERE {qn('key')} IN ({marks}) AND {qn('resolved_at')} IS NULL RETURNING {qn(meta.pk.column)}",
            [meta.get_field("resolved_at").get_db_prep_save(now, connection), *keys])
        ids = sorted(r[0] for r in cursor.fetchall())
    if ids:
        audit_log(actor=None, action="ops.alert.resolve_batch", object_type="operations.alert",
                  data={"ids": ids, "count": len(ids), "reason": reason})
        live.broadcast("alert", count=len(ids), ids=ids[:1000], units=_units_of_alerts(ids))
    return len(ids)


def checkin_submit_batch(*, actor, items: list, election=None) -> list[BatchResult]:
    """Offline sync and bulk load: up to 5,000 check-ins, each answered accepted / duplicate / rejected (with the
    field and reason). Accepted non-problem items are stored with one bulk insert, the status rows updated in
    bulk, and one audit event names the ids; "problem" items go through checkin_submit one by one (each becomes
    an incident report)."""
    require_perm(actor, "checkin.submit")
    if len(items) > MAX_BATCH:
        raise ValidationError({"items": f"paling banyak {MAX_BATCH} butir"})
    election = _election(election)
    ctx = _Context(actor)
    now = clock.now()
    results: list[BatchResult] = []
    parsed: list[tuple[int, CheckInInput]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(items):
        try:
            item = CheckInInput.parse(raw)
        except ValidationError as exc:
            key = raw.get("key", "") if isinstance(raw, dict) else ""
            results.append(BatchResult(i, str(key)[:100], "rejected", error=exc.message_dict))
            continue
        if item.key in seen:
            results.append(BatchResult(i, item.key, "duplicate"))
            continue
        seen[item.key] = i
        parsed.append((i, item))
    existing: dict[str, int] = {}
    keys = [it.key for _, it in parsed]
    for chunk in range(0, len(keys), 900):
        existing.update(CheckIn.objects.filter(key__in=keys[chunk:chunk + 900]).values_list("key", "id"))
    codes = list({it.tps for _, it in parsed if it.key not in existing})
    tps: dict[str, PollingStation] = {}
    for chunk in range(0, len(codes), 900):
        for p in PollingStation.objects.filter(election=election, code__in=codes[chunk:chunk + 900]).only(
                "pk", "code", "election_id", "regency_code", "district_code"):
            tps[p.code] = p
    for p in tps.values():
        p.election = election
    outside = [p.pk for p in tps.values() if not ctx.scope.covers(p.district_code)]
    planned = planned_tps_ids(actor, outside) if outside else set()
    fresh: list[tuple[int, CheckInInput, PollingStation]] = []
    problems: list[tuple[int, CheckInInput]] = []
    for i, item in parsed:
        if item.key in existing:
            results.append(BatchResult(i, item.key, "duplicate", id=existing[item.key]))
            continue
        ps = tps.get(item.tps)
        if ps is None:
            results.append(BatchResult(i, item.key, "rejected", error={"tps": f"TPS {item.tps} tidak dikenal"}))
            continue
        try:
            _check(ctx, item, ps, now, planned)
        except ValidationError as exc:
            results.append(BatchResult(i, item.key, "rejected", error=exc.message_dict))
            continue
        except PermissionDenied as exc:
            results.append(BatchResult(i, item.key, "rejected", error={"tps": str(exc)}))
            continue
        if item.kind == CheckInKind.PROBLEM:
            problems.append((i, item))
        else:
            fresh.append((i, item, ps))
    if fresh:
        polres = polres_by_regency({ps.regency_code for _, _, ps in fresh})
        roster_many = provider("personnel.checkin_roster_officers")  # the named officers on the roster
        ties = (roster_many(user_id=getattr(actor, "pk", None), tps_ids={ps.pk for _, _, ps in fresh})
                if roster_many is not None else {})
        try:
            with transaction.atomic():
                statuses = _lock_statuses([ps for _, _, ps in fresh], polres)
                objs = []
                for _, item, ps in sorted(fresh, key=lambda t: t[1].at or now):
                    flags = _merge(statuses[ps.pk], item.kind, item.at or now)
                    if stages.early(election, item.kind, item.at or now, stages.tz_for(ps.district_code)):
                        flags.append("early")
                    objs.append(_new_checkin(actor, item, ps, polres.get(ps.regency_code), now, flags))
                    objs[-1].roster_officer_id = ties.get(ps.pk)
                ids = _insert_checkins(objs)
                _write_statuses(list(statuses.values()))
                id_list = sorted(ids.values())
                audit_log(actor=actor, action="ops.checkin_batch", object_type="operations.checkin",
                          data={"count": len(id_list), "ids": id_list,
                                "keys_sha256": hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()})
                satisfied = {key for _, item, ps in fresh for key in _missing_keys(ps.pk, item.kind)}
                ps_ids = sorted({ps.pk for _, _, ps in fresh})
                open_alerts = []
                for chunk in range(0, len(ps_ids), 900):
                    open_alerts += [a for a in Alert.objects.filter(
                        kind=AlertKind.CHECKIN_MISSING, resolved_at__isnull=True,
                        polling_station_id__in=ps_ids[chunk:chunk + 900]) if a.key in satisfied]
                alert_resolve_many(alerts=open_alerts, reason="checkin batch")
            for i, item, _ps in fresh:
                results.append(BatchResult(i, item.key, "accepted", id=ids[item.key]))
        except IntegrityError:
            # A concurrent writer stored some of the same keys: one by one sorts it out.
            for i, item, _ps in fresh:
                try:
                    checkin, was_created = checkin_submit(actor=actor, data=item, election=election)
                except (ValidationError, PermissionDenied) as exc:
                    results.append(BatchResult(i, item.key, "rejected", error=_error(exc)))
                else:
                    results.append(BatchResult(i, item.key, "accepted" if was_created else "duplicate",
                                               id=checkin.pk))
        district_of = {item.key: ps.district_code for _, item, ps in fresh}
        pairs = [(r.id, district_of[r.key]) for r in results
                 if r.status == "accepted" and r.id is not None and r.key in district_of][:1000]
        transaction.on_commit(lambda: live.broadcast("checkin", count=len(fresh), ids=[i for i, _ in pairs],
                                                     districts=[d for _, d in pairs]))
    for i, item in problems:
        try:
            checkin, was_created = checkin_submit(actor=actor, data=item, election=election)
        except (ValidationError, PermissionDenied) as exc:
            results.append(BatchResult(i, item.key, "rejected", error=_error(exc)))
        else:
            results.append(BatchResult(i, item.key, "accepted" if was_created else "duplicate", id=checkin.pk))
    by_key = {r.key: r.id for r in results if r.id is not None}
    for r in results:
        if r.status == "duplicate" and r.id is None:
            r.id = by_key.get(r.key)
    results.sort(key=lambda r: r.index)
    return results


def _error(exc) -> dict:
    if isinstance(exc, ValidationError):
        return getattr(exc, "message_dict", None) or {"detail": "; ".join(exc.messages)}
    return {"tps": str(exc)}


