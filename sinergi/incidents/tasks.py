"""Background work of the incident app: deferred report processing, escalation, notification delivery."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from sinergi.core import clock, outbound

from .choices import NotificationChannel


@task()
def process_pending_reports(limit: int = 100000) -> int:
    from .services import process_pending

    return process_pending(limit=limit)


@task()
def escalate_overdue() -> int:
    from .services import deadlines_escalate

    return deadlines_escalate()


def sign(secret: str, body: bytes) -> str:
    """HMAC-SHA256 of the body, hex; sent as `X-Sinergi-Signature: sha256=<hex>`."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_payload(notification) -> bytes:
    inc = notification.incident
    return json.dumps({
        "event": "incident.notification", "notification": notification.pk, "message": notification.message,
        "incident": {"id": inc.pk, "title": inc.title, "category": inc.category.code, "severity": inc.severity,
                     "status": inc.status, "lat": inc.lat, "lng": inc.lng,
                     "occurred_at": inc.occurred_at.isoformat()},
        "unit": notification.unit.code, "sent_at": clock.now().isoformat(),
    }, sort_keys=True).encode()


@task()
def deliver_notification(notification_id: int) -> str:
    from .models import Notification

    n = Notification.objects.select_related("incident", "incident__category", "unit",
                                            "unit__incident_endpoint").get(pk=notification_id)
    ep = n.unit.incident_endpoint
    try:
        if n.channel == NotificationChannel.EMAIL:
            send_mail(subject=f"[Sinergi] {n.message[:80]}", message=n.message,
                      from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[ep.email])
        elif n.channel == NotificationChannel.WEBHOOK:
            body = webhook_payload(n)
            outbound.post(ep.webhook_url, data=body, timeout=5, headers={
                "Content-Type": "application/json", "X-Sinergi-Signature": "sha256=" + sign(ep.webhook_secret, body)})
        Notification.objects.filter(pk=n.pk).update(sent_at=clock.now(), error="")
        return "sent"
    except Exception as exc:
        Notification.objects.filter(pk=n.pk).update(error=str(exc)[:300])
        return "failed"
