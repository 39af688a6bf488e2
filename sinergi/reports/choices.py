from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    AUTOMATIC = "automatic", _("otomatis")
    ON_DEMAND = "on_demand", _("atas permintaan")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("antre")
    GENERATING = "generating", _("disusun")
    DONE = "done", _("selesai")
    FAILED = "failed", _("gagal")


class FileFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"


class Language(models.TextChoices):
    ID = "id", _("Bahasa Indonesia")
    EN = "en", _("Bahasa Inggris")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("di aplikasi")
    EMAIL = "email", _("surel")
    WEBHOOK = "webhook", _("webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("menunggu")
    DELIVERED = "delivered", _("terkirim")
    RETRYING = "retrying", _("dicoba lagi")
    FAILED = "failed", _("gagal")


CONTENT_TYPES = {
    FileFormat.PDF: "application/pdf",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
