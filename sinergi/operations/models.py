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
    assigned_unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("ditugaskan ke"),
                                      help_text=_("Satuan yang ditugaskan menindaklanjuti (juga dapat membaca)"))
    assigned_at = models.DateTimeField(_("ditugaskan"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["election", "resolved_at", "kind"]),
                   # the command view: open alerts, most severe then newest first
                   models.Index(fields=["election", "resolved_at", "severity", "raised_at"],
                                name="ops_alert_open_severity")]
        verbose_name = _("peringatan")
        verbose_name_plural = _("peringatan")

    def __str__(self) -> str:
        return self.message

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class CheckInKind(models.TextChoices):
    OPENED = "opened", _("TPS dibuka")
    VOTING = "voting", _("Pemungutan berlangsung")
    CLOSED = "closed", _("Pemungutan ditutup")
    COUNTED = "counted", _("Penghitungan selesai")
    HANDED_OVER = "handed_over", _("Kotak suara diserahkan")
    PROBLEM = "problem", _("Masalah")


#: the expected order of a TPS's day ("problem" may come at any time)
KIND_ORDER: tuple[str, ...] = ("opened", "voting", "closed", "counted", "handed_over")


class CheckInChannel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    SMS = "sms", _("SMS")


class CheckIn(models.Model):
    """One status report of a TPS by an assigned officer. Stored once per idempotency `key`."""

    # Foreign keys without their own index where a composite index below leads with them, or where nothing reads
    # by them: fewer indexes keep the bulk insert of election day fast.
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="checkins",
                                 db_index=False)
    polling_station = models.ForeignKey("elections.PollingStation", on_delete=models.CASCADE, related_name="checkins",
                                        verbose_name=_("TPS"), db_index=False)
    kind = models.CharField(_("jenis"), max_length=16, choices=CheckInKind.choices)
    at = models.DateTimeField(_("waktu kejadian"))
    received_at = models.DateTimeField(_("diterima"))
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("petugas"), db_index=False)
    unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("satuan pelapor"), db_index=False)
    polres = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("Polres TPS"), db_index=False)
    regency_code = models.CharField(max_length=5, db_index=True)
    district_code = models.CharField(max_length=8)
    channel = models.CharField(_("saluran"), max_length=8, choices=CheckInChannel.choices)
    key = models.CharField(_("kunci idempotensi"), max_length=100, unique=True)
    report = models.ForeignKey("incidents.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("laporan insiden"), db_index=False)
    note = models.CharField(_("catatan"), max_length=1000, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    flags = models.JSONField(_("tanda"), default=list, blank=True,
                             help_text=_("mis. out_of_order: urutan tidak wajar (diterima tetapi ditandai)"))
    #: the named officer on the roster behind this report (sinergi.personnel.selectors.checkin_roster_officer):
    #: the officer linked to the reporting account, else the leader of the group guarding the TPS in the
    #: assignment in force. ``officer`` above is the reporting *account*.
    roster_officer = models.ForeignKey("personnel.Officer", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="checkins", verbose_name=_("personel (roster)"), db_index=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["election", "kind", "at"]),
                   models.Index(fields=["polling_station", "at"])]
        verbose_name = _("laporan TPS")
        verbose_name_plural = _("laporan TPS")

    def __str__(self) -> str:
        return f"{self.polling_station_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class TpsStatus(models.Model):
    """The latest state of one TPS and the first time of each kind, kept in step with CheckIn in the same
    transaction so coverage and the map read one row per TPS (fast at 435,000 TPS)."""

    polling_station = models.OneToOneField("elections.PollingStation", primary_key=True, on_delete=models.CASCADE,
                                           related_name="ops_status")
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+", db_index=False)
    polres = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False)
    regency_code = models.CharField(max_length=5)
    district_code = models.CharField(max_length=8)
    state = models.CharField(_("status"), max_length=16, choices=CheckInKind.choices, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    voting_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    last_problem_at = models.DateTimeField(null=True, blank=True)
    flagged = models.PositiveIntegerField(default=0)
    checkin_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["election", "regency_code"]), models.Index(fields=["election", "polres"])]
        verbose_name = _("status TPS")
        verbose_name_plural = _("status TPS")

    def __str__(self) -> str:
        return f"{self.polling_station_id}: {self.state or '-'}"


class OfficerPhone(models.Model):
    """A phone number an officer sends check-in SMS from (digits only, country code 62)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer_phones")
    number = models.CharField(_("nomor HP"), max_length=20, unique=True)
    active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nomor HP petugas")
        verbose_name_plural = _("nomor HP petugas")

    def __str__(self) -> str:
        return self.number


class CheckInSms(models.Model):
    """Every check-in SMS, stored even when it cannot be understood or is refused (never dropped)."""

    message_id = models.CharField(max_length=100, unique=True)
    sender = models.CharField(max_length=40)
    text = models.TextField()
    received_at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    checkin = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16)  # accepted | duplicate | rejected | unparsed | unknown_sender
    reply = models.CharField(max_length=320, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("SMS laporan TPS")
        verbose_name_plural = _("SMS laporan TPS")

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"
