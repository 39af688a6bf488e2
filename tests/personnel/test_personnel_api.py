"""Personnel API: scoped roster with masked phones and audited reveal, idempotent status reports, dispatch
suggestions / assign / advance, the Renpam in force; hostile input answered 4xx naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from sinergi.accounts.choices import AgencyKind, Role
from sinergi.core.models import AuditEvent
from sinergi.elections.models import PollingStation
from sinergi.personnel import services
from sinergi.personnel.models import Officer
from tests import factories
from tests.operations.factories import TPS_A, build_ops_world
from tests.personnel.test_personnel import _csv, _good_rows, _plan_world


@pytest.fixture
def world(db):
    return build_ops_world()


def _api(user) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token(user)}")
    return c


def test_roster_status_dispatch_and_renpam_over_the_api(world, make_user):
    from sinergi.incidents.models import Category, Incident
    from sinergi.personnel import dispatch as dispatch_mod

    op = make_user(unit=world.polda, role=Role.OPERATOR)
    services.roster_import(actor=op, file_bytes=_csv(world, _good_rows(world)[:6]), filename="r.csv")
    api = _api(op)
    r = api.get("/api/v1/deployment/plans/renpam/")
    assert r.status_code == 200 and r.json()["approved"] is False
    assert r.json()["label"] == "Belum ada Renpam yang disahkan"
    assert api.get("/api/v1/deployment/plans/renpam/?phase=perang").status_code == 400
    _plan, _g, approval = _plan_world(world)
    r = api.get("/api/v1/deployment/plans/renpam/").json()
    assert r["approved"] and r["version"] == 1 and r["pdf_sha256"] == approval.pdf_sha256

    rows = api.get("/api/v1/personnel/officers/").json()["results"]
    assert len(rows) == 6 and all("phone" not in x for x in rows)
    yo = next(x for x in rows if x["identifier"] == "81010001")
    assert yo["phone_masked"] == "+62812*****001"
    b_api = _api(make_user(unit=world.polres_b, role=Role.OPERATOR))
    assert [x["identifier"] for x in b_api.get("/api/v1/personnel/officers/").json()["results"]] == ["82020001"]
    assert b_api.post(f"/api/v1/personnel/officers/{yo['id']}/reveal_phone/").status_code == 404
    assert api.post(f"/api/v1/personnel/officers/{yo['id']}/reveal_phone/").json()["phone"] == "+6281234567001"
    assert AuditEvent.objects.filter(action="personnel.phone_reveal").count() == 1
    kpu = _api(make_user(unit=factories.unit(AgencyKind.KPU, code="T-PERS-KPU3"), role=Role.OPERATOR))
    assert kpu.get("/api/v1/personnel/officers/").status_code == 403

    body = {"key": "api-st-1", "status": "en_route", "officer": yo["id"]}
    assert api.post("/api/v1/personnel/status/", body, format="json").status_code == 201
    assert api.post("/api/v1/personnel/status/", body, format="json").status_code == 200
    assert Officer.objects.get(pk=yo["id"]).status == "en_route"
    bad = api.post("/api/v1/personnel/status/", {"key": "x" * 500, "status": [1], "lat": 300}, format="json")
    assert bad.status_code == 400 and {"key", "status", "lat"} <= set(bad.json())

    dispatch_mod._CACHE.clear()
    cat = Category.objects.first() or Category.objects.create(code="uji", name="Uji")
    now = dt.datetime(2024, 11, 20, 2, 0, tzinfo=dt.UTC)
    tps = PollingStation.objects.get(code=TPS_A)
    inc = Incident.objects.create(category=cat, title="Keributan", occurred_at=now, first_reported_at=now,
                                  last_reported_at=now, lat=tps.lat, lng=tps.lng, regency_code="99.71")
    sug = api.get(f"/api/v1/personnel/dispatches/suggestions/?incident={inc.pk}").json()
    assert sug and sug == sorted(sug, key=lambda s: s["minutes"])
    assert api.get("/api/v1/personnel/dispatches/suggestions/?incident=abc").status_code == 404
    d = api.post("/api/v1/personnel/dispatches/", {"incident": inc.pk, "resource": sug[0]["key"]}, format="json")
    assert d.status_code == 201 and d.json()["state"] == "assigned"
    again = api.post("/api/v1/personnel/dispatches/", {"incident": inc.pk, "resource": sug[0]["key"]}, format="json")
    assert again.status_code == 400 and "resource" in again.json()
    did = d.json()["id"]
    r = api.post(f"/api/v1/personnel/dispatches/{did}/advance/", {"state": "on_scene"}, format="json")
    assert r.status_code == 200 and r.json()["on_scene_at"]
    assert api.post(f"/api/v1/personnel/dispatches/{did}/advance/", {"state": "terbang"},
                    format="json").status_code == 400
    assert [x["id"] for x in api.get("/api/v1/personnel/dispatches/").json()["results"]] == [did]
