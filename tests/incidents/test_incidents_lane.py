"""The ASGI intake lane (sinergi/incidents/lane.py, in front of Django in config/asgi.py — what `sinergi up` serves)
is an adapter of the one intake service: the plain report is stored by `report_store_group` (a group of one here;
the group-commit writer `sinergi up` turns on is tested in test_incidents_intake.py) and answered
with Django's security headers; every other case reaches Django with its body intact, which answers as usual."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from sinergi.accounts.choices import Role
from sinergi.api.services import token_issue
from sinergi.core.models import AuditEvent
from sinergi.incidents.models import Report
from tests.incidents.factories import build_world

URL = "/api/v1/incident-reports/"


async def _call(app, body: bytes, headers: list[tuple[bytes, bytes]]):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": URL, "raw_path": URL.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode()), *headers],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    sent = [{"type": "http.request", "body": body, "more_body": False}]
    out: list[dict] = []

    async def receive():
        if sent:
            return sent.pop(0)
        await asyncio.sleep(3600)

    async def send(message):
        out.append(message)

    await app(scope, receive, send)
    start = next(m for m in out if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, payload


def call(body, token: str | None):
    from config.asgi import application

    headers = [(b"authorization", f"Token {token}".encode())] if token else []
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    # async_to_sync: Django's sync code runs in this thread, inside the test's transaction; like Django's test
    # client, connections are not recycled between requests (the test's transaction must survive)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        return async_to_sync(_call)(application, raw, headers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_asgi_lane_stores_through_the_one_service_and_answers_like_django(settings, make_user):
    settings.SINERGI_INCIDENT_PROCESSING = "deferred"
    world = build_world()
    token = token_issue(user=make_user(unit=world.polres, role=Role.OPERATOR)).key
    status, headers, payload = call({"key": "lane-1", "text": "Massa bentrok lempar batu", "lat": -14.18,
                                     "lng": 123.56}, token)
    assert status == 201, payload
    body = json.loads(payload)
    assert body["status"] == "accepted" and body["key"] == "lane-1"
    assert Report.objects.get(pk=body["id"]).idempotency_key == "lane-1"
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert any(body["id"] in e.data.get("report_ids", [])
               for e in AuditEvent.objects.filter(action="incident.report_batch_received"))
    # a retry: 200 duplicate with the stored report
    status, _, payload = call({"key": "lane-1", "text": "Massa bentrok lempar batu"}, token)
    assert status == 200 and json.loads(payload)["status"] == "duplicate"


@pytest.mark.django_db
def test_asgi_lane_hands_every_other_case_to_django_with_the_body(settings, make_user):
    world = build_world()
    token = token_issue(user=make_user(unit=world.polres, role=Role.OPERATOR)).key
    status, _, _ = call({"key": "lane-2", "text": "ribut"}, "not-a-token")
    assert status == 401
    status, _, payload = call({"key": "lane-3", "text": "ribut", "severity": 9}, token)
    assert status == 400 and "severity" in json.loads(payload)
    status, _, payload = call(b"{not json", token)
    assert status == 400
    assert not Report.objects.filter(idempotency_key__in=["lane-2", "lane-3"]).exists()
