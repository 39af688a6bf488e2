"""Who may do what in coordination, until the actions are added to sinergi.accounts.permissions.MATRIX.

Reading is decided by markings (selectors.visible_q); these checks decide writing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from sinergi.accounts.choices import AgencyKind, Role

#: roles that may convene meetings, raise action items and share notes
WRITER_ROLES = {Role.OPERATOR, Role.ANALYST, Role.COMMANDER, Role.LIAISON, Role.ADMIN}
#: roles that may change the marking of a record raised in their unit subtree
MARKING_ROLES = {Role.COMMANDER, Role.ADMIN}


def _member(user) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.unit_id
        and user.unit.agency.code != AgencyKind.PUBLIC
    )


def can_write(user) -> bool:
    """Convene meetings, add agenda/decisions/action items, share notes."""
    return _member(user) and (user.is_superuser or user.role in WRITER_ROLES)


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
    return user.role in MARKING_ROLES and _within(user, obj.unit)


def require(check: bool, action: str) -> None:
    if not check:
        raise PermissionDenied(f"not allowed: {action}")
