"""Bulk upload of observations (CSV UTF-8 or XLSX), in the TPS importer's style and with its file reader.

Columns (header row; names compared case- and punctuation-insensitively):

* target, one of: ``kode_tps`` (53.01.04.2003-001), or ``kode_desa`` + ``no_tps``, or ``kode_wilayah`` (a
  region code, for region/IKP indicators);
* ``indikator`` (indicator code), ``nilai`` (ya/tidak, a count, a share 0–1 or an index 0–100), ``tanggal``
  (YYYY-MM-DD or DD/MM/YYYY); optional ``bukti`` (evidence text).

Every row is checked (unknown TPS or region, indicator of the wrong scope, bad value, date in the future, outside
the uploader's jurisdiction, the same observation twice in the file) and reported with its spreadsheet row
number. All-or-nothing unless valid-only. Idempotent: a row equal to a stored observation (same indicator,
target, date and unit) is counted unchanged; a changed value on the same key updates that observation.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from sinergi.core import clock, uploads
from sinergi.core.models import TaskRun
from sinergi.core.services import RunRecorder, audit_log, taskrun_create
from sinergi.elections.importers import (
    FILE_FIELD,
    ImportFileError,
    RowError,
    _cell_text,
    _is_blank,
    _norm_header,
    _parse_int,
    detect_format,
    normalize_village_code,
    read_table,
)
from sinergi.elections.models import PollingStation
from sinergi.regions.models import Region

from .choices import IndicatorScope, ObservationSource
from .models import Indicator, Observation
from .permissions import code_in, jurisdiction_codes, require

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "kode_tps": ("kode_tps", "tps_code", "kode_tps_lengkap"),
    "kode_desa": ("kode_desa", "kode_kelurahan", "village_code", "desa_code"),
    "no_tps": ("no_tps", "nomor_tps", "tps", "tps_number"),
    "kode_wilayah": ("kode_wilayah", "region_code", "kode_daerah", "wilayah"),
    "indikator": ("indikator", "kode_indikator", "indicator", "indicator_code"),
    "nilai": ("nilai", "value", "hasil"),
    "tanggal": ("tanggal", "tanggal_pengamatan", "date", "observed_on"),
    "bukti": ("bukti", "keterangan", "evidence", "catatan"),
}
REQUIRED_COLUMNS = ("indikator", "nilai", "tanggal")
IMPORT_KIND = "risk_observation_import"
MAX_STORED_ERRORS = 2000
_DATE_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass
class CleanObservation:
    row: int
    indicator: Indicator
    value: float
    observed_on: dt.date
    polling_station_id: int | None = None
    region_id: str | None = None
    evidence: str = ""


@dataclass
class ObsValidation:
    rows_total: int = 0
    clean: list[CleanObservation] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: bool = False
    ignored_columns: list[str] = field(default_factory=list)


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    m = _DATE_DMY.match(text)
    if m:
        try:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    return None


def validate(table, election, actor) -> ObsValidation:
    from .services import parse_value

    result = ObsValidation(rows_total=len(table.rows))
    lookup = {alias: canon for canon, aliases in COLUMN_ALIASES.items() for alias in aliases}
    index: dict[str, int] = {}
    for i, name in enumerate(table.header):
        canon = lookup.get(_norm_header(name))
        if canon is None:
            if _norm_header(name):
                result.ignored_columns.append(name)
            continue
        if canon in index:
            result.errors.append(RowError(table.header_row, canon,
                                          f"Kolom '{name}' ganda; hapus salah satu (duplicate column)."))
            continue
        index[canon] = i
    for canon in REQUIRED_COLUMNS:
        if canon not in index:
            result.errors.append(RowError(table.header_row, canon,
                                          f"Kolom wajib '{canon}' tidak ada di baris judul (required column missing)."))
    if not ({"kode_tps", "kode_wilayah"} & set(index) or {"kode_desa", "no_tps"} <= set(index)):
        result.errors.append(RowError(table.header_row, "kode_tps", (
            "Sasaran tidak ada: beri kolom kode_tps, atau kode_desa dan no_tps, atau kode_wilayah "
            "(target column missing).")))
    if result.errors:
        result.file_error = True
        return result
    if not table.rows:
        result.errors.append(RowError(None, FILE_FIELD, "Berkas tidak berisi baris data, hanya judul (no data rows)."))
        result.file_error = True
        return result

    def cell(cells, canon):
        i = index.get(canon)
        if i is None or i >= len(cells):
            return None
        return None if _is_blank(cells[i]) else cells[i]

    indicators = {i.code: i for i in Indicator.objects.all()}
    tps_codes: set[str] = set()
    for _n, cells in table.rows:
        raw = cell(cells, "kode_tps")
        if raw is not None:
            tps_codes.add(_cell_text(raw))
        desa, no = cell(cells, "kode_desa"), cell(cells, "no_tps")
        if desa is not None and no is not None:
            code = normalize_village_code(_cell_text(desa))
            number = _parse_int(no)
            if code and number:
                tps_codes.add(PollingStation.make_code(code, number))
    tps_by_code: dict[str, tuple[int, str]] = {}
    codes = sorted(tps_codes)
    for s in range(0, len(codes), 900):
        for pk, code, village in PollingStation.objects.filter(election=election, code__in=codes[s:s + 900])\
                .values_list("id", "code", "village_id"):
            tps_by_code[code] = (pk, village)
    region_codes = {_cell_text(cell(c, "kode_wilayah")) for _n, c in table.rows if cell(c, "kode_wilayah")}
    regions = set(Region.objects.filter(code__in=region_codes).values_list("code", flat=True))
    scope = jurisdiction_codes(actor) if actor is not None else None
    today = clock.localdate()
    row_errors: dict[int, list[RowError]] = {}
    seen: dict[tuple, list[int]] = {}

    def err(row, canon, message):
        row_errors.setdefault(row, []).append(RowError(row, canon, message))

    for number, cells in table.rows:
        target_tps = target_region = None
        target_label = ""
        raw_tps, raw_region = cell(cells, "kode_tps"), cell(cells, "kode_wilayah")
        raw_desa, raw_no = cell(cells, "kode_desa"), cell(cells, "no_tps")
        if raw_tps is not None:
            code = _cell_text(raw_tps)
            hit = tps_by_code.get(code)
            if hit is None:
                err(number, "kode_tps", f"TPS '{code}' tidak ada dalam pemilihan ini (unknown TPS).")
            else:
                target_tps, target_label = hit, code
        elif raw_desa is not None or raw_no is not None:
            code = normalize_village_code(_cell_text(raw_desa)) if raw_desa is not None else None
            no = _parse_int(raw_no) if raw_no is not None else None
            if code is None or not no:
                err(number, "kode_desa", "Kode desa dan nomor TPS harus diisi dengan benar (desa code and TPS number).")
            else:
                tcode = PollingStation.make_code(code, no)
                hit = tps_by_code.get(tcode)
                if hit is None:
                    err(number, "no_tps", f"TPS '{tcode}' tidak ada dalam pemilihan ini (unknown TPS).")
                else:
                    target_tps, target_label = hit, tcode
        elif raw_region is not None:
            code = _cell_text(raw_region)
            if code not in regions:
                err(number, "kode_wilayah", f"Wilayah '{code}' tidak dikenal (unknown region).")
            else:
                target_region, target_label = code, code
        else:
            err(number, "kode_tps", "Sasaran wajib diisi: kode TPS atau kode wilayah (target required).")
        raw_ind = cell(cells, "indikator")
        ind = indicators.get(_cell_text(raw_ind)) if raw_ind is not None else None
        if raw_ind is None:
            err(number, "indikator", "Kode indikator wajib diisi (required).")
        elif ind is None:
            err(number, "indikator", f"Indikator '{_cell_text(raw_ind)}' tidak ada di katalog (unknown indicator).")
        elif not ind.is_active:
            err(number, "indikator", f"Indikator '{ind.code}' tidak aktif (inactive).")
        elif target_tps is not None and ind.scope != IndicatorScope.TPS:
            err(number, "indikator", f"Indikator '{ind.code}' untuk wilayah, bukan TPS (scope mismatch).")
        elif target_region is not None and ind.scope != IndicatorScope.REGION:
            err(number, "indikator", f"Indikator '{ind.code}' untuk TPS, bukan wilayah (scope mismatch).")
        value = None
        raw_val = cell(cells, "nilai")
        if raw_val is None:
            err(number, "nilai", "Nilai wajib diisi; kosong tidak sama dengan nol (required; empty is not zero).")
        elif ind is not None:
            try:
                value = parse_value(ind, raw_val)
            except ValidationError as exc:
                err(number, "nilai", exc.messages[0])
        raw_date = cell(cells, "tanggal")
        date = None
        if raw_date is None:
            err(number, "tanggal", "Tanggal pengamatan wajib diisi (required).")
        else:
            date = _parse_date(raw_date)
            if date is None:
                err(number, "tanggal", f"Tanggal '{_cell_text(raw_date)}' tidak dikenal; pakai YYYY-MM-DD (bad date).")
            elif date > today:
                err(number, "tanggal", f"Tanggal {date.isoformat()} di masa depan (date in the future).")
                date = None
        village_or_region = target_tps[1] if target_tps else target_region
        if village_or_region is not None and not code_in(village_or_region, scope):
            err(number, "kode_tps", f"{target_label} di luar wilayah hukum satuan Anda (outside your jurisdiction).")
        evidence = _cell_text(cell(cells, "bukti")) if cell(cells, "bukti") is not None else ""
        if ind is not None and date is not None and (target_tps or target_region):
            key = (ind.code, target_label, date)
            seen.setdefault(key, []).append(number)
            if value is not None:
                result.clean.append(CleanObservation(
                    row=number, indicator=ind, value=value, observed_on=date,
                    polling_station_id=target_tps[0] if target_tps else None, region_id=target_region,
                    evidence=evidence[:2000]))
    for (code, label, date), rows in seen.items():
        if len(rows) > 1:
            for row in rows:
                others = ", ".join(str(r) for r in rows if r != row)
                err(row, "indikator", f"{code} untuk {label} tanggal {date} muncul lebih dari sekali "
                                      f"(juga di baris {others}) (duplicate row).")
    result.clean = [c for c in result.clean if c.row not in row_errors]
    for row in sorted(row_errors):
        result.errors.extend(row_errors[row])
    return result


def apply(election, rows: list[CleanObservation], *, actor, run: TaskRun | None) -> dict[str, int]:
    """Insert new observations, update changed ones with the same key, count unchanged ones."""
    from .services import _user

    user = _user(actor)
    unit = getattr(user, "unit", None)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    tps_ids = sorted({r.polling_station_id for r in rows if r.polling_station_id})
    region_ids = sorted({r.region_id for r in rows if r.region_id})
    existing: dict[tuple, Observation] = {}
    qs = Observation.objects.filter(election=election, unit=unit, is_demo=False)
    for s in range(0, len(tps_ids), 900):
        for o in qs.filter(polling_station_id__in=tps_ids[s:s + 900]):
            existing[(o.indicator_id, o.polling_station_id, None, o.observed_on)] = o
    for o in qs.filter(region_id__in=region_ids):
        existing[(o.indicator_id, None, o.region_id, o.observed_on)] = o
    create, update = [], []
    for r in rows:
        key = (r.indicator.pk, r.polling_station_id, r.region_id, r.observed_on)
        obs = existing.get(key)
        if obs is None:
            create.append(Observation(
                election=election, indicator=r.indicator, polling_station_id=r.polling_station_id,
                region_id=r.region_id, value=r.value, observed_on=r.observed_on, unit=unit, reported_by=user,
                evidence_text=r.evidence, source=ObservationSource.IMPORT, import_run=run))
            counts["created"] += 1
        elif obs.value != r.value or obs.evidence_text != r.evidence:
            obs.value, obs.evidence_text, obs.import_run = r.value, r.evidence, run
            update.append(obs)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    Observation.objects.bulk_create(create, batch_size=2000)
    if update:
        Observation.objects.bulk_update(update, ["value", "evidence_text", "import_run"], batch_size=500)
    return counts


# ------------------------------------------------------------------------------------------------ runs

def observation_import_start(*, actor, file_bytes: bytes, filename: str, valid_only: bool = False,
                             election=None, enqueue: bool = True, system: bool = False) -> TaskRun:
    from .services import default_election, file_sha

    if not (system and actor is None):
        require(actor, "risk.observe")
    uploads.check_size(len(file_bytes))
    election = election or default_election()
    if election is None:
        raise ValidationError({"election": "Belum ada pemilihan (no election)."})
    try:
        fmt = detect_format(file_bytes, filename)
    except ImportFileError as exc:
        raise ValidationError({"file": exc.message}) from exc
    digest = file_sha(file_bytes)
    relative = f"imports/risk-{digest}.{fmt}"
    target = Path(settings.MEDIA_ROOT) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file_bytes)
    params = {"election": election.code, "election_id": election.pk, "valid_only": bool(valid_only),
              "format": fmt, "file": relative, "size": len(file_bytes)}
    with transaction.atomic():
        run = taskrun_create(kind=IMPORT_KIND, actor=actor, parameters=params, input_hash=digest,
                             input_name=Path(filename or f"upload.{fmt}").name[:255])
        if enqueue:
            from .tasks import run_observation_import

            transaction.on_commit(lambda: run_observation_import.enqueue(run.pk))
    return run


class _Rejected(Exception):
    pass


def observation_import_execute(run: TaskRun) -> dict[str, Any]:
    from sinergi.elections.models import Election

    from .services import risk_inputs_rebuild, risk_recompute_request

    run.refresh_from_db()
    if run.status in (TaskRun.Status.SUCCEEDED, TaskRun.Status.FAILED):
        return run.result
    params = run.parameters
    valid_only = bool(params.get("valid_only"))
    result: dict[str, Any] = {"election": params.get("election"), "valid_only": valid_only, "imported": False,
                              "rows_total": 0, "rows_valid": 0, "rows_rejected": 0, "created": 0, "updated": 0,
                              "unchanged": 0, "rejected_rows": [], "errors": [], "errors_total": 0,
                              "ignored_columns": []}
    from django.utils.translation import gettext

    from sinergi.core.progress import steps

    at = steps(run, [gettext("Membaca berkas"), gettext("Memeriksa baris"), gettext("Menyimpan pengamatan")])
    try:
        with RunRecorder(run) as recorder:
            run.result = result
            at(0)
            election = Election.objects.get(pk=params["election_id"])
            data = (Path(settings.MEDIA_ROOT) / params["file"]).read_bytes()
            try:
                table = read_table(data, run.input_name)
            except ImportFileError as exc:
                _errors(result, [RowError(exc.row, exc.field, exc.message)])
                _audit(run, result)
                raise _Rejected(exc.message) from None
            at(1)
            v = validate(table, election, run.created_by)
            data_rows = [n for n, _c in table.rows]
            rejected = data_rows if v.file_error else sorted({e.row for e in v.errors if e.row} & set(data_rows))
            result.update(rows_total=len(data_rows), rows_valid=len(v.clean), rows_rejected=len(rejected),
                          rejected_rows=rejected, ignored_columns=v.ignored_columns)
            _errors(result, v.errors)
            recorder.log(f"{len(data_rows)} baris, {len(v.clean)} valid, {len(rejected)} ditolak")
            if v.file_error or (rejected and not valid_only) or not v.clean:
                _audit(run, result)
                raise _Rejected("tidak ada yang diimpor")
            at(2)
            with transaction.atomic():
                counts = apply(election, v.clean, actor=run.created_by, run=run)
                result.update(imported=True, **counts)
                tps = sorted({c.polling_station_id for c in v.clean if c.polling_station_id})
                if tps:
                    risk_inputs_rebuild(election=election, polling_station_ids=tps)
                _audit(run, result)
                if counts["created"] or counts["updated"]:
                    risk_recompute_request(election=election, actor=run.created_by, reason="unggah pengamatan")
            recorder.log(f"dibuat {counts['created']}, diubah {counts['updated']}, tetap {counts['unchanged']}")
    except _Rejected:
        pass
    run.refresh_from_db()
    return run.result


def _errors(result, errors):
    result["errors_total"] = len(errors)
    result["errors"] = [e.as_dict() for e in errors[:MAX_STORED_ERRORS]]


def _audit(run, result):
    audit_log(actor=run.created_by, action="risk.observation_import", obj=run, data={
        k: result.get(k) for k in ("election", "valid_only", "imported", "rows_total", "rows_valid",
                                   "rows_rejected", "created", "updated", "unchanged", "errors_total")})
