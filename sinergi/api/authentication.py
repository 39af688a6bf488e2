import copy

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from sinergi.accounts import tokens
from sinergi.accounts.otp import otp_required_for


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, looked up by the key's SHA-256 (keys are hashed at rest) among tokens
    that have not expired; records the last use (at most every few minutes)."""

    def authenticate_credentials(self, key):
        from sinergi.core.clock import current_exercise

        if current_exercise() is None:
            # the per-process cache of the intake fast path (revocation and changes to the user are seen at once:
            # sinergi.accounts.tokens); the user is copied so that nothing one request sets on it reaches another
            token = tokens.lookup_cached(key)
            if token is not None:
                token = copy.copy(token)
                token.user = copy.copy(token.user)
        else:  # inside an exercise: its own database's tokens
            token = tokens.lookup(key)
            if token is not None:
                tokens.touch([token])
        if token is None:
            raise AuthenticationFailed(_("Token tidak sah atau kedaluwarsa."))
        if not token.user.is_active:
            raise AuthenticationFailed(_("Pengguna tidak aktif atau dihapus."))
        return token.user, token


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
