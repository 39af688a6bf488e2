"""Choices of the coordination app: TLP 2.0 handling markings, action item status, note kinds."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Marking(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST). Order matters: a later marking is more restrictive."""

    CLEAR = "CLEAR", "TLP:CLEAR"
    GREEN = "GREEN", "TLP:GREEN"
    AMBER = "AMBER", "TLP:AMBER"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "RED", "TLP:RED"


#: restrictiveness rank of each marking (0 = least restrictive)
MARKING_RANK = {m.value: i for i, m in enumerate(Marking)}
#: markings whose every detail read is written to the audit log
AUDITED_READ_MARKINGS = {Marking.AMBER, Marking.AMBER_STRICT, Marking.RED}


def marking_rank(value: str | None) -> int:
    return MARKING_RANK.get(value or "", -1)


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Terjadwal")
    HELD = "held", _("Terlaksana")
    CANCELLED = "cancelled", _("Dibatalkan")


class AgendaKind(models.TextChoices):
    REGULAR = "regular", _("Agenda")
    CARRY_OVER = "carry_over", _("Tindak lanjut rapat sebelumnya")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Terbuka")
    IN_PROGRESS = "in_progress", _("Sedang dikerjakan")
    DONE = "done", _("Selesai")
    BLOCKED = "blocked", _("Terhambat")
    CANCELLED = "cancelled", _("Dibatalkan")


#: statuses of action items still owed (carried over, reminded, listed as owed)
OPEN_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED)


class NoteKind(models.TextChoices):
    EARLY_WARNING = "early_warning", _("Peringatan dini")
    INTELLIGENCE = "intelligence", _("Informasi intelijen")
    SITUATION = "situation", _("Catatan situasi")
    BEST_PRACTICE = "best_practice", _("Praktik baik")


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Jatuh tempo segera")
    OVERDUE = "overdue", _("Lewat jatuh tempo")


class NotificationKind(models.TextChoices):
    MEETING_INVITE = "meeting_invite", _("Undangan rapat")
    MEETING_UPDATE = "meeting_update", _("Perubahan rapat")
    MEETING_CANCEL = "meeting_cancel", _("Pembatalan rapat")
    ACTION_ASSIGNED = "action_assigned", _("Tindak lanjut baru")
    ACTION_UPDATED = "action_updated", _("Perkembangan tindak lanjut")
    REMINDER_DUE_SOON = "due_soon", _("Pengingat jatuh tempo")
    REMINDER_OVERDUE = "overdue", _("Lewat jatuh tempo")
    NOTE_SHARED = "note_shared", _("Catatan dibagikan")
