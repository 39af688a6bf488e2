"""Elections, their stage calendar, contests, candidate pairs and polling stations (TPS)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_VOTERS_PER_TPS = 600  # UU 7/2017 and PKPU: at most 600 voters per TPS


class Election(models.Model):
    """An election event such as Pilkada Serentak 2024."""

    code = models.CharField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=160)
    voting_date = models.DateField(_("hari pemungutan suara"))
    province = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("provinsi dataset"),
    )
    voters_total = models.PositiveIntegerField(_("jumlah pemilih (DPT)"), null=True, blank=True)
    voters_source = models.CharField(_("sumber DPT"), max_length=255, blank=True)

    class Meta:
        ordering = ["-voting_date"]
        verbose_name = _("pemilihan")
        verbose_name_plural = _("pemilihan")

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """One stage of the election calendar (tahapan), PKPU 2/2024."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="stages")
    code = models.CharField(_("kode"), max_length=40)
    name = models.CharField(_("nama"), max_length=160)
    name_en = models.CharField(_("nama (en)"), max_length=160, blank=True)
    start_date = models.DateField(_("mulai"))
    end_date = models.DateField(_("selesai"))
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)

    class Meta:
        ordering = ["election", "order", "start_date"]
        constraints = [models.UniqueConstraint(fields=["election", "code"], name="uniq_stage_code")]
        verbose_name = _("tahapan")
        verbose_name_plural = _("tahapan")

    def __str__(self) -> str:
        return self.name


class Contest(models.Model):
    """A race within an election: governor, regent (bupati) or mayor (wali kota) for one region."""

    class Kind(models.TextChoices):
        GOVERNOR = "governor", _("Gubernur")
        REGENT = "regent", _("Bupati")
        MAYOR = "mayor", _("Wali Kota")

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="contests")
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="contests")
    candidate_pair_count = models.PositiveSmallIntegerField(_("jumlah pasangan calon"))
    source = models.CharField(_("sumber"), max_length=255, blank=True)

    class Meta:
        ordering = ["election", "region_id"]
        constraints = [models.UniqueConstraint(fields=["election", "region"], name="uniq_contest_region")]
        verbose_name = _("kontestasi")
        verbose_name_plural = _("kontestasi")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region.name}"


class CandidatePair(models.Model):
    """A candidate pair (paslon) with its ballot number; names are entered from KPU's decree."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="pairs")
    number = models.PositiveSmallIntegerField(_("nomor urut"))
    names = models.CharField(_("nama pasangan"), max_length=255)

    class Meta:
        ordering = ["contest", "number"]
        constraints = [models.UniqueConstraint(fields=["contest", "number"], name="uniq_pair_number")]
        verbose_name = _("pasangan calon")
        verbose_name_plural = _("pasangan calon")

    def __str__(self) -> str:
        return f"{self.number}. {self.names}"


class PollingStation(models.Model):
    """A TPS. `code` is the desa code plus the TPS number (53.01.04.2003-001).

    Where the voters or the location were derived rather than taken from KPU, the matching
    `*_estimated` flag is set and the UI and exports say "perkiraan" (estimated).
    """

    class LocationSource(models.TextChoices):
        SURVEYED = "surveyed", _("disurvei")
        KPU = "kpu", _("daftar KPU")
        ESTIMATED_DESA = "estimated_desa", _("perkiraan: di dalam poligon desa")
        ESTIMATED_KECAMATAN = "estimated_kecamatan", _("perkiraan: dekat titik tengah kecamatan")

    class AccessMode(models.TextChoices):
        ROAD = "road", _("jalan darat")
        BOAT = "boat", _("perahu/kapal")
        FOOT = "foot", _("jalan kaki")
        UNKNOWN = "unknown", _("belum diketahui")

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="polling_stations")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="polling_stations")
    district_code = models.CharField(_("kode kecamatan"), max_length=8, db_index=True)
    regency_code = models.CharField(_("kode kabupaten/kota"), max_length=5, db_index=True)
    number = models.PositiveSmallIntegerField(_("nomor TPS"))
    code = models.CharField(_("kode TPS"), max_length=24, db_index=True)
    voters = models.PositiveIntegerField(
        _("jumlah pemilih"), validators=[MinValueValidator(1), MaxValueValidator(MAX_VOTERS_PER_TPS)]
    )
    voters_estimated = models.BooleanField(_("pemilih perkiraan"), default=False)
    lat = models.FloatField(_("lintang"), null=True, blank=True)
    lng = models.FloatField(_("bujur"), null=True, blank=True)
    location_source = models.CharField(
        _("sumber lokasi"), max_length=24, choices=LocationSource.choices, default=LocationSource.KPU
    )
    location_estimated = models.BooleanField(_("lokasi perkiraan"), default=False)
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    access_mode = models.CharField(
        _("akses"), max_length=10, choices=AccessMode.choices, default=AccessMode.UNKNOWN
    )
    special_location = models.BooleanField(_("lokasi khusus"), default=False)
    special_location_note = models.CharField(_("keterangan lokasi khusus"), max_length=255, blank=True)
    source = models.CharField(_("sumber"), max_length=255, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["election", "village", "number"], name="uniq_tps_number_in_desa"),
            models.CheckConstraint(condition=models.Q(voters__gte=1) & models.Q(voters__lte=600),
                                   name="tps_voters_1_600"),
        ]
        indexes = [models.Index(fields=["election", "regency_code"]),
                   models.Index(fields=["election", "district_code"])]
        verbose_name = _("TPS")
        verbose_name_plural = _("TPS")

    def __str__(self) -> str:
        return f"TPS {self.number:03d} {self.village.name}"

    @property
    def is_estimated(self) -> bool:
        return self.voters_estimated or self.location_estimated

    @staticmethod
    def make_code(village_code: str, number: int) -> str:
        return f"{village_code}-{number:03d}"
