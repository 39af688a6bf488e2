"""Who may do what in coordination. Role and agency come from sinergi.accounts.permissions.MATRIX
(`coordination.write`, `coordination.marking_change`); these functions add the record-level rules.

Reading is decided by markings (selectors.visible_q); these checks decide writing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from sinergi.accounts.choices import AgencyKind, Role
from sinergi.core.permissions import has_perm


def _member(user) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.unit_id
        and user.unit.agency.code != AgencyKind.PUBLIC
    )


def can_write(user) -> bool:
    """Convene meetings, add agenda/decisions/action items, share notes."""
    return _member(user) and has_perm(user, "coordination.write")


def _within(user, unit) -> bool:
    return bool(user.unit_id and unit is not None and user.unit.path.startswith(unit.path))


def can_edit_meeting(user, meeting) -> bool:
    """The author, or a writer in the convening unit's subtree."""
    return can_write(user) and (meeting.author_id == user.pk or _within(user, meeting.unit))


def can_update_action(user, item) -> bool:
    """Report progress: the owner unit, supporting units, the raising unit (subtrees) and the author."""
    if not _member(user) or user.role == Role.OBSERVER:
        return False
    if item.author_id == user.pk or _within(user, item.owner_unit) or _within(user, item.unit):
        return True
    return any(_within(user, u) for u in item.supporting_units.all())


def can_change_marking(user, obj) -> bool:
    if not _member(user):
        return False
    if obj.author_id == user.pk:
        return True
    return has_perm(user, "coordination.marking_change") and _within(user, obj.unit)


def require(check: bool, action: str) -> None:
    if not check:
        raise PermissionDenied(f"not allowed: {action}")
