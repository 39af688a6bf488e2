"""The live room in Chromium: officer status per unit on the map (numbered markers, legend) and counts per Polres
beside it; a status reported through the API shows up in the open page without a reload. The test server is
plain WSGI, so the page gets it through its polling fallback; the WebSocket relay of the same "unit_status" event
is checked per user scope in tests/personnel/test_personnel_live.py (operations.consumers.decide)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from sinergi.accounts.choices import Role
from sinergi.api.services import token_issue
from tests.operations.factories import build_ops_world

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def room_data(audit_rows_flushable, transactional_db, make_user):
    # Built before Chromium starts (Playwright's sync API runs an event loop, where the ORM refuses to run).
    from sinergi.personnel import services
    from sinergi.personnel.models import Officer
    from tests.personnel.test_personnel import _csv, _good_rows

    ow = build_ops_world()
    op = make_user(unit=ow.polda, role=Role.OPERATOR)
    services.roster_import(actor=op, file_bytes=_csv(ow, _good_rows(ow)[:6]), filename="r.csv")
    me = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    services.officer_link_user(actor=op, officer=Officer.objects.get(identifier="81010001"), user=me)
    b_user = make_user(unit=ow.polres_b, role=Role.OPERATOR)
    return ow, op, b_user, token_issue(user=me)


def _login(page, url, user, password, next_path):
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")


def test_live_room_shows_unit_status_and_updates_when_an_officer_reports(room_data, live_server, chromium,
                                                                           password):
    ow, op, b_user, token = room_data
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server.url, op, password, "/operasi/%3Fat%3D2024-11-27T10:00")
    page.wait_for_url("**/operasi/?at=*")
    row = f"[data-testid=unit-status-counts] tr[data-unit='{ow.polres_a.code}']"
    page.wait_for_selector(row, timeout=30_000)
    assert page.inner_text(f"{row} td[data-col=off_duty]").strip() == "5"
    assert page.inner_text(f"{row} td[data-col=on_post]").strip() == "0"
    assert page.inner_text("[data-testid=units-total]").strip() == "6"
    # One numbered marker per unit on the map (not one per officer), coloured by status, with a legend.
    page.wait_for_selector("[data-testid=ops-map][data-units]", timeout=30_000)
    markers = page.locator(".unit-marker")
    assert 1 <= markers.count() <= 3
    assert sum(int(t) for t in markers.all_inner_texts()) == 6
    legend = page.inner_text("[data-testid=unit-legend]")
    assert all(s in legend for s in ("Siaga (tersedia)", "Di pos", "Dalam perjalanan", "Di lokasi kejadian",
                                     "Lepas dinas"))
    page.evaluate("window.__marker = 'same page'")

    body = json.dumps({"key": "browser-status-1", "status": "on_post"}).encode()
    req = urllib.request.Request(f"{live_server.url}/api/v1/personnel/status/", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Token {token.key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201

    page.locator(f"{row} td[data-col=on_post]", has_text=re.compile(r"^\s*1\s*$")).wait_for(timeout=40_000)
    assert page.inner_text(f"{row} td[data-col=off_duty]").strip() == "4"
    assert page.evaluate("window.__marker") == "same page"  # no reload happened
    page.wait_for_selector(f".unit-marker[data-unit-id='{ow.polsek_a.pk}'][data-status=on_post]", timeout=10_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "operations_unit_status.png"), full_page=True)
    assert errors == [], errors
    context.close()

    # A Polres user sees his own subtree only.
    context = chromium.new_context()
    page = context.new_page()
    _login(page, live_server.url, b_user, password, "/operasi/%3Fat%3D2024-11-27T10:00")
    page.wait_for_url("**/operasi/?at=*")
    page.wait_for_selector(f"[data-testid=unit-status-counts] tr[data-unit='{ow.polres_b.code}']", timeout=30_000)
    assert page.locator("[data-testid=unit-status-counts] tbody tr").count() == 1
    assert page.inner_text("[data-testid=units-total]").strip() == "1"
    context.close()
