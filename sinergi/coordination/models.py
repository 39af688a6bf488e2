"""Coordination: meetings (rakor) with agenda, attendance, decisions and action items, shared notes,
handling markings (TLP 2.0) with explicit share lists, reminders and in-app notifications.

Every shareable record (Meeting, ActionItem, SharedNote) carries a marking, an originating unit, an author and
share lists; who may read it is decided only by `selectors.visible_q` (see docs/coordination.md).
Records inside a meeting (agenda items, attendance, attachments, decisions) follow their meeting.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sinergi.core.models import TimeStampedModel

from .choices import (
    ActionStatus,
    AgendaKind,
    Marking,
    MeetingStatus,
    NoteKind,
    NotificationKind,
    ReminderKind,
    marking_rank,
)


class Shareable(TimeStampedModel):
    """Fields every shareable record has: the handling marking, its redacted summary and the share lists."""

    marking = models.CharField(_("penandaan TLP"), max_length=20, choices=Marking.choices, default=Marking.AMBER)
    summary = models.TextField(_("ringkasan tersamar"), blank=True)
    summary_marking = models.CharField(
        _("penandaan ringkasan"), max_length=20, choices=Marking.choices, blank=True,
        help_text=_("Lebih longgar dari penandaan catatan; kosong bila tidak ada ringkasan yang dibagikan lebih luas."),
    )
    unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("satuan asal")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("pembuat"),
    )
    share_units = models.ManyToManyField(
        "accounts.Unit", blank=True, related_name="+", verbose_name=_("dibagikan ke satuan")
    )
    share_agencies = models.ManyToManyField(
        "accounts.Agency", blank=True, related_name="+", verbose_name=_("dibagikan ke instansi")
    )
    share_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("penerima perorangan")
    )

    class Meta:
        abstract = True

    @property
    def has_wider_summary(self) -> bool:
        return bool(self.summary_marking) and marking_rank(self.summary_marking) < marking_rank(self.marking)


class Meeting(Shareable):
    """A coordination meeting (rapat koordinasi). The convening unit is `unit`; invitees are the share lists."""

    title = models.CharField(_("judul"), max_length=200)
    series = models.CharField(_("seri rapat"), max_length=80, blank=True,
                              help_text=_("Rapat dengan seri yang sama saling menyambung (tindak lanjut terbawa)."))
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_meetings",
        verbose_name=_("rapat sebelumnya"),
    )
    starts_at = models.DateTimeField(_("mulai"))
    ends_at = models.DateTimeField(_("selesai"))
    place = models.CharField(_("tempat"), max_length=200, blank=True)
    online_url = models.URLField(_("tautan daring"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=MeetingStatus.choices,
                              default=MeetingStatus.SCHEDULED)
    minutes = models.TextField(_("notulen"), blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("revisi undangan"), default=0)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("rapat")
        verbose_name_plural = _("rapat")
        indexes = [models.Index(fields=["unit", "starts_at"])]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    """One agenda item; carried-over items point at the open action item they bring forward."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    order = models.PositiveIntegerField(_("urutan"), default=0)
    kind = models.CharField(_("jenis"), max_length=20, choices=AgendaKind.choices, default=AgendaKind.REGULAR)
    title = models.CharField(_("judul"), max_length=300)
    description = models.TextField(_("uraian"), blank=True)
    action_item = models.ForeignKey(
        "ActionItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_items",
        verbose_name=_("tindak lanjut"),
    )

    class Meta:
        ordering = ["meeting", "order", "id"]
        verbose_name = _("agenda")
        verbose_name_plural = _("agenda")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "action_item"], name="uniq_agenda_action_per_meeting"),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Who attended a meeting for which unit."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("satuan"))
    name = models.CharField(_("nama"), max_length=160)
    position = models.CharField(_("jabatan"), max_length=160, blank=True)
    present = models.BooleanField(_("hadir"), default=True)

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = _("kehadiran")
        verbose_name_plural = _("kehadiran")

    def __str__(self) -> str:
        return self.name


class MeetingAttachment(models.Model):
    """A file attached to a meeting (materials, signed minutes); served only through a scoped view."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("judul"), max_length=200)
    file = models.FileField(_("berkas"), upload_to="coordination/meetings/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(_("diunggah"), auto_now_add=True)

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = _("lampiran rapat")
        verbose_name_plural = _("lampiran rapat")

    def __str__(self) -> str:
        return self.title


class Decision(TimeStampedModel):
    """A decision taken in a meeting; action items carry it out."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    order = models.PositiveIntegerField(_("urutan"), default=0)
    text = models.TextField(_("keputusan"))

    class Meta:
        ordering = ["meeting", "order", "id"]
        verbose_name = _("keputusan")
        verbose_name_plural = _("keputusan")

    def __str__(self) -> str:
        return self.text[:60]


class ActionItem(Shareable):
    """A dated task owned by one unit (possibly of another agency), supported by others, followed up."""

    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="action_items", verbose_name=_("rapat"))
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="action_items", verbose_name=_("keputusan"))
    title = models.CharField(_("tindak lanjut"), max_length=300)
    description = models.TextField(_("uraian"), blank=True)
    owner_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("penanggung jawab"))
    supporting_units = models.ManyToManyField("accounts.Unit", blank=True, related_name="+",
                                              verbose_name=_("satuan pendukung"))
    due_date = models.DateField(_("batas waktu"))
    status = models.CharField(_("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    closed_at = models.DateTimeField(_("ditutup"), null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("tindak lanjut")
        verbose_name_plural = _("tindak lanjut")
        indexes = [models.Index(fields=["owner_unit", "status"]), models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.title


class ActionUpdate(models.Model):
    """A progress update on an action item, optionally changing its status, with evidence."""

    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("perkembangan"))
    status_from = models.CharField(max_length=20, choices=ActionStatus.choices, blank=True)
    status_to = models.CharField(_("status baru"), max_length=20, choices=ActionStatus.choices, blank=True)
    evidence = models.FileField(_("bukti"), upload_to="coordination/evidence/%Y/%m/", blank=True)
    evidence_url = models.URLField(_("tautan bukti"), blank=True)
    created_at = models.DateTimeField(_("waktu"), auto_now_add=True)

    class Meta:
        ordering = ["action_item", "created_at", "id"]
        verbose_name = _("perkembangan tindak lanjut")
        verbose_name_plural = _("perkembangan tindak lanjut")

    def __str__(self) -> str:
        return self.text[:60]


class ActionReminder(models.Model):
    """A reminder already sent for an action item, so each kind goes out once per item (idempotent)."""

    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("jenis"), max_length=20, choices=ReminderKind.choices)
    due_date = models.DateField(_("batas waktu saat diingatkan"))
    sent_at = models.DateTimeField(_("dikirim"))
    recipients = models.PositiveIntegerField(_("jumlah penerima"), default=0)

    class Meta:
        verbose_name = _("pengingat")
        verbose_name_plural = _("pengingat")
        constraints = [
            models.UniqueConstraint(fields=["action_item", "kind", "due_date"], name="uniq_reminder_per_kind_due"),
        ]

    def __str__(self) -> str:
        return f"{self.action_item_id} {self.kind}"


class SharedNote(Shareable):
    """Early warning / intelligence, situation notes and best practices, linked to where they apply."""

    kind = models.CharField(_("jenis"), max_length=20, choices=NoteKind.choices)
    title = models.CharField(_("judul"), max_length=200)
    body = models.TextField(_("isi"))
    regions = models.ManyToManyField("regions.Region", blank=True, related_name="+", verbose_name=_("wilayah"))
    polling_stations = models.ManyToManyField("elections.PollingStation", blank=True, related_name="+",
                                              verbose_name=_("TPS"))
    meetings = models.ManyToManyField(Meeting, blank=True, related_name="notes", verbose_name=_("rapat"))
    # The incidents app is built alongside this one; incidents are referenced by id until it settles.
    incident_ids = models.JSONField(_("insiden terkait"), default=list, blank=True)
    election_year = models.PositiveIntegerField(_("tahun pemilihan"), null=True, blank=True,
                                                help_text=_("Untuk praktik baik dari pemilihan terdahulu."))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("catatan bersama")
        verbose_name_plural = _("catatan bersama")

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """An in-app notification. Created only for users who may read the record it is about."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordination_notes")
    kind = models.CharField(_("jenis"), max_length=30, choices=NotificationKind.choices)
    title = models.CharField(_("judul"), max_length=300)
    url = models.CharField(_("tautan"), max_length=300, blank=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(_("waktu"))
    read_at = models.DateTimeField(_("dibaca"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notifikasi")
        verbose_name_plural = _("notifikasi")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title
