"""Coordination as users see it: meetings, carry-over, action items across agencies, the obligations page,
reminders, iCalendar (RFC 5545) invitations and feed, PDFs, notifications, API writes and permissions."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from icalendar import Calendar

from sinergi.coordination import selectors, services
from sinergi.coordination.choices import ActionStatus, AgendaKind, MeetingStatus
from sinergi.coordination.models import ActionReminder, Notification
from sinergi.core.models import AuditEvent, TaskRun
from tests.coordination.test_coordination_world import build_world, next_week, wita

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def world(db):
    return build_world()


def _action(w, meeting, title, *, owner="kpu_shared", due_in=7, status=None, marking=None):
    item = services.action_item_create(actor=w.users["author"], meeting=meeting, title=title,
                                       owner_unit=w.units[owner], due_date=timezone.localdate() + timedelta(
                                           days=due_in), marking=marking)
    if status:
        services.action_update_add(actor=w.users["author"], item=item, text="status", status=status,
                                   evidence_url="https://contoh.go.id/bukti")
    return item


# --- meetings and carry-over -------------------------------------------------------------------------

@pytest.mark.django_db
def test_create_meeting_through_the_form(world, client):
    client.force_login(world.users["author"])
    r = client.post("/koordinasi/rapat/baru/", {
        "title": "Rakor Lintas Sektoral Pilkada", "starts_at": "2030-08-01T09:00", "place": "Mapolda NTT",
        "agenda": "Paparan kerawanan\nKesiapan logistik", "marking": "GREEN",
        "share_units": [world.units["kpu_shared"].pk]})
    assert r.status_code == 302
    meeting = selectors.meeting_list(user=world.users["author"]).get(title="Rakor Lintas Sektoral Pilkada")
    assert timezone.localtime(meeting.starts_at).hour == 9  # entered in WITA
    assert str(timezone.localtime(meeting.starts_at).tzinfo) == "Asia/Makassar"
    assert meeting.ends_at - meeting.starts_at == timedelta(hours=2)
    html = client.get(r["Location"]).content.decode()
    assert "Paparan kerawanan" in html and "Kesiapan logistik" in html
    assert AuditEvent.objects.filter(action="meeting.create", object_id=str(meeting.pk)).exists()


@pytest.mark.django_db
def test_open_action_items_carry_over_to_the_next_meeting(world, client):
    first = world.meeting("AMBER", title="Rakor 1", starts_at=wita(2030, 8, 1))
    still_open = _action(world, first, "Pemetaan TPS rawan banjir")
    blocked = _action(world, first, "Pengawalan logistik laut", status=ActionStatus.BLOCKED)
    _action(world, first, "Sudah selesai", status=ActionStatus.DONE)
    second = world.meeting("AMBER", title="Rakor 2", starts_at=wita(2030, 8, 8))
    assert second.previous == first
    carried = list(second.agenda_items.filter(kind=AgendaKind.CARRY_OVER))
    assert {a.action_item for a in carried} == {still_open, blocked}
    assert any("Pemetaan TPS rawan banjir" in a.title and "KPU Kab Y" in a.title for a in carried)
    event = AuditEvent.objects.get(action="meeting.carry_over", object_id=str(second.pk))
    assert sorted(event.data["action_items"]) == sorted([still_open.pk, blocked.pk])
    # An item closed after the second meeting drops off the third; the other keeps travelling.
    services.action_update_add(actor=world.users["shared_unit"], item=blocked, text="Selesai dikawal",
                               status=ActionStatus.DONE, evidence_url="https://contoh.go.id/ba")
    third = world.meeting("AMBER", title="Rakor 3", starts_at=wita(2030, 8, 15))
    assert [a.action_item for a in third.agenda_items.filter(kind=AgendaKind.CARRY_OVER)] == [still_open]
    client.force_login(world.users["same_unit"])
    assert "Pemetaan TPS rawan banjir" in client.get(f"/koordinasi/rapat/{third.pk}/").content.decode()


@pytest.mark.django_db
def test_carry_over_does_not_reveal_a_more_restricted_item(world):
    first = world.meeting("GREEN", title="Rakor terbuka", starts_at=wita(2030, 8, 1))
    _action(world, first, "Operasi tertutup", owner="polsek_a1", marking="AMBER+STRICT")
    second = world.meeting("GREEN", title="Rakor terbuka 2", starts_at=wita(2030, 8, 8))
    (agenda,) = second.agenda_items.filter(kind=AgendaKind.CARRY_OVER)
    assert "Operasi tertutup" not in agenda.title and "terbatas" in agenda.title


@pytest.mark.django_db
def test_series_keeps_carry_over_within_the_series(world):
    a1 = world.meeting("AMBER", title="Sentra Gakkumdu 1", series="gakkumdu", starts_at=wita(2030, 8, 1))
    _action(world, a1, "Klarifikasi laporan politik uang")
    world.meeting("AMBER", title="Rakor logistik", series="logistik", starts_at=wita(2030, 8, 5))
    a2 = world.meeting("AMBER", title="Sentra Gakkumdu 2", series="gakkumdu", starts_at=wita(2030, 8, 8))
    assert a2.previous == a1 and a2.agenda_items.filter(kind=AgendaKind.CARRY_OVER).count() == 1


# --- action items across agencies ------------------------------------------------------------------------

@pytest.mark.django_db
def test_what_we_owe_and_what_is_owed_to_us(world, client):
    meeting = world.meeting("AMBER")
    item = _action(world, meeting, "Data DPT per TPS untuk pemetaan", owner="kpu_shared")
    client.force_login(world.users["shared_unit"])  # KPU
    html = client.get("/koordinasi/instansi/").content.decode()
    owe = html.split('data-testid="we-owe"')[1].split('data-testid="owed-to-us"')[0]
    assert "Data DPT per TPS untuk pemetaan" in owe
    client.force_login(world.users["author"])  # Polri
    html = client.get("/koordinasi/instansi/").content.decode()
    owed = html.split('data-testid="owed-to-us"')[1]
    assert "Data DPT per TPS untuk pemetaan" in owed
    # Another KPU unit that is neither owner nor invited does not see it (AMBER).
    client.force_login(world.users["other_agency"])
    assert "Data DPT per TPS" not in client.get("/koordinasi/instansi/").content.decode()
    # The owner reports progress with evidence; done requires evidence.
    client.force_login(world.users["shared_unit"])
    r = client.post(f"/koordinasi/tindak-lanjut/{item.pk}/", {"text": "Sudah dikirim", "status": "done"})
    assert r.status_code == 200 and "bukti" in r.content.decode()
    r = client.post(f"/koordinasi/tindak-lanjut/{item.pk}/", {
        "text": "Sudah dikirim", "status": "done", "evidence_url": "https://kpu.go.id/dpt"})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE and item.closed_at
    assert Notification.objects.filter(user=world.users["same_unit"], kind="action_updated").exists()


@pytest.mark.django_db
def test_action_item_markings_that_cannot_work_are_refused(world):
    from django.core.exceptions import ValidationError

    meeting = world.meeting("AMBER")
    with pytest.raises(ValidationError):
        _action(world, meeting, "x", owner="kpu_shared", marking="AMBER+STRICT")
    with pytest.raises(ValidationError):
        _action(world, meeting, "x", owner="polres_a", marking="RED")


@pytest.mark.django_db
def test_permissions_for_writing(world, client):
    meeting = world.meeting("GREEN")
    client.force_login(world.users["public"])
    assert client.get("/koordinasi/rapat/baru/").status_code == 403
    client.force_login(world.users["other_agency"])  # may read (GREEN) but did not convene it
    assert client.post(f"/koordinasi/rapat/{meeting.pk}/tambah/agenda/", {"title": "x"}).status_code == 403
    assert client.get(f"/koordinasi/rapat/{meeting.pk}/tindak-lanjut/baru/").status_code == 403
    r = client.post("/api/v1/coordination/agenda-items/", {"meeting": meeting.pk, "title": "x"})
    assert r.status_code == 403


@pytest.mark.django_db
def test_api_writes_go_through_services(world, client):
    client.force_login(world.users["author"])
    r = client.post("/api/v1/coordination/meetings/", {
        "title": "Rakor via API", "starts_at": next_week().isoformat(), "place": "Aula Polda",
        "marking": "AMBER", "share_agencies": ["KPU"], "agenda": ["Pembukaan"]}, content_type="application/json")
    assert r.status_code == 201, r.content
    mid = r.json()["id"]
    r = client.post("/api/v1/coordination/action-items/", {
        "meeting": mid, "title": "Sosialisasi netralitas", "owner_unit": world.units["kpu_other"].pk,
        "due_date": (timezone.localdate() + timedelta(days=5)).isoformat()}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["owner_agency"] == "KPU" and r.json()["marking"] == "AMBER"
    client.force_login(world.users["other_agency"])  # KPU Kab X: invited by agency, and the owner
    assert client.get(f"/api/v1/coordination/action-items/{r.json()['id']}/").json()["access"] == "full"
    r2 = client.post("/api/v1/coordination/action-updates/", {
        "action_item": r.json()["id"], "text": "Dijadwalkan", "status": "in_progress"},
        content_type="application/json")
    assert r2.status_code == 201
    assert AuditEvent.objects.filter(action="action_item.update").count() == 1


# --- reminders ------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_reminders_before_and_after_due_are_sent_once(world):
    meeting = world.meeting("AMBER")
    now = wita(2030, 9, 10, 7)
    today = timezone.localdate(now)

    def item(title, days):
        return services.action_item_create(actor=world.users["author"], meeting=meeting, title=title,
                                           owner_unit=world.units["kpu_shared"],
                                           due_date=today + timedelta(days=days))

    soon, late, far = item("Segera", 2), item("Terlambat", -1), item("Masih lama", 10)
    done = item("Selesai", -3)
    services.action_update_add(actor=world.users["author"], item=done, text="ok", status="done",
                               evidence_url="https://x.id/ok")
    out = io.StringIO()
    call_command("coordination_reminders", "--now", now.isoformat(), "--days-before", "3", stdout=out)
    assert "menjelang=1 lewat=1" in out.getvalue()
    kpu_user = world.users["shared_unit"]
    kinds = set(Notification.objects.filter(user=kpu_user, kind__in=["due_soon", "overdue"]).values_list(
        "object_id", "kind"))
    assert kinds == {(str(soon.pk), "due_soon"), (str(late.pk), "overdue")}
    # The raising unit hears about the overdue item too.
    assert Notification.objects.filter(user=world.users["same_unit"], kind="overdue", object_id=str(late.pk)).exists()
    # Idempotent: running again sends nothing new.
    out = io.StringIO()
    call_command("coordination_reminders", "--now", now.isoformat(), stdout=out)
    assert "menjelang=0 lewat=0 sudah-dikirim=2" in out.getvalue()
    assert ActionReminder.objects.count() == 2
    assert TaskRun.objects.filter(kind="coordination_reminders", status="succeeded").count() == 2
    # Days later the due-soon item becomes overdue: one more reminder of the other kind.
    services.reminders_send(now=now + timedelta(days=3))
    assert ActionReminder.objects.filter(action_item=soon).count() == 2
    assert not ActionReminder.objects.filter(action_item=far).exists()


# --- iCalendar -----------------------------------------------------------------------------------------------

def _only_event(body: bytes):
    cal = Calendar.from_ical(body)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def _assert_rfc5545(cal):
    assert str(cal["VERSION"]) == "2.0" and cal.get("PRODID")
    tzids = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    for ev in cal.walk("VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART"):
            assert ev.get(prop) is not None, prop
        tzid = ev["DTSTART"].params.get("TZID")
        assert tzid in tzids  # every TZID used is defined in the calendar
    Calendar.from_ical(cal.to_ical())  # round-trips


@pytest.mark.django_db
def test_invitation_update_and_cancellation_are_valid_icalendar(world, client):
    meeting = world.meeting("AMBER", title="Rakor kesiapan", starts_at=wita(2030, 11, 20, 9), agenda=["Pembukaan"])
    client.force_login(world.users["shared_unit"])
    cal, ev = _only_event(client.get(f"/koordinasi/rapat/{meeting.pk}/undangan.ics").content)
    _assert_rfc5545(cal)
    assert str(cal["METHOD"]) == "REQUEST"
    uid = str(ev["UID"])
    assert ev["DTSTART"].dt.hour == 9 and str(ev["DTSTART"].params["TZID"]) == "Asia/Makassar"
    assert int(ev["SEQUENCE"]) == 0 and str(ev["STATUS"]) == "CONFIRMED"
    assert "Mapolda NTT" in str(ev["LOCATION"]) and "Pembukaan" in str(ev["DESCRIPTION"])
    assert str(ev["SUMMARY"]).startswith("[TLP:AMBER]")

    services.meeting_update(actor=world.users["author"], meeting=meeting, starts_at=wita(2030, 11, 20, 10),
                            ends_at=wita(2030, 11, 20, 12), place="Aula Rupatama")
    cal, ev = _only_event(client.get(f"/koordinasi/rapat/{meeting.pk}/undangan.ics").content)
    assert str(ev["UID"]) == uid and int(ev["SEQUENCE"]) == 1 and ev["DTSTART"].dt.hour == 10
    assert "Aula Rupatama" in str(ev["LOCATION"])
    assert Notification.objects.filter(user=world.users["shared_unit"], kind="meeting_update").exists()

    services.meeting_cancel(actor=world.users["author"], meeting=meeting, reason="Bentrok jadwal")
    cal, ev = _only_event(client.get(f"/koordinasi/rapat/{meeting.pk}/undangan.ics").content)
    _assert_rfc5545(cal)
    assert str(cal["METHOD"]) == "CANCEL" and str(ev["STATUS"]) == "CANCELLED"
    assert str(ev["UID"]) == uid and int(ev["SEQUENCE"]) == 2


@pytest.mark.django_db
def test_per_user_feed_for_calendar_apps(world, client):
    shared = world.meeting("AMBER", title="Untuk KPU Y")
    hidden = world.meeting("AMBER+STRICT", title="Internal Polres")
    summary_only = world.meeting("RED", title="Rapat terbatas", summary="Rapat pimpinan", summary_marking="GREEN")
    client.force_login(world.users["shared_unit"])
    page = client.get("/koordinasi/").content.decode()
    token_url = page.split('data-testid="feed-url">')[1].split("<")[0]
    client.logout()
    r = client.get(token_url.replace("http://testserver", ""))  # no session: the token identifies the user
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    _assert_rfc5545(cal)
    events = {str(ev["UID"]).split("@")[0]: ev for ev in cal.walk("VEVENT")}
    assert str(shared.uid) in events and str(hidden.uid) not in events
    redacted = events[str(summary_only.uid)]
    assert redacted.get("LOCATION") is None and str(redacted["DESCRIPTION"]) == "Rapat pimpinan"
    assert client.get("/koordinasi/kalender/bukan-token.ics").status_code == 404


# --- PDFs ------------------------------------------------------------------------------------------------------

def _pdf_text_and_png(body: bytes, name: str) -> str:
    import pypdfium2
    from pypdf import PdfReader

    assert body.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    pdf = pypdfium2.PdfDocument(body)
    image = pdf[0].render(scale=1.5).to_pil().convert("L")
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / name)
    dark = sum(image.histogram()[:128])
    assert dark > 500, "page 1 renders blank"
    return text


@pytest.mark.django_db
def test_meeting_pack_and_minutes_pdf(world, client):
    first = world.meeting("AMBER", title="Rakor Pertama", starts_at=wita(2030, 8, 1))
    _action(world, first, "Pemetaan TPS rawan")
    meeting = world.meeting("AMBER", title="Rakor Kedua", starts_at=wita(2030, 8, 8), agenda=["Paparan Kapolda"])
    services.attendance_record(actor=world.users["author"], meeting=meeting, name="AKBP Budi", position="Kabag Ops",
                               unit=world.units["polres_a"])
    services.decision_add(actor=world.users["author"], meeting=meeting, text="Patroli gabungan tiap malam")
    services.meeting_minutes_set(actor=world.users["author"], meeting=meeting, minutes="Rapat dibuka pukul 09.00.")
    client.force_login(world.users["author"])
    r = client.get(f"/koordinasi/rapat/{meeting.pk}/paket.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = _pdf_text_and_png(r.content, "coordination_meeting_pack.png")
    for heading in ("Paket Rapat", "Agenda", "Tindak Lanjut Terbuka", "TLP:AMBER"):
        assert heading in text, heading
    assert "Pemetaan TPS rawan" in text and "Paparan Kapolda" in text
    if selectors_has_risk_data(world.users["author"]):
        assert "Ringkasan Kerawanan" in text
    else:
        assert "Ringkasan Kerawanan" not in text
    r = client.get(f"/koordinasi/rapat/{meeting.pk}/notulen.pdf")
    text = _pdf_text_and_png(r.content, "coordination_minutes.png")
    for heading in ("Notulen Rapat", "Daftar Hadir", "Keputusan", "Tindak Lanjut", "AKBP Budi",
                    "Patroli gabungan"):
        assert heading in text, heading


def selectors_has_risk_data(user) -> bool:
    from sinergi.coordination.documents import risk_summary

    return risk_summary(user) is not None


# --- notes ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_notes_are_searchable_and_linked(world, client):
    from tests import factories

    region = factories.region("53")
    meeting = world.meeting("GREEN")
    client.force_login(world.users["author"])
    r = client.post("/koordinasi/catatan/baru/", {
        "kind": "best_practice", "title": "Pengamanan TPS di pulau terluar 2019",
        "body": "Kapal cadangan disiagakan di Pelabuhan Tenau.", "regions": "53", "election_year": "2019",
        "marking": "GREEN", "incident_ids": "12, 15"})
    assert r.status_code == 302, r.content.decode()[:2000]
    note = selectors.note_list(user=world.users["author"]).get(title__startswith="Pengamanan TPS")
    assert list(note.regions.all()) == [region] and note.incident_ids == [12, 15]
    services.note_create(actor=world.users["author"], kind="situation", title="Situasi rakor",
                         body="Kondusif", marking="GREEN", meetings=[meeting])
    client.force_login(world.users["other_agency"])
    html = client.get("/koordinasi/catatan/", {"q": "tenau"}).content.decode()
    assert "Pengamanan TPS di pulau terluar" in html
    api = client.get("/api/v1/coordination/notes/", {"region": "53", "incident": 15}).json()
    assert [n["id"] for n in api["results"]] == [note.pk]
    assert [n.title for n in selectors.note_list(user=world.users["other_agency"], meeting=meeting.pk)] == [
        "Situasi rakor"]
    assert "Situasi rakor" in client.get(f"/koordinasi/rapat/{meeting.pk}/").content.decode()


@pytest.mark.django_db
def test_meeting_status_and_notifications_page(world, client):
    meeting = world.meeting("AMBER")
    client.force_login(world.users["shared_unit"])
    html = client.get("/koordinasi/notifikasi/").content.decode()
    assert "Undangan rapat: Rakor uji" in html
    client.post("/koordinasi/notifikasi/")
    assert not Notification.objects.filter(user=world.users["shared_unit"], read_at__isnull=True).exists()
    services.meeting_minutes_set(actor=world.users["author"], meeting=meeting, minutes="Selesai")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD


@pytest.mark.django_db
def test_convenor_moves_a_meeting_through_the_page_and_invitees_get_the_update(world, client):
    meeting = world.meeting("AMBER", title="Rakor pergeseran", starts_at=wita(2030, 11, 21, 9))
    client.force_login(world.users["shared_unit"])
    assert client.get(f"/koordinasi/rapat/{meeting.pk}/ubah/").status_code == 403  # invited, not convenor
    client.force_login(world.users["author"])
    page = client.get(f"/koordinasi/rapat/{meeting.pk}/").content.decode()
    assert 'data-testid="edit-meeting"' in page
    r = client.post(f"/koordinasi/rapat/{meeting.pk}/ubah/", {
        "title": "Rakor pergeseran", "starts_at": "2030-11-21T13:00", "ends_at": "2030-11-21T15:00",
        "place": "Aula Rupatama", "online_url": "", "series": ""})
    assert r.status_code == 302
    client.force_login(world.users["shared_unit"])
    cal, ev = _only_event(client.get(f"/koordinasi/rapat/{meeting.pk}/undangan.ics").content)
    assert ev["DTSTART"].dt.hour == 13 and int(ev["SEQUENCE"]) == 1 and "Aula Rupatama" in str(ev["LOCATION"])
    bad = client.post(f"/koordinasi/rapat/{meeting.pk}/ubah/", {"title": "x", "starts_at": "2030-11-21T13:00",
                                                                 "ends_at": "2030-11-21T12:00"})
    assert bad.status_code == 403
    client.force_login(world.users["author"])
    bad = client.post(f"/koordinasi/rapat/{meeting.pk}/ubah/", {"title": "x", "starts_at": "2030-11-21T13:00",
                                                                 "ends_at": "2030-11-21T12:00"})
    assert bad.status_code == 200 and "setelah waktu mulai" in bad.content.decode()
