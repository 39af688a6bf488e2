"""The one outbound HTTP client (sinergi.core.outbound): internal addresses refused in every spelling unless
allow-listed, no redirects, bounded answers, generic errors; webhook URLs checked when a subscription is saved
and at delivery (issue 15, item 4)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError

from sinergi.core import outbound

REFUSED = [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "240.0.0.1", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254",
    "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "2002:7f00:1::1",
    "64:ff9b::a9fe:a9fe",
]


@pytest.mark.parametrize("address", REFUSED)
def test_internal_addresses_are_refused(address):
    assert outbound.address_refused(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert not outbound.address_refused(address)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8000/", "http://[::1]/", "http://[::ffff:127.0.0.1]:8080/",
    "http://2130706433/", "http://0x7f000001/", "http://0177.0.0.1/", "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/", "https://0.0.0.0/", "http://10.0.0.1/",
])
def test_check_url_refuses_internal_destinations_in_any_spelling(url):
    with pytest.raises(outbound.OutboundError) as err:
        outbound.check_url(url)
    assert str(err.value) == str(outbound.MSG_REFUSED)


@pytest.mark.parametrize("url", ["ftp://example.org/", "http:///nohost", "http://user:pw@example.org/", "x"])
def test_check_url_refuses_malformed_urls(url):
    with pytest.raises(outbound.OutboundError) as err:
        outbound.check_url(url)
    assert str(err.value) == str(outbound.MSG_INVALID)


class _Server:
    """A real HTTP server on 127.0.0.1 answering every POST with `status`, `headers` and `body`."""

    def __init__(self, status=204, headers=None, body=b""):
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.hits += 1
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def test_loopback_server_is_not_contacted_unless_allow_listed(server, settings):
    settings.SINERGI_OUTBOUND_ALLOW = []
    with pytest.raises(outbound.OutboundError) as err:
        outbound.post(server.url, data=b"{}")
    assert str(err.value) == str(outbound.MSG_REFUSED) and server.hits == 0
    settings.SINERGI_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    assert outbound.post(server.url, data=b"{}").status == 204 and server.hits == 1
    settings.SINERGI_OUTBOUND_ALLOW = ["localhost"]  # a host name allow-lists whatever it resolves to
    port = server.httpd.server_port
    assert outbound.post(f"http://localhost:{port}/x", data=b"{}").status == 204


def test_closed_port_gives_a_generic_error(settings):
    settings.SINERGI_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(outbound.OutboundError) as err:
        outbound.post(f"http://127.0.0.1:{port}/", data=b"{}")
    text = str(err.value)
    assert text == str(outbound.MSG_UNREACHABLE) and str(port) not in text and "refused" not in text.lower()


def test_redirects_are_not_followed(settings):
    settings.SINERGI_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    target = _Server()
    redirect = _Server(status=307, headers={"Location": target.url})
    try:
        with pytest.raises(outbound.OutboundError) as err:
            outbound.post(redirect.url, data=b"{}")
        assert str(err.value) == str(outbound.MSG_REDIRECT) and redirect.hits == 1 and target.hits == 0
    finally:
        target.close()
        redirect.close()


def test_answers_are_read_up_to_the_cap(settings):
    settings.SINERGI_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    settings.SINERGI_OUTBOUND_MAX_RESPONSE_BYTES = 1000
    big = _Server(status=200, body=b"x" * 5000)
    try:
        with pytest.raises(outbound.OutboundError) as err:
            outbound.post(big.url, data=b"{}")
        assert str(err.value) == str(outbound.MSG_TOO_LARGE)
    finally:
        big.close()


def test_the_checked_address_is_the_one_connected(server, settings, monkeypatch):
    """DNS rebinding: the name is resolved once; the connection goes to that address, whatever a second
    lookup would answer."""
    settings.SINERGI_OUTBOUND_ALLOW = ["rebind.test"]
    real = socket.getaddrinfo
    calls = []

    def resolver(host, *args, **kwargs):
        if host == "rebind.test":
            calls.append(host)
            # first answer: the allowed loopback server; any later answer points elsewhere
            target = "127.0.0.1" if len(calls) == 1 else "192.0.2.1"
            return real(target, *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    resp = outbound.post(f"http://rebind.test:{server.httpd.server_port}/hook", data=b"{}", timeout=2)
    assert resp.status == 204 and server.hits == 1 and calls == ["rebind.test"]


def test_webhook_subscription_to_internal_address_is_refused_when_saved(ntt_dataset, make_user, settings):
    from sinergi.accounts.choices import Role
    from sinergi.reports import services
    from tests import reports_data

    settings.SINERGI_OUTBOUND_ALLOW = []
    world = reports_data.build(make_user)
    reader = make_user(unit=world.polda, role=Role.LIAISON)
    for url in ("http://127.0.0.1:8080/x", "http://169.254.169.254/latest", "http://[::1]/", "http://2130706433/"):
        with pytest.raises(ValidationError) as err:
            services.subscription_create(actor=reader, channel="webhook", webhook_url=url)
        assert err.value.message_dict["webhook_url"] == [str(outbound.MSG_REFUSED)]
