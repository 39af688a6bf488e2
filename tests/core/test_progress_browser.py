"""A running task's page in a real browser: the bar, percent, step and time left follow the work as it reports
progress (static/js/progress.js polls the run's progress), with the time of the last update shown."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser_wait import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def running_import(transactional_db, make_user, password):
    from sinergi.accounts.choices import AgencyKind, Role, UnitLevel
    from sinergi.core.models import TaskRun
    from sinergi.core.services import taskrun_create
    from tests import factories
    from tests.web_data import build_small_dataset

    election = build_small_dataset()
    kpu = factories.unit(AgencyKind.KPU, level=UnitLevel.PROVINCE, name="KPU Provinsi NTT")
    user = make_user(unit=kpu, role=Role.OPERATOR)
    run = taskrun_create(kind="tps_import", actor=user, input_name="tps.csv",
                         parameters={"election": election.code, "election_id": election.pk})
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    TaskRun.objects.filter(pk=run.pk).update(
        status=TaskRun.Status.RUNNING, started_at=started, progress_done=100, progress_total=1000,
        progress_step="Memeriksa baris", progress_at=started + dt.timedelta(seconds=10))
    return user, password, run


def test_running_import_page_shows_progress_moving(live_server, running_import, chromium):
    user, password, run = running_import
    url = _url(run)
    page = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    page.goto(live_server.url + url)

    box = "[data-testid=run-progress]"
    page.wait_for_selector(box)
    assert page.inner_text(f"{box} [data-progress-percent]").strip() == "10 %"
    assert "Memeriksa baris" in page.inner_text(box)
    wait_until(page, f"document.querySelector('{box} [data-progress-updated]').textContent.includes('diperbarui')")
    assert "sisa waktu" in page.inner_text(box)  # 100 of 1,000 after 10 s: about a minute and a half left

    # The work moves on (from another thread: Playwright's event loop runs in this one, and the ORM refuses it).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_report, run, 600, 1000, "Menyimpan TPS").result()
    wait_until(page, f"document.querySelector('{box} [data-progress-percent]').textContent.trim() === '60 %'")
    text = page.inner_text(box)
    assert "Menyimpan TPS" in text and "600 / 1.000" in text
    width = page.evaluate(f"document.querySelector('{box} [data-progress-fill]').style.width")
    assert width == "60%"
    assert page.get_attribute(f"{box} [role=progressbar]", "aria-valuenow") == "60"
    assert errors == []


def _report(run, done, total, step) -> None:
    from django.db import connection

    from sinergi.core.progress import progress

    try:
        progress(run, done, total, step)
    finally:
        connection.close()


def _url(run) -> str:
    from django.urls import reverse

    return reverse("elections:tps_import_run", args=[run.pk])
