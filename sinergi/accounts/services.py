"""Writers for agencies, units, strengths and users. Each one writes its audit event."""

from __future__ import annotations

from django.db import transaction

from sinergi.core.services import audit_log

from .models import Agency, Unit, User


def unit_path(unit: Unit) -> str:
    return (unit.parent.path if unit.parent_id else "/") + f"{unit.pk}/"


@transaction.atomic
def unit_create(*, actor, agency: Agency, code: str, name: str, level: str, parent: Unit | None = None,
                jurisdiction=(), note: str = "", audit: bool = True) -> Unit:
    unit = Unit.objects.create(agency=agency, parent=parent, code=code, name=name, level=level, note=note)
    unit.path = unit_path(unit)
    unit.save(update_fields=["path"])
    if jurisdiction:
        unit.jurisdiction.set(jurisdiction)
    if audit:
        audit_log(actor=actor, action="unit.create", obj=unit, data={"code": code, "name": name})
    return unit


@transaction.atomic
def user_create(*, actor, username: str, password: str | None, unit: Unit | None, role: str,
                email: str = "", is_superuser: bool = False, first_name: str = "", last_name: str = "",
                rank: str = "", staff_number: str = "") -> User:
    user = User(username=username, unit=unit, role=role, email=email, first_name=first_name, last_name=last_name,
                rank=rank, staff_number=staff_number, is_superuser=is_superuser, is_staff=is_superuser)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_log(actor=actor, action="user.create", obj=user,
              data={"username": username, "role": role, "unit": unit.code if unit else None})
    return user


@transaction.atomic
def user_set_password(*, actor, user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_log(actor=actor, action="user.set_password", obj=user, data={"username": user.username})
