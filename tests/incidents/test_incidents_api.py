"""Incident channels end to end over HTTP: API (single, batch, list, map, workflow), SMS webhook, forms,
pages, exports and CAP 1.2 alerts."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.cache import cache
from django.test import Client

from sinergi.accounts.choices import Role
from sinergi.api.services import token_issue
from sinergi.core.models import AuditEvent
from sinergi.incidents.models import Incident, Report
from tests.incidents.factories import build_world

API = "/api/v1/"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def officer(world, make_user):
    return make_user(unit=world.polres, role=Role.OPERATOR)


def token_client(user) -> Client:
    tok = token_issue(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {tok.key}")


def post_json(client, url, data, **kw):
    return client.post(url, json.dumps(data), content_type="application/json", **kw)


def test_api_single_report_is_idempotent(officer):
    c = token_client(officer)
    body = {"key": "dev1-0001", "text": "Massa bentrok lempar batu", "tps_code": "99.71.01.1001-001",
            "severity": 3}
    r1 = post_json(c, API + "incident-reports/", body)
    r2 = post_json(c, API + "incident-reports/", body)
    assert r1.status_code == 201 and r1.json()["status"] == "accepted"
    assert r2.status_code == 200 and r2.json()["status"] == "duplicate" and r2.json()["id"] == r1.json()["id"]
    inc = c.get(API + f"incidents/{r1.json()['incident']}/").json()
    assert inc["severity"] == 3 and inc["category"] == "violence_clash" and inc["tps"] == "99.71.01.1001-001"
    assert [e["kind"] for e in inc["timeline"]] == ["reported"]
    assert "reporter_name" not in json.dumps(inc) and "reporter_contact" not in json.dumps(inc)


@pytest.mark.parametrize("payload, ctype", [
    (json.dumps({"key": "x", "text": "a" * 5001}), "application/json"),
    (json.dumps({"key": "x", "text": "ribut", "lat": 123.0, "lng": 10.0}), "application/json"),
    (json.dumps({"key": "x", "text": "ribut", "lat": -14.0}), "application/json"),
    (json.dumps({"key": "x", "text": "ribut", "tps_code": "99.71.01.1001-099"}), "application/json"),
    (json.dumps({"key": "x", "text": "ribut", "tps_code": "bukan kode"}), "application/json"),
    (json.dumps({"text": "tanpa kunci"}), "application/json"),
    ('{"key": "x", "text": ', "application/json"),
    (b'{"key": "x", "text": "\xff\xfe ribut"}', "application/json"),
    (json.dumps({"key": "x", "text": "ribut", "category": "tidak_ada"}), "application/json"),
])
def test_api_bad_input_gets_4xx_and_stores_nothing(officer, payload, ctype):
    r = token_client(officer).post(API + "incident-reports/", payload, content_type=ctype)
    assert 400 <= r.status_code < 500, r.content
    assert not Report.objects.exists()


def test_api_observer_cannot_report_and_anonymous_refused(world, make_user):
    obs = make_user(unit=world.polres, role=Role.OBSERVER)
    assert post_json(token_client(obs), API + "incident-reports/", {"key": "k", "text": "t"}).status_code == 403
    assert post_json(Client(), API + "incident-reports/", {"key": "k", "text": "t"}).status_code in (401, 403)
    assert not Report.objects.exists()


def test_api_batch_answers_each_item(officer):
    c = token_client(officer)
    post_json(c, API + "incident-reports/", {"key": "old", "text": "ribut"})
    items = [{"key": "n1", "text": "banjir merendam TPS", "place": "Alak"},
             {"key": "n1", "text": "banjir merendam TPS"},
             {"key": "old", "text": "ribut"},
             {"key": "n2", "text": "ribut", "lat": 200, "lng": 1},
             {"key": "n3", "text": "amplop dibagikan", "tps_code": "99.71.01.1002-001"}]
    r = post_json(c, API + "incident-reports/batch/", {"reports": items})
    assert r.status_code == 200
    body = r.json()
    assert [x["status"] for x in body["results"]] == ["accepted", "duplicate", "duplicate", "rejected", "accepted"]
    assert body["accepted"] == 2 and body["rejected"] == 1 and "lat" in body["results"][3]["errors"]
    assert Report.objects.count() == 3
    assert post_json(c, API + "incident-reports/batch/", {"reports": []}).status_code == 400
    assert post_json(c, API + "incident-reports/batch/", {"reports": "x"}).status_code == 400


def test_api_list_map_filters_and_workflow(world, officer, make_user, django_assert_max_num_queries):
    c = token_client(officer)
    for i in range(5):
        post_json(c, API + "incident-reports/", {"key": f"l{i}", "text": "Banjir merendam TPS",
                                                  "occurred_at": f"2024-11-2{i}T08:00:00+08:00",
                                                  "lat": -14.1 - i * 0.1, "lng": 123.5})
    post_json(c, API + "incident-reports/", {"key": "l9", "text": "massa bentrok", "lat": -14.18, "lng": 123.56})
    with django_assert_max_num_queries(8):
        r = c.get(API + "incidents/", {"category": "natural_hazard", "page_size": 2})
    assert r.status_code == 200 and len(r.json()["results"]) == 2 and r.json()["next"]
    assert all(x["category"] == "natural_hazard" for x in r.json()["results"])
    # natural hazards go to BPBD and are shared with Polri: the Polres operator sees them
    m = c.get(API + "incidents/map/", {"bbox": "123,-14.35,124,-14"}).json()
    assert m["fields"][0] == "id" and len(m["points"]) == 4  # 3 floods + the clash inside the box
    assert c.get(API + "incidents/map/", {"bbox": "x"}).status_code == 400
    inc = Incident.objects.get(category__code="violence_clash")
    r = post_json(c, API + f"incidents/{inc.pk}/transition/", {"to": "verified"})
    assert r.status_code == 200 and r.json()["status"] == "verified"
    assert post_json(c, API + f"incidents/{inc.pk}/transition/", {"to": "closed"}).status_code in (400, 403)
    r = post_json(c, API + f"incidents/{inc.pk}/transition/", {"to": "assigned", "unit": "T-POLRES-99.71"})
    assert r.status_code == 200 and r.json()["assigned_unit"] == "T-POLRES-99.71"
    assert post_json(c, API + f"incidents/{inc.pk}/acknowledge/", {}).json()["acknowledged_at"]
    kpu = make_user(unit=world.kpu_kota, role=Role.OPERATOR)
    assert token_client(kpu).get(API + f"incidents/{inc.pk}/").status_code == 404


def test_api_reporter_endpoint_is_role_limited_and_audited(world, officer, make_user):
    c = token_client(officer)
    rid = post_json(c, API + "incident-reports/", {"key": "r1", "text": "ribut", "reporter_name": "Yosef",
                                                    "tps_code": "99.71.01.1001-001"}).json()["id"]
    assert c.get(API + f"incident-reports/{rid}/reporter/").status_code == 403
    boss = make_user(unit=world.polres, role=Role.COMMANDER)
    r = token_client(boss).get(API + f"incident-reports/{rid}/reporter/")
    assert r.status_code == 200 and r.json()["name"] == "Yosef"
    assert AuditEvent.objects.filter(action="incident.reporter_viewed", actor=boss).count() == 1


def test_sms_webhook_requires_secret_and_stores_every_message(world, settings):
    url = "/insiden/sms/webhook/"
    msg = {"id": "gw-77", "from": "+6281234", "text": "lapor 99.71.01.1001-001 demo massa di kantor kpu"}
    settings.SINERGI_SMS_WEBHOOK_SECRET = ""
    assert post_json(Client(), url, msg).status_code == 503
    settings.SINERGI_SMS_WEBHOOK_SECRET = "rahasia-gateway"
    assert post_json(Client(), url, msg, HTTP_X_SINERGI_SMS_SECRET="salah").status_code == 403
    assert not Report.objects.exists()
    r = post_json(Client(), url, msg, HTTP_X_SINERGI_SMS_SECRET="rahasia-gateway")
    assert r.status_code == 200 and "diterima" in r.json()["reply"]
    assert Report.objects.get(pk=r.json()["report"]).incident.category.code == "protest"
    r = Client().post(url, {"id": "gw-78", "from": "+62", "text": "apa ini"}, HTTP_X_SINERGI_SMS_SECRET="rahasia-gateway")
    assert r.status_code == 200 and "Format: LAPOR" in r.json()["reply"]
    assert Report.objects.filter(channel="sms").count() == 2
    bad = Client().post(url, b"\xff\xfe", content_type="application/json", HTTP_X_SINERGI_SMS_SECRET="rahasia-gateway")
    assert bad.status_code == 400
    assert post_json(Client(), url, {"text": "x"}, HTTP_X_SINERGI_SMS_SECRET="rahasia-gateway").status_code == 400
    assert Report.objects.count() == 2


def test_staff_form_is_light_and_creates_incident(officer, password):
    c = Client()
    c.force_login(officer)
    page = c.get("/insiden/lapor/")
    assert page.status_code == 200 and len(page.content) < 150_000
    key = page.context["form"].initial["key"]
    r = c.post("/insiden/lapor/", {"key": key, "text": "Massa bentrok lempar batu", "tps_code": "99.71.01.1001-001"})
    assert r.status_code == 302
    c.post("/insiden/lapor/", {"key": key, "text": "Massa bentrok lempar batu", "tps_code": "99.71.01.1001-001"})
    assert Report.objects.filter(channel="staff").count() == 1  # double submit stored once
    detail = c.get(r["Location"])
    assert b"Massa bentrok" in detail.content and b"timeline" in detail.content
    bad = c.post("/insiden/lapor/", {"key": "k2", "text": "x", "lat": "95", "lng": "1"})
    assert bad.status_code == 400 and Report.objects.count() == 1


def test_public_form_anonymous_and_rate_limited(world):
    cache.clear()
    c = Client()
    assert c.get("/insiden/lapor-publik/").status_code == 200
    r = c.post("/insiden/lapor-publik/", {"key": "p1", "text": "Ada pembagian amplop di TPS", "place": "Alak",
                                          "reporter_name": "Ana", "reporter_contact": "0812", "anonymous": "on"})
    assert r.status_code == 200 and b"report-thanks" in r.content
    rep = Report.objects.get()
    assert rep.anonymous and rep.reporter_name == "" and rep.reporter_contact == "" and rep.channel == "public"
    for i in range(2, 11):
        c.post("/insiden/lapor-publik/", {"key": f"p{i}", "text": "ribut di pasar"})
    r = c.post("/insiden/lapor-publik/", {"key": "p99", "text": "ribut di pasar"})
    assert r.status_code == 429 and Report.objects.count() == 10
    assert c.post("/insiden/lapor-publik/", {"key": "bot", "text": "x", "website": "spam"}).status_code in (400, 429)
    cache.clear()


def test_pages_list_detail_actions_situation(world, officer, make_user):
    c = Client()
    c.force_login(officer)
    post_json(token_client(officer), API + "incident-reports/", {"key": "v1", "text": "massa bentrok",
                                                                   "tps_code": "99.71.01.1001-001"})
    inc = Incident.objects.get()
    assert b"massa bentrok" in c.get("/insiden/").content
    r = c.post(f"/insiden/{inc.pk}/aksi/", {"action": "transition", "to": "verified"})
    assert r.status_code == 302
    inc.refresh_from_db()
    assert inc.status == "verified"
    c.post(f"/insiden/{inc.pk}/aksi/", {"action": "note", "note": "tim meluncur"})
    assert b"tim meluncur" in c.get(f"/insiden/{inc.pk}/").content
    room = c.get("/insiden/situasi/")
    assert room.status_code == 200 and b"situation-map" in room.content
    feed = c.get("/insiden/situasi/feed/", {"category": "violence_clash"})
    assert b"massa bentrok" in feed.content and b'data-testid="count-total">1<' in feed.content
    kpu = make_user(unit=world.kpu_kota, role=Role.OPERATOR)
    c.force_login(kpu)
    assert c.get(f"/insiden/{inc.pk}/").status_code == 404
    assert b"massa bentrok" not in c.get("/insiden/situasi/feed/").content


def test_exports_csv_geojson_acled_and_cap(world, make_user):
    lxml = pytest.importorskip("lxml", reason="lxml validates CAP against the XSD (add to the dependencies)")
    assert lxml
    from sinergi.incidents import exports

    analyst = make_user(unit=world.polda, role=Role.ANALYST)
    c = Client()
    c.force_login(analyst)
    post_json(token_client(analyst), API + "incident-reports/", {"key": "e1", "text": "Massa bentrok & lempar <batu>",
                                                                   "tps_code": "99.71.01.1001-001", "severity": 4})
    post_json(token_client(analyst), API + "incident-reports/", {"key": "e2", "text": "DPT bermasalah",
                                                                   "place": "tempat entah", "severity": 1})
    csv_body = b"".join(c.get("/insiden/ekspor/csv/").streaming_content).decode()
    assert csv_body.splitlines()[0].startswith("id,title,category") and len(csv_body.splitlines()) == 3
    geo = json.loads(b"".join(c.get("/insiden/ekspor/geojson/").streaming_content))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 1
    acled = b"".join(c.get("/insiden/ekspor/acled/").streaming_content).decode().splitlines()
    assert acled[0].startswith("event_id_cnty,event_date") and "Riots,Mob violence" in "".join(acled)
    inc = Incident.objects.get(severity=4)
    xml = c.get(f"/insiden/{inc.pk}/cap.xml").content.decode()
    assert exports.cap_validate(xml) == []
    feed = c.get("/insiden/ekspor/cap/").content
    assert feed.count(b"<alert ") == 1
    low = Incident.objects.get(severity=1)
    assert c.get(f"/insiden/{low.pk}/cap.xml").status_code == 404
    broken = xml.replace("<urgency>Immediate</urgency>", "<urgency>Soon</urgency>")
    assert exports.cap_validate(broken)
    assert AuditEvent.objects.filter(action="incident.exported").count() == 4


def test_vendored_cap_schema_is_the_recorded_file():
    from sinergi.incidents.exports import CAP_XSD

    digest = hashlib.sha256(CAP_XSD.read_bytes()).hexdigest()
    assert digest == "b7798ef25868b068c97b268bda02d067c7d4ba9373adc5638bf37105804ee723"
    assert "urn:oasis:names:tc:emergency:cap:1.2" in CAP_XSD.read_text()


def test_status_control_preselects_nothing_and_lists_rejection_last(world, officer):
    import re

    c = Client()
    c.force_login(officer)
    post_json(token_client(officer), API + "incident-reports/", {"key": "d1", "text": "massa bentrok",
                                                                   "tps_code": "99.71.01.1001-001"})
    inc = Incident.objects.get()
    html = c.get(f"/insiden/{inc.pk}/").content.decode()
    select = re.search(r'<select name="to"[^>]*>(.*?)</select>', html, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"( selected)?', select)
    assert options[0] == ("", " selected")  # a prompt, not a status
    assert [v for v, _ in options[1:]] == ["verified", "rejected"]
    assert "4 - kritis" in html  # severities by name, not bare numbers
