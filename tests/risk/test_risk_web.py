"""Risk pages, exports and API as a user sees them (small dataset; the NTT calibration is in test_risk.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from sinergi.accounts.choices import Role
from sinergi.risk import services
from tests.risk.test_risk import DAY, ind, observe_all, world  # noqa: F401 - fixture


@pytest.fixture
def scored(world, make_user):  # noqa: F811
    analyst = make_user(unit=world["bawaslu"], role=Role.ANALYST)
    observe_all(analyst, world["tps"][0], yes={"riwayat_kekerasan", "intimidasi_penyelenggara"})
    observe_all(analyst, world["tps"][1], yes={"lokasi_sulit_dijangkau", "lokasi_rawan_bencana"})
    services.risk_recompute(actor=analyst)
    return world, analyst


def test_pages_show_tiers_card_ranking_and_exports(scored, client):
    w, analyst = scored
    client.force_login(analyst)
    ours = {t.pk for t in w["tps"]}
    codes = {t.code for t in w["tps"]}
    page = client.get(reverse("risk:map")).content.decode()
    tiers = services.published_model(w["election"]).summary["tiers"]
    assert f'data-tier="sangat_rawan">{tiers["sangat_rawan"]}<' in page
    points = json.loads(client.get(reverse("risk:tps_json")).content)
    assert sorted(p[3] for p in points if p[0] in ours) == [-1, -1, -1, 1, 2]
    card = client.get(reverse("risk:tps_card", args=[w["tps"][0].pk])).content.decode()
    assert "Sangat rawan karena: ada riwayat kekerasan; ada riwayat intimidasi terhadap penyelenggara." in card
    ranking = client.get(reverse("risk:ranking")).content.decode()
    assert "Kabupaten Uji" in ranking
    assert "sangat rawan" in ranking and "sangat_rawan" not in ranking  # words, not codes
    assert "riwayat_kekerasan" not in ranking and "Riwayat kekerasan" in ranking
    regions = json.loads(client.get(reverse("risk:regions_json") + "?parent=53.98").content)
    assert regions["type"] == "FeatureCollection"
    body = client.get(reverse("risk:export", args=["tps", "csv"])).content.decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(body)) if r["kode_tps"] in codes]
    assert len(rows) == 5 and {r["tingkat"] for r in rows} == {"sangat rawan", "rawan", "belum dinilai"}
    assert not any("riwayat_kekerasan" in r["alasan"] for r in rows)
    assert any("Riwayat kekerasan" in r["alasan"] for r in rows)
    geo = json.loads(client.get(reverse("risk:export", args=["tps", "geojson"])).content)
    assert len([f for f in geo["features"] if f["properties"]["kode_tps"] in codes]) == 5
    xlsx = client.get(reverse("risk:export", args=["tps", "xlsx"]))
    assert xlsx.content[:2] == b"PK"


def test_model_editor_preview_and_publish(scored, client, django_capture_on_commit_callbacks):
    w, analyst = scored
    client.force_login(analyst)
    resp = client.post(reverse("risk:models"))
    draft_url = resp["Location"]
    form = {"name": "Uji v2", "notes": "", "missing_rule": "renormalise", "min_coverage": "0.5",
            "tps_cut_rawan": "5", "tps_cut_sangat_rawan": "7", "region_cut_sedang": "21.7",
            "region_cut_tinggi": "68.5", "incident_radius_km": "5", "incident_window_days": "90",
            "incident_half_life_days": "30", "incident_cap": "3", "incident_weight": "0.3", "action": "preview"}
    page = client.post(draft_url, form).content.decode()
    assert 'data-testid="preview"' in page and 'data-tier="sangat_rawan">2<' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(draft_url, {"action": "publish"})
    assert services.published_model(w["election"]).name == "Uji v2"


def test_observer_cannot_edit_or_observe(scored, client, make_user):
    w, _analyst = scored
    observer = make_user(unit=w["polres"], role=Role.OBSERVER)
    client.force_login(observer)
    assert client.get(reverse("risk:map")).status_code == 200
    assert client.post(reverse("risk:models")).status_code == 403
    assert client.post(reverse("risk:recompute")).status_code == 403
    api = APIClient()
    api.force_authenticate(observer)
    r = api.post("/api/v1/risk-observations/", {"indicator": "riwayat_psu", "polling_station": w["tps"][0].pk,
                                                "value": "ya", "observed_on": DAY.isoformat()}, format="json")
    assert r.status_code == 403


def test_api_reads_and_writes(scored, make_user):
    w, analyst = scored
    api = APIClient()
    api.force_authenticate(analyst)
    r = api.get("/api/v1/risk-assessments/?tier=sangat_rawan")
    assert r.status_code == 200 and r.json()["results"][0]["tps_code"] == w["tps"][0].code
    regencies = api.get("/api/v1/risk-region-assessments/?level=regency&parent=53").json()["results"]
    assert "53.98" in {r["region"] for r in regencies}
    assert len(api.get("/api/v1/risk-indicators/?scope=tps").json()["results"]) == 25
    r = api.post("/api/v1/risk-observations/", {"indicator": "riwayat_psu", "polling_station": w["tps"][2].pk,
                                                "value": "ya", "observed_on": DAY.isoformat()}, format="json")
    assert r.status_code == 201, r.content
    draft = api.post("/api/v1/risk-models/").json()
    r = api.patch(f"/api/v1/risk-models/{draft['id']}/", {"tps_cut_rawan": 3, "weights": {"riwayat_psu": 30}},
                  format="json")
    assert r.status_code == 200 and r.json()["tps_cut_rawan"] == 3
    assert api.post(f"/api/v1/risk-models/{draft['id']}/preview/").json()["tiers"]["sangat_rawan"] >= 1
    assert api.post(f"/api/v1/risk-models/{draft['id']}/publish/").json()["status"] == "published"
    r = api.patch(f"/api/v1/risk-models/{draft['id']}/", {"tps_cut_rawan": 4}, format="json")
    assert r.status_code == 400
    up = io.BytesIO(f"kode_tps,indikator,nilai,tanggal\n{w['tps'][2].code},riwayat_psu,ya,2024-11-10\n".encode())
    up.name = "obs.csv"
    r = api.post("/api/v1/risk-observations/upload/", {"file": up}, format="multipart")
    assert r.status_code == 202
