"""DRF permission classes backed by the role -> action matrix in sinergi.core.permissions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from sinergi.core.permissions import has_perm


class HasAction(BasePermission):
    """Allow the request when the user may perform the view's action.

    A view names the action with `required_action = "tps.view"`, or per viewset action with
    `required_actions = {"list": "...", "retrieve": "..."}` (falling back to `required_action`).
    A view naming no action only needs an authenticated user.
    """

    message = _("Anda tidak berwenang melakukan aksi ini.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action = getattr(view, "required_actions", {}).get(getattr(view, "action", None))
        action = action or getattr(view, "required_action", None)
        return action is None or has_perm(user, action)
