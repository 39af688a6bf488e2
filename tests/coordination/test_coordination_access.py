"""The access matrix of handling markings (TLP 2.0): every marking x every reader relation x every endpoint
that returns shareable records, plus a property-based check of the one selector against a reference model."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from sinergi.coordination import selectors, services
from sinergi.coordination.choices import Marking, marking_rank
from sinergi.coordination.models import SharedNote
from sinergi.core.models import AuditEvent
from tests.coordination.test_coordination_world import EXPECTED, RELATIONS, build_world

MARKINGS = [m.value for m in Marking]


def _note_page(client, w, note, meeting):
    r = client.get(f"/koordinasi/catatan/{note.pk}/")
    assert r.status_code in (200, 404)
    return r.status_code == 200 and "Isi rahasia" in r.content.decode()


def _note_api_list(client, w, note, meeting):
    data = client.get("/api/v1/coordination/notes/").json()
    return any(row["id"] == note.pk and row.get("body") == "Isi rahasia" for row in data["results"])


def _note_api_detail(client, w, note, meeting):
    r = client.get(f"/api/v1/coordination/notes/{note.pk}/")
    assert r.status_code in (200, 404)
    return r.status_code == 200 and r.json().get("body") == "Isi rahasia"


def _note_export(client, w, note, meeting):
    rows = list(csv.DictReader(io.StringIO(client.get("/koordinasi/catatan/ekspor.csv").content.decode())))
    return any(row["id"] == str(note.pk) and row["isi"] == "Isi rahasia" for row in rows)


def _note_search(client, w, note, meeting):
    html = client.get("/koordinasi/catatan/", {"q": "rahasia"}).content.decode()
    return f'data-note="{note.pk}"' in html


def _note_api_search(client, w, note, meeting):
    data = client.get("/api/v1/coordination/notes/", {"q": "rahasia"}).json()
    return any(row["id"] == note.pk for row in data["results"])


def _meeting_page(client, w, note, meeting):
    r = client.get(f"/koordinasi/rapat/{meeting.pk}/")
    assert r.status_code in (200, 404)
    return r.status_code == 200 and "Mapolda NTT" in r.content.decode()


def _meeting_api_list(client, w, note, meeting):
    data = client.get("/api/v1/coordination/meetings/").json()
    return any(row["id"] == meeting.pk and row.get("place") == "Mapolda NTT" for row in data["results"])


def _meeting_api_detail(client, w, note, meeting):
    r = client.get(f"/api/v1/coordination/meetings/{meeting.pk}/")
    return r.status_code == 200 and r.json().get("place") == "Mapolda NTT"


def _meeting_invite_ics(client, w, note, meeting):
    r = client.get(f"/koordinasi/rapat/{meeting.pk}/undangan.ics")
    return r.status_code == 200


def _ics_feed(client, w, note, meeting):
    cal = Calendar.from_ical(client.get("/koordinasi/kalender.ics").content)
    return any(str(ev.get("uid")).startswith(str(meeting.uid)) for ev in cal.walk("VEVENT"))


def _meeting_pack_pdf(client, w, note, meeting):
    return client.get(f"/koordinasi/rapat/{meeting.pk}/paket.pdf").status_code == 200


def _notifications(client, w, note, meeting):
    """Invitation notifications reach only invitees who may read the meeting (never leak a title)."""
    data = client.get("/api/v1/coordination/notifications/").json()
    return any(row["object_type"] == "meeting" and row["object_id"] == str(meeting.pk) for row in data["results"])


ENDPOINTS = {
    "note_page": _note_page, "note_api_list": _note_api_list, "note_api_detail": _note_api_detail,
    "note_export_csv": _note_export, "note_search_page": _note_search, "note_search_api": _note_api_search,
    "meeting_page": _meeting_page, "meeting_api_list": _meeting_api_list,
    "meeting_api_detail": _meeting_api_detail, "meeting_invite_ics": _meeting_invite_ics,
    "meeting_ics_feed": _ics_feed,
}


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("marking", MARKINGS)
def test_access_matrix(world, client, marking, endpoint):
    note = world.note(marking)
    meeting = world.meeting(marking)
    check = ENDPOINTS[endpoint]
    seen = {}
    for rel in RELATIONS:
        client.force_login(world.users[rel])
        seen[rel] = check(client, world, note, meeting)
        client.logout()
    expected = {rel: rel in EXPECTED[marking] for rel in RELATIONS}
    assert seen == expected


@pytest.mark.django_db
@pytest.mark.parametrize("marking", MARKINGS)
def test_pdf_export_follows_marking(world, client, marking):
    """The meeting pack PDF is an export: readable exactly where the meeting is (checked for two relations
    per side to keep WeasyPrint's cost down)."""
    meeting = world.meeting(marking)
    for rel in ("author", "red_recipient", "other_agency", "public"):
        client.force_login(world.users[rel])
        ok = client.get(f"/koordinasi/rapat/{meeting.pk}/paket.pdf").status_code == 200
        assert ok == (rel in EXPECTED[marking]), rel


@pytest.mark.django_db
@pytest.mark.parametrize("marking", MARKINGS)
def test_invitation_notifications_follow_marking(world, client, marking):
    meeting = world.meeting(marking)
    for rel in ("shared_unit", "red_recipient"):  # the invitees who receive notifications
        client.force_login(world.users[rel])
        got = _notifications(client, world, None, meeting)
        assert got == (rel in EXPECTED[marking]), rel


@pytest.mark.django_db
def test_redacted_summary_is_shared_wider_than_the_record(world, client):
    note = world.note("RED", title="Potensi gesekan massa", body="Nama informan: Y. Rahasia penuh",
                      summary="Ada potensi gesekan massa di kecamatan X.", summary_marking="GREEN")
    reader = world.users["other_agency"]
    client.force_login(reader)
    html = client.get(f"/koordinasi/catatan/{note.pk}/").content.decode()
    assert "Ada potensi gesekan massa" in html and "informan" not in html and 'data-testid="summary-only"' in html
    api = client.get(f"/api/v1/coordination/notes/{note.pk}/").json()
    assert api["access"] == "summary" and api["marking"] == "GREEN" and "body" not in api
    assert "share_users" not in api
    rows = list(csv.DictReader(io.StringIO(client.get("/koordinasi/catatan/ekspor.csv").content.decode())))
    row = next(r for r in rows if r["id"] == str(note.pk))
    assert row["isi"] == note.summary and row["akses"] == "ringkasan" and row["penandaan"] == "TLP:GREEN"
    # Search never matches the body the reader cannot read; the summary is searchable.
    assert f'data-note="{note.pk}"' not in client.get("/koordinasi/catatan/", {"q": "informan"}).content.decode()
    assert f'data-note="{note.pk}"' in client.get("/koordinasi/catatan/", {"q": "kecamatan X"}).content.decode()
    # The public sees nothing at all, the named recipient reads the body.
    client.force_login(world.users["public"])
    assert client.get(f"/koordinasi/catatan/{note.pk}/").status_code == 404
    client.force_login(world.users["red_recipient"])
    assert "informan" in client.get(f"/koordinasi/catatan/{note.pk}/").content.decode()


@pytest.mark.django_db
def test_summary_must_be_less_restricted_than_the_record(world):
    with pytest.raises(ValidationError):
        world.note("AMBER", summary="x", summary_marking="RED")
    with pytest.raises(ValidationError):
        world.note("AMBER", summary="", summary_marking="GREEN")
    with pytest.raises(ValidationError):
        world.note("RED", share_users=[])


@pytest.mark.django_db
@pytest.mark.parametrize("marking,audited", [("CLEAR", False), ("GREEN", False), ("AMBER", True),
                                              ("AMBER+STRICT", True), ("RED", True)])
def test_detail_reads_of_amber_and_red_are_audited(world, client, marking, audited):
    note = world.note(marking)
    meeting = world.meeting(marking)
    client.force_login(world.users["author"])

    def reads():
        return AuditEvent.objects.filter(action__in=["note.read", "meeting.read"], actor=world.users["author"])

    client.get("/koordinasi/catatan/")
    client.get("/api/v1/coordination/notes/")
    assert reads().count() == 0  # lists are not audited per row (docs/coordination.md)
    client.get(f"/koordinasi/catatan/{note.pk}/")
    client.get(f"/api/v1/coordination/notes/{note.pk}/")
    client.get(f"/koordinasi/rapat/{meeting.pk}/")
    client.get(f"/api/v1/coordination/meetings/{meeting.pk}/")
    assert reads().count() == (4 if audited else 0)
    if audited:
        event = reads().filter(action="note.read").first()
        assert event.object_id == str(note.pk) and event.data["marking"] == marking


@pytest.mark.django_db
def test_marking_change_needs_a_reason_and_is_audited(world, client):
    note = world.note("AMBER")
    reader = world.users["other_agency"]
    assert not selectors.can_view(reader, note)
    with pytest.raises(ValidationError):
        services.marking_change(actor=world.users["author"], obj=note, marking="GREEN", reason=" ")
    client.force_login(world.users["author"])
    r = client.post(f"/koordinasi/penandaan/catatan/{note.pk}/", {
        "marking": "GREEN", "reason": "Sudah dibahas di rakor, boleh untuk semua instansi",
        "share_units": [world.units["kpu_shared"].pk], "share_agencies": [world.agencies["bawaslu"].pk],
        "share_users": [world.users["red_recipient"].pk]})
    assert r.status_code == 302
    assert selectors.can_view(reader, note)
    event = AuditEvent.objects.filter(action="note.marking_change", object_id=str(note.pk)).get()
    assert event.data["from"]["marking"] == "AMBER" and event.data["to"]["marking"] == "GREEN"
    assert event.data["reason"].startswith("Sudah dibahas")
    # Someone else's commander outside the originating unit may not change it.
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        services.marking_change(actor=world.users["other_unit_same_agency"], obj=note, marking="RED",
                                reason="x")


# --- property: the selector equals a reference reading of TLP 2.0 -------------------------------------------

def reference_can_read(marking, rel, shares) -> bool:
    """Plain-language rules of docs/coordination.md, written independently of the selector."""
    if rel == "author":
        return True
    if marking == "CLEAR":
        return True
    if marking == "GREEN":
        return rel != "public"
    in_org = rel in ("same_unit", "subunit")
    named = rel == "red_recipient" and shares["user"]
    if marking == "RED":
        return named
    if marking == "AMBER+STRICT":
        return in_org
    shared = (rel == "shared_unit" and shares["unit"]) or (rel == "shared_agency" and shares["agency"])
    return in_org or shared or named




@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    marking=st.sampled_from(MARKINGS),
    summary_marking=st.sampled_from([""] + MARKINGS),
    share_unit=st.booleans(), share_agency=st.booleans(), share_user=st.booleans(),
)
def test_visible_q_matches_reference(world, marking, summary_marking, share_unit, share_agency, share_user):
    if marking == "RED":
        share_user = True
    if summary_marking and marking_rank(summary_marking) >= marking_rank(marking):
        summary_marking = ""
    shares = {"unit": share_unit, "agency": share_agency, "user": share_user}
    note = world.note(marking, summary="Ringkasan" if summary_marking else "", summary_marking=summary_marking,
                      share_units=[world.units["kpu_shared"]] if share_unit else [],
                      share_agencies=[world.agencies["bawaslu"]] if share_agency else [],
                      share_users=[world.users["red_recipient"]] if share_user else [])
    for rel in RELATIONS:
        row = selectors.restrict(SharedNote.objects.filter(pk=note.pk), world.users[rel]).values_list(
            "full_access", flat=True).first()
        full = reference_can_read(marking, rel, shares)
        summary = bool(summary_marking) and reference_can_read(summary_marking, rel, shares)
        assert (row is True) == full, (rel, marking)
        assert (row is not None) == (full or summary), (rel, marking, summary_marking)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/coordination/notes/", "/api/v1/coordination/meetings/",
                                 "/api/v1/coordination/action-items/"])
def test_list_queries_do_not_grow_with_rows(world, client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n):
        for i in range(n):
            world.note("AMBER", title=f"N{i}")
            m = world.meeting("GREEN", title=f"M{i}")
            services.action_item_create(actor=world.users["author"], meeting=m, title=f"A{i}",
                                        owner_unit=world.units["kpu_shared"], due_date=m.starts_at.date())

    client.force_login(world.users["shared_unit"])
    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(8)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["results"]) >= 10
    assert len(many) == len(few) <= 16
