"""Scoped reads of messaging records: a message is visible to staff whose unit scope holds the sender's unit
(agency/unit scoping like other records); an officer sees their own inbox only."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from sinergi.accounts.selectors import is_global, scope_units

from .models import Message, PushSubscription, Recipient
from .permissions import may_send


def message_list(*, user) -> QuerySet[Message]:
    if not may_send(user):
        return Message.objects.none()
    qs = Message.objects.select_related("created_by", "unit")
    if not is_global(user):
        qs = qs.filter(Q(unit__in=scope_units(user)) | Q(created_by=user))
    return qs.annotate(
        n_recipients=Count("recipients", distinct=True),
        n_delivered=Count("recipients", filter=Q(recipients__delivered_at__isnull=False), distinct=True),
        n_read=Count("recipients", filter=Q(recipients__read_at__isnull=False), distinct=True),
        n_answered=Count("recipients", filter=Q(recipients__answered_at__isnull=False), distinct=True),
    ).order_by("-created_at", "-id")


def recipient_rows(*, message: Message) -> QuerySet[Recipient]:
    return (message.recipients.select_related("user", "user__unit")
            .prefetch_related("outbox").order_by("user__username"))


def inbox(*, user) -> QuerySet[Recipient]:
    if not user.is_authenticated:
        return Recipient.objects.none()
    return Recipient.objects.filter(user=user).select_related("message", "message__created_by")


def unread_count(*, user) -> int:
    return inbox(user=user).filter(read_at__isnull=True).count()


def push_subscriptions(*, user) -> QuerySet[PushSubscription]:
    """Web Push subscriptions: a user sees their own, admins everyone's."""
    if not user.is_authenticated:
        return PushSubscription.objects.none()
    qs = PushSubscription.objects.select_related("user")
    return qs if is_global(user) else qs.filter(user=user)
