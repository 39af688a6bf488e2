"""The WSGI entry with the intake fast lane (sinergi.incidents.wsgi) answers exactly like Django would: the plain
report is stored and answered with Django's security headers; every other case (bad token, role, field, JSON,
host, plain HTTP under SSL redirect, other methods and paths) reaches Django with the body intact and stores
nothing it should not."""

from __future__ import annotations

import io
import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from sinergi.accounts.choices import Role
from sinergi.api.services import token_issue
from sinergi.core.models import AuditEvent
from sinergi.incidents.models import Report
from sinergi.incidents.wsgi import application
from tests.incidents.factories import build_world

URL = "/api/v1/incident-reports/"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def token(world, make_user):
    user = make_user(unit=world.polres, role=Role.OPERATOR)
    return token_issue(user=user).key


def call(body, *, token=None, method="POST", path=URL, ctype="application/json", host="testserver", **extra):
    """One request through the WSGI callable, as a WSGI server makes it. Like Django's test client, database
    connections are not recycled between requests (the test's transaction must survive)."""
    raw = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": host,
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(raw), "wsgi.errors": io.StringIO(),
               "CONTENT_TYPE": ctype, "CONTENT_LENGTH": str(len(raw)), **extra}
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Token {token}"
    started = []
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = application(environ, lambda status, headers: started.append((status, dict(headers))))
        payload = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    status, headers = started[0]
    return int(status.split()[0]), headers, payload


SECURITY = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


def test_plain_report_is_stored_once_and_answered_with_the_security_headers(token):
    status, headers, body = call({"key": "hp-1", "text": " Massa bentrok di depan TPS ", "lat": -10.1,
                                  "lng": 123.6}, token=token)
    assert status == 201, body
    answer = json.loads(body)
    report = Report.objects.get(idempotency_key="hp-1")
    assert answer == {"id": report.pk, "key": "hp-1", "status": "accepted", "incident": report.incident_id}
    assert report.incident_id is not None and report.text == "Massa bentrok di depan TPS"
    assert headers["Content-Type"] == "application/json" and int(headers["Content-Length"]) == len(body)
    assert all(headers.get(k) == v for k, v in SECURITY.items()), headers
    assert any(e.data.get("report_ids") == [report.pk] for e in AuditEvent.objects.filter(
        action="incident.report_batch_received"))
    again_status, _, again = call({"key": "hp-1", "text": "kiriman ulang"}, token=token)
    assert again_status == 200 and json.loads(again) == {**answer, "status": "duplicate"}
    assert Report.objects.filter(idempotency_key="hp-1").count() == 1


def test_same_answer_headers_as_django(token, settings):
    """Django (lean path off) and the fast lane answer the same report with the same security headers."""
    settings.SINERGI_INCIDENT_LEAN_INTAKE = False
    _, django_headers, _ = call({"key": "dj-1", "text": "ribut"}, token=token)
    settings.SINERGI_INCIDENT_LEAN_INTAKE = True
    _, lane_headers, _ = call({"key": "ln-1", "text": "ribut"}, token=token)
    for name in [*SECURITY, "Content-Type", "Cross-Origin-Opener-Policy"]:
        assert lane_headers.get(name) == django_headers.get(name), name


@pytest.mark.parametrize("kwargs, expected", [
    ({"body": {"key": "x", "text": "ribut"}, "token": "bukan-token"}, 401),
    ({"body": {"key": "x", "text": "ribut"}, "token": None}, 401),
    ({"body": {"key": "x", "text": "ribut", "lat": 95, "lng": 1}}, 400),
    ({"body": {"key": "x", "text": "ribut", "tps_code": "99.71.01.1001-099"}}, 400),
    ({"body": '{"key": "x", "text": '}, 400),
    ({"body": b'{"key": "x", "text": "\xff ribut"}'}, 400),
    ({"body": {"key": "x", "text": "ribut"}, "host": "penyerang.example"}, 400),
    ({"body": {"key": "x", "text": "ribut"}, "method": "PUT"}, 405),
    ({"body": {"key": "x", "text": "ribut"}, "HTTP_ACCEPT": "application/xml"}, 406),
])
def test_everything_but_the_plain_case_gets_djangos_answer_and_stores_nothing(token, kwargs, expected):
    kwargs.setdefault("token", token)
    status, _, body = call(**kwargs)
    assert status == expected, body
    assert not Report.objects.exists()


def test_html_or_format_requests_get_djangos_negotiated_answer(token):
    status, headers, _ = call({"key": "h-1", "text": "ribut"}, token=token, HTTP_ACCEPT="text/html,*/*")
    assert status == 201 and headers["Content-Type"].startswith("text/html")
    status, headers, body = call({"key": "h-2", "text": "ribut"}, token=token, QUERY_STRING="format=json")
    assert status == 201 and json.loads(body)["key"] == "h-2"
    assert Report.objects.filter(idempotency_key__in=["h-1", "h-2"]).count() == 2


def test_field_errors_name_the_field(token):
    status, _, body = call({"key": "x", "text": "ribut", "severity": 7}, token=token)
    assert status == 400 and "severity" in json.loads(body)
    assert not Report.objects.exists()


def test_role_without_permission_is_refused(world, make_user):
    observer = make_user(unit=world.polres, role=Role.OBSERVER)
    status, _, _ = call({"key": "x", "text": "ribut"}, token=token_issue(user=observer).key)
    assert status == 403 and not Report.objects.exists()


def test_plain_http_under_ssl_redirect_is_left_to_django(token, settings):
    """Django's SecurityMiddleware redirects plain HTTP when SECURE_SSL_REDIRECT is on (it reads the setting when
    the application starts, so this checks the lane's own decision): the lane takes only HTTPS then."""
    from sinergi.incidents import wsgi

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": URL, "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": "30", "HTTP_AUTHORIZATION": f"Token {token}", "HTTP_HOST": "testserver",
               "wsgi.url_scheme": "http"}
    assert wsgi._takes(environ)
    settings.SECURE_SSL_REDIRECT = True
    assert not wsgi._takes(environ)
    assert wsgi._takes({**environ, "wsgi.url_scheme": "https"})
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert wsgi._takes({**environ, "HTTP_X_FORWARDED_PROTO": "https"})
    assert not wsgi._takes({**environ, "HTTP_X_FORWARDED_PROTO": "http"})
