"""Exercise mode in Chromium against a real server, on a day that is NOT election day: a commander starts an
exercise of voting day on the page, the LATIHAN banner shows, an officer's check-in on the phone page is accepted
in the exercise and shows on the exercise's dashboard but not on the real one; stop shows the debrief; purge
removes the exercise's records."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.utils import timezone

from sinergi.accounts.choices import Role
from tests.browser_wait import wait_until
from tests.operations.factories import TPS_A, build_ops_world

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def people(audit_rows_flushable, transactional_db, make_user):
    ow = build_ops_world()
    return make_user(unit=ow.polda, role=Role.COMMANDER), make_user(unit=ow.polsek_a, role=Role.OPERATOR)


def login(context, url, user, password, nxt):
    page = context.new_page()
    page.goto(f"{url}/accounts/login/?next={nxt}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"**{nxt}*")
    return page


def test_exercise_start_checkin_dashboard_stop_debrief_purge(people, live_server, chromium, password):
    from sinergi.core import sandbox
    from sinergi.exercises.models import Exercise

    assert timezone.localdate() != dt.date(2024, 11, 27)  # the point: today is not election day
    commander, officer = people
    errors: list[str] = []
    cctx = chromium.new_context()
    page = login(cctx, live_server.url, commander, password, "/latihan/")
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.select_option("#id_election", "pilkada-2024")
    assert page.input_value("#id_date") == "2024-11-27"  # the voting day is proposed
    assert page.get_attribute("#id_speed", "max") == "60"  # the browser stops it first; the server too:
    page.evaluate("document.querySelector('#id_speed').removeAttribute('max')")
    page.fill("#id_speed", "61")
    page.click("[data-testid=start]")
    page.wait_for_selector("[data-testid=error-speed]")
    assert "kecepatan harus bilangan bulat 1-60" in page.inner_text("[data-testid=start-form]")
    page.fill("#id_title", "Latihan Pra Operasi Mantap Praja")
    page.fill("#id_speed", "60")
    page.click("[data-testid=start]")
    page.wait_for_selector("[data-testid=running]")
    assert "Latihan Pra Operasi Mantap Praja" in page.inner_text("[data-testid=running]")
    assert page.inner_text("[data-testid=sim-now]").startswith("27 Nov 2024 06:")
    page.click("[data-testid=enter]")
    page.wait_for_url("**/operasi/")
    banner = page.inner_text("[data-testid=latihan-banner]")
    assert "LATIHAN" in banner and "Mantap Praja" in banner
    page.wait_for_selector("[data-testid=stage-name]")
    assert page.inner_text("[data-testid=stage-name]").strip() == "Pemungutan dan penghitungan suara"
    wait_until(page, "document.querySelector('[data-testid=count-opened]').innerText.trim() === '0'")

    # the officer enters the exercise and reports "TPS dibuka" from the phone page
    octx = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = login(octx, live_server.url, officer, password, "/latihan/")
    phone.on("pageerror", lambda e: errors.append(str(e)))
    phone.click("[data-testid=enter]")
    phone.wait_for_url("**/operasi/")
    phone.goto(f"{live_server.url}/operasi/lapor/?tps={TPS_A}")
    assert "LATIHAN" in phone.inner_text("[data-testid=latihan-banner]")
    phone.click(f".tps[data-tps='{TPS_A}'] button[data-kind=opened]")
    phone.wait_for_selector("[data-testid=queue] p[data-status=done]", timeout=15_000)
    assert "diterima (no." in phone.inner_text("[data-testid=queue]")
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "exercise_checkin_phone.png"), full_page=True)

    # the exercise's dashboard shows it (polling) ...
    wait_until(page, "document.querySelector('[data-testid=count-opened]').innerText.trim() === '1'",
                           timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "exercise_dashboard.png"), full_page=True)
    # ... the real one does not
    page.goto(f"{live_server.url}/latihan/")
    page.click("[data-testid=leave]")
    page.goto(f"{live_server.url}/operasi/")
    assert page.locator("[data-testid=latihan-banner]").count() == 0
    wait_until(page, "document.querySelector('[data-testid=count-opened]').innerText.trim() === '0'",
                           timeout=10_000)
    page.wait_for_selector("[data-testid=count-opened]")

    # stop: the debrief shows the check-in; PDF export
    page.goto(f"{live_server.url}/latihan/")
    page.click("[data-testid=stop]")
    page.wait_for_url("**/evaluasi/")
    assert page.inner_text("[data-testid=checkins]").strip() == "1"
    assert "06:00" in page.inner_text("[data-testid=coverage]")
    page.screenshot(path=str(ARTIFACTS / "exercise_debrief.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("[data-testid=pdf]")
    assert Path(dl.value.path()).read_bytes().startswith(b"%PDF")

    # the officer's phone is back in the real operation (the exercise ended): no banner
    phone.goto(f"{live_server.url}/operasi/lapor/?tps={TPS_A}")
    assert phone.locator("[data-testid=latihan-banner]").count() == 0

    # purge: one click (confirmed), every exercise record gone
    page.goto(f"{live_server.url}/latihan/")
    page.on("dialog", lambda d: d.accept())
    page.click("[data-testid=purge]")
    page.wait_for_selector("tr[data-status=purged]")
    assert "1 laporan TPS" in page.inner_text(".messages")
    pk = int(page.get_attribute("tr[data-status=purged]", "data-exercise"))
    assert errors == [], errors
    cctx.close()
    octx.close()

    def check():  # in a thread: Playwright's event loop runs in this one, where the ORM refuses to run
        from django.db import connection

        try:
            ex = Exercise.objects.get(pk=pk)
            return ex.status, sandbox.exists(ex.database)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(check).result() == ("purged", False)
