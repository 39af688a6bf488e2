"""Command dashboard in Chromium: a check-in posted through the API shows up in an open dashboard without a reload
(counters, coverage row, map). The live server is plain WSGI, so the page gets it through its polling fallback;
with Channels the WebSocket event triggers the same reload at once."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from sinergi.accounts.choices import Role
from tests.test_operations import TPS_A, build_ops_world

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def dash_data(audit_rows_flushable, transactional_db, make_user):
    # Built before Chromium starts: Playwright's sync API runs an event loop, where the ORM refuses to run.
    ow = build_ops_world()
    viewer = make_user(unit=ow.polda, role=Role.ANALYST)
    officer = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    return viewer, Token.objects.create(user=officer)


def test_checkin_through_api_updates_open_dashboard(dash_data, live_server, chromium, password):
    viewer, token = dash_data
    context = chromium.new_context()
    page = context.new_page()
    external, errors = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url)
            and not r.url.startswith("ws") and not r.url.startswith("data:") else None)
    page.goto(f"{live_server.url}/accounts/login/?next=/operasi/%3Fat%3D2024-11-27T10:00")
    page.fill("#id_username", viewer.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/operasi/?at=*")
    page.wait_for_selector("[data-testid=coverage] tr[data-unit='T-OPS-POLRES-99.71']")
    assert page.inner_text("[data-testid=count-opened]").strip() == "0"
    assert page.inner_text("[data-testid=stage-name]").strip() == "Pemungutan dan penghitungan suara"
    page.wait_for_selector("[data-testid=ops-map][data-points='5']", timeout=10_000)
    page.evaluate("window.__marker = 'same page'")

    body = json.dumps({"key": "browser-ck-1", "tps": TPS_A, "kind": "opened",
                       "at": "2024-11-27T07:04:00+08:00"}).encode()
    req = urllib.request.Request(f"{live_server.url}/api/v1/checkins/", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Token {token.key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201

    page.wait_for_function("document.querySelector('[data-testid=count-opened]').innerText.trim() === '1'",
                           timeout=20_000)
    assert page.evaluate("window.__marker") == "same page"  # no reload happened
    row = "[data-testid=coverage] tr[data-unit='T-OPS-POLRES-99.71'] td[data-col=opened]"
    assert page.inner_text(row).strip() == "1"
    page.wait_for_selector("[data-testid=ops-map][data-reported='1']", timeout=10_000)  # and on the map
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "operations_dashboard.png"), full_page=True)
    assert external == [], external
    assert errors == [], errors
    context.close()
