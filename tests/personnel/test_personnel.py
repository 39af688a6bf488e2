"""Personnel: roster import (row errors, all-or-nothing, idempotent), scoped reads and audited phone reveal,
assignment of named officers to the approved Renpam, Surat Perintah versions and signature, status on the day,
dispatch of the nearest available unit with times kept, response times in the daily report."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from sinergi.accounts.choices import AgencyKind, Role
from sinergi.core.models import AuditEvent
from sinergi.deployment.models import GuardAssignment, GuardGroup, Plan, PlanUnit, Reserve
from sinergi.elections.models import PollingStation
from sinergi.personnel import services
from sinergi.personnel.models import Assignment, Dispatch, Officer, StatusReport, Warrant
from sinergi.personnel.selectors import response_times, status_counts
from tests import factories
from tests.operations.factories import TPS_A, TPS_A2, build_ops_world

HEADER = "jenis,nrp,nama,pangkat,satuan,fungsi,telepon\n"


@pytest.fixture
def world(db):
    return build_ops_world()


def _csv(world, rows: list[str]) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def _good_rows(world) -> list[str]:
    a, s, b = world.polres_a.code, world.polsek_a.code, world.polres_b.code
    return [
        f"polri,81010001,Yohanes Tefa,Aipda,{s},Bhabinkamtibmas,0812-3456-7001",
        f"polri,81010002,Maria Bria,Brigpol,{s},Sabhara,0812 3456 7002",
        f"polri,81010003,Petrus Seran,Bripda,{a},Sabhara,",
        f"polri,81010004,Agus Lake,Bripka,{a},Sabhara,+6281234567004",
        f"polri,81010005,Simon Ndun,Briptu,{a},Sabhara,",
        f"polri,82020001,Daniel Riwu,Aiptu,{b},Sabhara,",
        f"tni,3101234,Kornelis Nahak,Serka,{world.kodim_a.code},Babinsa,",
    ]


def _operator(make_user, unit):
    return make_user(unit=unit, role=Role.OPERATOR)


def test_import_then_reimport_is_idempotent_and_xlsx_works(world, make_user):
    op = _operator(make_user, world.polda)
    rec = services.roster_import(actor=op, file_bytes=_csv(world, _good_rows(world)[:6]), filename="r.csv")
    assert rec.stored and rec.created_count == 6 and not rec.errors
    o = Officer.objects.get(identifier="81010001")
    assert o.phone == "+6281234567001" and o.senior and o.rank_level > 0 and o.unit == world.polsek_a
    assert not Officer.objects.get(identifier="81010002").senior  # Brigpol is below Bripka
    again = services.roster_import(actor=op, file_bytes=_csv(world, _good_rows(world)[:6]), filename="r.csv")
    assert again.stored and again.created_count == 0 and again.unchanged_count == 6
    assert Officer.objects.count() == 6
    assert AuditEvent.objects.filter(action="personnel.roster.import").count() == 2
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Jenis", "NRP", "Nama", "Pangkat", "Satuan", "Fungsi", "Telepon"])
    ws.append(["polri", 81010009, "Imanuel Kolo", "Aiptu", world.polres_a.code, "Sabhara", "081234567009"])
    buf = io.BytesIO()
    wb.save(buf)
    x = services.roster_import(actor=op, file_bytes=buf.getvalue(), filename="r.xlsx")
    assert x.stored and x.created_count == 1 and Officer.objects.get(identifier="81010009").phone == "+6281234567009"


def test_bad_rows_name_row_and_reason_and_store_nothing_unless_valid_only(world, make_user):
    op = _operator(make_user, world.polres_a)
    a, s = world.polres_a.code, world.polsek_a.code
    rows = [
        f"polri,81010001,Yohanes Tefa,Aipda,{s},,",              # row 2 ok
        f"polri,81010001,Yohanes Tefa,Aipda,{s},,",              # row 3 NRP twice
        f"polri,81010007,Ana Dethan,Bripda,{s},,",               # row 4 ok first
        f"polri,81010007,Ana Dethan,Bripda,{a},,",               # row 5 same officer, another unit
        f"polri,81010008,Rudi Ratu,Bripda,{a},,12345",           # row 6 wrong phone
        f"polri,81010010,Made Lay,Bripda,{world.polres_b.code},,",  # row 7 outside the importer's scope
        f"polri,8101,Ahmad Pah,Bripda,{a},,",                    # row 8 NRP not 8 digits
        f"polri,81010011,Ketut Wutun,Jenderal Palsu,{a},,",      # row 9 unknown rank
    ]
    rec = services.roster_import(actor=op, file_bytes=_csv(world, rows), filename="bad.csv")
    assert not rec.stored and Officer.objects.count() == 0
    by_row = {e["row"]: e["message"] for e in rec.errors}
    assert "ganda dalam berkas (juga di baris 2)" in by_row[3]
    assert "di dua satuan" in by_row[5] and "baris 4" in by_row[5]
    assert "salah format" in by_row[6]
    assert "di luar wilayah Anda" in by_row[7]
    assert "NRP '8101' tidak valid" in by_row[8]
    assert "Pangkat 'Jenderal Palsu' tidak dikenal" in by_row[9]
    assert set(by_row) == {3, 5, 6, 7, 8, 9}
    part = services.roster_import(actor=op, file_bytes=_csv(world, rows), filename="bad.csv", valid_only=True)
    assert part.stored and part.created_count == 2 and part.rejected_count == 6
    assert set(Officer.objects.values_list("identifier", flat=True)) == {"81010001", "81010007"}
    # Stored in one unit: the same officer in another unit is refused on the next import.
    again = services.roster_import(actor=op, file_bytes=_csv(world, [f"polri,81010007,Ana Dethan,Bripda,{a},,"]),
                                   filename="move.csv")
    assert not again.stored and "sudah terdaftar di satuan" in again.errors[0]["message"]
    bad_file = services.roster_import(actor=op, file_bytes=b"nama;alamat\nx;y\n", filename="x.csv")
    assert not bad_file.stored and "Kolom wajib tidak ada" in bad_file.errors[0]["message"]
    with pytest.raises(PermissionDenied):
        kpu = factories.unit(AgencyKind.KPU, code="T-PERS-KPU")
        services.roster_import(actor=_operator(make_user, kpu), file_bytes=_csv(world, rows[:1]), filename="r.csv")


def test_roster_is_scoped_phone_masked_and_reveal_audited(world, make_user, client):
    services.roster_import(actor=_operator(make_user, world.polda), file_bytes=_csv(world, _good_rows(world)[:6]),
                           filename="r.csv")
    b_user = _operator(make_user, world.polres_b)
    client.force_login(b_user)
    page = client.get(reverse("personnel:roster")).content.decode()
    assert "Daniel Riwu" in page and "Yohanes Tefa" not in page
    a_user = _operator(make_user, world.polres_a)
    client.force_login(a_user)
    page = client.get(reverse("personnel:roster")).content.decode()
    assert "Yohanes Tefa" in page and "Daniel Riwu" not in page
    assert "+6281234567001" not in page and "+62812*****001" in page
    o = Officer.objects.get(identifier="81010001")
    r = client.post(reverse("personnel:phone_reveal", args=[o.pk]))
    assert r.json()["phone"] == "+6281234567001"
    ev = AuditEvent.objects.get(action="personnel.phone_reveal")
    assert ev.object_id == str(o.pk) and ev.actor == a_user
    other = Officer.objects.get(identifier="82020001")
    assert client.post(reverse("personnel:phone_reveal", args=[other.pk])).status_code == 404
    kpu = factories.unit(AgencyKind.KPU, code="T-PERS-KPU2")
    client.force_login(_operator(make_user, kpu))
    assert client.get(reverse("personnel:roster")).status_code == 403


def _plan_world(world, *, group_officers=3):
    plan = Plan.objects.create(name="dasar", election=world.election, status="succeeded")
    PlanUnit.objects.create(plan=plan, unit=world.polres_a, strength=10, deployable=6, officers_required=5,
                            officers_manual=5, linmas=4, groups=1, groups_lower_bound=1, groups_bound=1)
    g = GuardGroup.objects.create(plan=plan, unit=world.polres_a, polsek=world.polsek_a, district_code="99.71.01",
                                  tier="kurang_rawan", number=1, tps_count=2, officers=group_officers, linmas=4,
                                  post_lat=-14.18, post_lng=123.56, max_travel_min=10)
    for code in (TPS_A, TPS_A2):
        GuardAssignment.objects.create(plan=plan, group=g, polling_station=PollingStation.objects.get(code=code),
                                       tier="kurang_rawan")
    Reserve.objects.create(plan=plan, kind="median", district_code="99.71.01", name="Kota Uji", unit=world.polsek_a,
                           lat=-14.2, lng=123.55, team_size=2, demand_count=2, max_minutes=20, mean_minutes=10)
    approval = factories.renpam_approve(plan, unit=world.polda)
    return plan, g, approval


def test_assignment_fills_posts_with_leaders_reports_unfilled_and_hand_changes_are_audited(world, make_user):
    op = _operator(make_user, world.polda)
    services.roster_import(actor=op, file_bytes=_csv(world, _good_rows(world)[:6]), filename="r.csv")
    tni = services.roster_import(actor=None, file_bytes=_csv(world, _good_rows(world)[6:]), filename="t.csv",
                                 system=True)
    assert tni.stored and tni.created_count == 1
    plan, g, approval = _plan_world(world, group_officers=3)
    run = services.assignment_run(actor=op, approval=approval)
    rows = list(Assignment.objects.filter(run=run).select_related("officer"))
    assert run.metrics["seats"] == 5 and run.metrics["filled"] == 5 == run.metrics["bound"]
    assert len({a.officer_id for a in rows}) == len(rows)  # nobody twice in the shift
    leaders = [a for a in rows if a.leader]
    assert len(leaders) == 2 and all(a.officer.senior for a in leaders)
    group_rows = [a for a in rows if a.group_id == g.pk]
    # Own Polsek first: both Polsek Kota Uji officers hold the group (the senior one leads it).
    assert {"81010001", "81010002"} <= {a.officer.identifier for a in group_rows} or \
        {"81010001", "81010002"} <= {a.officer.identifier for a in rows}
    assert not any(a.officer.kind == "tni" for a in rows)
    # Hand change: a planner swaps in a free officer; a busy officer is refused; all audited.
    free = Officer.objects.exclude(pk__in=[a.officer_id for a in rows]).filter(kind="polri").first()
    target = next(a for a in rows if not a.leader)
    services.assignment_adjust(actor=op, assignment=target, officer=free)
    target.refresh_from_db()
    assert target.officer == free and target.manual
    assert AuditEvent.objects.filter(action="personnel.assignment.adjust").exists()
    busy = next(a for a in rows if a.pk != target.pk)
    with pytest.raises(ValidationError, match="sudah bertugas"):
        services.assignment_adjust(actor=op, assignment=target, officer=busy.officer)
    # Too few senior officers: the reason is given.
    plan2, _, approval2 = _plan_world(world, group_officers=2)
    Officer.objects.filter(senior=True).update(senior=False)
    run2 = services.assignment_run(actor=op, approval=approval2)
    assert run2.metrics["reasons"].get("no_leader", 0) >= 2 and run2.metrics["leaders_missing"] >= 1


def test_warrant_versions_signature_and_officer_phone_page(world, make_user, client):
    op = _operator(make_user, world.polda)
    services.roster_import(actor=op, file_bytes=_csv(world, _good_rows(world)[:6]), filename="r.csv")
    tni = services.roster_import(actor=None, file_bytes=_csv(world, _good_rows(world)[6:]), filename="t.csv",
                                 system=True)
    assert tni.stored and tni.created_count == 1
    _plan, g, approval = _plan_world(world)
    run = services.assignment_run(actor=op, approval=approval)
    w1 = services.warrant_issue(actor=op, unit=world.polres_a, run=run)
    assert w1.version == 1 and w1.number.startswith("Sprin/1/") and w1.officers == 5
    assert services.warrant_issue(actor=op, unit=world.polres_a, run=run).pk == w1.pk  # unchanged: same Sprin
    commander = make_user(unit=world.polres_a, role=Role.COMMANDER)
    with pytest.raises(PermissionDenied, match="second factor"):
        services.warrant_sign(actor=commander, warrant=w1)
    signer = factories.verified_commander(world.polres_a, first_name="Budi", last_name="Santoso")
    w1 = services.warrant_sign(actor=signer, warrant=w1, rank="AKBP")
    data = bytes(w1.pdf)
    assert data[:4] == b"%PDF" and hashlib.sha256(data).hexdigest() == w1.pdf_sha256
    assert AuditEvent.objects.get(action="personnel.warrant.sign").data["pdf_sha256"] == w1.pdf_sha256
    from sinergi.personnel.documents import warrant_html
    from sinergi.personnel.services import _warrant_rows

    html = warrant_html(w1, _warrant_rows(run, world.polres_a))
    assert TPS_A in html and "81010001" in html and "Budi Santoso" in html and "LAMPIRAN" in html
    assert "+62812" not in html  # no phone numbers in the Sprin
    # A hand change makes a new version.
    a = Assignment.objects.filter(run=run, leader=False).first()
    free = Officer.objects.filter(kind="polri", unit=world.polres_b).first()
    services.assignment_adjust(actor=op, assignment=a, officer=free)
    w2 = services.warrant_issue(actor=op, unit=world.polres_a, run=run)
    w1.refresh_from_db()
    assert w2.version == 2 and w2.is_current and not w1.is_current
    # The officer sees his own post on the phone page.
    me = make_user(unit=world.polsek_a, role=Role.OPERATOR)
    leader = Assignment.objects.filter(run=run, group=g, leader=True).select_related("officer").first()
    services.officer_link_user(actor=op, officer=leader.officer, user=me)
    client.force_login(me)
    page = client.get(reverse("personnel:status")).content.decode()
    assert "Kelompok K1" in page and "ketua kelompok" in page and "Renpam versi 1" in page
    # His check-in is tied to the roster: the officer assigned to that TPS (the check-in API is unchanged).
    from sinergi.personnel.selectors import checkin_officers, tps_guards
    from tests.operations.test_operations import submit

    checkin, _ = submit(me, key="tie-1", tps=TPS_A)
    tie = checkin_officers(checkins=[checkin])[checkin.pk]
    assert tie["identifier"] == leader.officer.identifier and tie["assigned_here"]
    guards = tps_guards(tps=PollingStation.objects.get(code=TPS_A))
    assert guards[0]["leader"] and guards[0]["identifier"] == leader.officer.identifier
    assert all("phone" not in gd for gd in guards)


def test_status_reports_are_idempotent_counted_per_polres_and_bad_input_is_4xx(world, make_user, client):
    op = _operator(make_user, world.polda)
    services.roster_import(actor=op, file_bytes=_csv(world, _good_rows(world)[:6]), filename="r.csv")
    me = make_user(unit=world.polsek_a, role=Role.OPERATOR)
    services.officer_link_user(actor=op, officer=Officer.objects.get(identifier="81010001"), user=me)
    client.force_login(me)
    url = reverse("personnel:status_api")
    body = {"key": "st-1", "status": "on_post", "at": "2024-11-20T07:00:00+08:00"}
    r = client.post(url, body, content_type="application/json")
    assert r.status_code == 201
    assert client.post(url, body, content_type="application/json").status_code == 200
    assert StatusReport.objects.count() == 1 and Officer.objects.get(identifier="81010001").status == "on_post"
    assert client.post(url, {"key": "st-2", "status": "ngopi"}, content_type="application/json").status_code == 400
    assert client.post(url, "[1, 2]", content_type="application/json").status_code == 400
    assert client.post(url, {"key": "st-3", "status": "available", "at": "kemarin"},
                       content_type="application/json").status_code == 400
    assert client.post(url, "x" * 5000, content_type="application/json").status_code == 413
    rows = {r["code"]: r for r in status_counts(user=op)}
    assert rows[world.polres_a.code]["on_post"] == 1 and rows[world.polres_a.code]["total"] == 5
    client.force_login(op)
    page = client.get(reverse("personnel:status_counts")).content.decode()
    assert "Polres Kota Uji" in page and 'data-testid="status-panel"' in page


def test_dispatch_suggests_nearest_available_keeps_times_and_reports_response(world, make_user, client):
    import datetime as dt

    from sinergi.incidents.models import Category, Incident
    from sinergi.personnel import dispatch as dispatch_mod
    from sinergi.reports.content import response_section

    op = _operator(make_user, world.polda)
    _plan, g, approval = _plan_world(world)
    dispatch_mod._CACHE.clear()
    cat = Category.objects.first() or Category.objects.create(code="uji", name="Uji")
    now = dt.datetime(2024, 11, 20, 2, 0, tzinfo=dt.UTC)
    tps = PollingStation.objects.get(code=TPS_A)
    inc = Incident.objects.create(category=cat, title="Keributan di TPS", occurred_at=now, first_reported_at=now,
                                  last_reported_at=now, lat=tps.lat, lng=tps.lng, regency_code="99.71")
    suggestions = dispatch_mod.suggest(inc, approval=approval)
    keys = [s.key for s in suggestions]
    assert f"group:{g.pk}" in keys and any(k.startswith("reserve:") for k in keys)
    assert suggestions == sorted(suggestions, key=lambda s: s.minutes)
    d = services.dispatch_assign(actor=op, incident=inc, resource_key=keys[0])
    assert d.eta_minutes == suggestions[0].minutes and d.polres == world.polres_a
    assert keys[0] not in [s.key for s in dispatch_mod.suggest(inc, approval=approval)]  # busy now
    with pytest.raises(ValidationError, match="sedang menangani"):
        services.dispatch_assign(actor=op, incident=inc, resource_key=keys[0])
    with pytest.raises(ValidationError):
        services.dispatch_assign(actor=op, incident=inc, resource_key="reserve:999999")
    unit_member = make_user(unit=world.polsek_a, role=Role.OPERATOR)
    d = services.dispatch_advance(actor=unit_member, dispatch=d, state="acknowledged")
    d = services.dispatch_advance(actor=unit_member, dispatch=d, state="on_scene")
    d = services.dispatch_advance(actor=op, dispatch=d, state="cleared")
    assert d.assigned_at <= d.acknowledged_at <= d.on_scene_at <= d.cleared_at
    with pytest.raises(ValidationError):
        services.dispatch_advance(actor=op, dispatch=d, state="acknowledged")
    since, until = d.assigned_at - dt.timedelta(hours=1), d.assigned_at + dt.timedelta(hours=1)
    rows = response_times(since=since, until=until)
    assert rows[0]["code"] == world.polres_a.code and rows[0]["n"] == 1 and rows[0]["open"] == 0
    sec = response_section(world.polda, "99", since, until)
    assert sec["total"] == 1 and sec["rows"][0]["scene_text"].endswith("mnt")
    client.force_login(op)
    page = client.get(reverse("personnel:dispatch", args=[inc.pk])).content.decode()
    assert 'data-testid="suggestions"' in page and "menit" in page and "selesai" in page
    assert Dispatch.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="personnel.dispatch.").count() == 4


def test_demo_roster_from_unit_strengths_is_marked_demo(world):
    from sinergi.accounts.models import UnitStrength

    UnitStrength.objects.create(unit=world.polres_a, personnel_type="polri", count=20)
    UnitStrength.objects.create(unit=world.kodim_a, personnel_type="tni", count=5)
    out = services.demo_roster_generate(actor=None, province_code="99")
    assert out["polri"] == 20 and out["tni"] == 5 and out["created"] == 25
    assert Officer.objects.filter(demo=True).count() == 25
    assert Officer.objects.filter(unit=world.polsek_a).count() == 12  # 60 % at the Polsek
    assert all(len(i) == 8 for i in Officer.objects.filter(kind="polri").values_list("identifier", flat=True))
    again = services.demo_roster_generate(actor=None, province_code="99")
    assert again["created"] == 0 and again["updated"] == 25 and Officer.objects.count() == 25
    assert not Warrant.objects.exists()


def test_leave_keeps_an_officer_out_of_the_weeks_it_touches(world, make_user, client):
    op = _operator(make_user, world.polda)
    services.roster_import(actor=op, file_bytes=_csv(world, _good_rows(world)[:6]), filename="r.csv")
    _plan, _g, approval = _plan_world(world)
    client.force_login(op)
    start = approval.approved_at.date()
    r = client.post(reverse("personnel:assignments"), {"action": "leave", "identifier": "81010001",
                                                       "start": start.isoformat(), "end": start.isoformat(),
                                                       "reason": "cuti tahunan"}, follow=True)
    assert "Cuti dicatat" in r.content.decode()
    assert AuditEvent.objects.filter(action="personnel.leave").exists()
    bad = client.post(reverse("personnel:assignments"), {"action": "leave", "identifier": "81010001",
                                                         "start": "2024-11-20", "end": "2024-11-01"}, follow=True)
    assert "sebelum tanggal mulai" in bad.content.decode()
    run = services.assignment_run(actor=op, approval=approval)
    assert not Assignment.objects.filter(run=run, officer__identifier="81010001").exists()
    filled = Assignment.objects.filter(run=run).count()
    assert filled == run.metrics["filled"] and (filled == 5 or run.metrics["reasons"])


def test_assignment_button_queues_a_task_with_a_run_record(world, make_user, client,
                                                           django_capture_on_commit_callbacks):
    from sinergi.core.models import TaskRun

    op = _operator(make_user, world.polda)
    services.roster_import(actor=op, file_bytes=_csv(world, _good_rows(world)[:6]), filename="r.csv")
    _plan_world(world)
    client.force_login(op)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("personnel:assignments"), {"action": "run"}, follow=True)
    assert "Penugasan dijadwalkan" in r.content.decode()
    run = TaskRun.objects.filter(kind="personnel.assign").latest("pk")
    assert run.status == "succeeded"
    page = client.get(reverse("personnel:assignments")).content.decode()
    assert "dari 5 kursi pos terisi" in page and 'data-testid="assign-table"' in page
