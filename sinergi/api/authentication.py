from rest_framework.authentication import SessionAuthentication

from sinergi.accounts.otp import otp_required_for


class VerifiedSessionAuthentication(SessionAuthentication):
    """Session auth that, for roles needing two-factor sign-in, only counts an OTP-verified session."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if otp_required_for(user) and not user.is_verified():
            return None
        return result


try:  # describe it in the OpenAPI schema like Django's session auth
    from drf_spectacular.authentication import SessionScheme

    class VerifiedSessionScheme(SessionScheme):
        target_class = "sinergi.api.authentication.VerifiedSessionAuthentication"
        name = "cookieAuth"
except ImportError:  # pragma: no cover
    pass
