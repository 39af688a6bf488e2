"""Summary-only sharing does not leak a record's links through list filters; calendar (.ics) reads of
restricted meetings are audited like page reads."""

from __future__ import annotations

import pytest

from sinergi.coordination import services
from sinergi.core.models import AuditEvent
from tests import factories
from tests.coordination.test_coordination_world import build_world, due

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return build_world()


def _ids(client, url, **params) -> set[int]:
    body = client.get(url, params).json()
    return {row["id"] for row in body["results"]}


def test_summary_only_note_is_not_found_through_link_filters(w, client):
    region = factories.region("98", "Provinsi Filter")
    meeting = w.meeting("CLEAR", title="Rakor terbuka")
    note = w.note("RED", title="Potensi gesekan", body="informan", summary="Ada potensi gesekan.",
                  summary_marking="GREEN", regions=[region], meetings=[meeting], incident_ids=[4242])
    reader = w.users["other_agency"]  # reads the GREEN summary only
    client.force_login(reader)
    assert note.pk in _ids(client, "/api/v1/coordination/notes/")  # the summary itself stays listed
    for params in ({"region": "98"}, {"meeting": meeting.pk}, {"incident": 4242}):
        assert note.pk not in _ids(client, "/api/v1/coordination/notes/", **params), params
        page = client.get("/koordinasi/catatan/", params).content.decode()
        assert f'data-note="{note.pk}"' not in page, params
    # The named recipient, who reads the note in full, finds it through every link.
    client.force_login(w.users["red_recipient"])
    for params in ({"region": "98"}, {"meeting": meeting.pk}, {"incident": 4242}):
        assert note.pk in _ids(client, "/api/v1/coordination/notes/", **params), params


def test_summary_only_action_item_is_not_found_by_its_meeting(w, client):
    meeting = w.meeting("CLEAR", title="Rakor terbuka")
    item = services.action_item_create(
        actor=w.users["author"], meeting=meeting, title="Pengamanan gudang logistik", owner_unit=w.units["polres_a"],
        due_date=due(meeting.starts_at.date(), 3), marking="AMBER+STRICT", summary="Tugas pengamanan",
        summary_marking="GREEN")
    client.force_login(w.users["other_agency"])
    assert item.pk in _ids(client, "/api/v1/coordination/action-items/")
    assert item.pk not in _ids(client, "/api/v1/coordination/action-items/", meeting=meeting.pk)
    client.force_login(w.users["author"])
    assert item.pk in _ids(client, "/api/v1/coordination/action-items/", meeting=meeting.pk)


def test_reading_a_restricted_meeting_ics_is_audited(w, client):
    meeting = w.meeting("AMBER", title="Rakor terbatas")
    reader = w.users["shared_unit"]
    client.force_login(reader)
    assert client.get(f"/koordinasi/rapat/{meeting.pk}/undangan.ics").status_code == 200
    ev = AuditEvent.objects.filter(action="meeting.read", object_id=str(meeting.pk), actor=reader).get()
    assert ev.data["via"] == "ics" and ev.data["marking"] == "AMBER"
    assert client.get("/koordinasi/kalender.ics").status_code == 200
    feed = AuditEvent.objects.filter(action="meeting.feed_read", actor=reader).get()
    assert meeting.pk in feed.data["meetings"]
    # A TLP:CLEAR meeting is not a restricted read (like its page).
    open_meeting = w.meeting("CLEAR", title="Rakor umum")
    client.get(f"/koordinasi/rapat/{open_meeting.pk}/undangan.ics")
    assert not AuditEvent.objects.filter(action="meeting.read", object_id=str(open_meeting.pk)).exists()
