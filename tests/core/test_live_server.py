"""Live updates on a real install: `sinergi up` in a subprocess (own port and data folder, the embedded SQLite
default, all of its processes: uvicorn, task worker, incident processor, tick), Chromium and real WebSockets.

- the shipped server speaks WebSocket (no 404 on /ws/);
- an alert raised by the tick process and an incident made by the incident-processor process reach an open
  page, which says it is live and reloads without polling;
- each socket gets only what its user may read: a Polres never receives another Polres' incident;
- a commander who has not passed the second factor is refused (4403), like the pages refuse them;
- stopping the server leaves no process behind.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from sinergi.core.upserver import UpServer
from tests.browser_wait import wait_until
from tests.conftest import PASSWORD, UP_SERVER_ON_SQLITE_ONLY, up_copy

pytestmark = [pytest.mark.browser, pytest.mark.slow, UP_SERVER_ON_SQLITE_ONLY]

SETUP = """
import datetime as dt, json
from django.utils import timezone
from sinergi.accounts.models import Unit
from sinergi.accounts.services import user_create
from sinergi.api.services import token_issue
from sinergi.logistics import services as lg
from sinergi.elections.selectors import default_election
P = %(password)r
units = {u.code: u for u in Unit.objects.filter(code__in=["POLDA-NTT", "POLRES-53.71", "POLRES-53.01"])}
def mk(name, code, role):
    return user_create(actor=None, username=name, password=P, unit=units[code], role=role)
polda = mk("live-polda", "POLDA-NTT", "analyst")
kota = mk("live-kota", "POLRES-53.71", "operator")
kupang = mk("live-kupang", "POLRES-53.01", "operator")
mk("live-komandan", "POLDA-NTT", "commander")
reporter = mk("live-pelapor", "POLDA-NTT", "operator")
election = default_election()
# An escort that should have left three hours ago: the tick (every 30 s) marks it late and raises an alert.
now = timezone.now()
lg.movement_create(actor=None, election=election, key="live-test-escort", direction="distribution",
                   origin=lg.node_from_code(election, "warehouse", "53.71", "origin"),
                   dest=lg.node_from_code(election, "ppk", "53.71.01", "dest"),
                   planned_departure=now - dt.timedelta(hours=3), escort_unit=units["POLRES-53.71"])
print(json.dumps({"token": token_issue(user=reporter).key}))
"""

ORACLE = """
import json
from sinergi.accounts.models import User
from sinergi.incidents.models import Report
from sinergi.incidents.selectors import incident_list
inc = Report.objects.get(idempotency_key=%(key)r).incident_id
print(json.dumps({u: incident_list(user=User.objects.get(username=u)).filter(pk=inc).exists()
                  for u in ("live-kota", "live-kupang", "live-polda")} | {"incident": inc}))
"""

OPEN_SOCKET = """(path) => new Promise((resolve) => {
  window.__msgs = []; window.__closed = null;
  const ws = new WebSocket("ws://" + location.host + path);
  window.__ws = ws;
  ws.onopen = () => setTimeout(() => { if (window.__closed === null) resolve("open"); }, 1500);
  ws.onmessage = (m) => window.__msgs.push(JSON.parse(m.data));
  ws.onclose = (e) => { window.__closed = e.code; resolve("closed:" + e.code); };
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_setup, up_prepared):
    srv = UpServer(up_copy(up_prepared, tmp_path_factory.mktemp("live-up")),
                   env={"SINERGI_INCIDENT_PROCESSING": "deferred", "SINERGI_OTP_REQUIRED_ROLES": "admin,commander"})
    srv.info = json.loads(srv.setup(SETUP % {"password": PASSWORD}).strip().splitlines()[-1])
    srv.start()
    try:
        yield srv
    finally:
        group = srv.proc.pid if srv.proc else None  # sinergi up leads its own process group
        srv.stop()
        if group is not None:
            import subprocess

            left = subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True).stdout.split()
            assert left == [], f"processes left running: {left}"


def _login(browser, server, username, next_url="/"):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    return page


def _report(server, key: str, tps: str) -> None:
    body = json.dumps({"key": key, "text": "Bentrok massa pendukung, lempar batu di dekat TPS, dua orang luka",
                       "tps_code": tps, "category": "violence_clash", "severity": 3}).encode()
    req = urllib.request.Request(f"{server.url}/api/v1/incident-reports/", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Token {server.info['token']}"})
    with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - local server
        assert resp.status == 201


def test_event_from_the_tick_process_reaches_the_open_dashboard(server, chromium):
    page = _login(chromium, server, "live-polda", "/operasi/")
    page.wait_for_url("**/operasi/")
    page.wait_for_selector("[data-testid=live-status][data-state=live]", timeout=20_000)
    assert "langsung" in page.inner_text("[data-testid=live-status]")
    page.evaluate("window.__marker = 'same page'")
    # The tick runs every 30 s in its own process; the page does not poll while live.
    wait_until(page,
        "[...document.querySelectorAll('[data-testid=alert-groups] tr.group')].some(r => r.dataset.kind === 'escort_late')",
        timeout=75_000)
    assert page.evaluate("window.__marker") == "same page"
    assert page.get_attribute("[data-testid=live-status]", "data-state") == "live"
    page.context.close()


def test_incident_from_the_processor_process_reaches_only_allowed_sockets(server, chromium):
    pages = {u: _login(chromium, server, u, "/insiden/situasi/") for u in ("live-kota", "live-kupang", "live-polda")}
    for page in pages.values():
        assert page.evaluate(OPEN_SOCKET, "/ws/insiden/") == "open"
    situation = pages["live-polda"]
    situation.wait_for_selector("[data-testid=live-status][data-state=live]", timeout=20_000)
    key = f"live-test-{time.time_ns()}"
    _report(server, key, "53.71.01.1001-001")   # Kota Kupang: processed by the incidents_process process
    wait_until(pages["live-polda"], "window.__msgs.some(m => m.incident)", timeout=30_000)
    time.sleep(1.5)
    oracle = json.loads(server.setup(ORACLE % {"key": key}).strip().splitlines()[-1])
    assert oracle["live-kota"] and oracle["live-polda"] and not oracle["live-kupang"]
    for user, page in pages.items():
        got = {m.get("incident") for m in page.evaluate("window.__msgs") if m.get("incident")}
        assert (oracle["incident"] in got) == oracle[user], (user, got)
    # the situation room's feed shows it without a reload
    situation.wait_for_selector(f"#feed-list li[data-id='{oracle['incident']}']", timeout=15_000)
    for page in pages.values():
        page.context.close()


def test_commander_without_second_factor_is_refused(server, chromium):
    page = _login(chromium, server, "live-komandan")
    assert "/accounts/otp/" in page.url   # pages send them to the second factor first
    assert page.evaluate(OPEN_SOCKET, "/ws/operasi/") == "closed:4403"
    assert page.evaluate(OPEN_SOCKET, "/ws/insiden/") == "closed:4403"
    page.context.close()


def test_anonymous_socket_is_refused_and_route_exists(server, chromium):
    page = chromium.new_page()
    page.goto(f"{server.url}/accounts/login/")
    assert page.evaluate(OPEN_SOCKET, "/ws/operasi/") == "closed:4401"   # not 404: the server speaks WebSocket
    page.close()
