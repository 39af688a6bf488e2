"""Upload limits (issue 15, item 2): size checked before any work (web form, API, CLI, service), rows and columns
counted while the sheet is streamed; every error names the limit and its setting."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from sinergi.core.models import TaskRun
from tests.elections.test_import_tps import DESA_A, GOOD, csv_bytes, operator, run_import, world  # noqa: F401


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _many(n: int) -> list[str]:
    return [f"{DESA_A},{i},100,,,,,," for i in range(1, n + 1)]


def test_oversized_file_is_refused_before_work_on_web_api_and_cli(operator, world, client, tmp_path,  # noqa: F811
                                                                  settings):
    settings.SINERGI_UPLOAD_MAX_BYTES = 2000
    data = csv_bytes(*_many(100))
    assert len(data) > 2000

    client.force_login(operator)
    upload = io.BytesIO(data)
    upload.name = "besar.csv"
    page = client.post(reverse("elections:tps_import"), {"file": upload, "election": "pilkada-2024"})
    assert "SINERGI_UPLOAD_MAX_BYTES" in page.content.decode() and "terlalu besar" in page.content.decode()

    api = APIClient()
    api.force_authenticate(operator)
    upload = io.BytesIO(data)
    upload.name = "besar.csv"
    resp = api.post("/api/v1/tps-imports/", {"file": upload}, format="multipart")
    assert resp.status_code == 400 and "SINERGI_UPLOAD_MAX_BYTES" in resp.json()["file"][0]

    path = tmp_path / "besar.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError) as err:
        call_command("import_tps", str(path))
    assert "SINERGI_UPLOAD_MAX_BYTES" in str(err.value)
    assert not TaskRun.objects.filter(kind="tps_import").exists()  # nothing stored, nothing queued


def test_too_many_rows_csv_and_xlsx(operator, world, django_capture_on_commit_callbacks, settings):  # noqa: F811
    settings.SINERGI_UPLOAD_MAX_ROWS = 5
    ok = run_import(operator, csv_bytes(*_many(5)), capture=django_capture_on_commit_callbacks)
    assert ok.status == TaskRun.Status.SUCCEEDED and ok.result["created"] == 5

    run = run_import(operator, csv_bytes(*_many(6)), capture=django_capture_on_commit_callbacks)
    assert run.status == TaskRun.Status.FAILED and run.result["imported"] is False
    assert "SINERGI_UPLOAD_MAX_ROWS" in run.result["errors"][0]["message"]
    assert run.result["errors"][0]["row"] == 7  # the first row over the limit (header is row 1)

    header = ["kode_desa", "no_tps", "jumlah_pemilih"]
    big = _xlsx([header] + [[DESA_A, i, 100] for i in range(1, 50_001)])
    run = run_import(operator, big, filename="besar.xlsx", capture=django_capture_on_commit_callbacks)
    assert run.status == TaskRun.Status.FAILED and "SINERGI_UPLOAD_MAX_ROWS" in run.result["errors"][0]["message"]


def test_too_wide_xlsx_is_refused(operator, world, django_capture_on_commit_callbacks, settings):  # noqa: F811
    settings.SINERGI_UPLOAD_MAX_COLUMNS = 20
    # XLSX is read one column past the limit (cells further right are never materialised)
    wide = _xlsx([["kode_desa", "no_tps", "jumlah_pemilih"], [DESA_A, 1, 100] + [None] * 17 + ["x"]])
    run = run_import(operator, wide, filename="lebar.xlsx", capture=django_capture_on_commit_callbacks)
    assert run.status == TaskRun.Status.FAILED and "SINERGI_UPLOAD_MAX_COLUMNS" in run.result["errors"][0]["message"]
    wide_csv = csv_bytes(f"{DESA_A},1,100" + "," * 30 + "x", header="kode_desa,no_tps,jumlah_pemilih")
    run = run_import(operator, wide_csv, capture=django_capture_on_commit_callbacks)
    assert run.status == TaskRun.Status.FAILED and "SINERGI_UPLOAD_MAX_COLUMNS" in run.result["errors"][0]["message"]


def test_sheet_with_a_huge_declared_dimension_is_read_within_the_column_limit(settings):
    """A sheet claiming A1:XFD1048576 is not padded to 16,384 cells per row."""
    import zipfile

    from sinergi.elections import importers

    settings.SINERGI_UPLOAD_MAX_COLUMNS = 10
    data = _xlsx([["kode_desa", "no_tps", "jumlah_pemilih"], [DESA_A, 1, 100]])
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                body = body.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>', 1)
            dst.writestr(info, body)
    rows = list(importers._read_xlsx(out.getvalue()))
    assert rows and all(len(cells) <= 11 for _n, cells in rows[:5])


def test_risk_observation_upload_is_size_limited(ntt_dataset, make_user, settings):
    from sinergi.accounts.choices import Role
    from sinergi.accounts.models import Unit

    settings.SINERGI_UPLOAD_MAX_BYTES = 100
    analyst = make_user(unit=Unit.objects.filter(code__startswith="POLDA").first() or Unit.objects.first(),
                        role=Role.ANALYST)
    api = APIClient()
    api.force_authenticate(analyst)
    upload = io.BytesIO(b"kode_tps,indikator,nilai,tanggal\n" + b"53.01.01.2001-001,x,1,2024-11-01\n" * 10)
    upload.name = "obs.csv"
    resp = api.post("/api/v1/risk-observations/upload/", {"file": upload}, format="multipart")
    assert resp.status_code == 400, resp.content
    assert "SINERGI_UPLOAD_MAX_BYTES" in resp.json()["file"][0]
