"""The lean single-report API path (intake.py) keeps the full API's contract: same answers, same stored values,
same 401/403/400 naming the field, one row per idempotency key under parallel retries (with and without group
commit), an audit event listing every stored report, and 2xx only once the row is committed."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from sinergi.accounts.choices import Role
from sinergi.api.services import token_issue
from sinergi.core.models import AuditEvent
from sinergi.incidents.models import Report
from tests.concurrency import run_parallel
from tests.incidents.factories import build_world

URL = "/api/v1/incident-reports/"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def officer(world, make_user):
    return make_user(unit=world.polres, role=Role.OPERATOR)


def token_client(user) -> Client:
    tok = token_issue(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {tok.key}")


def post(client, data, ctype="application/json"):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(URL, body, content_type=ctype)


def report_audit_ids(after_seq: int = 0) -> list[int]:
    """Report ids named by the intake audit events (one event per committed group, or per report)."""
    ids: list[int] = []
    for e in AuditEvent.objects.filter(action__startswith="incident.report_", seq__gt=after_seq):
        if e.action == "incident.report_received":
            ids.append(int(e.object_id))
        else:
            ids.extend(e.data.get("report_ids", []))
    return ids


FULL = {"text": "  Massa bentrok lempar batu di depan TPS  ", "tps_code": "99.71.01.1001-001", "severity": 3,
        "category": "violence_clash", "occurred_at": "2024-11-27T08:15:00", "place": " Alak ",
        "reporter_name": "Yosef", "reporter_contact": "0812"}
STORED = ["text", "tps_code", "severity_hint", "category_hint", "occurred_at", "place_text", "reporter_name",
          "reporter_contact", "channel", "reporter_user_id", "lat", "lng"]


@pytest.mark.parametrize("extra", [{}, {"lat": -10.17, "lng": 123.6}])
def test_lean_path_stores_and_answers_like_the_full_view(officer, settings, extra):
    c = token_client(officer)
    settings.SINERGI_INCIDENT_LEAN_INTAKE = False
    full = post(c, {**FULL, **extra, "key": "full-1"})
    settings.SINERGI_INCIDENT_LEAN_INTAKE = True
    lean = post(c, {**FULL, **extra, "key": "lean-1"})
    assert full.status_code == lean.status_code == 201
    assert set(full.json()) == set(lean.json()) == {"id", "key", "status", "incident"}
    assert lean.json()["status"] == "accepted" and lean.json()["key"] == "lean-1" and lean.json()["incident"]
    a, b = Report.objects.get(idempotency_key="full-1"), Report.objects.get(idempotency_key="lean-1")
    assert [getattr(a, f) for f in STORED] == [getattr(b, f) for f in STORED]
    assert b.text == "Massa bentrok lempar batu di depan TPS" and b.place_text == "Alak"
    assert b.incident_id == lean.json()["incident"] and b.incident.category.code == "violence_clash"
    assert lean.json()["id"] in report_audit_ids() and full.json()["id"] in report_audit_ids()
    # The lean path answered (its audit event lists the stored ids), the full view wrote its own event.
    assert any(e.data.get("report_ids") == [b.pk] for e in AuditEvent.objects.filter(
        action="incident.report_batch_received"))
    assert AuditEvent.objects.filter(action="incident.report_received", object_id=str(a.pk)).exists()


def test_lean_retry_answers_duplicate_with_the_stored_report(officer):
    c = token_client(officer)
    r1 = post(c, {"key": "dev-7", "text": "Ada pembagian amplop berisi uang"})
    r2 = post(c, {"key": "dev-7", "text": "teks lain, kiriman ulang"})
    assert r1.status_code == 201 and r2.status_code == 200
    assert r2.json() == {**r1.json(), "status": "duplicate"}
    assert Report.objects.filter(idempotency_key="dev-7").count() == 1
    assert report_audit_ids().count(r1.json()["id"]) == 1


@pytest.mark.parametrize("payload, field", [
    ({"key": "x", "text": "   "}, "text"),
    ({"key": "x" * 101, "text": "ribut"}, "key"),
    ({"key": "x", "text": "ribut", "lat": 95.0, "lng": 10.0}, "lat"),
    ({"key": "x", "text": "ribut", "lng": 123.0}, "lat"),
    ({"key": "x", "text": "ribut", "severity": 9}, "severity"),
    ({"key": "x", "text": "ribut", "severity": True}, "severity"),
    ({"key": "x", "text": "ribut", "occurred_at": "kemarin sore"}, "occurred_at"),
    ({"key": "x", "text": "ribut", "occurred_at": "2099-01-01T00:00:00Z"}, "occurred_at"),
    ({"key": "x", "text": "ribut", "category": "tidak_ada"}, "category"),
    ({"key": "x", "text": "ribut", "tps_code": "99.71.01.1001-099"}, "tps_code"),
    ({"key": "x", "text": "ribut\u0000"}, "text"),
    ('{"key": "x", "text": "ribut", "lat": NaN, "lng": 1}', "detail"),
    ('[{"key": "x", "text": "ribut"}]', None),
    ('{"key": "x", "text": ', None),
    (b'{"key": "x", "text": "\xff\xfe ribut"}', None),
])
def test_lean_bad_input_gets_400_naming_the_field_and_stores_nothing(officer, payload, field):
    r = post(token_client(officer), payload)
    assert r.status_code == 400, r.content
    if field:
        assert field in r.json(), r.json()
    assert not Report.objects.exists()


def test_lean_refuses_bad_tokens_and_roles_without_the_permission(world, officer, make_user):
    body = {"key": "k", "text": "ribut di pasar"}
    assert post(Client(HTTP_AUTHORIZATION="Token bukan-token"), body).status_code == 401
    assert post(Client(HTTP_AUTHORIZATION="Token"), body).status_code == 401
    observer = make_user(unit=world.polres, role=Role.OBSERVER)
    r = post(token_client(observer), body)
    assert r.status_code == 403 and "detail" in r.json()
    c = token_client(officer)
    officer.is_active = False
    officer.save()
    assert post(c, body).status_code == 401
    assert not Report.objects.exists()


# ------------------------------------------------------------------ parallel retries (own connections)
# Threads with their own database connections see only committed rows, so these tests commit; they flush only
# the incident tables afterwards (the app registry is limited to the incident app: no users or tokens here —
# the HTTP tests above cover authentication; these cover the store under real concurrency).

TX = pytest.mark.django_db(transaction=True, available_apps=["sinergi.incidents"])


@pytest.fixture
def deferred(transactional_db, settings, monkeypatch):
    from sinergi.incidents import groupcommit
    from sinergi.incidents.defaults import load

    load()
    settings.SINERGI_INCIDENT_PROCESSING = "deferred"
    # Ask for processing after every group, before answering (no trailing request after the test ends).
    monkeypatch.setattr(groupcommit._writer, "enqueue_every", 0)
    # The audit log is not flushed between these tests: count only this test's events.
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@TX
@pytest.mark.parametrize("group_commit", [False, True])
def test_same_key_sent_ten_times_in_parallel_stores_one_report(deferred, group_commit):
    from sinergi.incidents import groupcommit
    from sinergi.incidents.choices import Channel
    from sinergi.incidents.services import GroupEntry, ReportInput, report_store_group

    key = f"retry-{group_commit}"

    def send(i):
        entry = GroupEntry(data=ReportInput(key=key, text=f"ribut (kiriman {i})", channel=Channel.API))
        return groupcommit.submit_entry(entry) if group_commit else report_store_group(entries=[entry])[0]

    results, errors = run_parallel(10, send)
    assert not errors, errors
    assert sorted(r.status for r in results) == ["accepted"] + ["duplicate"] * 9
    stored = Report.objects.get(idempotency_key=key)
    assert {r.report_id for r in results} == {stored.pk}
    assert report_audit_ids(deferred).count(stored.pk) == 1


@TX
def test_group_commit_answers_each_report_after_it_is_stored_and_audited(deferred):
    from sinergi.incidents import groupcommit
    from sinergi.incidents.choices import Channel
    from sinergi.incidents.services import GroupEntry, ReportInput

    def send(i):
        out = groupcommit.submit_entry(GroupEntry(data=ReportInput(key=f"gc-{i}", text="Banjir di TPS",
                                                                   channel=Channel.API)))
        # Visible on another connection as soon as the caller has its answer.
        return out, Report.objects.filter(pk=out.report_id).exists()

    results, errors = run_parallel(20, send)
    assert not errors, errors
    assert all(out.status == "accepted" and seen for out, seen in results)
    ids = sorted(out.report_id for out, _ in results)
    assert sorted(Report.objects.filter(idempotency_key__startswith="gc-").values_list("id", flat=True)) == ids
    audited = report_audit_ids(deferred)
    assert all(audited.count(i) == 1 for i in ids)
    grouped = AuditEvent.objects.filter(action="incident.report_batch_received", data__group_commit=True,
                                        seq__gt=deferred)
    assert sum(e.data["count"] for e in grouped) == 20  # how many groups depends on timing


def test_large_batch_is_stored_once_with_one_audit_event_listing_every_report(officer):
    """250 items (the bulk path: COPY on PostgreSQL): one already stored, one repeated, one invalid."""
    c = token_client(officer)
    assert post(c, {"key": "b-0", "text": "sudah terkirim"}).status_code == 201
    items = [{"key": f"b-{i}", "text": f"Surat suara kurang di TPS {i}", "lat": -10.17, "lng": 123.6}
             for i in range(250)]
    items += [{"key": "b-7", "text": "diulang dalam batch"}, {"key": "b-bad", "text": "ribut", "lat": 91, "lng": 1}]
    r = c.post(URL + "batch/", json.dumps({"reports": items}), content_type="application/json")
    body = r.json()
    assert r.status_code == 200 and (body["accepted"], body["duplicate"], body["rejected"]) == (249, 2, 1)
    by_key = {x["key"]: x for x in body["results"] if x["status"] == "accepted"}
    stored = dict(Report.objects.filter(idempotency_key__startswith="b-").values_list("idempotency_key", "id"))
    assert len(stored) == 250 and all(stored[k] == x["id"] for k, x in by_key.items())
    assert body["results"][250]["id"] == stored["b-7"] and body["results"][0]["id"] == stored["b-0"]
    assert "lat" in body["results"][251]["errors"]
    assert Report.objects.get(idempotency_key="b-12").text == "Surat suara kurang di TPS 12"
    ids = report_audit_ids()
    assert sorted(ids) == sorted(stored.values())


def test_answer_bytes_are_serialised_like_the_full_view(officer, settings):
    """Same JSON text as DRF's renderer (compact, UTF-8 rather than \\u escapes) on both paths."""
    c = token_client(officer)
    for lean, key in ((False, "perangkat-ñ-1"), (True, "perangkat-ñ-2")):
        settings.SINERGI_INCIDENT_LEAN_INTAKE = lean
        r = post(c, {"key": key, "text": "ribut di pasar"})
        stored = Report.objects.get(idempotency_key=key)
        expected = {"id": stored.pk, "key": key, "status": "accepted", "incident": stored.incident_id}
        assert r.content == json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode(), lean
