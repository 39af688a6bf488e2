"""In Chromium: a Polda officer creates a meeting and an action item owned by a KPU unit; a KPU user, in a
separate browser context, sees it on the "what we owe" page."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture
def people(transactional_db, make_user):
    from sinergi.accounts.choices import AgencyKind, UnitLevel
    from tests import factories

    polda = factories.unit(AgencyKind.POLRI, level=UnitLevel.PROVINCE, name="Polda NTT (browser)")
    kpu = factories.unit(AgencyKind.KPU, level=UnitLevel.REGENCY, name="KPU Kota Kupang (browser)")
    return make_user(unit=polda, role="commander"), make_user(unit=kpu, role="operator"), kpu


def _login(page, base, user, password, next_url):
    page.goto(f"{base}{next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}{next_url}")


def test_meeting_action_item_reaches_the_other_agency(live_server, people, chromium, password):
    polda_user, kpu_user, kpu_unit = people
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    polda = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = polda.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, base, polda_user, password, "/koordinasi/")
    page.click("[data-testid=new-meeting]")
    page.fill("#id_title", "Rakor Lintas Sektoral Pilkada NTT")
    page.fill("#id_starts_at", "2030-08-01T09:00")
    page.fill("#id_place", "Mapolda NTT")
    page.fill("#id_agenda", "Paparan kerawanan TPS")
    page.select_option("#id_marking", "AMBER")
    page.select_option("#id_share_units", str(kpu_unit.pk))
    page.click("[data-testid=meeting-form] button[type=submit]")
    page.wait_for_selector("[data-testid=meeting-title]")
    assert page.inner_text("[data-testid=meeting-title]") == "Rakor Lintas Sektoral Pilkada NTT"
    assert "Paparan kerawanan TPS" in page.inner_text("[data-testid=agenda]")

    page.click("[data-testid=new-action]")
    page.fill("#id_title", "Serahkan data DPT per TPS")
    page.select_option("#id_owner_unit", str(kpu_unit.pk))
    page.fill("#id_due_date", "2030-08-10")
    page.click("[data-testid=action-form] button[type=submit]")
    page.wait_for_selector("[data-testid=actions]")
    assert "Serahkan data DPT per TPS" in page.inner_text("[data-testid=actions]")
    page.screenshot(path=str(ARTIFACTS / "browser_coordination_meeting.png"), full_page=True)
    polda.close()

    kpu = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = kpu.new_page()
    _login(page, base, kpu_user, password, "/koordinasi/instansi/")
    owe = page.inner_text("[data-testid=we-owe]")
    assert "Serahkan data DPT per TPS" in owe and "KPU Kota Kupang (browser)" in owe
    page.click("[data-testid=we-owe] a:has-text('Serahkan data DPT per TPS')")
    page.wait_for_selector("[data-testid=action-title]")
    assert page.inner_text("[data-field=status]") == "Terbuka"
    page.screenshot(path=str(ARTIFACTS / "browser_coordination_kpu.png"), full_page=True)
    kpu.close()
    assert not errors
