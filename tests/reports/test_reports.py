"""Daily situation report: content numbers, scoping, the automatic tick, archive hashes, PDF and XLSX."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from sinergi.accounts.choices import Role
from sinergi.accounts.models import Unit
from sinergi.coordination import services as coordination_services
from sinergi.core.models import AuditEvent, TaskRun
from sinergi.reports import jobs, services
from sinergi.reports.choices import ReportKind, ReportStatus
from sinergi.reports.models import ArchivedError, ReportFile, SituationReport
from tests import reports_data

pytestmark = pytest.mark.slow


@pytest.fixture
def world(ntt_dataset, make_user):
    return reports_data.build(make_user)


def generate(capture, actor, unit, world, **kw) -> SituationReport:
    with capture(execute=True):
        report, _ = services.report_request(actor=actor, election=world.election, scope_unit=unit, **kw)
    return SituationReport.objects.get(pk=report.pk)


def test_content_counts_match_seeded_incidents(world, django_capture_on_commit_callbacks):
    report = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    assert report.status == ReportStatus.DONE, report.error
    inc = report.content["incidents"]
    assert inc["total"] == 5
    assert {r["code"]: r["n"] for r in inc["by_category"]} == {
        "violence_clash": 2, "money_politics": 1, "intimidation": 1, "protest": 1}
    assert {r["code"]: r["n"] for r in inc["by_region"]} == {"53.01": 2, "53.08": 2, "53.71": 1}
    assert {r["code"]: r["name"] for r in inc["by_region"]}["53.08"] == "Kabupaten Ende"
    assert {r["code"]: r["n"] for r in inc["by_status"]} == {"reported": 4, "verified": 1}
    notable = inc["notable"]
    assert [n["id"] for n in notable] == [world.incidents["a"].pk, world.incidents["c"].pk]
    assert notable[0]["tps"] and notable[0]["severity"] == 4
    assert sum(d["n"] for d in report.content["trend"]["days"]) == 7
    assert len(report.content["trend"]["days"]) == 7
    assert len(report.content["map"]["points"]) == 5
    # a run record with its duration
    run = TaskRun.objects.get(pk=report.task_run_id)
    assert run.status == TaskRun.Status.SUCCEEDED and run.result["incidents"] == 5


def test_polres_report_covers_only_its_regency(world, make_user, django_capture_on_commit_callbacks):
    analyst = make_user(unit=world.kupang, role=Role.ANALYST)
    report = generate(django_capture_on_commit_callbacks, analyst, world.kupang, world)
    inc = report.content["incidents"]
    assert inc["total"] == 2
    assert {r["code"]: r["n"] for r in inc["by_category"]} == {"violence_clash": 1, "money_politics": 1}
    assert [r["code"] for r in inc["by_region"]] == ["53.01"]
    assert [n["id"] for n in inc["notable"]] == [world.incidents["a"].pk]
    assert report.region_code == "53.01"


def test_overdue_action_items_listed_by_marking(world, make_user, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    author = world.analyst
    green = coordination_services.action_item_create(
        actor=author, title="Distribusi logistik ke Semau", owner_unit=world.kpu_kupang,
        due_date=today - dt.timedelta(days=2), marking="GREEN")
    coordination_services.action_item_create(
        actor=author, title="Patroli perbatasan rahasia", owner_unit=world.ende,
        due_date=today - dt.timedelta(days=1), marking="AMBER")
    coordination_services.action_item_create(
        actor=author, title="Belum jatuh tempo", owner_unit=world.kpu_kupang,
        due_date=today + dt.timedelta(days=1), marking="GREEN")
    polda = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    assert polda.content["actions"]["total"] == 2
    assert [a["id"] for a in polda.content["actions"]["items"]] == [green.pk]
    assert polda.content["actions"]["items"][0]["days_overdue"] == 2
    assert polda.content["actions"]["restricted"] == 1
    kupang = generate(django_capture_on_commit_callbacks, world.analyst, world.kupang, world)
    assert kupang.content["actions"]["total"] == 1 and kupang.content["actions"]["restricted"] == 0
    # the page shows the listed item and only a count of the restricted one
    client_user = make_user(unit=world.polda, role=Role.LIAISON)
    from django.test import Client

    c = Client()
    c.force_login(client_user)
    html = c.get(reverse("reports:detail", args=[polda.pk])).content.decode()
    assert "Distribusi logistik ke Semau" in html and "Patroli perbatasan rahasia" not in html


def test_scoping_rule(world, make_user, django_capture_on_commit_callbacks, client):
    polda_report = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    kupang_report = generate(django_capture_on_commit_callbacks, world.analyst, world.kupang, world)
    ende_report = generate(django_capture_on_commit_callbacks, world.analyst, world.ende, world)
    kupang_officer = make_user(unit=world.kupang, role=Role.OPERATOR)
    polsek = Unit.objects.filter(parent=world.kupang).first()
    polsek_officer = make_user(unit=polsek, role=Role.OPERATOR)
    kpu_kupang = make_user(unit=world.kpu_kupang, role=Role.LIAISON)
    kpu_province = make_user(unit=Unit.objects.get(code="KPU-NTT"), role=Role.LIAISON)
    observer = make_user(unit=world.polda, role=Role.OBSERVER)
    from sinergi.reports import selectors

    def visible(user):
        return set(selectors.report_list(user=user).values_list("pk", flat=True))

    everything = {polda_report.pk, kupang_report.pk, ende_report.pk}
    assert visible(world.analyst) == everything
    # A report carries the incidents of its scope unit: only readers whose unit scope includes that unit
    # read it (issue 15) — not a Polsek below it, not a partner agency of the same territory.
    assert visible(kpu_province) == set()
    assert visible(kupang_officer) == {kupang_report.pk}
    assert visible(polsek_officer) == set()
    assert visible(kpu_kupang) == set()
    assert visible(observer) == set()
    client.force_login(kupang_officer)
    assert client.get(reverse("reports:detail", args=[kupang_report.pk])).status_code == 200
    assert client.get(reverse("reports:detail", args=[polda_report.pk])).status_code == 404
    assert client.get(reverse("reports:detail", args=[ende_report.pk])).status_code == 404
    assert client.get(reverse("reports:download", args=[ende_report.pk, "pdf"])).status_code == 404
    api = client.get("/api/v1/situation-reports/").json()
    assert [r["id"] for r in api["results"]] == [kupang_report.pk]
    assert client.get(f"/api/v1/situation-reports/{polda_report.pk}/").status_code == 404
    # generating: an operator may not; a Polres analyst only for their own Polres
    with pytest.raises(PermissionDenied):
        services.report_request(actor=kupang_officer, election=world.election, scope_unit=world.kupang)
    kupang_analyst = make_user(unit=world.kupang, role=Role.ANALYST)
    with pytest.raises(PermissionDenied):
        services.report_request(actor=kupang_analyst, election=world.election, scope_unit=world.polda)
    client.force_login(observer)
    assert client.get(reverse("reports:archive")).status_code == 403


def test_tick_makes_one_automatic_report_per_day(world, settings, django_capture_on_commit_callbacks):
    settings.SINERGI_SITREP_TIME = "06:00"
    tz = timezone.get_default_timezone()
    day = dt.date(2024, 11, 27)  # voting day: inside the stage calendar
    before = timezone.make_aware(dt.datetime.combine(day, dt.time(5, 59)), tz)
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(6, 0, 30)), tz)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.tick(before)["requested"] == []
        first = jobs.tick(at)
        second = jobs.tick(at + dt.timedelta(seconds=30))
        third = jobs.tick(at + dt.timedelta(hours=5))
    assert len(first["requested"]) == 1 and second["requested"] == [] and third["requested"] == []
    reports = SituationReport.objects.filter(kind=ReportKind.AUTOMATIC)
    assert reports.count() == 1
    report = reports.get()
    assert report.scope_unit == world.polda and report.status == ReportStatus.DONE
    assert timezone.localtime(report.period_end, tz) == timezone.make_aware(
        dt.datetime.combine(day, dt.time(6, 0)), tz)
    assert report.period_end - report.period_start == dt.timedelta(hours=24)
    # the next day makes the next one, linked to the previous
    with django_capture_on_commit_callbacks(execute=True):
        nxt = jobs.tick(at + dt.timedelta(days=1))
    assert len(nxt["requested"]) == 1
    assert SituationReport.objects.get(pk=nxt["requested"][0]).previous_id == report.pk
    # outside the election's stage calendar no automatic report is made
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.tick(timezone.make_aware(dt.datetime(2030, 1, 1, 7, 0), tz))["requested"] == []


def test_second_automatic_request_same_day_returns_existing(world, django_capture_on_commit_callbacks):
    end = timezone.now()
    a, created_a = services.report_request(actor=None, election=world.election, scope_unit=world.polda,
                                           kind=ReportKind.AUTOMATIC, period_end=end, enqueue=False)
    b, created_b = services.report_request(actor=None, election=world.election, scope_unit=world.polda,
                                           kind=ReportKind.AUTOMATIC, period_end=end, enqueue=False)
    assert created_a and not created_b and a.pk == b.pk
    # an on-demand regeneration the same day is a new version, never an edit
    c = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    assert c.version == 2 and c.report_date == a.report_date


def test_hash_matches_and_tampering_is_detected(world, client, django_capture_on_commit_callbacks):
    report = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    client.force_login(world.analyst)
    for fmt in ("pdf", "xlsx"):
        f = ReportFile.objects.get(report=report, format=fmt, language="id")
        resp = client.get(reverse("reports:download", args=[report.pk, fmt]))
        assert resp.status_code == 200
        assert hashlib.sha256(resp.content).hexdigest() == f.sha256 == resp["X-Content-SHA256"]
        stored = AuditEvent.objects.get(action="sitrep.file_stored", object_id=str(f.pk))
        assert stored.data["sha256"] == f.sha256
    archive = client.get(reverse("reports:archive")).content.decode()
    assert ReportFile.objects.get(report=report, format="pdf").sha256[:16] in archive
    # someone alters the stored PDF bytes (and even its hash column) directly in the database
    pdf = ReportFile.objects.get(report=report, format="pdf", language="id")
    forged = bytes(pdf.data).replace(b"%%EOF", b"%%EOF\n% x")
    ReportFile.objects.filter(pk=pdf.pk).update(data=forged, sha256=hashlib.sha256(forged).hexdigest())
    resp = client.get(reverse("reports:download", args=[report.pk, "pdf"]))
    assert resp.status_code == 409
    assert "tidak cocok" in resp.content.decode()
    assert client.get(f"/api/v1/situation-reports/{report.pk}/download/pdf/").status_code == 409
    assert AuditEvent.objects.filter(action="sitrep.tamper_detected", object_id=str(pdf.pk)).exists()


def test_archived_report_cannot_be_changed_or_deleted(world, django_capture_on_commit_callbacks):
    report = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    report.error = "edited"
    with pytest.raises(ArchivedError):
        report.save()
    with pytest.raises(ArchivedError):
        report.delete()
    with pytest.raises(ArchivedError):
        SituationReport.objects.filter(pk=report.pk).delete()
    f = report.files.first()
    with pytest.raises(ArchivedError):
        f.save()
    with pytest.raises(ArchivedError):
        f.delete()


HEADINGS = ["Laporan Situasi Harian", "Periode laporan", "Insiden menurut kategori", "Insiden menurut wilayah",
            "Insiden menurut status", "Insiden menonjol", "Peta insiden", "Tren insiden 7 hari",
            "Pengerahan personel", "Cakupan laporan TPS", "Pengawalan logistik", "Peringatan terbuka",
            "Tindak lanjut lewat jatuh tempo"]


def test_pdf_renders_pages_with_headings(world, django_capture_on_commit_callbacks):
    import pypdfium2 as pdfium
    from PIL import ImageStat

    report = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    data = bytes(ReportFile.objects.get(report=report, format="pdf", language="id").data)
    pdf = pdfium.PdfDocument(io.BytesIO(data))
    assert len(pdf) > 0
    text = ""
    for i in range(len(pdf)):
        page = pdf[i]
        image = page.render(scale=1).to_pil().convert("L")
        stat = ImageStat.Stat(image)
        assert stat.var[0] > 50, f"page {i + 1} is blank"
        text += page.get_textpage().get_text_range() + "\n"
    flat = " ".join(text.split())
    for heading in HEADINGS:
        assert heading in flat, heading
    assert world.incidents["a"].title[:30] in flat
    assert "perkiraan" in flat


def test_xlsx_has_the_sheets_and_numbers(world, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    report = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    data = bytes(ReportFile.objects.get(report=report, format="xlsx", language="id").data)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Ringkasan", "Kategori", "Wilayah", "Status", "Insiden menonjol", "Pengerahan",
                             "Waktu tanggap", "Cakupan TPS", "Pengawalan", "Peringatan", "Tindak lanjut", "Tren", "Titik periksa audit"]
    cats = {row[0]: row[2] for row in wb["Kategori"].iter_rows(min_row=2, values_only=True)}
    assert cats == {"violence_clash": 2, "money_politics": 1, "intimidation": 1, "protest": 1}
    assert sum(row[1] for row in wb["Tren"].iter_rows(min_row=2, values_only=True)) == 7


def test_api_generate_and_detail(world, client, make_user, django_capture_on_commit_callbacks):
    client.force_login(world.analyst)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post("/api/v1/situation-reports/generate/", {}, content_type="application/json")
    assert resp.status_code == 202
    pk = resp.json()["id"]
    detail = client.get(f"/api/v1/situation-reports/{pk}/").json()
    assert detail["status"] == "done" and detail["content"]["incidents"]["total"] == 5
    assert {f["format"] for f in detail["files"]} == {"pdf", "xlsx"}
    operator = make_user(unit=world.polda, role=Role.OPERATOR)
    client.force_login(operator)
    assert client.post("/api/v1/situation-reports/generate/", {}, content_type="application/json"
                       ).status_code == 403


def test_checkin_coverage_escorts_and_alerts_sections(world, make_user, django_capture_on_commit_callbacks):
    from zoneinfo import ZoneInfo

    from sinergi.operations import services as ops_services

    wita = ZoneInfo("Asia/Makassar")
    officer = make_user(unit=world.kupang, role=Role.OPERATOR)
    tps_a, tps_b = reports_data.tps("53.01", 10), reports_data.tps("53.01", 11)
    for key, code, kind, hour in [("o1", tps_a.code, "opened", 7), ("o2", tps_b.code, "opened", 7),
                                  ("c1", tps_a.code, "closed", 13)]:
        ops_services.checkin_submit(actor=officer, data={
            "key": f"sitrep-{key}", "tps": code, "kind": kind,
            "at": dt.datetime(2024, 11, 27, hour, 5, tzinfo=wita).isoformat()})
    ops_services.alert_raise(election=world.election, key="sitrep-test:1", kind="checkin_missing",
                             message="TPS uji belum melapor dibuka", unit=world.kupang, polling_station=tps_b)
    polda = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    ck = polda.content["checkins"]
    assert ck["available"] is True
    kupang_row = next(r for r in ck["rows"] if r["unit_code"] == "POLRES-53.01")
    assert kupang_row["opened"] == 2 and kupang_row["closed"] == 1
    assert kupang_row["tps_total"] == reports_data.PollingStation.objects.filter(regency_code="53.01").count()
    assert ck["totals"]["opened"] == 2 and len(ck["rows"]) == 22
    assert polda.content["escorts"]["available"] is True and polda.content["escorts"]["total"] == 0
    assert polda.content["alerts"]["total"] == 1
    assert polda.content["alerts"]["items"][0]["message"] == "TPS uji belum melapor dibuka"
    ende = generate(django_capture_on_commit_callbacks, world.analyst, world.ende, world)
    assert [r["unit_code"] for r in ende.content["checkins"]["rows"]] == ["POLRES-53.08"]
    assert ende.content["checkins"]["totals"]["opened"] == 0 and ende.content["alerts"]["total"] == 0
    html = reports_data_html(polda)
    assert 'data-total="opened">2<' in html
    assert "TPS uji belum melapor dibuka" in html


def reports_data_html(report) -> str:
    from sinergi.reports import documents

    return documents.render_html(report)


def test_report_holds_only_incidents_of_its_scope_unit(world, make_user, django_capture_on_commit_callbacks):
    """An incident in Kupang routed to KPU Kupang only (not shared with Polri): the Polres Kupang report neither
    counts nor lists it (the Polres cannot read it), the Polda report does."""
    from sinergi.incidents.models import Incident
    from sinergi.incidents.selectors import incident_list
    from tests.reports_data import submit

    kpu_only = submit("sitrep-kpu", regency="53.01", n=3, category="logistics", severity=4,
                      occurred_at=world.now - dt.timedelta(hours=1))
    Incident.objects.filter(pk=kpu_only.pk).update(assigned_unit=world.kpu_kupang, agency_code="KPU")
    kpu_only.shared_units.clear()
    kupang_analyst = make_user(unit=world.kupang, role=Role.ANALYST)
    assert not incident_list(user=kupang_analyst).filter(pk=kpu_only.pk).exists()
    report = generate(django_capture_on_commit_callbacks, kupang_analyst, world.kupang, world)
    inc = report.content["incidents"]
    assert inc["total"] == 2 and kpu_only.pk not in [n["id"] for n in inc["notable"]]
    assert "logistics" not in {r["code"] for r in inc["by_category"]}
    polda_report = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    assert kpu_only.pk in [n["id"] for n in polda_report.content["incidents"]["notable"]]


def test_archived_report_of_another_unit_is_refused(world, make_user, django_capture_on_commit_callbacks, client):
    kupang_report = generate(django_capture_on_commit_callbacks, world.analyst, world.kupang, world)
    for unit in (world.kpu_kupang, Unit.objects.filter(parent=world.kupang).first(), world.ende):
        client.force_login(make_user(unit=unit, role=Role.ANALYST))
        assert client.get(reverse("reports:detail", args=[kupang_report.pk])).status_code == 404, unit
        assert client.get(reverse("reports:download", args=[kupang_report.pk, "xlsx"])).status_code == 404, unit
        assert client.get(f"/api/v1/situation-reports/{kupang_report.pk}/").status_code == 404, unit


def test_report_carries_a_signed_audit_checkpoint(world, django_capture_on_commit_callbacks, tmp_path):
    from openpyxl import load_workbook

    from sinergi.core.services import audit_verify, checkpoint_verify

    report = generate(django_capture_on_commit_callbacks, world.analyst, world.polda, world)
    cp = report.content["audit_checkpoint"]
    assert checkpoint_verify(cp) and cp["seq"] > 0 and cp["count"] == cp["seq"]
    xlsx = report.files.get(format="xlsx", language="id")
    wb = load_workbook(io.BytesIO(bytes(xlsx.data)))
    exported = json.loads(next(r[1] for r in wb["Titik periksa audit"].iter_rows(values_only=True) if r[0] == "json"))
    assert exported == cp
    assert audit_verify(checkpoints=[exported]).ok
