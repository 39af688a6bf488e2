"""Incident reporting: raw reports (intake), deduplicated incidents, their timeline, routing and deadlines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import (
    Channel,
    IncidentStatus,
    LocationStatus,
    NotificationChannel,
    ProcessingStatus,
    Severity,
    TimelineKind,
)

MAX_TEXT = 5000


class Category(models.Model):
    """An incident category of the taxonomy, with its ACLED event type, responsible agency and deadlines."""

    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    name_en = models.CharField(_("nama (Inggris)"), max_length=120, blank=True)
    violation = models.CharField(_("jenis pelanggaran"), max_length=40, blank=True)
    agency_code = models.CharField(_("instansi penanggung jawab"), max_length=20)
    co_agencies = models.JSONField(_("instansi terkait"), default=list, blank=True)
    handler = models.CharField(_("penanganan"), max_length=200, blank=True)
    default_severity = models.PositiveSmallIntegerField(_("keparahan awal"), choices=Severity.choices, default=1)
    acled_event_type = models.CharField(_("jenis peristiwa ACLED"), max_length=60)
    acled_sub_event_type = models.CharField(_("sub-jenis ACLED"), max_length=60)
    deadline_codes = models.JSONField(_("tenggat"), default=list, blank=True)
    sms_aliases = models.JSONField(_("alias SMS"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("kategori insiden")
        verbose_name_plural = _("kategori insiden")

    def __str__(self) -> str:
        return self.name


class DeadlineRule(models.Model):
    """A legal or operational deadline: amount of hours, calendar days or working days from a moment."""

    class Unit(models.TextChoices):
        HOURS = "hours", _("jam")
        DAYS = "days", _("hari kalender")
        WORKING_DAYS = "working_days", _("hari kerja")

    class Start(models.TextChoices):
        OCCURRED = "occurred", _("sejak kejadian")
        REPORTED = "reported", _("sejak dilaporkan")
        VERIFIED = "verified", _("sejak diverifikasi")
        ASSIGNED = "assigned", _("sejak ditugaskan")

    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    amount = models.PositiveIntegerField(_("jumlah"))
    unit = models.CharField(_("satuan"), max_length=20, choices=Unit.choices, default=Unit.DAYS)
    extension = models.PositiveIntegerField(_("perpanjangan"), default=0)
    start = models.CharField(_("mulai"), max_length=20, choices=Start.choices)
    basis = models.CharField(_("dasar hukum"), max_length=200, blank=True)
    met_by = models.JSONField(_("dipenuhi oleh"), default=list, blank=True,
                              help_text=_("kode instansi yang tindakannya memenuhi tenggat; \"assigned\" = satuan yang ditugasi"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("aturan tenggat")
        verbose_name_plural = _("aturan tenggat")

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A public holiday skipped when counting working days."""

    date = models.DateField(_("tanggal"), unique=True)
    name = models.CharField(_("nama"), max_length=120)

    class Meta:
        ordering = ["date"]
        verbose_name = _("hari libur")
        verbose_name_plural = _("hari libur")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class RoutingRule(models.Model):
    """Category x region -> agency (and optionally a fixed unit). The most specific active rule wins."""

    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="routing_rules", verbose_name=_("kategori"))
    region_prefix = models.CharField(_("awalan kode wilayah"), max_length=13, blank=True)
    agency_code = models.CharField(_("instansi"), max_length=20)
    unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("satuan tetap"))
    active = models.BooleanField(_("aktif"), default=True)
    note = models.CharField(_("catatan"), max_length=200, blank=True)

    class Meta:
        ordering = ["category__code", "region_prefix"]
        verbose_name = _("aturan penugasan")
        verbose_name_plural = _("aturan penugasan")

    def __str__(self) -> str:
        return f"{self.category or '*'} @ {self.region_prefix or '*'} -> {self.unit or self.agency_code}"


class Incident(models.Model):
    """One event on the ground, made of one or more reports (corroboration), with a workflow and deadlines."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="incidents",
                                 verbose_name=_("kategori"))
    severity = models.PositiveSmallIntegerField(_("keparahan"), choices=Severity.choices, default=1)
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices,
                              default=IncidentStatus.REPORTED)
    title = models.CharField(_("judul"), max_length=200)
    description = models.TextField(_("uraian"), blank=True)
    occurred_at = models.DateTimeField(_("waktu kejadian"))
    first_reported_at = models.DateTimeField(_("laporan pertama"))
    last_reported_at = models.DateTimeField(_("laporan terakhir"))
    lat = models.FloatField(_("lintang"), null=True, blank=True)
    lng = models.FloatField(_("bujur"), null=True, blank=True)
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("wilayah"))
    regency_code = models.CharField(_("kode kabupaten/kota"), max_length=5, blank=True, db_index=True)
    tps = models.ForeignKey("elections.PollingStation", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+", verbose_name=_("TPS"))
    location_status = models.CharField(_("status lokasi"), max_length=20, choices=LocationStatus.choices,
                                       default=LocationStatus.UNRESOLVED)
    agency_code = models.CharField(_("instansi penanggung jawab"), max_length=20, blank=True, db_index=True)
    assigned_unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="incidents", verbose_name=_("satuan ditugasi"))
    shared_units = models.ManyToManyField("accounts.Unit", blank=True, related_name="shared_incidents",
                                          verbose_name=_("dibagikan ke"))
    acknowledged_at = models.DateTimeField(_("diterima satuan"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    escalation_level = models.PositiveSmallIntegerField(_("tingkat eskalasi"), default=0)
    report_count = models.PositiveIntegerField(_("jumlah laporan"), default=0)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged_from", verbose_name=_("digabung ke"))
    out_of_area = models.BooleanField(_("di luar wilayah"), default=False, db_index=True)
    fatalities = models.PositiveIntegerField(_("korban jiwa"), null=True, blank=True)
    triage = models.JSONField(_("saran triase"), default=dict, blank=True)
    acled_actors = models.JSONField(_("aktor ACLED"), default=dict, blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["-last_reported_at", "-id"]
        verbose_name = _("insiden")
        verbose_name_plural = _("insiden")
        indexes = [
            models.Index(fields=["-last_reported_at", "-id"], name="inc_recent"),
            models.Index(fields=["status", "-last_reported_at"], name="inc_status_recent"),
            models.Index(fields=["category", "occurred_at"], name="inc_cat_time"),
            models.Index(fields=["category", "-last_reported_at"], name="inc_cat_recent"),
            models.Index(fields=["assigned_unit", "-last_reported_at"], name="inc_unit_recent"),
            models.Index(fields=["regency_code", "-last_reported_at"], name="inc_regency_recent"),
            models.Index(fields=["agency_code", "-last_reported_at"], name="inc_agency_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class Report(models.Model):
    """A raw report as received on one channel. Never deleted; the idempotency key makes retries safe."""

    idempotency_key = models.CharField(_("kunci idempotensi"), max_length=100, unique=True)
    channel = models.CharField(_("kanal"), max_length=10, choices=Channel.choices)
    received_at = models.DateTimeField(_("diterima"), db_index=True)
    occurred_at = models.DateTimeField(_("waktu kejadian"), null=True, blank=True)
    text = models.TextField(_("uraian"))
    reporter_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="incident_reports")
    reporter_name = models.CharField(_("nama pelapor"), max_length=120, blank=True)
    reporter_contact = models.CharField(_("kontak pelapor"), max_length=120, blank=True)
    anonymous = models.BooleanField(_("anonim"), default=False)
    lat = models.FloatField(_("lintang"), null=True, blank=True)
    lng = models.FloatField(_("bujur"), null=True, blank=True)
    tps_code = models.CharField(_("kode TPS"), max_length=24, blank=True)
    place_text = models.CharField(_("lokasi (teks)"), max_length=255, blank=True)
    category_hint = models.CharField(_("kategori dari pelapor"), max_length=40, blank=True)
    severity_hint = models.PositiveSmallIntegerField(_("keparahan dari pelapor"), null=True, blank=True)
    raw = models.JSONField(_("data mentah"), default=dict, blank=True)
    processing = models.CharField(_("pemrosesan"), max_length=10, choices=ProcessingStatus.choices,
                                  default=ProcessingStatus.PENDING, db_index=True)
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    tps = models.ForeignKey("elections.PollingStation", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    location_status = models.CharField(_("status lokasi"), max_length=20, choices=LocationStatus.choices,
                                       default=LocationStatus.UNRESOLVED)
    location_method = models.CharField(_("cara penentuan lokasi"), max_length=40, blank=True)
    suggested_category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", verbose_name=_("saran kategori"))
    suggestion_probability = models.FloatField(null=True, blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("kategori"))
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reports", verbose_name=_("insiden"))
    dedup_score = models.FloatField(null=True, blank=True)
    triage = models.JSONField(_("saran triase"), default=dict, blank=True)
    out_of_area = models.BooleanField(_("di luar wilayah"), default=False)
    reply_text = models.CharField(_("balasan"), max_length=320, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("laporan")
        verbose_name_plural = _("laporan")

    def __str__(self) -> str:
        return f"{self.channel}:{self.idempotency_key}"


class TriageCorrection(models.Model):
    """A staff confirmation or correction of a triage suggestion; the retraining reads these."""

    class Field(models.TextChoices):
        CATEGORY = "category", _("kategori")
        SEVERITY = "severity", _("keparahan")
        PLACE = "place", _("lokasi")
        OUT_OF_AREA = "out_of_area", _("di luar wilayah")
        FATALITIES = "fatalities", _("korban jiwa")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="triage_corrections")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    field = models.CharField(_("isian"), max_length=20, choices=Field.choices)
    suggested = models.CharField(_("saran"), max_length=40, blank=True)
    corrected = models.CharField(_("ditetapkan"), max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(_("waktu"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("koreksi triase")
        verbose_name_plural = _("koreksi triase")

    def __str__(self) -> str:
        return f"{self.field}: {self.suggested} -> {self.corrected}"


class Deadline(models.Model):
    """A running deadline of one incident, shown as a countdown and escalated when overdue."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="deadlines")
    rule = models.ForeignKey(DeadlineRule, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("mulai"))
    due_at = models.DateTimeField(_("jatuh tempo"), db_index=True)
    extended = models.BooleanField(_("diperpanjang"), default=False)
    met_at = models.DateTimeField(_("dipenuhi"), null=True, blank=True)
    met_agency = models.CharField(_("dipenuhi oleh instansi"), max_length=20, blank=True)
    override_reason = models.CharField(_("alasan pengecualian"), max_length=300, blank=True,
                                       help_text=_("diisi bila tenggat dinyatakan terpenuhi tanpa tindakan instansi yang bertanggung jawab"))
    ended_at = models.DateTimeField(_("berakhir"), null=True, blank=True,
                                    help_text=_("insiden ditolak atau ditutup sebelum tenggat dipenuhi"))
    escalated_at = models.DateTimeField(_("dieskalasi"), null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["incident", "rule"], name="uniq_incident_deadline")]
        verbose_name = _("tenggat insiden")
        verbose_name_plural = _("tenggat insiden")

    def __str__(self) -> str:
        return f"{self.rule.code} {self.due_at:%Y-%m-%d %H:%M}"


class TimelineEntry(models.Model):
    """One step on an incident's timeline: who did what and when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("waktu"), db_index=True)
    kind = models.CharField(_("jenis"), max_length=20, choices=TimelineKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_repr = models.CharField(_("pelaku"), max_length=150)
    unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("catatan"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("linimasa")
        verbose_name_plural = _("linimasa")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class Notification(models.Model):
    """A notice to a unit about an incident, delivered in the app, by e-mail or by signed webhook."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="incident_notifications")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    message = models.CharField(_("pesan"), max_length=300)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    sent_at = models.DateTimeField(_("terkirim"), null=True, blank=True)
    read_at = models.DateTimeField(_("dibaca"), null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notifikasi")
        verbose_name_plural = _("notifikasi")

    def __str__(self) -> str:
        return self.message


class NotificationEndpoint(models.Model):
    """Where a unit wants incident notices: e-mail address and/or a webhook URL with its signing secret."""

    unit = models.OneToOneField("accounts.Unit", on_delete=models.CASCADE, related_name="incident_endpoint")
    email = models.EmailField(_("surel"), blank=True)
    webhook_url = models.URLField(_("URL webhook"), blank=True)
    webhook_secret = models.CharField(_("rahasia penandatangan"), max_length=128, blank=True)
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("tujuan notifikasi")
        verbose_name_plural = _("tujuan notifikasi")

    def __str__(self) -> str:
        return str(self.unit)
