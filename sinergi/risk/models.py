"""Vulnerability mapping (pemetaan kerawanan): indicator catalog, observations, versioned risk models, assessments.

An Indicator (catalog row, data not code) is observed per TPS or region (Observation, full history kept). The
latest value of every TPS indicator is also kept packed in RiskInput (one float32 vector per TPS, by the
indicator's `slot`) so a national recompute reads 435,000 short rows instead of millions of observations.
A RiskModel version fixes weights, tier cut points, the missing-data rule and incident influence; once
published it never changes. Assessments keep the version they were computed with.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import (
    IndicatorScope,
    MissingRule,
    ModelStatus,
    ObservationSource,
    ValueType,
)


class Indicator(models.Model):
    """One indicator of the catalog (e.g. `riwayat_kekerasan`, yes/no, variable keamanan, supplied by Polri).

    TPS indicators follow Bawaslu's Pilkada 2024 TPS mapping (8 variables, 25 indicators); region indicators
    follow the IKP's 4 dimensions. `slot` is the indicator's fixed position in the packed TPS input vector.
    """

    code = models.SlugField(_("kode"), max_length=60, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    name_en = models.CharField(_("nama (en)"), max_length=200, blank=True)
    scope = models.CharField(_("cakupan"), max_length=10, choices=IndicatorScope.choices)
    group = models.SlugField(_("variabel/dimensi"), max_length=60)
    group_name = models.CharField(_("nama variabel/dimensi"), max_length=120)
    group_name_en = models.CharField(_("nama variabel/dimensi (en)"), max_length=120, blank=True)
    value_type = models.CharField(_("jenis nilai"), max_length=10, choices=ValueType.choices)
    cap = models.FloatField(_("batas jenuh (untuk jumlah)"), default=1.0)
    default_weight = models.FloatField(_("bobot bawaan"), default=1.0)
    direction = models.SmallIntegerField(_("arah"), choices=[(1, _("menambah kerawanan")),
                                                             (-1, _("mengurangi kerawanan"))], default=1)
    source_agency = models.CharField(_("instansi pemasok"), max_length=20)
    reason_text = models.CharField(_("alasan (kalimat kartu TPS)"), max_length=200, blank=True)
    description = models.TextField(_("keterangan"), blank=True)
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)
    slot = models.PositiveSmallIntegerField(_("slot vektor"), unique=True, editable=False)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["scope", "order", "code"]
        verbose_name = _("indikator kerawanan")
        verbose_name_plural = _("indikator kerawanan")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Observation(models.Model):
    """A value of one indicator at one TPS or region on a date, by a unit, with its evidence. Never overwritten
    by a later value: the latest (by date, then entry) is the one used."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="observations")
    polling_station = models.ForeignKey("elections.PollingStation", null=True, blank=True,
                                        on_delete=models.CASCADE, related_name="risk_observations")
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="risk_observations")
    value = models.FloatField(_("nilai"))
    observed_on = models.DateField(_("tanggal pengamatan"))
    unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("satuan pelapor"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    evidence_text = models.TextField(_("bukti/keterangan"), blank=True)
    evidence_file = models.FileField(_("berkas bukti"), upload_to="risk/evidence/", blank=True)
    source = models.CharField(_("sumber"), max_length=10, choices=ObservationSource.choices,
                              default=ObservationSource.FORM)
    is_demo = models.BooleanField(_("data demo"), default=False)
    import_run = models.ForeignKey("core.TaskRun", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)
    # Sent again by a phone's outbox (issue 16): the same key is stored once.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-observed_on", "-id"]
        verbose_name = _("pengamatan indikator")
        verbose_name_plural = _("pengamatan indikator")
        indexes = [
            models.Index(fields=["polling_station", "indicator", "observed_on"]),
            models.Index(fields=["region", "indicator", "observed_on"]),
            models.Index(fields=["election", "is_demo"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(polling_station__isnull=False, region__isnull=True)
                           | models.Q(polling_station__isnull=True, region__isnull=False)),
                name="risk_obs_one_target"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}={self.value} ({self.observed_on})"


class RiskInput(models.Model):
    """The latest value of every TPS indicator, packed: float32 little-endian, position = Indicator.slot,
    NaN = not observed. Rebuilt from Observation by `services.risk_inputs_rebuild`."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+")
    polling_station = models.OneToOneField("elections.PollingStation", on_delete=models.CASCADE,
                                           related_name="risk_input")
    values = models.BinaryField(_("nilai terakhir"))
    is_demo = models.BooleanField(_("data demo"), default=False)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    class Meta:
        verbose_name = _("masukan kerawanan TPS")
        verbose_name_plural = _("masukan kerawanan TPS")

    def __str__(self) -> str:
        return f"input TPS {self.polling_station_id}"


class RiskModel(models.Model):
    """One version of the risk model of an election: weights, tiers, missing-data rule, incident influence.

    Drafts can be edited and previewed; publishing records who and when and retires the previous version.
    A published or retired version never changes.
    """

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="risk_models")
    version = models.PositiveIntegerField(_("versi"))
    name = models.CharField(_("nama"), max_length=160)
    notes = models.TextField(_("catatan perubahan"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ModelStatus.choices, default=ModelStatus.DRAFT)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    missing_rule = models.CharField(_("aturan data kosong"), max_length=16, choices=MissingRule.choices,
                                    default=MissingRule.RENORMALISE)
    min_coverage = models.FloatField(_("cakupan minimum"), default=0.5)
    tps_cut_rawan = models.FloatField(_("skor TPS mulai rawan"))
    tps_cut_sangat_rawan = models.FloatField(_("skor TPS mulai sangat rawan"))
    region_cut_sedang = models.FloatField(_("skor wilayah mulai sedang"), default=21.7)
    region_cut_tinggi = models.FloatField(_("skor wilayah mulai tinggi"), default=68.5)
    incident_radius_km = models.FloatField(_("radius insiden (km)"), default=5.0)
    incident_window_days = models.FloatField(_("jendela insiden (hari)"), default=90.0)
    incident_half_life_days = models.FloatField(_("waktu paruh insiden (hari)"), default=30.0)
    incident_cap = models.FloatField(_("batas beban insiden"), default=3.0)
    incident_weight = models.FloatField(_("bobot insiden"), default=0.3)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    published_at = models.DateTimeField(_("diterbitkan"), null=True, blank=True)
    last_computed_at = models.DateTimeField(_("terakhir dihitung"), null=True, blank=True)
    summary = models.JSONField(_("ringkasan hitungan terakhir"), default=dict, blank=True)

    class Meta:
        ordering = ["election", "-version"]
        verbose_name = _("model kerawanan")
        verbose_name_plural = _("model kerawanan")
        constraints = [models.UniqueConstraint(fields=["election", "version"], name="uniq_risk_model_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == ModelStatus.DRAFT


class RiskModelWeight(models.Model):
    """The weight (and saturation cap for counts) of one indicator in one model version; 0 switches it off."""

    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="weights")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    weight = models.FloatField(_("bobot"))
    cap = models.FloatField(_("batas jenuh"), default=1.0)

    class Meta:
        ordering = ["model", "indicator__scope", "indicator__order"]
        constraints = [models.UniqueConstraint(fields=["model", "indicator"], name="uniq_risk_weight")]
        verbose_name = _("bobot indikator")
        verbose_name_plural = _("bobot indikator")

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.weight}"


class Assessment(models.Model):
    """The latest score and tier of one TPS under one model version, with the reasons (top contributors)."""

    # Derived rows, replaced in bulk by every recompute: Django cascades the deletes, and leaving out the database
    # foreign-key checks saves two index probes per row when 435,000 rows are copied in.
    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="assessments", db_constraint=False)
    polling_station = models.ForeignKey("elections.PollingStation", on_delete=models.CASCADE,
                                        related_name="risk_assessments", db_constraint=False)
    score = models.FloatField(_("skor"), null=True, blank=True)
    tier = models.CharField(_("tingkat"), max_length=16, blank=True)
    coverage = models.FloatField(_("cakupan data"))
    low_coverage = models.BooleanField(_("data kurang"), default=False)
    incident_points = models.FloatField(_("poin insiden"), default=0.0)
    top = models.JSONField(_("penyumbang utama"), default=list)
    dimensions = models.JSONField(_("skor per variabel"), default=dict)
    is_demo = models.BooleanField(_("data demo"), default=False)
    computed_at = models.DateTimeField(_("dihitung"))

    class Meta:
        verbose_name = _("penilaian kerawanan TPS")
        verbose_name_plural = _("penilaian kerawanan TPS")
        # One unique index only: every extra index costs seconds when 435,000 rows are replaced.
        constraints = [models.UniqueConstraint(fields=["model", "polling_station"], name="uniq_assessment")]

    def __str__(self) -> str:
        return f"{self.polling_station_id}: {self.tier or '-'}"


class RegionAssessment(models.Model):
    """Score and tier of a province, regency or kecamatan under one model version.

    `basis` says where the score comes from: the region's IKP indicators when observed ("ikp"), else the mean
    of its TPS scores ("tps_mean"). The TPS tier counts are kept either way.
    """

    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="region_assessments")
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="risk_assessments")
    level = models.CharField(_("tingkat wilayah"), max_length=10)
    score = models.FloatField(_("skor"), null=True, blank=True)
    tier = models.CharField(_("tingkat"), max_length=16, blank=True)
    basis = models.CharField(_("dasar skor"), max_length=10, blank=True)
    ikp_score = models.FloatField(_("skor IKP"), null=True, blank=True)
    tps_mean_score = models.FloatField(_("rerata skor TPS"), null=True, blank=True)
    tps_total = models.PositiveIntegerField(default=0)
    tps_scored = models.PositiveIntegerField(default=0)
    n_kurang_rawan = models.PositiveIntegerField(default=0)
    n_rawan = models.PositiveIntegerField(default=0)
    n_sangat_rawan = models.PositiveIntegerField(default=0)
    dimensions = models.JSONField(_("skor per dimensi"), default=dict)
    is_demo = models.BooleanField(_("data demo"), default=False)
    computed_at = models.DateTimeField(_("dihitung"))

    class Meta:
        ordering = ["region_id"]
        verbose_name = _("penilaian kerawanan wilayah")
        verbose_name_plural = _("penilaian kerawanan wilayah")
        constraints = [models.UniqueConstraint(fields=["model", "region"], name="uniq_region_assessment")]
        indexes = [models.Index(fields=["model", "level"])]

    def __str__(self) -> str:
        return f"{self.region_id}: {self.tier or '-'}"
