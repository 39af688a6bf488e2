"""Scoped reads of the elections app.

Import runs (TaskRun kind "tps_import"): admins see every run; other users see runs whose unit is in their
scope (`sinergi.accounts.selectors.scope_units`) and their own runs.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sinergi.accounts.permissions import has_perm
from sinergi.accounts.selectors import is_global, scope_units
from sinergi.core.models import TaskRun

TPS_IMPORT_KIND = "tps_import"


def tps_import_run_list(*, user) -> QuerySet[TaskRun]:
    """TPS import runs the user may read, newest first."""
    if not (has_perm(user, "taskrun.view") or has_perm(user, "tps.import")):
        return TaskRun.objects.none()
    qs = TaskRun.objects.filter(kind=TPS_IMPORT_KIND).select_related("created_by", "unit")
    if is_global(user):
        return qs
    return qs.filter(Q(unit__in=scope_units(user)) | Q(created_by=user))


def tps_import_run_get(*, user, pk: int) -> TaskRun | None:
    """One import run, or None when it does not exist or is outside the user's scope."""
    return tps_import_run_list(user=user).filter(pk=pk).first()
