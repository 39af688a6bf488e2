"""Incident permissions (role x action, some limited by agency). Scope (which incidents) is in selectors.

The actions live in sinergi.accounts.permissions.MATRIX (and its AGENCY_LIMITS) with every other action.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from sinergi.core.permissions import has_perm


def can(user, action: str) -> bool:
    return has_perm(user, action)


def require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(f"not allowed: {action}")
