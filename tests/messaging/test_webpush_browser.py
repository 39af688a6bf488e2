"""In Chromium: the officer turns notifications on and off on /pesan/.

Headless Chromium has no push service (a real PushManager.subscribe fails there), so the test replaces
`PushManager.prototype.subscribe/getSubscription` with a subscription made of keys the test generated — the
browser's part only; the page script, the service worker registration, the CSRF-protected JSON API and the
stored, audited subscription are the real ones. The worker's `push` handler is driven through Chromium's
DevTools protocol (ServiceWorker.deliverPushMessage) and its notification read back; a click on a notification
cannot be made in headless Chromium (notificationclick is not tested). Encryption and delivery are tested in
test_webpush.py."""

from __future__ import annotations

import json
import time

import pytest

from sinergi.accounts.choices import Role
from sinergi.core.models import AuditEvent
from sinergi.messaging import webpush
from sinergi.messaging.models import PushSubscription
from tests.browser_wait import wait_until
from tests.messaging.test_webpush import Browser, b64u
from tests.operations.factories import build_ops_world

pytestmark = pytest.mark.browser

STUB = """
(function () {
  var SUB = %s;
  var current = null;
  if (!window.PushManager) { return; }
  var fake = {endpoint: SUB.endpoint, toJSON: function () { return SUB; },
              unsubscribe: function () { current = null; window.__pushUnsubscribed = true; return Promise.resolve(true); }};
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
  PushManager.prototype.subscribe = function (opts) {
    window.__pushKey = Array.from(new Uint8Array(opts.applicationServerKey));
    window.__pushVisible = opts.userVisibleOnly;
    current = fake;
    return Promise.resolve(fake);
  };
})();
"""


def test_turn_notifications_on_and_off(audit_rows_flushable, transactional_db, make_user, live_server, chromium,
                                       password, settings, tmp_path, monkeypatch):
    # the test reads the database while Playwright's event loop runs in this thread (Django's documented switch)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SINERGI_WEBPUSH_VAPID_PRIVATE_KEY = ""
    settings.SINERGI_WEBPUSH_VAPID_KEY_FILE = str(tmp_path / "vapid.pem")
    settings.SINERGI_OUTBOUND_ALLOW = ["127.0.0.1"]
    webpush.generate_key_file(tmp_path / "vapid.pem")
    ow = build_ops_world()
    officer = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    b = Browser("/push/chromium")
    ctx = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    ctx.grant_permissions(["notifications"], origin=live_server.url)
    ctx.add_init_script(STUB % json.dumps(b.as_json()))
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/accounts/login/?next=/pesan/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/pesan/")
    wait_until(page, "document.querySelector('[data-push]').getAttribute('data-state') === 'off'", timeout=20_000)
    assert page.is_visible("[data-testid=push-on]") and not page.is_visible("[data-testid=push-off]")
    page.click("[data-testid=push-on]")
    wait_until(page, "document.querySelector('[data-push]').getAttribute('data-state') === 'on'", timeout=20_000)
    assert "hanya pemberitahuan singkat" in page.inner_text("[data-testid=push-status]")
    key = bytes(page.evaluate("window.__pushKey"))
    assert b64u(key) == webpush.public_key() and page.evaluate("window.__pushVisible") is True
    sub = PushSubscription.objects.get()
    assert sub.user == officer and sub.endpoint == b.endpoint and sub.auth == b64u(b.auth)
    assert AuditEvent.objects.filter(action="messaging.push_subscribe").count() == 1
    # the service worker's `push` handler: Chromium's DevTools protocol delivers a push message to the worker
    # (the decrypted payload, as the push service would after decryption) and the page lists its notifications
    cdp = ctx.new_cdp_session(page)
    regs = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda ev: regs.extend(ev["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not regs and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    reg_ids = [r["registrationId"] for r in regs if r["scopeURL"].rstrip("/") == live_server.url.rstrip("/")
               and not r.get("isDeleted")]
    assert reg_ids, regs
    payload = webpush.notice(unit_name="Polres Kupang", recipient_id=7, message_id=3)
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server.url, "registrationId": reg_ids[0],
                                                  "data": payload})
    # each poll asks the worker's registration for its notifications and reads the previous answer
    wait_until(page, "(navigator.serviceWorker.ready.then(function (r) { return r.getNotifications(); })"
                     ".then(function (n) { window.__shown = n.map(function (x) {"
                     " return [x.title, x.data && x.data.url]; }); }), window.__shown && window.__shown.length)",
               timeout=15_000)
    assert page.evaluate("window.__shown") == [["Pesan baru dari Polres Kupang", "/pesan/7/"]]
    page.click("[data-testid=push-off]")
    wait_until(page, "document.querySelector('[data-push]').getAttribute('data-state') === 'off'", timeout=20_000)
    assert page.evaluate("window.__pushUnsubscribed") is True
    assert not PushSubscription.objects.exists()
    assert errors == [], errors
    ctx.close()
