from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    STAFF = "staff", _("Formulir petugas")
    PUBLIC = "public", _("Formulir publik")
    API = "api", _("API")
    SMS = "sms", _("SMS")


class LocationStatus(models.TextChoices):
    RESOLVED = "resolved", _("terpetakan")
    APPROXIMATE = "approximate", _("perkiraan (titik tengah wilayah)")
    UNRESOLVED = "unresolved", _("perlu triase lokasi")


class ProcessingStatus(models.TextChoices):
    PENDING = "pending", _("menunggu diproses")
    DONE = "done", _("diproses")
    UNPARSED = "unparsed", _("tidak terbaca (perlu triase)")


class IncidentStatus(models.TextChoices):
    REPORTED = "reported", _("dilaporkan")
    VERIFIED = "verified", _("terverifikasi")
    REJECTED = "rejected", _("ditolak")
    ASSIGNED = "assigned", _("ditugaskan")
    IN_PROGRESS = "in_progress", _("ditangani")
    RESOLVED = "resolved", _("selesai ditangani")
    CLOSED = "closed", _("ditutup")
    MERGED = "merged", _("digabung")


#: allowed transitions of the workflow (merge is separate)
TRANSITIONS: dict[str, set[str]] = {
    IncidentStatus.REPORTED: {IncidentStatus.VERIFIED, IncidentStatus.REJECTED},
    IncidentStatus.VERIFIED: {IncidentStatus.ASSIGNED, IncidentStatus.REJECTED},
    IncidentStatus.ASSIGNED: {IncidentStatus.IN_PROGRESS, IncidentStatus.ASSIGNED},
    IncidentStatus.IN_PROGRESS: {IncidentStatus.RESOLVED, IncidentStatus.ASSIGNED},
    IncidentStatus.RESOLVED: {IncidentStatus.CLOSED, IncidentStatus.IN_PROGRESS},
    IncidentStatus.REJECTED: {IncidentStatus.REPORTED},
    IncidentStatus.CLOSED: set(),
    IncidentStatus.MERGED: set(),
}
OPEN_STATUSES = [IncidentStatus.REPORTED, IncidentStatus.VERIFIED, IncidentStatus.ASSIGNED,
                 IncidentStatus.IN_PROGRESS]


class Severity(models.IntegerChoices):
    LOW = 1, _("1 - rendah")
    MEDIUM = 2, _("2 - sedang")
    HIGH = 3, _("3 - tinggi")
    CRITICAL = 4, _("4 - kritis")


class TimelineKind(models.TextChoices):
    REPORTED = "reported", _("laporan masuk")
    CORROBORATED = "corroborated", _("laporan penguat")
    STATUS = "status", _("perubahan status")
    ASSIGNED = "assigned", _("penugasan")
    ACKNOWLEDGED = "acknowledged", _("tanda terima")
    CATEGORY = "category", _("kategori diubah")
    SEVERITY = "severity", _("tingkat keparahan diubah")
    MERGED = "merged", _("digabung")
    SPLIT = "split", _("dipisah")
    ESCALATED = "escalated", _("eskalasi")
    DEADLINE = "deadline", _("tenggat")
    NOTE = "note", _("catatan")
    SHARED = "shared", _("dibagikan")


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("aplikasi")
    EMAIL = "email", _("surel")
    WEBHOOK = "webhook", _("webhook")
