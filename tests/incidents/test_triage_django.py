"""Every channel goes through triage (API single and batch, lean intake, SMS webhook, staff form); bad input is
stored with an honest low-confidence result; staff confirm/correct; out-of-area queue; ACLED columns; CLI."""

from __future__ import annotations

import io
import json

from django.core.management import call_command
from django.test import Client

from sinergi.accounts.choices import Role
from sinergi.core.models import AuditEvent
from sinergi.incidents import services
from sinergi.incidents.models import Incident, Report, TriageCorrection
from tests.factories import api_token
from tests.incidents.test_incidents_api import officer, world  # noqa: F401  (fixtures)

API = "/api/v1/"


def _client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {api_token(user)}")


def _post(c, url, data):
    return c.post(url, json.dumps(data), content_type="application/json")


def test_api_single_and_batch_reports_are_triaged(officer, django_capture_on_commit_callbacks):  # noqa: F811
    c = _client(officer)
    r = _post(c, API + "incident-reports/", {"key": "t1", "text": "Dua orang tewas dibacok parang saat bentrok "
                                                                   "pendukung paslon di TTS"})
    assert r.status_code in (200, 201)
    rep = Report.objects.get(idempotency_key="t1")
    assert rep.triage["severity"] == 4 and rep.triage["place"]["code"] == "53.02"
    assert rep.incident.severity == 4 and rep.incident.fatalities == 2
    with django_capture_on_commit_callbacks(execute=True):  # batch processing runs after the commit
        b = _post(c, API + "incident-reports/batch/", {"reports": [
            {"key": "t2", "text": "Timses bagi amplop di Kab. Bekasi"},
            {"key": "t3", "text": "motor dicuri maling di pasar"}]})
    assert b.status_code == 200
    out = Report.objects.get(idempotency_key="t2")
    assert out.triage["out_of_area"] and out.out_of_area and out.region_id is None
    assert out.incident.out_of_area and out.incident.region_id is None
    assert "GAKKUMDU" in out.triage["route"]
    crime = Report.objects.get(idempotency_key="t3")
    assert crime.triage["category"] == "crime_general" and crime.triage["election_related"] is False


def test_bad_input_is_stored_low_confidence_never_5xx(officer):  # noqa: F811
    c = _client(officer)
    for i, text in enumerate(["🙏🔥🔥", "1234 5678", "The quick brown fox jumps", "这是测试", "a" * 4999]):
        r = _post(c, API + "incident-reports/", {"key": f"bad{i}", "text": text})
        assert r.status_code in (200, 201), text
        rep = Report.objects.get(idempotency_key=f"bad{i}")
        assert rep.triage["category_confidence"] < 0.5 and rep.incident_id
    # a desa name found in many provinces: no place guessed, low confidence, stored and processed
    assert _post(c, API + "incident-reports/", {"key": "twice", "text": "ada ribut di desa Sukamaju"}).status_code == 201
    rep = Report.objects.get(idempotency_key="twice")
    assert rep.triage["place"]["code"] is None and rep.triage["place"]["confidence"] < 0.4 and rep.region_id is None
    assert _post(c, API + "incident-reports/", {"key": "huge", "text": "x" * 100_000}).status_code == 400
    assert _post(c, API + "incident-reports/", {"key": "empty", "text": ""}).status_code == 400


def test_sms_webhook_variants_dedup_like_api(world, settings):  # noqa: F811
    settings.SINERGI_SMS_WEBHOOK_SECRET = "s"
    url = "/insiden/sms/webhook/"
    for mid, text in (("m1", "selamat pagi pak, di kampung kami massa pendukung paslon bentrok lempar batu 3 org luka"),
                      ("m2", "bentrok massa pendukung paslon saling lempar batu tiga orang luka2")):
        r = Client().post(url, json.dumps({"id": mid, "from": "+62", "text": text}), content_type="application/json",
                          HTTP_X_SINERGI_SMS_SECRET="s")
        assert r.status_code == 200
    a, b = Report.objects.get(idempotency_key="sms:m1"), Report.objects.get(idempotency_key="sms:m2")
    assert a.triage["category"] == "violence_clash" and a.triage["severity"] >= 3
    assert a.incident_id == b.incident_id and Incident.objects.get(pk=a.incident_id).report_count == 2


def test_staff_form_goes_through_triage(officer):  # noqa: F811
    c = Client()
    c.force_login(officer)
    c.post("/insiden/lapor/", {"key": "f1", "text": "Posko pemenangan paslon dibakar OTK di Mabar"})
    rep = Report.objects.get(idempotency_key="staff:f1")
    assert rep.triage["severity"] >= 3 and rep.triage["place"]["code"] == "53.15"


def test_staff_confirm_or_correct_is_stored_audited_and_shown(world, make_user):  # noqa: F811
    boss = make_user(unit=world.polda, role=Role.COMMANDER)
    rep, _ = services.report_submit(actor=boss, data=services.ReportInput(
        key="c1", text="Ketua KPPS diancam OTK", channel="api"))
    inc = Report.objects.get(pk=rep.pk).incident
    c = Client()
    c.force_login(boss)
    page = c.get(f"/insiden/{inc.pk}/").content.decode()
    assert "Saran triase" in page and "Intimidasi/ancaman" in page and "Polri" in page
    r = c.post(f"/insiden/{inc.pk}/aksi/", {"action": "triage", "category": "violence_clash", "severity": "3",
                                            "out_of_area": "1", "fatalities": "0"})
    assert r.status_code == 302
    inc.refresh_from_db()
    assert inc.category.code == "violence_clash" and inc.severity == 3 and inc.out_of_area and inc.region_id is None
    fields = set(TriageCorrection.objects.filter(incident=inc).values_list("field", flat=True))
    assert {"category", "severity", "out_of_area", "fatalities"} <= fields
    assert AuditEvent.objects.filter(action="incident.triage_corrected").exists()
    listed = c.get("/insiden/", {"luar_wilayah": "1"}).content.decode()
    assert f"/insiden/{inc.pk}/" in listed
    api = _client(boss).get(f"{API}incidents/{inc.pk}/").json()
    assert api["out_of_area"] is True and api["triage"]["category"] == "intimidation"


def test_acled_export_has_actor_columns_and_fatalities(world, make_user):  # noqa: F811
    boss = make_user(unit=world.polda, role=Role.COMMANDER)
    services.report_submit(actor=boss, data=services.ReportInput(
        key="a1", text="Dua orang tewas dalam bentrokan pendukung paslon, massa bawa parang", channel="api"))
    c = Client()
    c.force_login(boss)
    rows = b"".join(c.get("/insiden/ekspor/acled/").streaming_content).decode().splitlines()
    header = rows[0].split(",")
    for col in ("actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction"):
        assert col in header
    import csv

    row = dict(zip(header, next(csv.reader([rows[1]])), strict=True))
    assert row["actor1"] == "Rioters (Indonesia)" and row["interaction"] == "55" and row["fatalities"] == "2"
    assert row["assoc_actor_1"].startswith("Supporters")


def test_cli_triage_prints_one_json_line_per_input(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(json.dumps(x) for x in [
        {"id": "a", "text": "Massa bentrok di Desa Oesao Kec. Kupang Timur, 2 orang tewas", "date": "2024-11-27T10:00"},
        {"id": "b", "text": "bentrok massa desa oesao kupang timur dua orang tewas", "date": "2024-11-27T11:00"},
        {"id": "c", "text": "", "date": None}]), encoding="utf-8")
    out = io.StringIO()
    call_command("triage", "--jsonl", str(f), stdout=out)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(lines) == 3
    keys = {"id", "category", "top3", "election_related", "severity", "severity_reasons", "place", "out_of_area",
            "route", "duplicate_of"}
    assert all(set(x) == keys for x in lines)
    assert lines[0]["place"] == {"code": "53.01.06.2015", "level": "village", "name": "Oesao"}
    assert lines[0]["severity"] == 4 and lines[1]["duplicate_of"] == "a" and lines[2]["place"] is None


def test_retrain_from_staff_corrections_writes_a_versioned_model(world, make_user, settings, tmp_path):  # noqa: F811
    from sinergi.incidents import triage
    from sinergi.incidents.models import Category

    settings.DATA_DIR = tmp_path
    boss = make_user(unit=world.polda, role=Role.COMMANDER)
    rep, _ = services.report_submit(actor=boss, data=services.ReportInput(
        key="r1", text="Petugas PPS ternyata anggota partai politik", channel="api"))
    inc = Report.objects.get(pk=rep.pk).incident
    services.incident_triage_correct(actor=boss, incident=inc, category=Category.objects.get(code="ethics"))
    assert ("Petugas PPS ternyata anggota partai politik", "ethics") in triage.training_examples()
    out = io.StringIO()
    call_command("incidents_retrain", stdout=out)
    models = list((tmp_path / "triage").glob("model-*.json"))
    reports = list((tmp_path / "triage").glob("report-*.json"))
    assert len(models) == 1 and len(reports) == 1 and "held-out category top-1" in out.getvalue()
    evaluation = json.loads(reports[0].read_text())
    assert evaluation["n"] == len([r for r in triage.dev_set() if r["split"] == "test"])
    assert triage.model_path() == models[0]
    assert triage.triager().model.version == json.loads(models[0].read_text())["version"]
