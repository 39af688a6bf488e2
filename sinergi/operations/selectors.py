"""Scoped reads of election-day operations."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sinergi.accounts.permissions import has_perm
from sinergi.accounts.selectors import is_global, scope_units

from .models import Alert


def alerts_for(user, *, election=None, open_only: bool = True) -> QuerySet[Alert]:
    """Alerts of units in the user's scope (own unit and below); admins and province-level Polri see all."""
    if not has_perm(user, "ops.view"):
        return Alert.objects.none()
    qs = Alert.objects.select_related("unit", "polling_station")
    if election is not None:
        qs = qs.filter(election=election)
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    if is_global(user):
        return qs
    units = scope_units(user)
    return qs.filter(Q(unit__in=units))
