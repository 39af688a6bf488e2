"""Election-day operations. `Alert` is shared: check-ins, logistics escorts and others raise alerts through
sinergi.operations.services.alert_raise (idempotent by `key`), and the command dashboard and the daily situation
report list them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    CHECKIN_MISSING = "checkin_missing", _("Laporan TPS belum masuk")
    CHECKIN_PROBLEM = "checkin_problem", _("Masalah di TPS")
    ESCORT_LATE = "escort_late", _("Pengawalan logistik terlambat")
    LOGISTICS_NOT_AT_TPS = "logistics_not_at_tps", _("Logistik belum tiba di TPS")
    CUSTODY_BREAK = "custody_break", _("Rantai serah terima tidak lengkap")
    OTHER = "other", _("Lainnya")


class Alert(models.Model):
    """Something the command must look at. Raised at most once per `key`; resolved when the cause is gone."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="alerts")
    key = models.CharField(_("kunci"), max_length=160, unique=True,
                           help_text=_("Satu peringatan per kunci, mis. checkin_missing:opened:<tps>"))
    kind = models.CharField(_("jenis"), max_length=30, choices=AlertKind.choices)
    severity = models.PositiveSmallIntegerField(_("tingkat"), default=2)
    message = models.CharField(_("pesan"), max_length=500)
    unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("satuan"), help_text=_("Satuan yang bertanggung jawab (untuk cakupan baca)"))
    polling_station = models.ForeignKey("elections.PollingStation", null=True, blank=True, on_delete=models.CASCADE,
                                        related_name="+")
    subject_type = models.CharField(max_length=60, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(_("muncul"))
    due_at = models.DateTimeField(_("batas waktu"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("diketahui"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    resolved_at = models.DateTimeField(_("selesai"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["election", "resolved_at", "kind"])]
        verbose_name = _("peringatan")
        verbose_name_plural = _("peringatan")

    def __str__(self) -> str:
        return self.message

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
