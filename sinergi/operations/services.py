"""Writers of election-day operations records. Every change is audited."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from sinergi.accounts.permissions import require_perm
from sinergi.core.services import audit_log

from . import live
from .models import Alert


def alert_raise(*, election, key: str, kind: str, message: str, severity: int = 2, unit=None,
                polling_station=None, subject=None, data: dict | None = None, due_at: dt.datetime | None = None,
                at: dt.datetime | None = None) -> tuple[Alert, bool]:
    """Raise an alert once per `key` (system actor). Returns (alert, created). A resolved alert with the same key
    is re-opened, so a cause that comes back is seen again."""
    existing = Alert.objects.filter(key=key).first()
    if existing is not None:
        if existing.resolved_at is None:
            return existing, False
        with transaction.atomic():
            existing.resolved_at = None
            existing.raised_at = at or timezone.now()
            existing.message = message
            existing.save(update_fields=["resolved_at", "raised_at", "message"])
            audit_log(actor=None, action="ops.alert.reopen", obj=existing, data={"key": key})
        live.broadcast("alert", id=existing.pk)
        return existing, True
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                election=election, key=key, kind=kind, message=message[:500], severity=severity, unit=unit,
                polling_station=polling_station,
                subject_type=subject._meta.label_lower if subject is not None else "",
                subject_id=str(subject.pk) if subject is not None else "",
                data=data or {}, raised_at=at or timezone.now(), due_at=due_at,
            )
            audit_log(actor=None, action="ops.alert.raise", obj=alert, data={"key": key, "kind": kind})
    except IntegrityError:  # raised concurrently by another worker
        return Alert.objects.get(key=key), False
    live.broadcast("alert", id=alert.pk)
    return alert, True


def alert_resolve(*, key: str, reason: str = "", at: dt.datetime | None = None) -> Alert | None:
    """Resolve the open alert with this key (system actor), if any."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(key=key, resolved_at__isnull=True).first()
        if alert is None:
            return None
        alert.resolved_at = at or timezone.now()
        alert.save(update_fields=["resolved_at"])
        audit_log(actor=None, action="ops.alert.resolve", obj=alert, data={"key": key, "reason": reason})
    live.broadcast("alert", id=alert.pk)
    return alert


def alert_acknowledge(*, actor, alert: Alert) -> Alert:
    require_perm(actor, "ops.alert.ack")
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = actor
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
            audit_log(actor=actor, action="ops.alert.acknowledge", obj=alert)
    live.broadcast("alert", id=alert.pk)
    return alert
