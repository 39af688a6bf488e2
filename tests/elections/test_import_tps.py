"""Importing KPU's real TPS list: formats, row validation, all-or-nothing vs valid-only, idempotency, CLI, web, API."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db.models import Max
from django.urls import reverse
from rest_framework.test import APIClient

from sinergi.accounts.choices import AgencyKind, Role, UnitLevel
from sinergi.core.models import AuditEvent, TaskRun
from sinergi.elections import services
from sinergi.elections.models import Election, PollingStation
from tests.factories import region, unit

# Test-only desa codes in a made-up regency 53.99, so the tests also run beside the loaded NTT dataset.
DESA_A = "53.99.01.2001"  # has a polygon
DESA_B = "53.99.01.2002"  # no polygon, only a point
KPU_A = "5399012001"
# Square polygon around Bokonusan: lng 123.35..123.40, lat -10.25..-10.20
POLYGON = {"type": "Polygon", "coordinates": [[[123.35, -10.25], [123.40, -10.25], [123.40, -10.20],
                                               [123.35, -10.20], [123.35, -10.25]]]}
HEADER = "kode_desa,no_tps,jumlah_pemilih,lat,lng,alamat,akses,lokasi_khusus,keterangan"


@pytest.fixture
def world(db):
    province = region("53", "Nusa Tenggara Timur", lat=-9.5, lng=121.5)
    region("53.99", "Kabupaten Uji", lat=-10.0, lng=123.8)
    region("53.99.01", "Kecamatan Uji", lat=-10.2, lng=123.4)
    region(DESA_A, "Desa Uji A", lat=-10.2275, lng=123.3796, geometry=json.dumps(POLYGON))
    region(DESA_B, "Desa Uji B", lat=-10.1793, lng=123.3930, centroid_source="cahyadsn_polygon_centroid")
    election, _ = Election.objects.get_or_create(code="pilkada-2024", defaults=dict(
        name="Pilkada Serentak 2024", voting_date=date(2024, 11, 27), province=province))
    kpu = unit(AgencyKind.KPU, level=UnitLevel.PROVINCE, name="KPU Provinsi NTT")
    return {"election": election, "kpu": kpu}


@pytest.fixture
def operator(world, make_user):
    return make_user(unit=world["kpu"], role=Role.OPERATOR, username="op_kpu")


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


GOOD = [
    f"{DESA_A},1,250,-10.2275,123.3796,Balai Desa,darat,tidak,",
    f"{DESA_A},2,310,,,,laut,,",
    f"{DESA_B},1,198,-10.1793,123.3930,SD Inpres Otan,kaki,ya,Pulau kecil",
]


def run_import(actor, data: bytes, filename: str = "tps.csv", *, valid_only: bool = False,
               capture=None, system: bool = False) -> TaskRun:
    if capture is None:
        raise AssertionError("pass django_capture_on_commit_callbacks")
    with capture(execute=True):
        run = services.tps_import_start(actor=actor, file_bytes=data, filename=filename, valid_only=valid_only,
                                        system=system)
    run.refresh_from_db()
    return run


def ours():
    return PollingStation.objects.filter(village_id__in=[DESA_A, DESA_B])


def errors_by_row(run: TaskRun) -> dict[int | None, list[tuple[str, str]]]:
    out: dict[int | None, list[tuple[str, str]]] = {}
    for e in run.result["errors"]:
        out.setdefault(e["row"], []).append((e["field"], e["message"]))
    return out


# ------------------------------------------------------------------------------------------------ happy path


def test_valid_csv_creates_real_tps_and_stores_the_upload(operator, world, django_capture_on_commit_callbacks):
    data = csv_bytes(*GOOD)
    run = run_import(operator, data, capture=django_capture_on_commit_callbacks)
    assert run.status == TaskRun.Status.SUCCEEDED
    assert run.result["imported"] is True
    assert (run.result["created"], run.result["updated"], run.result["unchanged"]) == (3, 0, 0)
    assert run.result["taken_rows"] == [2, 3, 4] and run.result["rejected_rows"] == []
    assert run.unit == world["kpu"] and run.created_by == operator
    assert run.input_hash == hashlib.sha256(data).hexdigest() and run.input_name == "tps.csv"
    assert (Path(settings.MEDIA_ROOT) / "imports" / f"{run.input_hash}.csv").read_bytes() == data

    a1 = PollingStation.objects.get(election=world["election"], village_id=DESA_A, number=1)
    assert a1.code == f"{DESA_A}-001" and a1.district_code == "53.99.01" and a1.regency_code == "53.99"
    assert a1.voters == 250 and a1.voters_estimated is False
    assert (a1.lat, a1.lng, a1.location_source, a1.location_estimated) == (-10.2275, 123.3796, "kpu", False)
    assert a1.address == "Balai Desa" and a1.access_mode == "road" and a1.special_location is False
    # No coordinates for a new TPS: placed at the desa point and flagged as estimated.
    a2 = PollingStation.objects.get(village_id=DESA_A, number=2)
    assert (a2.lat, a2.lng, a2.location_estimated, a2.location_source) == (-10.2275, 123.3796, True, "estimated_desa")
    assert a2.voters_estimated is False and a2.access_mode == "boat"
    b1 = PollingStation.objects.get(village_id=DESA_B, number=1)
    assert b1.access_mode == "foot" and b1.special_location is True and b1.special_location_note == "Pulau kecil"


def test_existing_estimated_tps_is_replaced_by_kpu_values_and_keeps_its_point_without_coordinates(
        operator, world, django_capture_on_commit_callbacks):
    old = PollingStation.objects.create(
        election=world["election"], village_id=DESA_A, number=2, code=f"{DESA_A}-002", district_code="53.99.01",
        regency_code="53.99", voters=400, voters_estimated=True, lat=-10.21, lng=123.36,
        location_source="estimated_desa", location_estimated=True)
    run = run_import(operator, csv_bytes(*GOOD), capture=django_capture_on_commit_callbacks)
    assert (run.result["created"], run.result["updated"]) == (2, 1)
    old.refresh_from_db()
    assert old.voters == 310 and old.voters_estimated is False
    assert (old.lat, old.lng, old.location_estimated, old.location_source) == (-10.21, 123.36, True, "estimated_desa")


def test_second_import_of_same_file_changes_nothing(operator, world, django_capture_on_commit_callbacks):
    data = csv_bytes(*GOOD)
    run_import(operator, data, capture=django_capture_on_commit_callbacks)
    before = list(ours().order_by("code").values())
    again = run_import(operator, data, capture=django_capture_on_commit_callbacks)
    assert again.status == TaskRun.Status.SUCCEEDED
    assert (again.result["created"], again.result["updated"], again.result["unchanged"]) == (0, 0, 3)
    assert list(ours().order_by("code").values()) == before
    assert ours().count() == 3
    # A changed value is an update of that TPS only.
    changed = run_import(operator, csv_bytes(GOOD[0].replace(",250,", ",251,"), *GOOD[1:]),
                         capture=django_capture_on_commit_callbacks)
    assert (changed.result["created"], changed.result["updated"], changed.result["unchanged"]) == (0, 1, 2)


def test_semicolon_bom_kpu_code_and_indonesian_headers(operator, world, django_capture_on_commit_callbacks):
    text = ("Kode Desa;Nomor TPS;DPT;Lintang;Bujur;Akses;TPS Khusus;Kolom Lain\n"
            f"{KPU_A};TPS 001;250;-10,2275;123,3796;LAUT;Ya;abaikan\n"
            f"{DESA_B};002;120;;;Jalan Darat;tidak;\n")
    run = run_import(operator, b"\xef\xbb\xbf" + text.encode("utf-8"), capture=django_capture_on_commit_callbacks)
    assert run.result["imported"] is True, run.result["errors"]
    assert run.result["ignored_columns"] == ["Kolom Lain"]
    a1 = PollingStation.objects.get(village_id=DESA_A, number=1)
    assert (a1.lat, a1.lng, a1.access_mode, a1.special_location) == (-10.2275, 123.3796, "boat", True)
    assert PollingStation.objects.get(village_id=DESA_B, number=2).access_mode == "road"


def test_xlsx_first_sheet(operator, world, django_capture_on_commit_callbacks):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["KODE_DESA", "NO_TPS", "JUMLAH_PEMILIH", "LAT", "LNG"])
    ws.append([int(KPU_A), 1, 250, -10.2275, 123.3796])
    ws.append([DESA_B, 2.0, 301.0, None, None])
    ws.append([DESA_B, 3, 700, None, None])  # row 4: too many voters
    wb.create_sheet("Lain").append(["ignored"])
    titled = Workbook()
    titled.active.append(["DAFTAR TPS PILKADA 2024"])
    titled.active.append([])
    for row in ws.iter_rows(values_only=True):
        titled.active.append(list(row))
    tbuf = io.BytesIO()
    titled.save(tbuf)
    buf = io.BytesIO()
    wb.save(buf)
    run = run_import(operator, buf.getvalue(), filename="daftar.xlsx", capture=django_capture_on_commit_callbacks)
    assert run.parameters["format"] == "xlsx"
    assert run.status == TaskRun.Status.FAILED and run.result["imported"] is False
    assert errors_by_row(run) == {4: [("jumlah_pemilih",
                                      "Jumlah pemilih 700 di luar rentang 1–600 (voters must be between 1 and 600).")]}
    # A title block above the header: the header is found, row numbers are the spreadsheet's.
    titled_run = run_import(operator, tbuf.getvalue(), filename="judul.xlsx", capture=django_capture_on_commit_callbacks)
    assert [(e["row"], e["field"]) for e in titled_run.result["errors"]] == [(6, "jumlah_pemilih")]
    ok = run_import(operator, buf.getvalue(), filename="daftar.xlsx", valid_only=True,
                    capture=django_capture_on_commit_callbacks)
    assert ok.result["taken_rows"] == [2, 3] and ok.result["rejected_rows"] == [4]
    assert PollingStation.objects.get(village_id=DESA_B, number=2).voters == 301


# ------------------------------------------------------------------------------------------------ row errors

BAD_ROWS = [
    f"{DESA_A},1,250,-10.2275,123.3796,,,,",  # 2 ok
    "53.99.01.9999,1,100,,,,,,",  # 3 unknown region
    "abc,1,100,,,,,,",  # 4 malformed code
    f"{DESA_B},5,100,,,,,,",  # 5 duplicate with 6
    f"{DESA_B},5,120,,,,,,",  # 6 duplicate with 5
    f"{DESA_A},7,601,,,,,,",  # 7 voters > 600
    f"{DESA_A},8,dua ratus,,,,,,",  # 8 voters not an integer
    f"{DESA_A},9,0,,,,,,",  # 9 voters < 1
    f"{DESA_A},10,100,x,123.37,,,,",  # 10 lat not a number
    f"{DESA_A},11,100,-10.22,,,,,",  # 11 lat without lng
    f"{DESA_A},12,100,-8.0,118.0,,,,",  # 12 outside the province
    f"{DESA_A},13,100,-10.30,123.37,,,,",  # 13 ~5.5 km outside the desa polygon
    f"{DESA_A},14,100,-10.2508,123.37,,,,",  # 14 ~90 m outside the polygon: within tolerance
    f"{DESA_A},,100,,,,,,",  # 15 missing TPS number
    f"{DESA_A},16,,,,,,,",  # 16 missing voters
    "53.99.01,17,100,,,,,,",  # 17 a kecamatan code, not a desa
    f"{DESA_A},18,100,,,,helikopter,mungkin,",  # 18 unknown access mode and yes/no value
]


def test_every_bad_row_is_reported_with_row_field_and_reason(operator, world, django_capture_on_commit_callbacks):
    run = run_import(operator, csv_bytes(*BAD_ROWS), capture=django_capture_on_commit_callbacks)
    errors = errors_by_row(run)
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18}

    def only(row):
        assert len(errors[row]) == 1, errors[row]
        return errors[row][0]

    assert only(3) == ("kode_desa", "Kode desa 53.99.01.9999 tidak ada di basis data wilayah (unknown region code).")
    assert only(4)[0] == "kode_desa" and "tidak dikenali" in only(4)[1]
    assert only(5)[0] == "no_tps" and "muncul lebih dari sekali" in only(5)[1] and "baris 6" in only(5)[1]
    assert only(6)[0] == "no_tps" and "baris 5" in only(6)[1] and "duplicate" in only(6)[1]
    assert only(7) == ("jumlah_pemilih", "Jumlah pemilih 601 di luar rentang 1–600 (voters must be between 1 and 600).")
    assert only(8) == ("jumlah_pemilih", "Jumlah pemilih 'dua ratus' bukan bilangan bulat (not an integer).")
    assert only(9)[0] == "jumlah_pemilih" and "di luar rentang 1–600" in only(9)[1]
    assert only(10) == ("lat", "Lintang 'x' bukan angka (latitude is not a number).")
    assert only(11)[0] == "lng" and "bersama-sama" in only(11)[1]
    assert only(12)[0] == "lat" and "di luar wilayah provinsi" in only(12)[1]
    assert only(13)[0] == "lat" and f"di luar batas desa {DESA_A}" in only(13)[1] and "5." in only(13)[1]
    assert only(15) == ("no_tps", "Nomor TPS wajib diisi (required).")
    assert only(16) == ("jumlah_pemilih", "Jumlah pemilih wajib diisi (required).")
    assert only(17)[0] == "kode_desa"
    assert sorted(f for f, _m in errors[18]) == ["akses", "lokasi_khusus"]

    # All-or-nothing: nothing stored, the run failed and says why.
    assert run.status == TaskRun.Status.FAILED
    assert run.result["imported"] is False and run.result["taken_rows"] == []
    assert run.result["rejected_rows"] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18]
    assert ours().count() == 0


def test_valid_only_imports_exactly_the_valid_rows(operator, world, django_capture_on_commit_callbacks):
    run = run_import(operator, csv_bytes(*BAD_ROWS), valid_only=True, capture=django_capture_on_commit_callbacks)
    assert run.status == TaskRun.Status.SUCCEEDED
    assert run.result["taken_rows"] == [2, 14]
    assert run.result["rejected_rows"] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18]
    assert (run.result["created"], run.result["rows_total"], run.result["rows_rejected"]) == (2, 17, 15)
    assert sorted(ours().values_list("village_id", "number")) == [(DESA_A, 1), (DESA_A, 14)]


def test_point_in_desa_without_polygon_is_only_checked_against_the_province(
        operator, world, django_capture_on_commit_callbacks):
    run = run_import(operator, csv_bytes(f"{DESA_B},1,100,-10.40,123.60,,,,"), capture=django_capture_on_commit_callbacks)
    assert run.result["imported"] is True, run.result["errors"]


# ------------------------------------------------------------------------------------------------ file errors


def test_missing_required_column_is_reported_on_the_header_row(operator, world, django_capture_on_commit_callbacks):
    run = run_import(operator, csv_bytes(f"{DESA_A},1", header="kode_desa,no_tps"),
                     capture=django_capture_on_commit_callbacks)
    assert run.status == TaskRun.Status.FAILED
    assert [(e["row"], e["field"]) for e in run.result["errors"]] == [(1, "jumlah_pemilih")]
    assert "Kolom wajib 'jumlah_pemilih' tidak ada" in run.result["errors"][0]["message"]
    assert run.result["rejected_rows"] == [2]


def test_lat_column_without_lng_column(operator, world, django_capture_on_commit_callbacks):
    run = run_import(operator, csv_bytes(f"{DESA_A},1,100,-10.22", header="kode_desa,no_tps,jumlah_pemilih,lat"),
                     capture=django_capture_on_commit_callbacks)
    assert [(e["row"], e["field"]) for e in run.result["errors"]] == [(1, "lng")]


@pytest.mark.parametrize("data, message", [
    (b"", "Berkas kosong (empty file)."),
    (b"\n \n", "Berkas kosong (empty file)."),
    (HEADER.encode() + b"\n", "Berkas tidak berisi baris data, hanya judul (no data rows)."),
])
def test_empty_file(operator, world, django_capture_on_commit_callbacks, data, message):
    run = run_import(operator, data, capture=django_capture_on_commit_callbacks)
    assert run.status == TaskRun.Status.FAILED
    assert run.result["errors"] == [{"row": None, "field": "berkas", "message": message}]


def test_non_utf8_file_gives_one_clear_error(operator, world, django_capture_on_commit_callbacks):
    text = f"{HEADER}\n{DESA_A},1,250,,,Balai Desa,,,\n{DESA_A},2,250,,,Jalan Pantai é,,,\n"
    data = text.encode("latin-1")
    run = run_import(operator, data, capture=django_capture_on_commit_callbacks)
    assert run.status == TaskRun.Status.FAILED
    [error] = run.result["errors"]
    position = data.index(b"\xe9")
    assert error["row"] == 3 and error["field"] == "berkas"
    assert error["message"].startswith(f"Berkas bukan UTF-8: byte 0xE9 di posisi {position} (baris 3)")
    assert ours().count() == 0


def test_old_xls_is_refused_at_upload(operator, world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.tps_import_start(actor=operator, file_bytes=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest",
                                  filename="tps.xls")


def test_permission_and_unknown_election(world, make_user, operator):
    from django.core.exceptions import ValidationError

    observer = make_user(unit=world["kpu"], role=Role.OBSERVER)
    with pytest.raises(PermissionDenied):
        services.tps_import_start(actor=observer, file_bytes=csv_bytes(*GOOD), filename="x.csv")
    bawaslu_op = make_user(unit=unit(AgencyKind.BAWASLU), role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        services.tps_import_start(actor=bawaslu_op, file_bytes=csv_bytes(*GOOD), filename="x.csv")
    with pytest.raises(ValidationError):
        services.tps_import_start(actor=operator, file_bytes=csv_bytes(*GOOD), filename="x.csv",
                                  election_code="pemilu-2099")
    assert not TaskRun.objects.filter(kind="tps_import").exists()


# ------------------------------------------------------------------------------------------------ audit


def test_audit_events_are_written(operator, world, django_capture_on_commit_callbacks):
    start = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    run = run_import(operator, csv_bytes(*GOOD), capture=django_capture_on_commit_callbacks)
    events = list(AuditEvent.objects.filter(seq__gt=start).order_by("seq"))
    assert [e.action for e in events] == ["tps_import.queued", "tps.import", "tps_import.succeeded"]
    assert all(e.object_id == str(run.pk) and e.actor == operator for e in events)
    data = events[1].data
    assert (data["created"], data["updated"], data["unchanged"], data["rows_rejected"]) == (3, 0, 0, 0)
    assert data["imported"] is True and data["input_hash"] == run.input_hash

    failed = run_import(operator, csv_bytes(*BAD_ROWS), capture=django_capture_on_commit_callbacks)
    actions = list(AuditEvent.objects.filter(object_id=str(failed.pk), object_type="core.taskrun")
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["tps_import.queued", "tps.import", "tps_import.failed"]


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_imports_synchronously_and_records_the_run(world, tmp_path, capsys):
    path = tmp_path / "tps.csv"
    path.write_bytes(csv_bytes(*GOOD))
    call_command("import_tps", str(path))
    out = capsys.readouterr().out
    assert "dibuat 3, diubah 0, tidak berubah 0" in out
    run = TaskRun.objects.get(kind="tps_import")
    assert run.status == TaskRun.Status.SUCCEEDED and run.created_by is None and run.input_name == "tps.csv"
    assert ours().count() == 3

    call_command("import_tps", str(path), "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "succeeded" and payload["result"]["unchanged"] == 3


def test_cli_fails_with_row_errors_in_all_or_nothing_mode(world, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(*BAD_ROWS))
    with pytest.raises(CommandError) as info:
        call_command("import_tps", str(path))
    assert info.value.returncode == 2
    out = capsys.readouterr().out
    assert "baris 7 [jumlah_pemilih]: Jumlah pemilih 601 di luar rentang" in out
    assert ours().count() == 0
    assert TaskRun.objects.get(kind="tps_import").status == TaskRun.Status.FAILED

    call_command("import_tps", str(path), "--valid-only", "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["result"]["taken_rows"] == [2, 14]


def test_cli_checks_the_named_user(world, tmp_path, make_user):
    make_user(unit=world["kpu"], role=Role.OBSERVER, username="pengamat")
    path = tmp_path / "tps.csv"
    path.write_bytes(csv_bytes(*GOOD))
    with pytest.raises(CommandError, match="Tidak diizinkan"):
        call_command("import_tps", str(path), "--user", "pengamat")
    with pytest.raises(CommandError, match="pemilu-2099"):
        call_command("import_tps", str(path), "--election", "pemilu-2099")


# ------------------------------------------------------------------------------------------------ web


def test_upload_page_for_kpu_operator(client, operator, world, django_capture_on_commit_callbacks):
    client.force_login(operator)
    url = reverse("elections:tps_import")
    assert url == "/pemilihan/impor-tps/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="file"' in page.content and b'name="valid_only"' in page.content

    upload = io.BytesIO(csv_bytes(*BAD_ROWS))
    upload.name = "tps_kpu.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": upload, "election": "pilkada-2024", "valid_only": "on"})
    run = TaskRun.objects.get(kind="tps_import")
    assert response.status_code == 302 and response["Location"] == reverse("elections:tps_import_run", args=[run.pk])
    detail = client.get(response["Location"])
    html = detail.content.decode()
    assert detail.status_code == 200 and 'data-status="succeeded"' in html
    assert 'data-count="created">2<' in html
    assert '<span data-testid="taken-rows">2, 14</span>' in html
    assert '<span data-testid="rejected-rows">3–13, 15–18</span>' in html
    assert "Jumlah pemilih 601 di luar rentang 1–600" in html and '<td class="num">7</td>' in html

    listing = client.get(url).content.decode()
    assert "tps_kpu.csv" in listing
    assert client.get(reverse("elections:tps_import_runs")).status_code == 200


def test_upload_page_forbidden_for_observer(client, world, make_user):
    observer = make_user(unit=world["kpu"], role=Role.OBSERVER)
    client.force_login(observer)
    assert client.get(reverse("elections:tps_import")).status_code == 403
    assert client.post(reverse("elections:tps_import"), {}).status_code == 403


def test_run_detail_is_scoped_to_the_unit(client, operator, world, make_user, django_capture_on_commit_callbacks):
    run = run_import(operator, csv_bytes(*GOOD), capture=django_capture_on_commit_callbacks)
    other = make_user(unit=unit(AgencyKind.KPU, level=UnitLevel.PROVINCE), role=Role.OPERATOR)
    client.force_login(other)
    assert client.get(reverse("elections:tps_import_run", args=[run.pk])).status_code == 404
    assert "tps.csv" not in client.get(reverse("elections:tps_import")).content.decode()
    admin = make_user(role=Role.ADMIN)
    client.force_login(admin)
    assert client.get(reverse("elections:tps_import_run", args=[run.pk])).status_code == 200


def test_running_run_page_polls_with_htmx(client, operator, world):
    run = services.tps_import_start(actor=operator, file_bytes=csv_bytes(*GOOD), filename="x.csv", enqueue=False)
    client.force_login(operator)
    html = client.get(reverse("elections:tps_import_run", args=[run.pk])).content.decode()
    assert 'data-status="queued"' in html and 'hx-trigger="every 2s"' in html
    partial = client.get(reverse("elections:tps_import_run", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b'id="import-run"' in partial.content


# ------------------------------------------------------------------------------------------------ API


def test_api_post_and_scoped_get(operator, world, make_user, django_capture_on_commit_callbacks):
    api = APIClient()
    api.force_authenticate(operator)
    upload = io.BytesIO(csv_bytes(*GOOD))
    upload.name = "tps.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/tps-imports/", {"file": upload, "valid_only": "false"}, format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    # The run is queued when the response is built; the task runs once the request's transaction commits.
    assert body["status"] in ("queued", "succeeded") and "result" in body
    assert body["parameters"]["election"] == "pilkada-2024" and body["created_by"] == operator.username
    run_id = body["id"]
    detail = api.get(f"/api/v1/tps-imports/{run_id}/").json()
    assert detail["status"] == "succeeded" and detail["result"]["created"] == 3

    listing = api.get("/api/v1/tps-imports/").json()
    assert [r["id"] for r in listing["results"]] == [run_id]
    assert api.get(f"/api/v1/tps-imports/{run_id}/").json()["result"]["taken_rows"] == [2, 3, 4]

    other = APIClient()
    other.force_authenticate(make_user(unit=unit(AgencyKind.KPU, level=UnitLevel.PROVINCE), role=Role.OPERATOR))
    assert other.get("/api/v1/tps-imports/").json()["results"] == []
    assert other.get(f"/api/v1/tps-imports/{run_id}/").status_code == 404


def test_api_rejects_observer_and_bad_election(operator, world, make_user):
    observer = APIClient()
    observer.force_authenticate(make_user(unit=world["kpu"], role=Role.OBSERVER))
    upload = io.BytesIO(csv_bytes(*GOOD))
    upload.name = "tps.csv"
    assert observer.post("/api/v1/tps-imports/", {"file": upload}, format="multipart").status_code == 403
    api = APIClient()
    api.force_authenticate(operator)
    upload.seek(0)
    response = api.post("/api/v1/tps-imports/", {"file": upload, "election": "pemilu-2099"}, format="multipart")
    assert response.status_code == 400 and "election" in response.json()
    assert api.post("/api/v1/tps-imports/", {}, format="multipart").status_code == 400


# ------------------------------------------------------------------------------------------------ full NTT list


@pytest.mark.slow
def test_full_ntt_list_round_trip(ntt_dataset, db, django_capture_on_commit_callbacks):
    """The 9,877 estimated NTT TPS exported as a KPU-style file: first import replaces the estimates, second is a no-op."""
    from sinergi.regions.models import Region

    election = Election.objects.get(code="pilkada-2024")
    stations = list(PollingStation.objects.filter(election=election).order_by("code")
                    .values_list("village_id", "number", "voters", "lat", "lng"))
    assert len(stations) == 9877
    with_polygon = set(Region.objects.filter(code__in={s[0] for s in stations}).exclude(geometry="")
                       .values_list("code", flat=True))
    lines = ["KODE_DESA;NOMOR TPS;DPT;LINTANG;BUJUR"]
    for code, number, voters, lat, lng in stations:
        point = f"{lat:.6f};{lng:.6f}".replace(".", ",") if code in with_polygon else ";"
        lines.append(f"{code.replace('.', '')};{number};{voters};{point}")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    first = run_import(None, data, capture=django_capture_on_commit_callbacks, system=True)
    assert first.result["imported"] is True, first.result["errors"][:5]
    assert first.result["created"] == 0 and first.result["updated"] == 9877
    assert not PollingStation.objects.filter(election=election, voters_estimated=True).exists()
    second = run_import(None, data, capture=django_capture_on_commit_callbacks, system=True)
    assert (second.result["created"], second.result["updated"], second.result["unchanged"]) == (0, 0, 9877)
    assert PollingStation.objects.filter(election=election).count() == 9877
