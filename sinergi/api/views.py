"""Authentication endpoints of API v1: obtain and revoke a token."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from django_otp import match_token
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from sinergi.accounts.otp import otp_required_for

from .services import token_issue, token_revoke


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(required=False, allow_blank=True,
                                help_text="6-digit TOTP code; required for roles with two-factor sign-in")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="The key, shown once: only its SHA-256 is stored")
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)


_error = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})


class TokenObtainView(APIView):
    """Exchange a username and password for an API token (header `Authorization: Token <key>`).

    Failed attempts count towards the login lockout (django-axes), like the sign-in page; a locked-out
    username and address gets 429 until the cool-off ends.
    """

    # 400 (a field missing or invalid, or wrong credentials) is the Error of every operation (sinergi.api.schema)
    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer, 429: _error},
                   auth=[], tags=["auth"], operation_id="auth_token_create")
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(request=django_request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if getattr(django_request, "axes_locked_out", False):
            # Answer in JSON here; clearing the flag keeps AxesMiddleware from swapping in its HTML page.
            django_request.axes_locked_out = False
            return Response({"detail": _("Akun terkunci sementara karena terlalu banyak percobaan gagal.")},
                            status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None or not user.is_active:
            return Response({"detail": _("Nama pengguna atau kata sandi salah.")},
                            status=status.HTTP_400_BAD_REQUEST)
        code = data.validated_data.get("otp", "").strip()
        if otp_required_for(user) and (not code or match_token(user, code) is None):
            return Response({"detail": _("Kode OTP diperlukan atau salah untuk peran ini.")},
                            status=status.HTTP_400_BAD_REQUEST)
        token = token_issue(user=user)
        return Response(TokenSerializer({"token": token.key, "expires_at": token.expires_at}).data)

    @extend_schema(request=None, responses={204: None}, tags=["auth"], operation_id="auth_token_destroy")
    def delete(self, request):
        """Revoke the caller's tokens."""
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_authenticators(self):
        # POST needs none (it is the login); DELETE needs the caller's token or session.
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return [auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
        return []

    def get_permissions(self):
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]
