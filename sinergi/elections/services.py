"""State changes of the elections app. Every writer records an audit event.

TPS import (KPU's real TPS list): `tps_import_start` checks the permission, keeps the uploaded file, creates a
TaskRun and queues `tasks.run_tps_import`; `tps_import_execute` does the work inside a RunRecorder. The
command-line import calls both synchronously.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sinergi.accounts.permissions import require_perm
from sinergi.core import uploads
from sinergi.core.models import TaskRun
from sinergi.core.services import RunRecorder, audit_log, taskrun_create

from . import importers
from .models import Election

TPS_IMPORT_KIND = "tps_import"
DEFAULT_ELECTION_CODE = "pilkada-2024"
#: errors kept in the run record (every rejected row number is kept regardless)
MAX_STORED_ERRORS = 2000


class TpsImportRejected(Exception):
    """Raised inside the run recorder so an import that wrote nothing is recorded as failed."""


def _imports_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def tps_import_start(
    *,
    actor,
    file_bytes: bytes,
    filename: str,
    valid_only: bool = False,
    election_code: str = DEFAULT_ELECTION_CODE,
    enqueue: bool = True,
    system: bool = False,
) -> TaskRun:
    """Store the upload and queue an import run. `system=True` (command line only) allows `actor=None`.

    Raises PermissionDenied without `tps.import`, ValidationError for an unknown election or unsupported file.
    """
    if not (system and actor is None):
        require_perm(actor, "tps.import")
    uploads.check_size(len(file_bytes))
    election_code = (election_code or DEFAULT_ELECTION_CODE).strip()
    election = Election.objects.filter(code=election_code).first()
    if election is None:
        raise ValidationError({"election": f"Pemilihan dengan kode '{election_code}' tidak ada (unknown election)."})
    try:
        fmt = importers.detect_format(file_bytes, filename)
    except importers.ImportFileError as exc:
        raise ValidationError({"file": exc.message}) from exc
    digest = hashlib.sha256(file_bytes).hexdigest()
    relative = f"imports/{digest}.{fmt}"
    target = Path(settings.MEDIA_ROOT) / relative
    if not target.exists():
        _imports_dir().mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(file_bytes)
        tmp.replace(target)
    parameters = {
        "election": election.code,
        "election_id": election.pk,
        "valid_only": bool(valid_only),
        "format": fmt,
        "file": relative,
        "size": len(file_bytes),
    }
    name = Path(filename or f"upload.{fmt}").name[:255]
    with transaction.atomic():
        run = taskrun_create(kind=TPS_IMPORT_KIND, actor=actor, parameters=parameters, input_hash=digest,
                             input_name=name)
        if enqueue:
            from .tasks import run_tps_import

            transaction.on_commit(lambda: run_tps_import.enqueue(run.pk))
    return run


def tps_import_execute(run: TaskRun) -> dict[str, Any]:
    """Validate and import the stored file of `run`; the result (also in run.result) is returned.

    All-or-nothing unless the run's parameters say `valid_only`. The TaskRun ends `failed` when nothing was
    imported because of errors, `succeeded` otherwise.
    """
    if run.status in (TaskRun.Status.SUCCEEDED, TaskRun.Status.FAILED):
        return run.result  # already done (a task delivered twice must not import twice)
    params = run.parameters
    valid_only = bool(params.get("valid_only"))
    result: dict[str, Any] = {
        "election": params.get("election"), "valid_only": valid_only, "format": params.get("format"),
        "imported": False, "rows_total": 0, "rows_valid": 0, "rows_rejected": 0,
        "created": 0, "updated": 0, "unchanged": 0, "not_in_file": 0,
        "taken_rows": [], "rejected_rows": [], "errors": [], "errors_total": 0, "ignored_columns": [],
    }
    try:
        with RunRecorder(run) as recorder:
            run.result = result
            election = Election.objects.get(pk=params["election_id"])
            data = (Path(settings.MEDIA_ROOT) / params["file"]).read_bytes()
            recorder.log(f"berkas {run.input_name} ({len(data)} byte, {params.get('format')}), "
                         f"pemilihan {election.code}, valid_only={valid_only}")
            recorder.progress(0, None, _("Membaca berkas"))
            try:
                table = importers.read_table(data, run.input_name)
            except importers.ImportFileError as exc:
                _set_errors(result, [importers.RowError(exc.row, exc.field, exc.message)])
                _finish(run, result)
                raise TpsImportRejected(exc.message) from None
            n_rows = len(table.rows)
            checking = _("Memeriksa baris")
            validation = importers.validate_rows(
                table, election, progress=lambda i: recorder.progress(i, 2 * n_rows, checking))
            recorder.progress(n_rows, 2 * n_rows, _("Menyimpan TPS"))
            data_rows = [number for number, _cells in table.rows]
            result["rows_total"] = len(data_rows)
            result["ignored_columns"] = validation.ignored_columns
            result["columns"] = validation.columns
            _set_errors(result, validation.errors)
            if validation.file_error:
                rejected = data_rows
            else:
                rejected = sorted({e.row for e in validation.errors if e.row is not None} & set(data_rows))
            result["rejected_rows"] = rejected
            result["rows_rejected"] = len(rejected)
            result["rows_valid"] = len(validation.clean)
            recorder.log(f"{len(data_rows)} baris data, {len(validation.clean)} valid, {len(rejected)} ditolak")
            if validation.file_error or (rejected and not valid_only) or not validation.clean:
                _finish(run, result)
                if validation.file_error:
                    reason = "judul kolom/berkas bermasalah; tidak ada yang diimpor"
                elif not validation.clean:
                    reason = "tidak ada baris yang valid; tidak ada yang diimpor"
                else:
                    reason = f"{len(rejected)} baris ditolak; tidak ada yang diimpor (semua-atau-tidak-sama-sekali)"
                raise TpsImportRejected(reason)
            with transaction.atomic():
                counts = importers.apply_rows(election, validation.clean)
                result.update(
                    imported=True, created=counts.created, updated=counts.updated, unchanged=counts.unchanged,
                    not_in_file=counts.not_in_file, taken_rows=[c.row for c in validation.clean],
                )
                _audit_import(run, result)
            recorder.progress(2 * n_rows, 2 * n_rows, _("Selesai"))
            recorder.log(f"dibuat {counts.created}, diubah {counts.updated}, tetap {counts.unchanged}")
    except TpsImportRejected:
        pass
    run.refresh_from_db()
    return run.result


def _set_errors(result: dict[str, Any], errors: list[importers.RowError]) -> None:
    result["errors_total"] = len(errors)
    result["errors"] = [e.as_dict() for e in errors[:MAX_STORED_ERRORS]]


def _finish(run: TaskRun, result: dict[str, Any]) -> None:
    """Record the audit event of an import that wrote nothing."""
    run.result = result
    _audit_import(run, result)


def _audit_import(run: TaskRun, result: dict[str, Any]) -> None:
    audit_log(
        actor=run.created_by, action="tps.import", obj=run,
        data={key: result.get(key) for key in (
            "election", "valid_only", "imported", "rows_total", "rows_valid", "rows_rejected", "created",
            "updated", "unchanged", "not_in_file", "errors_total",
        )} | {"input_hash": run.input_hash, "input_name": run.input_name},
    )
