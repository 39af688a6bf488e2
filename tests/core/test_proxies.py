"""Proxy headers believed only from SINERGI_TRUSTED_PROXIES (issue 15, item 6); the public form's rate limit in
the shared cache, counted across processes (item 16)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from sinergi.core.clientip import client_ip
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "/insiden/lapor-publik/"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_client_ip_believes_forwarded_for_only_from_trusted_proxies(settings):
    forged = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "1.2.3.4", "HTTP_X_REAL_IP": "5.6.7.8"}
    settings.SINERGI_TRUSTED_PROXIES = []
    assert client_ip(forged) == "203.0.113.7"
    settings.SINERGI_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(forged) == "203.0.113.7"
    # through two trusted proxies: the rightmost address that is not a proxy is the client
    via = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.9, 10.0.0.1"}
    assert client_ip(via) == "198.51.100.9"
    assert client_ip({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_REAL_IP": "198.51.100.10"}) == "198.51.100.10"
    assert client_ip({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "garbage"}) == "10.0.0.2"


def test_forwarded_proto_from_anyone_does_not_make_a_request_secure(settings, rf):
    from sinergi.core.clientip import TrustedProxyMiddleware

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    seen = {}

    def view(request):
        seen["secure"] = request.is_secure()
        return None

    mw = TrustedProxyMiddleware(view)
    settings.SINERGI_TRUSTED_PROXIES = []
    mw(rf.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="203.0.113.7"))
    assert seen["secure"] is False
    settings.SINERGI_TRUSTED_PROXIES = ["10.0.0.0/8"]
    mw(rf.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.1.2.3"))
    assert seen["secure"] is True


def _public_post(c, key, xff=None, remote="10.0.0.5"):
    extra = {"REMOTE_ADDR": remote}
    if xff:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return c.post(PUBLIC, {"key": key, "text": "ribut di pasar"}, **extra)


def test_public_form_limit_ignores_forged_forwarded_for(db, settings):
    from sinergi.incidents.views import PUBLIC_PER_HOUR

    settings.SINERGI_TRUSTED_PROXIES = []
    c = Client()
    for i in range(PUBLIC_PER_HOUR):
        assert _public_post(c, f"f{i}", xff=f"198.51.100.{i}").status_code == 200
    assert _public_post(c, "f-last", xff="198.51.100.200").status_code == 429


def test_public_form_limit_counts_each_client_behind_a_trusted_proxy(db, settings):
    from sinergi.incidents.views import PUBLIC_PER_HOUR

    settings.SINERGI_TRUSTED_PROXIES = ["10.0.0.0/8"]
    c = Client()
    for i in range(PUBLIC_PER_HOUR):
        assert _public_post(c, f"a{i}", xff="198.51.100.1").status_code == 200
    assert _public_post(c, "a-last", xff="198.51.100.1").status_code == 429
    # another citizen behind the same proxy is not blocked by the first one
    assert _public_post(c, "b0", xff="198.51.100.2").status_code == 200


def test_public_form_limit_is_shared_with_another_process(db, settings):
    """The count lives in the shared cache: a new process (another server worker, or after a restart) sees it."""
    from sinergi.incidents.views import PUBLIC_PER_HOUR

    settings.SINERGI_TRUSTED_PROXIES = []
    c = Client()
    for i in range(PUBLIC_PER_HOUR):
        assert _public_post(c, f"x{i}", remote="192.0.2.44").status_code == 200
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", PYTHONPATH=str(ROOT),
               SINERGI_CACHE_DIR=settings.CACHES["default"]["LOCATION"])
    code = ("import django; django.setup(); from sinergi.incidents.views import public_limited; "
            "print(public_limited('192.0.2.44'), public_limited('192.0.2.45'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         cwd=str(ROOT))
    assert out.stdout.split() == ["True", "False"], out.stderr[-2000:]


def _login(c, remote, xff=None):
    extra = {"REMOTE_ADDR": remote}
    if xff:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return c.post("/api/v1/auth/token/", {"username": "lockme2", "password": "salah-sekali-123"},
                  content_type="application/json", **extra)


def test_lockout_cannot_be_dodged_by_changing_forwarded_for(make_user, settings):
    settings.SINERGI_TRUSTED_PROXIES = []
    make_user(username="lockme2")
    c = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(c, "203.0.113.9", xff=f"198.51.100.{i}")
    ok = c.post("/api/v1/auth/token/", {"username": "lockme2", "password": PASSWORD},
                content_type="application/json", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert ok.status_code == 429


def test_lockout_counts_per_client_behind_a_trusted_proxy(make_user, settings):
    settings.SINERGI_TRUSTED_PROXIES = ["10.0.0.0/8"]
    make_user(username="lockme2")
    c = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(c, "10.0.0.1", xff="198.51.100.1")
    right = {"username": "lockme2", "password": PASSWORD}
    locked = c.post("/api/v1/auth/token/", right, content_type="application/json", REMOTE_ADDR="10.0.0.1",
                    HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert locked.status_code == 429
    # the same account from another citizen's address behind the same proxy is not locked by the first one
    other = c.post("/api/v1/auth/token/", right, content_type="application/json", REMOTE_ADDR="10.0.0.1",
                   HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 200 and other.json()["token"]
