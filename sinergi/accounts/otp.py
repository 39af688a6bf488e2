"""Two-factor sign-in (TOTP, django-otp) for the roles that hold the most power: admins and commanders.

After the password, a user of a required role must enrol an authenticator app once (scan the QR code or type
the secret) and then enter its 6-digit code at every sign-in. The API token endpoint asks for the code too.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from sinergi.core.permissions import otp_required_for  # noqa: F401  (checked by core.live too)
from sinergi.core.services import audit_log


class OTPRequiredMiddleware:
    """Send a signed-in user of a required role to the OTP page until the session is verified."""

    EXEMPT_PREFIXES = ("/accounts/otp/", "/accounts/logout/", "/static/", "/i18n/", "/api/", "/healthz", "/tentang/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and otp_required_for(user)
            and not user.is_verified()
            and not request.path.startswith(self.EXEMPT_PREFIXES)
        ):
            return redirect(f"{reverse('otp')}?next={request.get_full_path()}")
        return self.get_response(request)


def _qr_svg(uri: str) -> str:
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue().decode()


@login_required
def otp_view(request):
    """Enrol (first time) or verify the TOTP code for this session."""
    user = request.user
    next_url = request.GET.get("next") or request.POST.get("next") or reverse("dashboard")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("dashboard")
    enrolled = user_has_device(user, confirmed=True)
    device = None
    if not enrolled:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Sinergi", confirmed=False)
    error = ""
    if request.method == "POST":
        token = (request.POST.get("token") or "").strip().replace(" ", "")
        if enrolled:
            verified = match_token(user, token)
        else:
            verified = device if device.verify_token(token) else None
            if verified:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_log(actor=user, action="user.otp_enrolled", obj=user, data={"device": "totp"})
        if verified:
            otp_login(request, verified)
            audit_log(actor=user, action="user.otp_verified", obj=user, data={})
            return redirect(next_url)
        error = _("Kode salah atau kedaluwarsa. Coba lagi dengan kode terbaru dari aplikasi autentikator.")
        audit_log(actor=user, action="user.otp_failed", obj=user, data={})
    context = {"enrolled": enrolled, "error": error, "next": next_url}
    if device is not None:
        context.update(secret=_b32(device), qr_svg=_qr_svg(device.config_url))
    return render(request, "accounts/otp.html", context)


def _b32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")
