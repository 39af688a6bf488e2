"""Command dashboard in Chromium: a check-in posted through the API shows up in an open dashboard without a reload
(counters, coverage row, map). The live server is plain WSGI, so the page gets it through its polling fallback and
says so; against a real `sinergi up` the WebSocket event triggers the reload (tests/core/test_live_server.py)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from sinergi.accounts.choices import Role
from sinergi.api.services import token_issue
from tests.operations.factories import TPS_A, build_ops_world

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def dash_data(audit_rows_flushable, transactional_db, make_user):
    # Built before Chromium starts: Playwright's sync API runs an event loop, where the ORM refuses to run.
    ow = build_ops_world()
    viewer = make_user(unit=ow.polda, role=Role.ANALYST)
    officer = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    return viewer, token_issue(user=officer)


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
    # the 5 test TPS (plus the NTT dataset's when an earlier test of the session loaded it: Polda sees every Polres)
    page.wait_for_selector("[data-testid=ops-map][data-points]", timeout=30_000)
    assert int(page.get_attribute("[data-testid=ops-map]", "data-points")) >= 5
    # the WSGI test server has no WebSocket: the page says it is polling, not "langsung"
    assert page.get_attribute("[data-testid=live-status]", "data-state") == "polling"
    assert "tidak langsung" in page.inner_text("[data-testid=live-status]")
    page.evaluate("window.__marker = 'same page'")

    body = json.dumps({"key": "browser-ck-1", "tps": TPS_A, "kind": "opened",
                       "at": "2024-11-27T07:04:00+08:00"}).encode()
    req = urllib.request.Request(f"{live_server.url}/api/v1/checkins/", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Token {token.key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201

    # a locator wait (wait_for_function would eval a string, which the page's CSP forbids)
    page.locator("[data-testid=count-opened]", has_text=re.compile(r"^\s*1\s*$")).wait_for(timeout=20_000)
    assert page.evaluate("window.__marker") == "same page"  # no reload happened
    row = "[data-testid=coverage] tr[data-unit='T-OPS-POLRES-99.71'] td[data-col=opened]"
    assert page.inner_text(row).strip() == "1"
    page.wait_for_selector("[data-testid=ops-map][data-reported='1']", timeout=30_000)  # and on the map (a delta)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "operations_dashboard.png"), full_page=True)
    assert external == [], external
    assert errors == [], errors
    context.close()


@pytest.fixture
def phone_data(audit_rows_flushable, transactional_db, make_user):
    from tests.operations.test_operations_sms import _voting_was_yesterday

    ow = build_ops_world()
    _voting_was_yesterday(ow.election)  # today is in the ballot-box hand-over window
    officer = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    return officer, token_issue(user=officer)


def test_checkin_page_queues_offline_and_sends_when_back_online(phone_data, live_server, chromium, password):
    officer, token = phone_data
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/accounts/login/?next=/operasi/lapor/%3Ftps%3D{TPS_A}")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/operasi/lapor/*")
    button = page.locator(f".tps[data-tps='{TPS_A}'] button[data-kind=handed_over]")
    assert button.inner_text().strip() == "Kotak suara diserahkan"

    context.set_offline(True)
    button.click()
    page.wait_for_selector("[data-testid=queue] p[data-status=queued]")
    assert "menunggu sinyal" in page.inner_text("[data-testid=queue]")
    queued = page.evaluate("SinergiOutbox.all().then(xs => xs.filter(x => x.status === 'waiting').map(x => x.body))")
    assert len(queued) == 1 and queued[0]["key"].startswith("web-") and queued[0]["kind"] == "handed_over"

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("[data-testid=queue] p[data-status=done]", timeout=15_000)
    assert "diterima (no." in page.inner_text("[data-testid=queue]")
    assert page.evaluate("SinergiOutbox.all().then(xs => xs.filter(x => x.status === 'waiting'))") == []
    page.screenshot(path=str(ARTIFACTS / "operations_checkin_phone.png"), full_page=True)

    req = urllib.request.Request(f"{live_server.url}/api/v1/checkins/?tps={TPS_A}",
                                 headers={"Authorization": f"Token {token.key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        rows = json.loads(resp.read())["results"]
    assert [(r["kind"], r["channel"], r["key"]) for r in rows] == [("handed_over", "web", queued[0]["key"])]
    assert errors == [], errors
    context.close()
