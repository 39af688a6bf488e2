"""Writers of API records: issuing authentication tokens (audited)."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from sinergi.core.services import audit_log


@transaction.atomic
def token_issue(*, user) -> Token:
    """Return the user's API token, creating it on first use. Each issue is an audit event."""
    token, created = Token.objects.get_or_create(user=user)
    audit_log(actor=user, action="auth.token_issue", obj=user,
              data={"username": user.get_username(), "created": created})
    return token


@transaction.atomic
def token_revoke(*, user) -> bool:
    """Delete the user's API token; the next request with it is refused."""
    deleted, _ = Token.objects.filter(user=user).delete()
    audit_log(actor=user, action="auth.token_revoke", obj=user, data={"username": user.get_username()})
    return bool(deleted)
