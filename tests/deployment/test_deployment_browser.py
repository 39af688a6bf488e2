"""The plan page in a real browser: log in, run the plan from the form, see the map, tables and the labelled
placeholder tiers; compare two scenarios. live_server flushes the database, so the test builds a small
dataset (two Polres in Kupang) instead of the session fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web_data import build_small_dataset

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture
def plan_data(transactional_db, make_user):
    from sinergi.accounts.choices import UnitLevel
    from sinergi.accounts.models import Unit, UnitStrength
    from sinergi.elections.models import PollingStation
    from sinergi.regions.models import Region
    from tests import factories

    existing = Unit.objects.filter(code="POLDA-NTT").first()
    if existing is not None:  # an earlier test loaded the full NTT dataset; live_server flushes it afterwards
        return make_user(unit=existing, role="commander"), False
    build_small_dataset()
    PollingStation.objects.filter(lat__isnull=True).update(lat=-10.2, lng=123.62)
    polda = factories.unit(level=UnitLevel.PROVINCE, code="POLDA-NTT", name="Polda NTT",
                           jurisdiction=[Region.objects.get(code="53")])
    kota = factories.unit(parent=polda, code="POLRES-53.71", name="Polresta Kupang Kota",
                          jurisdiction=[Region.objects.get(code="53.71")])
    kab = factories.unit(parent=polda, code="POLRES-53.01", name="Polres Kupang",
                         jurisdiction=[Region.objects.get(code="53.01")])
    UnitStrength.objects.create(unit=polda, personnel_type="polri", count=30)
    UnitStrength.objects.create(unit=kota, personnel_type="polri", count=3)
    UnitStrength.objects.create(unit=kab, personnel_type="polri", count=20)
    return make_user(unit=polda, role="commander"), True


def test_plan_page_in_chromium(plan_data, chromium, audit_rows_flushable, live_server, password):
    user, small = plan_data
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/pengamanan/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/pengamanan/")

    page.fill("#id_name", "Rencana uji")
    page.fill("#id_reserve_k", "1")
    page.click("[data-testid=plan-form] button[type=submit]")
    page.wait_for_selector("[data-testid=plan-title]", timeout=60_000)
    page.reload()  # the task may finish after the redirect on a real worker; immediate backend in tests
    assert page.inner_text("[data-testid=plan-title]") == "Rencana uji"
    assert "belum ada penilaian" in page.inner_text("[data-testid=placeholder-tiers]")
    page.wait_for_selector("#plan-map[data-loaded]", timeout=15_000)
    assert int(page.get_attribute("#plan-map", "data-loaded")) >= 1
    assert page.locator("#plan-map canvas").count() >= 1  # guard-group posts (canvas renderer)
    assert page.locator("#plan-map .leaflet-marker-icon").count() >= 1  # reserve sites
    page.wait_for_selector("#plan-map[data-outlines]", timeout=15_000)  # guard-group outlines (GeoJSON)
    assert int(page.get_attribute("#plan-map", "data-outlines")) == int(page.get_attribute("#plan-map",
                                                                                          "data-loaded"))
    assert page.locator(".leaflet-control-layers").count() == 1
    assert "Batas kelompok" in page.inner_text(".leaflet-control-layers")
    assert "rute BKO" in page.inner_text("[data-testid=plan-map-status]")
    if small:  # BKO to Kota Kupang drawn as a route line
        assert int(page.get_attribute("#plan-map", "data-routes")) >= 1
    units = page.inner_text("[data-testid=unit-table]")
    assert "Polresta Kupang Kota" in units and "Polres Kupang" in units
    assert "Polresta Kupang Kota" in page.inner_text("[data-testid=changes]")
    if small:  # Kota Kupang needs more officers than 2/3 of its 3, so BKO comes to it
        assert "Polresta Kupang Kota" in page.inner_text("[data-testid=bko-table]")
    page.screenshot(path=str(ARTIFACTS / "browser_plan.png"), full_page=True)

    # The per-Polsek / per-TPS table page, linked from the plan page, with a tier filter.
    page.click("[data-testid=table-link]")
    page.wait_for_selector("[data-testid=tps-table]")
    assert "TPS" in page.inner_text("[data-testid=tps-count]")
    assert page.locator("[data-testid=tps-table] tbody tr").count() >= 1
    assert "Polres Kupang" in page.inner_text("[data-testid=polsek-table]") or \
        "Polresta Kupang Kota" in page.inner_text("[data-testid=polsek-table]")
    page.select_option("select[name=tingkat]", "kurang_rawan")
    page.click("[data-testid=table-filter] button[type=submit]")
    page.wait_for_url("**tingkat=kurang_rawan**")
    rows = page.inner_text("[data-testid=tps-table] tbody")
    assert "Kurang rawan" in rows and "Sangat rawan" not in rows
    page.screenshot(path=str(ARTIFACTS / "browser_plan_table.png"), full_page=True)
    page.go_back()
    page.go_back()

    page.goto(f"{live_server.url}/pengamanan/")
    page.select_option("#id_scenario", "rawan-plus-20")
    page.fill("#id_reserve_k", "1")
    page.click("[data-testid=plan-form] button[type=submit]")
    page.wait_for_selector("[data-testid=compare-form]")
    page.click("[data-testid=compare-form] button[type=submit]")
    page.wait_for_selector("[data-testid=compare-table]")
    assert "Rencana uji" in page.inner_text("[data-testid=compare-table]")
    assert errors == [], errors
    context.close()
