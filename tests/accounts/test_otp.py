"""Two-factor sign-in (TOTP) for admins and commanders."""

import time

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from sinergi.accounts.choices import Role
from sinergi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def otp_on(settings):
    settings.SINERGI_OTP_REQUIRED_ROLES = ["admin", "commander"]


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0):06d}"


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.9.9.9")


def test_commander_must_enrol_then_verify(client, make_user, password):
    make_user(username="danres", role=Role.COMMANDER)
    _login(client, "danres", password)
    resp = client.get(reverse("dashboard"))
    assert resp.status_code == 302 and resp.url.startswith(reverse("otp"))
    page = client.get(resp.url).content.decode()
    assert 'data-testid="otp-qr"' in page and "<svg" in page and 'data-testid="otp-secret"' in page
    device = TOTPDevice.objects.get(user__username="danres", confirmed=False)

    bad = client.post(reverse("otp"), {"token": "000000" if _code(device) != "000000" else "111111"})
    assert "Kode salah" in bad.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    # django-otp throttles a device after a failure (brute-force guard); pretend the back-off has passed.
    device.refresh_from_db()
    device.throttle_reset()

    ok = client.post(reverse("otp"), {"token": _code(device), "next": reverse("dashboard")})
    assert ok.status_code == 302 and ok.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="user.otp_enrolled").exists()


def test_enrolled_admin_verifies_at_next_sign_in(client, make_user, password):
    user = make_user(username="adm", role=Role.ADMIN)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    _login(client, "adm", password)
    page = client.get(reverse("otp")).content.decode()
    assert 'data-testid="otp-qr"' not in page  # no new secret shown once enrolled
    assert client.get(reverse("dashboard")).status_code == 302
    client.post(reverse("otp"), {"token": _code(device)})
    assert client.get(reverse("dashboard")).status_code == 200


def test_operator_signs_in_with_password_only(client, make_user, password):
    make_user(username="op", role=Role.OPERATOR)
    _login(client, "op", password)
    assert client.get(reverse("dashboard")).status_code == 200


def test_unverified_session_cannot_use_the_api(client, make_user, password):
    make_user(username="danres2", role=Role.COMMANDER)
    _login(client, "danres2", password)
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_api_token_needs_otp_for_commander(make_user, password):
    user = make_user(username="danres3", role=Role.COMMANDER)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    api = APIClient()
    no_code = api.post("/api/v1/auth/token/", {"username": "danres3", "password": password}, format="json",
                       REMOTE_ADDR="10.9.9.8")
    assert no_code.status_code == 400 and "OTP" in no_code.json()["detail"]
    time.sleep(0)  # same TOTP window
    ok = api.post("/api/v1/auth/token/", {"username": "danres3", "password": password, "otp": _code(device)},
                  format="json", REMOTE_ADDR="10.9.9.8")
    assert ok.status_code == 200 and ok.json()["token"]
