"""Movement detail page in Chromium: a hand-over posted through the API shows on the chain-of-custody timeline,
with the seal numbers, and a seal mismatch is flagged. Builds its own small world (live_server flushes the
database afterwards), so it runs with or without the NTT dataset."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from pathlib import Path

import pytest

from sinergi.accounts.choices import AgencyKind, Role, UnitLevel
from sinergi.api.services import token_issue
from sinergi.elections.models import Election
from sinergi.elections.selectors import default_election
from sinergi.logistics import services
from sinergi.logistics.models import NodeKind
from tests import factories

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def escort_data(audit_rows_flushable, transactional_db, make_user):
    # Built before Chromium starts: Playwright's sync API runs an event loop, where the ORM refuses to run.
    prov = factories.region("98", "Provinsi Uji", lat=-10.0, lng=123.6)
    kab = factories.region("98.71", "Kota Uji", lat=-10.17, lng=123.6)
    kec = factories.region("98.71.01", "Kecamatan Uji", lat=-10.16, lng=123.62)
    election = Election.objects.create(code="T-LOGISTIK", name="Pilkada Uji", voting_date=dt.date(2024, 11, 27),
                                       province=prov)
    polres = factories.unit(AgencyKind.POLRI, level=UnitLevel.REGENCY, code="T-POLRES-98.71", name="Polres Uji",
                            jurisdiction=[kab])
    kpu = factories.unit(AgencyKind.KPU, level=UnitLevel.REGENCY, code="T-KPU-98.71", name="KPU Kota Uji",
                         jurisdiction=[kab])
    wita = services.WITA
    m = services.movement_create(
        actor=None, election=election, key="browser:ppk", direction="distribution",
        origin=services.Node(NodeKind.WAREHOUSE, "Gudang KPU Kota Uji", kab.lat, kab.lng, region=kab),
        dest=services.Node(NodeKind.PPK, "PPK Kecamatan Uji", kec.lat, kec.lng, region=kec),
        planned_departure=dt.datetime(2024, 11, 24, 8, tzinfo=wita), escort_unit=polres,
        cargo={"kotak_suara": 40, "surat_suara": 9000}, seals=["SGL-001", "SGL-002"])
    officer = make_user(unit=polres, role=Role.OPERATOR)
    viewer = make_user(unit=kpu, role=Role.OPERATOR)
    return m, token_issue(user=officer), viewer


def _post(url, token, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def test_handover_posted_through_api_shows_on_the_chain_of_custody(escort_data, live_server, chromium, password):
    m, token, viewer = escort_data
    api = f"{live_server.url}/api/v1/logistics-movements/{m.pk}/"
    assert _post(api + "events/", token.key, {"key": "b-dep", "leg": 1, "kind": "departure",
                                              "at": "2024-11-24T08:10:00+08:00"})[0] == 201
    status, body = _post(api + "handovers/", token.key, {
        "key": "b-ho-1", "place": "destination", "at": "2024-11-24T09:30:00+08:00",
        "from_name": "Bripka Yosef Lake", "from_agency": "Polres Uji", "to_name": "Maria Bunga",
        "to_agency": "PPK Kecamatan Uji", "seals_seen": ["SGL-001", "SGL-002"]})
    assert status == 201 and body["status"] == "accepted"

    context = chromium.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url)
            and not r.url.startswith("ws") and not r.url.startswith("data:") else None)
    page.goto(f"{live_server.url}/accounts/login/?next=/logistik/{m.pk}/")
    page.fill("#id_username", viewer.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/logistik/{m.pk}/")
    timeline = page.inner_text("[data-testid=custody-timeline]")
    assert "Bripka Yosef Lake" in timeline and "Maria Bunga" in timeline
    assert "Segel sesuai" in timeline and "SGL-001" in timeline
    assert page.inner_text("[data-testid=movement-status]").strip() == "Diserahterimakan"
    assert "SGL-002" in page.inner_text("[data-testid=seals]")
    assert "perkiraan" in page.inner_text("[data-testid=leg-table]").lower()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "logistics-detail.png"), full_page=True)

    # a second hand-over with a wrong seal: flagged on the page after a reload
    assert _post(api + "handovers/", token.key, {
        "key": "b-ho-2", "place": "destination", "at": "2024-11-24T10:00:00+08:00", "from_name": "Maria Bunga",
        "to_name": "Gudang PPK", "seals_seen": ["SGL-001", "SGL-999"]})[0] == 201
    page.reload()
    page.wait_for_selector("[data-testid=seal-mismatch]")
    assert "SGL-999" in page.inner_text("[data-testid=custody-timeline]")
    assert "Segel tidak sesuai" in page.inner_text("[data-testid=movement-alerts]")
    assert not external, external
    context.close()


@pytest.fixture
def sea_escort(audit_rows_flushable, transactional_db, make_user):
    """A hop from Kupang to Rote (road, sea, road) in its own small world."""
    prov = factories.region("98", "Provinsi Uji", lat=-10.0, lng=123.6)
    kab = factories.region("98.71", "Kota Uji", lat=-10.17, lng=123.6)
    rote = factories.region("98.72", "Pulau Uji", lat=-10.73, lng=123.05)
    # the map shows the default election's escorts: the NTT one if an earlier test left it loaded
    election = default_election() or Election.objects.create(
        code="T-LOGISTIK-SEA", name="Pilkada Uji", voting_date=dt.date(2024, 11, 27), province=prov)
    polda = factories.unit(AgencyKind.POLRI, level=UnitLevel.PROVINCE, code="T-POLDA-98", name="Polda Uji",
                           jurisdiction=[prov])
    m = services.movement_create(
        actor=None, election=election, key="browser:sea", direction="distribution",
        origin=services.Node(NodeKind.WAREHOUSE, "Gudang KPU Kota Uji", kab.lat, kab.lng, region=kab),
        dest=services.Node(NodeKind.PPK, "PPK Pulau Uji", rote.lat, rote.lng, region=rote),
        planned_departure=dt.datetime(2024, 11, 24, 8, tzinfo=services.WITA), escort_unit=polda)
    user = make_user(unit=polda, role=Role.COMMANDER)
    return m, token_issue(user=user), user


def test_escort_map_draws_the_moving_escort_with_a_dashed_sea_leg(sea_escort, live_server, chromium, password):
    m, token, user = sea_escort
    assert _post(f"{live_server.url}/api/v1/logistics-movements/{m.pk}/events/", token.key,
                 {"key": "s-dep", "leg": 1, "kind": "departure", "lat": -10.18, "lng": 123.58})[0] == 201
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/logistik/peta/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/logistik/peta/")
    page.wait_for_selector("[data-testid=escort-map][data-points='1']", timeout=10_000)
    sea = page.locator("path.leg-sea")
    assert sea.count() == 1 and sea.first.get_attribute("stroke-dasharray") == "6 6"
    road = page.locator("path.leg-road")
    assert road.count() == 2 and road.first.get_attribute("stroke-dasharray") is None
    assert "1 dalam perjalanan" in page.inner_text("main")
    context.close()
