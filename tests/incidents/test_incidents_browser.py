"""Situation room in Chromium: a report sent through the API shows up in an open page without a reload.

The live server here is plain WSGI, so the page gets the update through its polling fallback (htmx, every
4 s); with Channels wired in config/asgi.py the WebSocket event triggers the same refresh at once.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from sinergi.accounts.choices import Role
from sinergi.api.services import token_issue
from tests.incidents.factories import build_world

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def room_data(audit_rows_flushable, transactional_db, make_user):
    # Built before Chromium starts: Playwright's sync API runs an event loop, where the ORM refuses to run.
    world = build_world()
    user = make_user(unit=world.polda, role=Role.OPERATOR)
    return user, token_issue(user=user)


def test_report_sent_through_api_appears_in_open_situation_room(room_data, live_server, chromium, password):
    user, token = room_data
    context = chromium.new_context()
    page = context.new_page()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url)
            and not r.url.startswith("ws") and not r.url.startswith("data:") else None)
    page.goto(f"{live_server.url}/accounts/login/?next=/insiden/situasi/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/insiden/situasi/")
    page.wait_for_selector("[data-testid=feed]")
    assert "Warga dua kampung bentrok" not in page.inner_text("[data-testid=feed]")
    page.evaluate("window.__marker = 'same page'")

    body = json.dumps({"key": "browser-1", "text": "Warga dua kampung bentrok di depan TPS",
                       "tps_code": "99.71.01.1001-001", "severity": 3}).encode()
    req = urllib.request.Request(f"{live_server.url}/api/v1/incident-reports/", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Token {token.key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201

    # a locator wait (wait_for_function would eval a string, which the page's CSP forbids)
    page.locator("[data-testid=feed]", has_text="Warga dua kampung bentrok").wait_for(timeout=20_000)
    assert page.evaluate("window.__marker") == "same page"  # no reload happened
    assert page.inner_text("[data-testid=count-total]").strip() == "1"
    page.wait_for_selector("[data-testid=situation-map][data-points='1']", timeout=10_000)  # and on the map
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "incidents_situation_room.png"))
    assert external == [], external
    context.close()
