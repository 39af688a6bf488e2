"""Web Push end to end: the VAPID key file, the subscription page/API (audited, scoped), the outbox `webpush`
channel sent by the tick through pywebpush + sinergi.core.outbound to a local push service that checks the VAPID
Authorization header and Content-Encoding and decrypts the body with the subscription's private key (the payload
is the short notice, never the message), 404/410 removes the subscription, 5xx is retried."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.exceptions import ValidationError
from django.core.management import call_command

from sinergi.accounts.choices import Role
from sinergi.core import clock
from sinergi.core.models import AuditEvent
from sinergi.messaging import jobs, services, webpush
from sinergi.messaging.models import Outbox, PushSubscription, Recipient
from tests.operations.factories import build_ops_world

pytestmark = pytest.mark.django_db

PUSH_PORT = 8185
SECRET_TEXT = "RAHASIA: rencana pengamanan gudang logistik pukul 04.00"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64u_dec(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """What a browser holds for one subscription: its P-256 key pair and auth secret."""

    def __init__(self, path: str = "/push/abc"):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = f"http://127.0.0.1:{PUSH_PORT}{path}"

    @property
    def p256dh(self) -> str:
        return b64u(self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                       serialization.PublicFormat.UncompressedPoint))

    def as_json(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": b64u(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


class PushService:
    """A local push service: records each POST and answers with the next queued status (201 when none)."""

    def __init__(self, port: int):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = outer.answers.pop(0) if outer.answers else 201
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"/m/{len(outer.requests)}")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def check_vapid(headers: dict) -> dict:
    """RFC 8292: Authorization: vapid t=<JWT ES256>, k=<our public key>; returns the JWT claims."""
    auth = headers["Authorization"]
    assert auth.startswith("vapid ")
    parts = dict(p.strip().split("=", 1) for p in auth[len("vapid "):].split(","))
    assert parts["k"] == webpush.public_key()
    head, claims, sig = parts["t"].split(".")
    raw = b64u_dec(sig)
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64u_dec(parts["k"]))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        pub.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:  # pragma: no cover - the assertion below says it
        pytest.fail("VAPID JWT signature does not verify with the public key")
    assert json.loads(b64u_dec(head))["alg"] == "ES256"
    return json.loads(b64u_dec(claims))


@pytest.fixture
def vapid(settings, tmp_path):
    settings.SINERGI_WEBPUSH_VAPID_PRIVATE_KEY = ""
    settings.SINERGI_WEBPUSH_VAPID_KEY_FILE = str(tmp_path / "vapid.pem")
    call_command("messaging_vapid_keys", verbosity=0)
    return tmp_path / "vapid.pem"


@pytest.fixture
def push(settings, vapid):
    settings.SINERGI_OUTBOUND_ALLOW = ["127.0.0.1"]
    with PushService(PUSH_PORT) as service:
        yield service


@pytest.fixture
def world(make_user):
    ow = build_ops_world()
    staff = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    officers = [make_user(unit=ow.polsek_a, role=Role.OPERATOR) for _ in range(2)]
    return ow, staff, officers


def _tick(minutes: int = 0):
    return jobs.tick(clock.now() + dt.timedelta(minutes=minutes))


# --------------------------------------------------------------------------- keys

def test_key_file_is_generated_once_with_0600_and_env_key_wins(settings, vapid):
    assert stat.S_IMODE(os.stat(vapid).st_mode) == 0o600
    first = vapid.read_bytes()
    pub = webpush.public_key()
    assert len(b64u_dec(pub)) == 65 and b64u_dec(pub)[0] == 4
    call_command("messaging_vapid_keys", verbosity=0)
    assert vapid.read_bytes() == first  # kept
    other = ec.generate_private_key(ec.SECP256R1())
    settings.SINERGI_WEBPUSH_VAPID_PRIVATE_KEY = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    assert webpush.public_key() == b64u(other.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


# --------------------------------------------------------------------------- page and API: audited, scoped

def test_inbox_page_has_the_control_and_subscription_is_stored_audited_and_scoped(client, world, push, make_user):
    ow, staff, officers = world
    client.force_login(officers[0])
    page = client.get("/pesan/").content.decode()
    assert "Aktifkan notifikasi" in page and f'data-key="{webpush.public_key()}"' in page
    assert "messaging/push" in page and "<script>" not in page  # no inline script (CSP)
    b = Browser()
    r = client.post("/pesan/notifikasi/", data=json.dumps(b.as_json()), content_type="application/json")
    assert r.status_code == 201, r.content
    sub = PushSubscription.objects.get()
    assert sub.user == officers[0] and sub.endpoint == b.endpoint
    assert AuditEvent.objects.filter(action="messaging.push_subscribe", object_id=str(sub.pk)).exists()
    # the same browser again: one row
    assert client.post("/pesan/notifikasi/", data=json.dumps(b.as_json()),
                       content_type="application/json").status_code == 201
    assert PushSubscription.objects.count() == 1
    assert [s["id"] for s in client.get("/pesan/notifikasi/").json()["subscriptions"]] == [sub.pk]
    # another officer neither sees nor deletes it
    client.force_login(officers[1])
    assert client.get("/pesan/notifikasi/").json()["subscriptions"] == []
    assert client.post(f"/pesan/notifikasi/{sub.pk}/hapus/").status_code == 404
    assert client.post("/pesan/notifikasi/hapus/", data=json.dumps({"endpoint": b.endpoint}),
                       content_type="application/json").status_code == 404
    # an admin sees and may delete it
    admin = make_user(unit=ow.polres_a, role=Role.ADMIN)
    client.force_login(admin)
    assert [s["id"] for s in client.get("/pesan/notifikasi/").json()["subscriptions"]] == [sub.pk]
    # the owner switches it off from the page (by this browser's endpoint)
    client.force_login(officers[0])
    assert client.post("/pesan/notifikasi/hapus/", data=json.dumps({"endpoint": b.endpoint}),
                       content_type="application/json").json() == {"deleted": True}
    assert not PushSubscription.objects.exists()
    assert AuditEvent.objects.filter(action="messaging.push_unsubscribe", object_id=str(sub.pk)).exists()
    # admin deletes by id
    r = client.post("/pesan/notifikasi/", data=json.dumps(b.as_json()), content_type="application/json")
    client.force_login(admin)
    assert client.post(f"/pesan/notifikasi/{r.json()['id']}/hapus/").status_code == 200
    assert not PushSubscription.objects.exists()
    client.logout()
    assert client.get("/pesan/notifikasi/").status_code == 302


def test_bad_subscriptions_are_refused_with_a_reason(client, world, settings, vapid):
    _ow, _staff, officers = world
    client.force_login(officers[0])
    good = Browser().as_json()
    # an internal address (not allow-listed) is refused by the outbound rules
    r = client.post("/pesan/notifikasi/", data=json.dumps(good), content_type="application/json")
    assert r.status_code == 400 and "endpoint" in r.json()["fields"]
    settings.SINERGI_OUTBOUND_ALLOW = ["127.0.0.1"]
    bad_keys = {**good, "keys": {"p256dh": "AAAA", "auth": "x"}}
    r = client.post("/pesan/notifikasi/", data=json.dumps(bad_keys), content_type="application/json")
    assert r.status_code == 400 and set(r.json()["fields"]) == {"p256dh", "auth"}
    for body in ({"endpoint": "file:///etc/passwd", "keys": good["keys"]}, {}):
        assert client.post("/pesan/notifikasi/", data=json.dumps(body),
                           content_type="application/json").status_code == 400
    assert not PushSubscription.objects.exists()
    settings.SINERGI_WEBPUSH_VAPID_KEY_FILE = str(vapid) + ".none"
    r = client.post("/pesan/notifikasi/", data=json.dumps(good), content_type="application/json")
    assert r.status_code == 503
    with pytest.raises(ValidationError):
        services.push_subscribe(actor=officers[0], endpoint="http://10.0.0.1/x", p256dh="", auth="")


# --------------------------------------------------------------------------- sending through the outbox

def _subscribe(user, path="/push/abc") -> Browser:
    b = Browser(path)
    services.push_subscribe(actor=user, endpoint=b.endpoint, p256dh=b.p256dh, auth=b64u(b.auth))
    return b


def test_push_is_encrypted_vapid_signed_and_carries_only_the_notice(world, push):
    ow, staff, officers = world
    b1 = _subscribe(officers[0], "/push/one")
    b2 = _subscribe(officers[0], "/push/two")  # a second phone of the same officer
    msg = services.message_send(actor=staff, text=SECRET_TEXT, marking="RED", unit_ids=[ow.polsek_a.pk])
    rows = Outbox.objects.filter(channel="webpush")
    assert rows.count() == 2 and all(SECRET_TEXT not in o.text for o in rows)
    assert _tick() == {"sent": 2, "retry": 0, "failed": 0}
    assert sorted(r["path"] for r in push.requests) == ["/push/one", "/push/two"]
    rec = Recipient.objects.get(message=msg, user=officers[0])
    for req in push.requests:
        h = req["headers"]
        assert h["Content-Encoding"] == "aes128gcm" and int(h["TTL"]) > 0
        claims = check_vapid(h)
        assert claims["aud"] == f"http://127.0.0.1:{PUSH_PORT}" and claims["sub"].startswith("mailto:")
        assert SECRET_TEXT.encode() not in req["body"]
        b = b1 if req["path"] == "/push/one" else b2
        payload = b.decrypt(req["body"])
        assert payload["title"] == f"Pesan baru dari {staff.unit.name}"
        assert payload["url"] == f"/pesan/{rec.pk}/"
        assert SECRET_TEXT not in json.dumps(payload)
    assert set(Outbox.objects.filter(channel="webpush").values_list("status", flat=True)) == {"sent"}
    assert _tick(minutes=10) == {"sent": 0, "retry": 0, "failed": 0}  # sent once


def test_gone_subscription_is_deleted_and_5xx_is_retried(world, push):
    ow, staff, officers = world
    _subscribe(officers[0], "/push/gone")
    b = _subscribe(officers[1], "/push/busy")
    push.answers = [410, 503]
    services.message_send(actor=staff, text="Laporkan situasi TPS anda", unit_ids=[ow.polsek_a.pk])
    # order of sending: by outbox id (subscription order) — the first gets 410, the second 503
    counts = _tick()
    assert counts == {"sent": 0, "retry": 1, "failed": 1}
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [b.endpoint]
    gone = Outbox.objects.get(channel="webpush", status="failed")
    assert "410" in gone.error and gone.push_subscription_id is None
    assert AuditEvent.objects.filter(action="messaging.push_expired").count() == 1
    assert _tick() == {"sent": 0, "retry": 0, "failed": 0}  # back-off: not due yet
    assert _tick(minutes=5) == {"sent": 1, "retry": 0, "failed": 0}
    assert b.decrypt(push.requests[-1]["body"])["title"].startswith("Pesan baru dari")
    assert len(push.requests) == 3


def test_push_endpoint_is_checked_again_at_send(world, push, settings):
    ow, staff, officers = world
    _subscribe(officers[0])
    services.message_send(actor=staff, text="Laporkan situasi TPS anda", unit_ids=[ow.polsek_a.pk])
    settings.SINERGI_OUTBOUND_ALLOW = []  # the operator withdrew the allow-list: internal address refused
    assert _tick() == {"sent": 0, "retry": 0, "failed": 1}
    assert push.requests == []
    assert "tidak diizinkan" in Outbox.objects.get(channel="webpush").error
