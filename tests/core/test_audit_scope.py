"""Need-to-know for the audit log: events are read like the records they describe, and restricted free text
(TLP:AMBER/RED titles, decision text) is neither written into new events nor shown from old ones."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from sinergi.coordination import services
from sinergi.core.models import AuditEvent
from sinergi.core.services import audit_log
from tests.coordination.test_coordination_world import build_world
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Informan di Desa Oesao"
SECRET_DECISION = "Penangkapan koordinator massa pukul 04.00"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _events(user, **params) -> list[dict]:
    body = _api(user).get("/api/v1/audit-events/", {"page_size": 500, **params}).json()
    return body["results"]


@pytest.fixture
def w():
    return build_world()


def test_commander_above_the_author_does_not_see_events_of_a_red_note(w):
    note = w.note("RED", title=SECRET_TITLE, body="isi")
    polda_commander = UserFactory(unit=w.units["polda"], role="commander")
    # The author's unit (Polres A) lies in the Polda commander's unit subtree, but RED is for named readers only.
    rows = _events(polda_commander)
    assert all(not (r["object_type"] == "coordination.sharednote" and r["object_id"] == str(note.pk)) for r in rows)
    assert SECRET_TITLE not in json.dumps(rows)
    # Filtering by the record's id answers nothing rather than telling the record exists.
    assert _events(polda_commander, object_type="coordination.sharednote", object_id=str(note.pk)) == []
    # The author's own commander chain still sees events that describe no restricted record.
    audit_log(actor=w.users["author"], action="test.unscoped", object_type="x", object_id="1")
    assert [r["action"] for r in _events(polda_commander, action="test.unscoped")] == ["test.unscoped"]


def test_amber_meeting_decision_text_is_not_written_and_old_text_is_redacted(w):
    meeting = w.meeting("AMBER", title=SECRET_TITLE)
    services.decision_add(actor=w.users["author"], meeting=meeting, text=SECRET_DECISION)
    stored = AuditEvent.objects.filter(object_type="coordination.meeting", object_id=str(meeting.pk))
    assert stored.count() >= 2
    assert SECRET_TITLE not in json.dumps([e.data for e in stored])
    assert SECRET_DECISION not in json.dumps([e.data for e in stored])
    # An event written before the fix still holds the text: the API redacts it even for readers of the record.
    audit_log(actor=w.users["author"], action="meeting.decision_add", obj=meeting, data={"text": SECRET_DECISION})
    author_commander = w.users["author"]  # a commander of Polres A, reads the AMBER meeting
    rows = _events(author_commander, object_type="coordination.meeting", object_id=str(meeting.pk))
    assert {r["action"] for r in rows} >= {"meeting.create", "meeting.decision_add"}
    old = next(r for r in rows if r["data"].get("text"))
    assert old["data"]["text"] == "[disamarkan]" and old["data"]["redacted"] is True
    assert SECRET_DECISION not in json.dumps(rows)
    # Admins see every event, redacted the same way.
    admin = UserFactory(unit=None, role="admin")
    assert SECRET_DECISION not in json.dumps(_events(admin, object_type="coordination.meeting"))
    detail = _api(admin).get(f"/api/v1/audit-events/{old['seq']}/").json()
    assert detail["data"]["text"] == "[disamarkan]"


def test_clear_records_keep_their_titles_in_the_audit_log(w):
    meeting = w.meeting("CLEAR", title="Rakor terbuka")
    ev = AuditEvent.objects.get(action="meeting.create", object_id=str(meeting.pk))
    assert ev.data["title"] == "Rakor terbuka"
    rows = _events(w.users["author"], object_type="coordination.meeting", object_id=str(meeting.pk))
    assert rows[-1]["data"]["title"] == "Rakor terbuka"


def test_other_agency_commander_sees_no_events_of_amber_records_shared_elsewhere(w):
    note = w.note("AMBER", title=SECRET_TITLE)
    kpu_prov_commander = UserFactory(unit=w.units["kpu_prov"], role="commander")
    # Shared with KPU Kab Y (in the KPU Provinsi commander's unit subtree) — AMBER reaches the shared unit, not
    # its parents: no event of the note.
    rows = _events(kpu_prov_commander, object_id=str(note.pk))
    assert [r for r in rows if r["object_type"] == "coordination.sharednote"] == []
    shared_commander = UserFactory(unit=w.units["kpu_shared"], role="commander")
    rows = _events(shared_commander, object_type="coordination.sharednote", object_id=str(note.pk))
    assert [r["action"] for r in rows] == ["note.create"]
