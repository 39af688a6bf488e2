"""Who may send messages to the field and manage officers' contact addresses (personal data)."""

from __future__ import annotations

from sinergi.accounts.choices import Role
from sinergi.accounts.permissions import has_perm
from sinergi.accounts.selectors import is_global, scope_units

SENDER_ROLES = {Role.OPERATOR, Role.COMMANDER, Role.ADMIN}


def may_send(user) -> bool:
    """Operators, commanders and admins of an agency that reads operations (not the public, not observers)."""
    return bool(user and user.is_authenticated and (user.is_superuser or (
        user.role in SENDER_ROLES and has_perm(user, "ops.view"))))


def may_manage_contacts(actor, user) -> bool:
    """Staff who may send, for officers inside their unit scope."""
    if not may_send(actor):
        return False
    if is_global(actor):
        return True
    return bool(user.unit_id) and scope_units(actor).filter(pk=user.unit_id).exists()
