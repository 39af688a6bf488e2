"""The risk map and the TPS risk card in a real browser (Chromium through Playwright, live_server)."""

from __future__ import annotations

import pytest

from tests.core.test_browser import ARTIFACTS
from tests.web_data import build_small_dataset

pytestmark = pytest.mark.browser


@pytest.fixture
def risk_data(transactional_db, make_user, password):
    from sinergi.accounts.choices import AgencyKind, Role
    from sinergi.elections.models import PollingStation
    from sinergi.elections.selectors import default_election
    from sinergi.risk import services
    from sinergi.risk.models import Indicator
    from tests import factories

    build_small_dataset()
    election = default_election()
    services.risk_seed_defaults(actor=None, election=election)
    user = make_user(unit=factories.unit(AgencyKind.BAWASLU, name="Bawaslu NTT",
                                         jurisdiction=[factories.region("53")]), role=Role.ANALYST)
    tps = list(PollingStation.objects.filter(election=election, lat__isnull=False).order_by("id"))
    # The last point is drawn last, so it is on top where estimated points of one desa lie close together.
    hot = tps[-1]
    for t in tps:
        yes = {"riwayat_kekerasan", "intimidasi_penyelenggara"} if t == hot else set()
        for i in Indicator.objects.filter(scope="tps"):
            services.observation_create(actor=user, indicator=i, value=1 if i.code in yes else 0,
                                        observed_on=services.DEMO_DATE, polling_station=t)
    services.risk_recompute(actor=user)
    return user, password, hot, len(tps)


def test_risk_map_colours_tps_and_opens_the_risk_card(live_server, risk_data, chromium):
    user, password, hot, n = risk_data
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    page = context.new_page()
    external: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: r.url.startswith(live_server.url) or r.url.startswith("data:")
            or external.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/kerawanan/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/kerawanan/")
    page.wait_for_selector("#risk-map[data-ready='1']", timeout=20_000)
    assert page.get_attribute("#risk-map", "data-points") == str(n)
    assert page.inner_text("[data-tier=sangat_rawan]") == "1"
    assert "sangat rawan: 1" in page.inner_text("#risk-status")
    page.screenshot(path=str(ARTIFACTS / "browser_risk_map.png"))

    # Click the very vulnerable TPS (drawn on a canvas: click at its pixel position).
    page.evaluate(f"document.getElementById('risk-map').leafletMap.setView([{hot.lat}, {hot.lng}], 18)")
    page.wait_for_timeout(600)
    point = page.evaluate(f"(() => {{ const m = document.getElementById('risk-map').leafletMap;"
                          f" const p = m.latLngToContainerPoint([{hot.lat}, {hot.lng}]);"
                          f" const r = m.getContainer().getBoundingClientRect();"
                          f" return [r.left + p.x, r.top + p.y]; }})()")
    page.mouse.click(point[0], point[1])
    page.wait_for_selector("[data-testid=risk-popup]", timeout=10_000)
    text = page.inner_text("[data-testid=risk-popup]")
    assert hot.code in text and "Sangat rawan karena: ada riwayat kekerasan" in text
    page.screenshot(path=str(ARTIFACTS / "browser_risk_popup.png"))
    page.click("[data-testid=risk-popup] a >> nth=0")
    page.wait_for_selector("[data-testid=risk-card]")
    assert page.get_attribute("[data-testid=risk-card]", "data-tier") == "sangat_rawan"
    assert "ada riwayat intimidasi terhadap penyelenggara" in page.inner_text("[data-testid=risk-explanation]")
    page.screenshot(path=str(ARTIFACTS / "browser_risk_card.png"), full_page=True)
    assert external == [], external
    assert errors == [], errors
    context.close()
