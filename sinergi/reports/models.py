"""The daily situation report (Laporan Situasi Harian): archived reports with their files and hashes,
subscriptions and deliveries.

Reports are append-only once finished: a finished report and its files are never edited or deleted; a
regeneration is a new version. The files are stored in the database (bytes + SHA-256), so every web server and
task worker sees the same archive without a shared disk.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Channel, DeliveryStatus, FileFormat, Language, ReportKind, ReportStatus


class ArchivedError(Exception):
    """Raised when code tries to change or delete a finished report or a stored file."""


class ReportQuerySet(models.QuerySet):
    def delete(self):
        raise ArchivedError("situation reports are archived and never deleted")


class SituationReport(models.Model):
    """One version of the daily situation report for an election and a scope unit (Polda or a Polres)."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT, related_name="situation_reports",
                                 verbose_name=_("pemilihan"))
    scope_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="situation_reports",
                                   verbose_name=_("cakupan satuan"))
    region_code = models.CharField(_("kode wilayah cakupan"), max_length=13, db_index=True,
                                   help_text=_("Wilayah yang diliput (wilayah hukum satuan cakupan)"))
    report_date = models.DateField(_("tanggal laporan"), help_text=_("Tanggal (WITA) akhir periode"))
    version = models.PositiveSmallIntegerField(_("versi"), default=1)
    kind = models.CharField(_("jenis"), max_length=12, choices=ReportKind.choices)
    period_start = models.DateTimeField(_("awal periode"))
    period_end = models.DateTimeField(_("akhir periode"))
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    requested_at = models.DateTimeField(_("diminta"))
    generated_at = models.DateTimeField(_("disusun"), null=True, blank=True)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("diminta oleh"))
    task_run = models.ForeignKey("core.TaskRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    content = models.JSONField(_("isi (cuplikan)"), default=dict, blank=True)
    content_sha256 = models.CharField(_("hash isi"), max_length=64, blank=True)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("laporan sebelumnya"))
    error = models.TextField(_("galat"), blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-version", "-id"]
        verbose_name = _("laporan situasi harian")
        verbose_name_plural = _("laporan situasi harian")
        constraints = [
            models.UniqueConstraint(fields=["election", "scope_unit", "report_date", "version"],
                                    name="sitrep_unique_version"),
            # One automatic report per day and scope, even when the tick runs often or in two processes.
            models.UniqueConstraint(fields=["election", "scope_unit", "report_date"],
                                    condition=Q(kind="automatic"), name="sitrep_one_automatic_per_day"),
        ]
        indexes = [models.Index(fields=["region_code", "-period_end"])]

    def __str__(self) -> str:
        return f"Laporan situasi {self.scope_unit_id} {self.report_date} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = SituationReport.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored in (ReportStatus.DONE, ReportStatus.FAILED):
                raise ArchivedError("a finished situation report is archived and cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ArchivedError("situation reports are archived and never deleted")

    @property
    def is_final(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)


class ReportFile(models.Model):
    """A rendered file of a report (PDF or XLSX, Indonesian or English) with its SHA-256; written once."""

    report = models.ForeignKey(SituationReport, on_delete=models.PROTECT, related_name="files")
    format = models.CharField(_("format"), max_length=5, choices=FileFormat.choices)
    language = models.CharField(_("bahasa"), max_length=2, choices=Language.choices, default=Language.ID)
    data = models.BinaryField(_("isi berkas"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("ukuran (bita)"))
    created_at = models.DateTimeField(_("dibuat"))

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["report", "language", "format"]
        verbose_name = _("berkas laporan")
        verbose_name_plural = _("berkas laporan")
        constraints = [models.UniqueConstraint(fields=["report", "format", "language"], name="sitrep_file_once")]

    def __str__(self) -> str:
        return f"{self.report_id}.{self.language}.{self.format}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ArchivedError("report files are written once")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ArchivedError("report files are archived and never deleted")


class Subscription(models.Model):
    """A user's wish to receive new situation reports they may read, by one channel, in one language."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sitrep_subscriptions",
                             verbose_name=_("pengguna"))
    scope_unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("hanya laporan satuan"),
                                   help_text=_("Kosong: setiap laporan yang boleh Anda baca"))
    channel = models.CharField(_("kanal"), max_length=10, choices=Channel.choices, default=Channel.IN_APP)
    want_pdf = models.BooleanField(_("PDF"), default=True)
    want_xlsx = models.BooleanField(_("XLSX"), default=False)
    language = models.CharField(_("bahasa"), max_length=2, choices=Language.choices, default=Language.ID)
    email = models.EmailField(_("alamat surel"), blank=True, help_text=_("Kosong: alamat surel akun"))
    webhook_url = models.URLField(_("URL webhook"), blank=True)
    secret = models.CharField(_("rahasia penandatangan"), max_length=64, blank=True, editable=False)
    active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        ordering = ["user", "-created_at", "-id"]
        verbose_name = _("langganan laporan situasi")
        verbose_name_plural = _("langganan laporan situasi")

    def __str__(self) -> str:
        return f"{self.user} {self.channel}"

    @property
    def formats(self) -> list[str]:
        return [f for f, on in ((FileFormat.PDF, self.want_pdf), (FileFormat.XLSX, self.want_xlsx)) if on]


class Delivery(models.Model):
    """One report sent to one subscription; webhook attempts are retried and counted here."""

    report = models.ForeignKey(SituationReport, on_delete=models.PROTECT, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("kanal"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    error = models.CharField(_("galat"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("dibuat"))
    last_attempt_at = models.DateTimeField(_("percobaan terakhir"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya"), null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(_("terkirim"), null=True, blank=True)
    read_at = models.DateTimeField(_("dibaca"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pengiriman laporan")
        verbose_name_plural = _("pengiriman laporan")
        constraints = [models.UniqueConstraint(fields=["report", "subscription"], name="sitrep_delivery_once")]

    def __str__(self) -> str:
        return f"{self.report_id} -> {self.subscription_id} ({self.status})"
