"""In Chromium: an analyst opens the situation-report archive, presses "generate now", reads the report and
downloads the PDF whose hash matches the one in the archive."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture
def analyst(transactional_db, make_user):
    from sinergi.accounts.choices import AgencyKind, UnitLevel
    from sinergi.elections.models import Election
    from tests import factories

    province = factories.region("99", "Provinsi Uji", lat=-9.0, lng=122.0)
    factories.region("99.71", "Kota Uji", lat=-9.1, lng=122.1)
    Election.objects.get_or_create(code="pilkada-2024", defaults={"name": "Pilkada Serentak 2024",
                                                                  "voting_date": dt.date(2024, 11, 27)})
    polda = factories.unit(AgencyKind.POLRI, level=UnitLevel.PROVINCE, name="Polda Uji (browser)",
                           jurisdiction=[province])
    return make_user(unit=polda, role="analyst")


def test_archive_generate_now_and_download(live_server, analyst, chromium, password):
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/laporan-situasi/")
    page.fill("#id_username", analyst.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/laporan-situasi/")
    assert page.locator("nav.main-nav a.active").inner_text() == "Laporan Situasi"
    assert "Belum ada laporan situasi" in page.locator("[data-testid=archive]").inner_text()

    page.click("[data-testid=generate-now]")
    page.wait_for_url(f"{base}/laporan-situasi/*/")
    page.wait_for_selector("[data-testid=sitrep-body]")
    assert page.locator("[data-testid=report-status]").inner_text() == "selesai"
    body = page.locator("[data-testid=sitrep-body]").inner_text()
    for heading in ("Insiden menurut kategori", "Peta insiden", "Tren insiden 7 hari", "Pengawalan logistik"):
        assert heading in body
    page.screenshot(path=str(ARTIFACTS / "sitrep-detail.png"), full_page=True)
    files = page.locator("[data-testid=files] li")
    pdf_line = next(files.nth(i).inner_text() for i in range(files.count()) if "PDF" in files.nth(i).inner_text())
    pdf_sha = pdf_line.split("SHA-256")[1].strip()
    assert len(pdf_sha) == 64

    page.click("nav.main-nav >> text=Laporan Situasi")
    row = page.locator("[data-testid=archive] tr[data-report]")
    assert row.count() == 1
    assert pdf_sha[:16] in row.inner_text()
    href = row.locator("a[data-download=pdf]").get_attribute("href")
    resp = page.request.get(f"{base}{href}")
    assert resp.status == 200 and hashlib.sha256(resp.body()).hexdigest() == pdf_sha
    assert errors == []
    ctx.close()
