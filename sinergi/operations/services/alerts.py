"""Alerts: raise (idempotent by key), resolve, acknowledge and assign, one or many at a time. Every change is
audited; other apps (logistics) raise their alerts through these functions."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sinergi.core import clock
from sinergi.core.permissions import require_perm
from sinergi.core.services import audit_log

from .. import live
from ..models import (
    Alert,
)


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
            existing.raised_at = at or clock.now()
            existing.message = message
            existing.save(update_fields=["resolved_at", "raised_at", "message"])
            audit_log(actor=None, action="ops.alert.reopen", obj=existing, data={"key": key})
        live.broadcast("alert", id=existing.pk, units=_alert_units(existing))
        return existing, True
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                election=election, key=key, kind=kind, message=message[:500], severity=severity, unit=unit,
                polling_station=polling_station,
                subject_type=subject._meta.label_lower if subject is not None else "",
                subject_id=str(subject.pk) if subject is not None else "",
                data=data or {}, raised_at=at or clock.now(), due_at=due_at,
            )
            audit_log(actor=None, action="ops.alert.raise", obj=alert, data={"key": key, "kind": kind})
    except IntegrityError:  # raised concurrently by another worker
        return Alert.objects.get(key=key), False
    live.broadcast("alert", id=alert.pk, units=_alert_units(alert))
    return alert, True


def alert_resolve(*, key: str, reason: str = "", at: dt.datetime | None = None) -> Alert | None:
    """Resolve the open alert with this key (system actor), if any."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(key=key, resolved_at__isnull=True).first()
        if alert is None:
            return None
        alert.resolved_at = at or clock.now()
        alert.save(update_fields=["resolved_at"])
        audit_log(actor=None, action="ops.alert.resolve", obj=alert, data={"key": key, "reason": reason})
    live.broadcast("alert", id=alert.pk, units=_alert_units(alert))
    return alert


def alert_acknowledge(*, actor, alert: Alert) -> Alert:
    require_perm(actor, "ops.alert.ack")
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = clock.now()
            alert.acknowledged_by = actor
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
            audit_log(actor=actor, action="ops.alert.acknowledge", obj=alert)
    live.broadcast("alert", id=alert.pk, units=_alert_units(alert))
    return alert


MAX_BULK = 20_000


def _alert_units(alert: Alert) -> list[int]:
    """The units whose users read an alert (selectors.alerts_for): the scope fields of its live event."""
    return [u for u in (alert.unit_id, alert.assigned_unit_id) if u]


def _units_of_alerts(ids: list[int]) -> list[int]:
    return sorted({u for pair in Alert.objects.filter(pk__in=ids[:5000]).values_list("unit_id", "assigned_unit_id")
                   for u in pair if u})


def alerts_acknowledge_many(*, actor, alerts) -> int:
    """Acknowledge many open alerts at once (a queryset the caller scoped with selectors.alerts_for): one update,
    one audit event naming their ids."""
    require_perm(actor, "ops.alert.ack")
    with transaction.atomic():
        ids = list(alerts.filter(acknowledged_at__isnull=True).order_by().values_list("pk", flat=True)[:MAX_BULK])
        if not ids:
            return 0
        n = Alert.objects.filter(pk__in=ids, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=actor)
        audit_log(actor=actor, action="ops.alert.acknowledge_batch", object_type="operations.alert",
                  data={"ids": ids, "count": n})
    live.broadcast("alert", count=n, ids=ids[:1000], units=_units_of_alerts(ids))
    return n


def alerts_assign(*, actor, alerts, unit) -> int:
    """Assign many open alerts (scoped by the caller) to a unit in the actor's scope, which then reads them too."""
    from sinergi.accounts.selectors import is_global, scope_units

    require_perm(actor, "ops.alert.ack")
    if unit is None or not (is_global(actor) or scope_units(actor).filter(pk=unit.pk).exists()):
        raise ValidationError({"unit": _("Satuan tidak dikenal atau di luar cakupan Anda.")})
    with transaction.atomic():
        ids = list(alerts.order_by().values_list("pk", flat=True)[:MAX_BULK])
        if not ids:
            return 0
        n = Alert.objects.filter(pk__in=ids).update(assigned_unit=unit, assigned_at=timezone.now())
        audit_log(actor=actor, action="ops.alert.assign_batch", object_type="operations.alert",
                  data={"ids": ids, "count": n, "unit": unit.pk, "unit_code": unit.code})
    live.broadcast("alert", count=n, ids=ids[:1000], units=_units_of_alerts(ids))
    return n


def alert_resolve_many(*, alerts: list[Alert], reason: str = "", at: dt.datetime | None = None) -> int:
    """Resolve many open alerts at once (system actor): one update, one audit event naming their ids."""
    ids = [a.pk for a in alerts if a.resolved_at is None]
    if not ids:
        return 0
    with transaction.atomic():
        n = Alert.objects.filter(pk__in=ids, resolved_at__isnull=True).update(resolved_at=at or clock.now())
        audit_log(actor=None, action="ops.alert.resolve_batch", object_type="operations.alert",
                  data={"ids": ids, "count": n, "reason": reason})
    live.broadcast("alert", count=n, units=sorted({a.unit_id for a in alerts if a.unit_id}))
    return n


def alerts_raise_many(*, alerts: list[Alert], reopen: bool = True, audit_data: dict | None = None,
                      at: dt.datetime | None = None) -> list[int]:
    """Raise many alerts in ONE transaction (system actor; the periodic tick): keys not stored yet are inserted
    with one INSERT ... ON CONFLICT DO NOTHING RETURNING per 500 rows, resolved alerts with the same key are
    re-opened (when `reopen`), and one audit event states how many were actually written and their ids. Alerts
    raised meanwhile by another process are neither written nor counted twice. Returns the written ids."""
    if not alerts:
        return []
    at = at or timezone.now()
    meta = Alert._meta
    qn = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    cols = ", ".join(qn(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    by_key = {a.key: a for a in alerts}
    created: list[int] = []
    reopened: list[int] = []
    with transaction.atomic():
        keys = list(by_key)
        for i in range(0, len(keys), 500):
            chunk = [by_key[k] for k in keys[i:i + 500]]
            params: list = []
            for a in chunk:
                a.message = a.message[:500]
                params += [f.get_db_prep_save(getattr(a, f.attname), connection) for f in fields]
            with connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {qn(meta.db_table)} ({cols}) VALUES {', '.join([row] * len(chunk))} "
                               f"ON CONFLICT ({qn('key')}) DO NOTHING RETURNING {qn('id')}", params)
                created += [r[0] for r in cursor.fetchall()]
        if reopen and len(created) < len(keys):
            stale = Alert.objects.filter(key__in=keys, resolved_at__isnull=False).exclude(pk__in=created)
            for alert in stale.select_for_update():
                new = by_key[alert.key]
                Alert.objects.filter(pk=alert.pk).update(resolved_at=None, raised_at=new.raised_at or at,
                                                         message=new.message[:500])
                reopened.append(alert.pk)
        if created or reopened:
            audit_log(actor=None, action="ops.alert.raise_batch", object_type="operations.alert",
                      data={**(audit_data or {}), "count": len(created), "reopened": len(reopened),
                            "ids": sorted(created + reopened)[:5000]})
    return created + reopened  # the caller announces them (one live event per tick)


