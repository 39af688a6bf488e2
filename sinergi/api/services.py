"""Writers of API records: issuing and revoking authentication tokens (audited)."""

from __future__ import annotations

from django.db import transaction

from sinergi.accounts import tokens
from sinergi.accounts.models import ApiToken
from sinergi.core.services import audit_log


@transaction.atomic
def token_issue(*, user) -> ApiToken:
    """Issue a new API token for the user; the returned object's `.key` is the raw key, shown this once (only
    its SHA-256 is stored). Each issue is an audit event (with the key's prefix, never the key)."""
    token = tokens.create(user=user)
    audit_log(actor=user, action="auth.token_issue", obj=user,
              data={"username": user.get_username(), "created": True, "prefix": token.prefix,
                    "expires_at": token.expires_at})
    return token


@transaction.atomic
def token_revoke(*, user) -> bool:
    """Delete every API token of the user; the next request with any of them is refused."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    audit_log(actor=user, action="auth.token_revoke", obj=user, data={"username": user.get_username(),
                                                                       "tokens": deleted})
    return bool(deleted)
