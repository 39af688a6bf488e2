"""Messaging: contact addresses of officers, messages from staff to the field (broadcast / question) and their
recipients, inbound channel messages (the idempotency record of every webhook delivery) and the one outbox of
outbound messages. Provider credentials are never stored here (settings only); phone numbers and chat ids are
personal data: read through selectors, revealed with an audit event."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sinergi.coordination.choices import Marking


class ChannelKind(models.TextChoices):
    APP = "app", _("Aplikasi (kotak pesan)")
    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WEBPUSH = "webpush", _("Notifikasi web (push)")


EXTERNAL = (ChannelKind.SMS, ChannelKind.TELEGRAM, ChannelKind.WHATSAPP)
#: markings that may leave the app (TLP 2.0: AMBER/AMBER+STRICT/RED stay inside the app's access control)
MAY_LEAVE_APP = (Marking.CLEAR, Marking.GREEN)


class Contact(models.Model):
    """Where an officer (a user) is reached outside the app: phone number (SMS/WhatsApp, digits with 62) or a
    Telegram chat id. One address belongs to one user per channel."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="msg_contacts",
                             verbose_name=_("pengguna"))
    channel = models.CharField(_("saluran"), max_length=10, choices=[c for c in ChannelKind.choices if c[0] not in ("app", "webpush")])
    address = models.CharField(_("alamat"), max_length=64)
    preferred = models.BooleanField(_("saluran utama"), default=True)
    active = models.BooleanField(_("aktif"), default=True)
    tps_code = models.CharField(_("TPS tugas"), max_length=24, blank=True, db_index=True)
    created_at = models.DateTimeField(_("dibuat"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="msg_contact_uniq_address")]
        verbose_name = _("kontak petugas")
        verbose_name_plural = _("kontak petugas")

    def __str__(self) -> str:
        return f"{self.channel}:{self.masked}"

    @property
    def masked(self) -> str:
        a = self.address
        return ("•" * max(len(a) - 4, 0)) + a[-4:]


class Message(models.Model):
    """A broadcast or a question from staff to officers."""

    class Kind(models.TextChoices):
        BROADCAST = "broadcast", _("Siaran")
        QUESTION = "question", _("Pertanyaan")

    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices, default=Kind.QUESTION)
    text = models.TextField(_("isi pesan"), max_length=1000)
    marking = models.CharField(_("penandaan TLP"), max_length=20, choices=Marking.choices, default=Marking.GREEN)
    external = models.BooleanField(_("kirim juga lewat SMS/Telegram/WhatsApp"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("pengirim"))
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("satuan pengirim"))
    selection = models.JSONField(_("pilihan penerima"), default=dict)
    created_at = models.DateTimeField(_("dibuat"))
    closes_at = models.DateTimeField(_("ditutup pada"), null=True, blank=True)
    closed = models.BooleanField(_("ditutup"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pesan ke lapangan")
        verbose_name_plural = _("pesan ke lapangan")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def is_open(self, now) -> bool:
        return self.kind == self.Kind.QUESTION and not self.closed and (self.closes_at is None or now < self.closes_at)


class Recipient(models.Model):
    """One officer's copy of a message: channel used, delivered/read/answered and where the answer landed."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="msg_inbox")
    channel = models.CharField(_("saluran"), max_length=10, choices=ChannelKind.choices, default=ChannelKind.APP)
    tps_code = models.CharField(_("TPS"), max_length=24, blank=True)
    delivered_at = models.DateTimeField(_("terkirim ke penerima"), null=True, blank=True)
    read_at = models.DateTimeField(_("dibaca"), null=True, blank=True)
    answered_at = models.DateTimeField(_("dijawab"), null=True, blank=True)
    answer_text = models.TextField(_("jawaban"), blank=True)
    answer_report_id = models.IntegerField(_("laporan jawaban"), null=True, blank=True)
    answer_checkin_id = models.IntegerField(_("check-in jawaban"), null=True, blank=True)

    class Meta:
        ordering = ["-message__created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="msg_recipient_once")]
        indexes = [models.Index(fields=["user", "read_at"], name="msg_recipient_unread")]

    def __str__(self) -> str:
        return f"{self.message_id}:{self.user_id}"


class Inbound(models.Model):
    """One message that came in through a channel webhook, stored once per (channel, provider message id)."""

    channel = models.CharField(_("saluran"), max_length=10, choices=ChannelKind.choices)
    provider_message_id = models.CharField(_("id pesan penyedia"), max_length=120)
    sender = models.CharField(_("pengirim"), max_length=64)
    text = models.TextField(_("isi"), blank=True)
    received_at = models.DateTimeField(_("diterima"))
    status = models.CharField(_("status"), max_length=32)
    reply = models.TextField(_("balasan"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    recipient = models.ForeignKey(Recipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    report_id = models.IntegerField(null=True, blank=True)
    checkin_id = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "provider_message_id"],
                                               name="msg_inbound_once")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.provider_message_id}"


class Outbox(models.Model):
    """One outbound message to one address. Sent by the tick (sinergi.messaging.jobs) with back-off; its status
    moves on with the provider's status callbacks."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("antre")
        SENT = "sent", _("terkirim ke penyedia")
        DELIVERED = "delivered", _("diterima")
        READ = "read", _("dibaca")
        FAILED = "failed", _("gagal")

    channel = models.CharField(_("saluran"), max_length=10, choices=ChannelKind.choices)
    address = models.CharField(_("alamat"), max_length=64)
    text = models.TextField(_("isi"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya"), null=True, blank=True)
    provider_message_id = models.CharField(_("id pesan penyedia"), max_length=120, blank=True, db_index=True)
    error = models.CharField(_("galat"), max_length=255, blank=True)
    recipient = models.ForeignKey(Recipient, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="outbox")
    inbound = models.ForeignKey(Inbound, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    push_subscription = models.ForeignKey("PushSubscription", null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="outbox", verbose_name=_("langganan notifikasi"))
    created_at = models.DateTimeField(_("dibuat"))
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="msg_outbox_due")]

    def __str__(self) -> str:
        return f"{self.channel}#{self.pk} {self.status}"


class PushSubscription(models.Model):
    """One browser's Web Push subscription of a user (PushManager.subscribe with our VAPID public key): the push
    service endpoint and the browser's keys (p256dh, auth). Only a short notice travels through the push service,
    never a message's content. Read by the user and admins only (selectors.push_subscriptions)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions",
                             verbose_name=_("pengguna"))
    endpoint = models.URLField(_("endpoint layanan push"), max_length=1000, unique=True)
    p256dh = models.CharField(_("kunci p256dh"), max_length=200)
    auth = models.CharField(_("kunci auth"), max_length=64)
    user_agent = models.CharField(_("peramban"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("dibuat"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("langganan notifikasi")
        verbose_name_plural = _("langganan notifikasi")

    def __str__(self) -> str:
        return f"push#{self.pk}:{self.user_id}"
