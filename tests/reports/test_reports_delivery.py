"""Situation report delivery: subscriptions, in-app notice, e-mail with attachments, signed webhook to a real
local HTTP server with retries; the English rendering for English subscribers."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from sinergi.accounts.choices import Role
from sinergi.reports import jobs, services
from sinergi.reports.choices import DeliveryStatus
from sinergi.reports.models import Delivery, ReportFile, SituationReport
from tests import reports_data

pytestmark = pytest.mark.slow


class Hook:
    """A real HTTP server on localhost that records POSTs; fails the first `fail` requests with 500."""

    def __init__(self, fail: int = 0):
        self.received: list[tuple[dict, bytes]] = []
        self.fail = fail
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((dict(self.headers), body))
                if hook.fail > 0:
                    hook.fail -= 1
                    self.send_response(500)
                else:
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sitrep"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def allow_local_hooks(settings):
    """The test webhooks run on this machine: loopback is refused unless the operator allow-lists it."""
    settings.SINERGI_OUTBOUND_ALLOW = ["127.0.0.1/32"]


@pytest.fixture
def world(ntt_dataset, make_user):
    return reports_data.build(make_user)


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.close()


def generate(capture, world, unit=None) -> SituationReport:
    with capture(execute=True):
        report, _ = services.report_request(actor=world.analyst, election=world.election,
                                            scope_unit=unit or world.polda)
    return SituationReport.objects.get(pk=report.pk)


def test_subscribers_get_in_app_email_and_signed_webhook(world, make_user, hook, client,
                                                         django_capture_on_commit_callbacks):
    reader = make_user(unit=world.polda, role=Role.LIAISON, email="lo@polda.example")
    in_app = services.subscription_create(actor=reader)
    email = services.subscription_create(actor=reader, channel="email", want_pdf=True, want_xlsx=True)
    web = services.subscription_create(actor=reader, channel="webhook", webhook_url=hook.url)
    assert web.secret and len(web.secret) == 64 and not in_app.secret
    other = make_user(unit=world.polda, role=Role.LIAISON)
    web2 = services.subscription_create(actor=other, channel="webhook", webhook_url=hook.url)
    assert web2.secret != web.secret
    # a Polres officer subscribed to everything they may read gets the Polres report only
    kupang = make_user(unit=world.kupang, role=Role.OPERATOR, email="ops@kupang.example")
    services.subscription_create(actor=kupang, channel="email")

    report = generate(django_capture_on_commit_callbacks, world)
    deliveries = {d.subscription_id: d for d in Delivery.objects.filter(report=report)}
    assert set(deliveries) == {in_app.pk, email.pk, web.pk, web2.pk}
    assert all(d.status == DeliveryStatus.DELIVERED and d.attempts == 1 for d in deliveries.values())

    # e-mail with both files attached, bytes equal to the archive
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["lo@polda.example"] and "Laporan Situasi Harian" in msg.subject
    attached = {name.rsplit(".", 1)[1]: content for name, content, _ in msg.attachments}
    for fmt in ("pdf", "xlsx"):
        f = ReportFile.objects.get(report=report, format=fmt, language="id")
        assert hashlib.sha256(attached[fmt]).hexdigest() == f.sha256

    # webhook: two POSTs, each signed with its own subscription's secret
    assert len(hook.received) == 2
    by_delivery = {}
    for headers, body in hook.received:
        payload = json.loads(body)
        by_delivery[payload["delivery"]] = (headers, body, payload)
    headers, body, payload = by_delivery[deliveries[web.pk].pk]
    expected = hmac.new(web.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Sinergi-Signature"] == f"sha256={expected}"
    assert headers["X-Sinergi-Signature"] != "sha256=" + hmac.new(web2.secret.encode(), body,
                                                                 hashlib.sha256).hexdigest()
    assert payload["event"] == "sitrep.published" and payload["report"]["id"] == report.pk
    assert payload["report"]["files"][0]["sha256"] == ReportFile.objects.get(
        report=report, format="pdf", language="id").sha256
    assert payload["summary"]["incidents"] == 5

    # in-app: shown on the archive page until opened
    client.force_login(reader)
    page = client.get(reverse("reports:archive")).content.decode()
    assert "Laporan baru untuk Anda" in page
    client.get(reverse("reports:detail", args=[report.pk]))
    assert Delivery.objects.get(pk=deliveries[in_app.pk].pk).read_at is not None
    assert "Laporan baru untuk Anda" not in client.get(reverse("reports:archive")).content.decode()

    # the Polres subscriber receives the Polres report, not the province one
    mail.outbox.clear()
    polres_report = generate(django_capture_on_commit_callbacks, world, world.kupang)
    assert sorted(m.to[0] for m in mail.outbox) == ["lo@polda.example", "ops@kupang.example"]
    assert Delivery.objects.filter(report=polres_report, subscription__user=kupang).count() == 1


def test_webhook_failures_are_retried_and_recorded(world, make_user, django_capture_on_commit_callbacks):
    failing = Hook(fail=2)
    try:
        reader = make_user(unit=world.polda, role=Role.ANALYST)
        sub = services.subscription_create(actor=reader, channel="webhook", webhook_url=failing.url)
        report = generate(django_capture_on_commit_callbacks, world)
        d = Delivery.objects.get(report=report, subscription=sub)
        assert d.status == DeliveryStatus.RETRYING and d.attempts == 1 and "500" in d.error
        first_retry = d.next_attempt_at
        assert jobs.tick(first_retry - dt.timedelta(seconds=1))["retried"] == 0
        assert jobs.tick(first_retry)["retried"] == 1
        d.refresh_from_db()
        assert d.status == DeliveryStatus.RETRYING and d.attempts == 2
        jobs.tick(d.next_attempt_at)
        d.refresh_from_db()
        assert d.status == DeliveryStatus.DELIVERED and d.attempts == 3 and d.error == ""
        assert len(failing.received) == 3
        bodies = {json.loads(b)["delivery"] for _, b in failing.received}
        assert bodies == {d.pk}
    finally:
        failing.close()


def test_unreachable_webhook_gives_up_after_max_attempts(world, make_user, django_capture_on_commit_callbacks):
    reader = make_user(unit=world.polda, role=Role.ANALYST)
    sub = services.subscription_create(actor=reader, channel="webhook", webhook_url="http://127.0.0.1:9/none")
    report = generate(django_capture_on_commit_callbacks, world)
    d = Delivery.objects.get(report=report, subscription=sub)
    while d.status == DeliveryStatus.RETRYING:
        jobs.tick(d.next_attempt_at)
        d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED and d.attempts == services.MAX_ATTEMPTS and d.error


def test_english_subscriber_gets_english_rendering(world, make_user, django_capture_on_commit_callbacks):
    import pypdfium2 as pdfium

    reader = make_user(unit=world.polda, role=Role.LIAISON, email="en@polda.example")
    services.subscription_create(actor=reader, channel="email", language="en")
    report = generate(django_capture_on_commit_callbacks, world)
    en = ReportFile.objects.get(report=report, format="pdf", language="en")
    idn = ReportFile.objects.get(report=report, format="pdf", language="id")
    assert en.sha256 != idn.sha256
    text = " ".join(pdfium.PdfDocument(io.BytesIO(bytes(en.data)))[0].get_textpage().get_text_range().split())
    # category names come from the taxonomy's English names
    assert "Violence" in text or "violence" in text
    name, content, _ = mail.outbox[0].attachments[0]
    assert name.endswith(".en.pdf") and hashlib.sha256(content).hexdigest() == en.sha256


def test_subscription_rules(world, make_user, client):
    observer = make_user(unit=world.polda, role=Role.OBSERVER)
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=observer)
    a = make_user(unit=world.polda, role=Role.LIAISON)
    b = make_user(unit=world.polda, role=Role.LIAISON)
    sub = services.subscription_create(actor=a)
    with pytest.raises(PermissionDenied):
        services.subscription_set_active(actor=b, subscription=sub, active=False)
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=a, user=b)
    kupang = make_user(unit=world.kupang, role=Role.OPERATOR)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.subscription_create(actor=kupang, scope_unit=world.polda)
    with pytest.raises(ValidationError):
        services.subscription_create(actor=a, channel="webhook", webhook_url="ftp://x")
    # the page: own subscriptions only; create and stop
    client.force_login(b)
    resp = client.post(reverse("reports:subscriptions"), {"channel": "in_app", "want_pdf": "on",
                                                          "language": "id"})
    assert resp.status_code == 302
    page = client.get(reverse("reports:subscriptions")).content.decode()
    assert page.count("data-subscription=") == 1
    mine = b.sitrep_subscriptions.get()
    client.post(reverse("reports:subscription_toggle", args=[mine.pk]))
    mine.refresh_from_db()
    assert not mine.active
    assert client.post(reverse("reports:subscription_toggle", args=[sub.pk])).status_code == 404
