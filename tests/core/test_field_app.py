"""The field app offline, on a real install (`sinergi up` in a subprocess, Chromium, Playwright's offline mode):
for every field form — TPS check-in, officer status, staff report, public incident report, escort record,
observation — open it online once, then offline: it opens (the service worker's copy), what is typed survives a
reload (draft), the submission waits in the outbox ("menunggu"); back online it is sent ("terkirim") and the
server holds exactly one record under its key. Also: an expired session keeps the item and asks to sign in; a
refused submission shows the reason; the manifest, the worker's scope and the CSP hold.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from sinergi.core import fieldprobe as fp
from sinergi.core.upserver import UpServer
from tests.conftest import UP_SERVER_ON_SQLITE_ONLY, up_copy

pytestmark = [pytest.mark.browser, pytest.mark.slow, UP_SERVER_ON_SQLITE_ONLY]
PORT = 8161


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_setup, up_prepared):
    srv = UpServer(up_copy(up_prepared, tmp_path_factory.mktemp("field-up")), PORT)
    srv.info = json.loads(srv.setup(fp.SETUP % {"user": fp.USER, "password": fp.PASSWORD}).strip().splitlines()[-1])
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


END_SESSIONS = "from django.contrib.sessions.models import Session\nSession.objects.all().delete()\n"


def _count(srv, form, key) -> int:
    out = srv.setup(fp.ORACLE % {"keys": [(form, key)]})
    return json.loads(out.strip().splitlines()[-1])[f"{form}|{key}"]


def _browser_page(chromium, errors):
    context = chromium.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Content Security" in m.text else None)
    return context, page


@pytest.mark.parametrize("form", ["checkin", "status", "staff_report", "public_report", "escort", "observation"])
def test_field_form_offline_then_online(server, chromium, form):
    info = server.info
    path = next(f["path"] for f in fp.forms(info) if f["name"] == form)
    errors: list[str] = []
    context, page = _browser_page(chromium, errors)
    if form != "public_report":
        fp.login(page, server.url, path.split("?")[0])
    page.goto(server.url + path)
    fp.wait_kept(page, path)  # one online visit: the worker holds the page

    context.set_offline(True)
    page.goto(server.url + path)  # opens without a connection
    assert page.locator("main").count() == 1
    typed = fp.type_into(page, form, info)
    if typed:
        page.wait_for_timeout(300)
        page.reload()  # offline reload: the typed text is still there (draft kept on the phone)
        assert page.input_value(fp.DRAFT_FIELD[form]) == typed
    fp.submit(page, form)
    page.wait_for_selector("[data-testid=queue] p[data-status=queued]")
    assert "menunggu" in page.inner_text("[data-testid=queue]")
    [key] = fp.outbox_keys(page, "queued")
    if typed:
        assert page.input_value(fp.DRAFT_FIELD[form]) == ""  # queued: the draft is cleared
    page.reload()  # still waiting after a reload offline (IndexedDB), nothing lost
    page.wait_for_selector(f"[data-testid=queue] p[data-key='{key}'][data-status=queued]")

    context.set_offline(False)
    page.wait_for_selector(f"[data-testid=queue] p[data-key='{key}'][data-status=done]", timeout=30_000)
    assert "terkirim" in page.inner_text(f"[data-testid=queue] p[data-key='{key}']")
    page.reload()  # a later sync does not send it again
    page.wait_for_selector(f"[data-testid=queue] p[data-key='{key}'][data-status=done]")
    page.wait_for_timeout(500)
    assert _count(server, form, key) == 1
    assert errors == [], errors
    context.close()


def test_expired_session_keeps_items_and_asks_to_sign_in(server, chromium):
    errors: list[str] = []
    context, page = _browser_page(chromium, errors)
    fp.login(page, server.url, "/insiden/lapor/")
    fp.wait_kept(page, "/insiden/lapor/")
    context.set_offline(True)
    page.goto(server.url + "/insiden/lapor/")
    fp.type_into(page, "staff_report", server.info, n=7)
    fp.submit(page, "staff_report")
    page.wait_for_selector("[data-testid=queue] p[data-status=queued]")
    [key] = fp.outbox_keys(page, "queued")
    # a day offline: the session is gone on the server (the phone still sends its cookie; the CSRF cookie lasts a
    # year). Not by clearing the phone's cookie: the service worker's page fetches still under way (it keeps the
    # field pages after each online visit) would set a fresh one, and the report would simply go out.
    server.setup(END_SESSIONS)
    context.set_offline(False)
    page.wait_for_selector("[data-testid=queue] [data-status=login] a", timeout=30_000)
    assert page.get_attribute(f"[data-testid=queue] p[data-key='{key}']", "data-status") == "queued"
    page.click("[data-testid=queue] [data-status=login] a")
    page.fill("#id_username", fp.USER)
    page.fill("#id_password", fp.PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/insiden/lapor/")
    page.wait_for_selector(f"[data-testid=queue] p[data-key='{key}'][data-status=done]", timeout=30_000)
    assert _count(server, "staff_report", key) == 1
    assert errors == [], errors
    context.close()


def test_refused_submission_shows_the_reason(server, chromium):
    errors: list[str] = []
    context, page = _browser_page(chromium, errors)
    fp.login(page, server.url, "/kerawanan/pengamatan/")
    fp.wait_kept(page, "/kerawanan/pengamatan/")
    context.set_offline(True)
    page.goto(server.url + "/kerawanan/pengamatan/")
    page.fill("#id_tps_code", "99.99.99.9999-999")  # no such TPS
    page.select_option("#id_indicator", server.info["indicator"])
    page.fill("#id_value", server.info["value"])
    fp.submit(page, "observation")
    page.wait_for_selector("[data-testid=queue] p[data-status=queued]")
    context.set_offline(False)
    page.wait_for_selector("[data-testid=queue] p[data-status=bad]", timeout=30_000)
    assert "ditolak: TPS tidak ditemukan" in page.inner_text("[data-testid=queue] p[data-status=bad]")
    context.close()


def test_manifest_worker_scope_cache_and_compression(server):
    with urllib.request.urlopen(server.url + "/sw.js", timeout=10) as r:
        assert r.headers["Service-Worker-Allowed"] == "/"
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["Content-Type"].startswith("application/javascript")
        sw = r.read().decode()
    with urllib.request.urlopen(server.url + "/manifest.webmanifest", timeout=10) as r:
        manifest = json.loads(r.read())
    assert manifest["display"] == "standalone" and {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    icon = manifest["icons"][0]["src"]
    req = urllib.request.Request(server.url + icon, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=10) as r:  # hashed name, a year, immutable
        cache = r.headers["Cache-Control"]
        assert "immutable" in cache and int(cache.split("max-age=")[1].split(",")[0]) >= 365 * 24 * 3600
    css = json.loads(sw.split("var CONFIG = ", 1)[1].split(";\n", 1)[0])["assets"][0]
    req = urllib.request.Request(server.url + css, headers={"Accept-Encoding": "gzip, br"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Encoding"] in ("gzip", "br") and "immutable" in r.headers["Cache-Control"]
    req = urllib.request.Request(server.url + "/insiden/lapor-publik/", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert "<script>" not in __import__("gzip").decompress(r.read()).decode()  # no inline script
