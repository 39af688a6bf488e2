"""KPU logistics movements escorted by Polri/TNI, their legs over land and sea, and the chain of custody.

A Movement is one hop between two nodes of the logistics chain (KPU Kab/Kota warehouse, PPK at the kecamatan,
PPS at the desa, TPS): down the chain before voting (distribution), up the chain for the recapitulation (recap).
Each hop has one or more Legs (road, or sea through ports with a vessel), each with its escort unit. Leg
events (departure, arrival) and CustodyEvents (hand-overs with seal checks) are append-only: a correction is a
new event. Times planned from the travel model are estimates and flagged as such (`estimated`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    DISTRIBUTION = "distribution", _("Distribusi (ke TPS)")
    RECAP = "recap", _("Rekapitulasi (dari TPS)")


class NodeKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Gudang KPU Kab/Kota")
    PPK = "ppk", _("PPK (kecamatan)")
    PPS = "pps", _("PPS (desa/kelurahan)")
    TPS = "tps", _("TPS")


class Status(models.TextChoices):
    PLANNED = "planned", _("Direncanakan")
    IN_TRANSIT = "in_transit", _("Dalam perjalanan")
    ARRIVED = "arrived", _("Tiba")
    HANDED_OVER = "handed_over", _("Diserahterimakan")
    DELAYED = "delayed", _("Terlambat")


class LegMode(models.TextChoices):
    ROAD = "road", _("Darat")
    SEA = "sea", _("Laut")


class LegEventKind(models.TextChoices):
    DEPARTURE = "departure", _("Berangkat")
    ARRIVAL = "arrival", _("Tiba")


class SealCheck(models.TextChoices):
    OK = "ok", _("Segel sesuai")
    MISMATCH = "mismatch", _("Segel tidak sesuai")
    NOT_CHECKED = "not_checked", _("Segel tidak diperiksa")


CARGO_LABELS = {
    "surat_suara": _("surat suara"),
    "kotak_suara": _("kotak suara"),
    "bilik_suara": _("bilik suara"),
    "formulir": _("formulir"),
    "formulir_c_hasil": _("formulir hasil (C-Hasil)"),
    "berita_acara": _("berita acara rekapitulasi"),
}


class AppendOnly(models.Model):
    """Rows are written once: saving an existing row or deleting one raises."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError(f"{self._meta.label} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError(f"{self._meta.label} is append-only")


class Movement(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="logistics_movements")
    key = models.CharField(_("kunci rencana"), max_length=80, unique=True,
                           help_text=_("Kunci stabil dari rencana, mis. dist:ppk:53.01.04"))
    direction = models.CharField(_("arah"), max_length=20, choices=Direction.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children",
                               verbose_name=_("perpindahan sebelumnya dalam rantai"))
    cargo = models.JSONField(_("muatan"), default=dict, blank=True, help_text=_("jenis -> jumlah"))
    origin_kind = models.CharField(_("jenis asal"), max_length=12, choices=NodeKind.choices)
    origin_region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    origin_tps = models.ForeignKey("elections.PollingStation", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="+")
    origin_name = models.CharField(_("asal"), max_length=160)
    origin_lat = models.FloatField(null=True, blank=True)
    origin_lng = models.FloatField(null=True, blank=True)
    dest_kind = models.CharField(_("jenis tujuan"), max_length=12, choices=NodeKind.choices)
    dest_region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    dest_tps = models.ForeignKey("elections.PollingStation", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    dest_name = models.CharField(_("tujuan"), max_length=160)
    dest_lat = models.FloatField(null=True, blank=True)
    dest_lng = models.FloatField(null=True, blank=True)
    polling_station = models.ForeignKey("elections.PollingStation", null=True, blank=True, on_delete=models.CASCADE,
                                        related_name="logistics_movements", verbose_name=_("TPS yang dilayani"))
    #: the village whose TPS this hop serves (distribution to a PPS serves every TPS of that desa)
    serves_village_code = models.CharField(max_length=13, blank=True, db_index=True)
    regency_code = models.CharField(_("kode kabupaten/kota"), max_length=5, db_index=True)
    district_code = models.CharField(_("kode kecamatan"), max_length=8, blank=True, db_index=True)
    escort_unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("satuan pengawal"))
    seals = models.JSONField(_("nomor segel"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED,
                              db_index=True)
    planned_departure = models.DateTimeField(_("rencana berangkat"))
    expected_arrival = models.DateTimeField(_("perkiraan tiba"))
    estimated = models.BooleanField(_("waktu perkiraan"), default=True)
    travel_hours = models.FloatField(_("lama perjalanan (jam, perkiraan)"), default=0)
    has_sea = models.BooleanField(_("lewat laut"), default=False, db_index=True)
    actual_departure = models.DateTimeField(_("berangkat"), null=True, blank=True)
    actual_arrival = models.DateTimeField(_("tiba"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("diserahterimakan"), null=True, blank=True)
    delay_minutes = models.IntegerField(_("keterlambatan (menit)"), default=0)
    note = models.CharField(_("catatan"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["planned_departure", "id"]
        indexes = [models.Index(fields=["election", "direction", "status"]),
                   models.Index(fields=["election", "regency_code"])]
        verbose_name = _("perpindahan logistik")
        verbose_name_plural = _("perpindahan logistik")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.origin_name} → {self.dest_name}"

    @property
    def cargo_text(self) -> str:
        return ", ".join(f"{n:,} {CARGO_LABELS.get(k, k)}".replace(",", ".") for k, n in self.cargo.items())

    @property
    def in_motion(self) -> bool:
        return self.actual_departure is not None and self.actual_arrival is None


class Leg(models.Model):
    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="legs")
    order = models.PositiveSmallIntegerField(_("urutan"))
    mode = models.CharField(_("moda"), max_length=8, choices=LegMode.choices)
    vessel_name = models.CharField(_("kapal"), max_length=120, blank=True)
    sea_link = models.CharField(_("lintasan laut"), max_length=120, blank=True)
    from_name = models.CharField(_("dari"), max_length=160)
    from_lat = models.FloatField(null=True, blank=True)
    from_lng = models.FloatField(null=True, blank=True)
    from_port = models.CharField(_("pelabuhan asal"), max_length=120, blank=True)
    to_name = models.CharField(_("ke"), max_length=160)
    to_lat = models.FloatField(null=True, blank=True)
    to_lng = models.FloatField(null=True, blank=True)
    to_port = models.CharField(_("pelabuhan tujuan"), max_length=120, blank=True)
    escort_unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("satuan pengawal"))
    officers = models.PositiveSmallIntegerField(_("personel pengawal"), default=2)
    hours = models.FloatField(_("lama (jam, perkiraan)"), default=0)
    planned_departure = models.DateTimeField(_("rencana berangkat"))
    expected_arrival = models.DateTimeField(_("perkiraan tiba"))
    estimated = models.BooleanField(_("waktu perkiraan"), default=True)
    actual_departure = models.DateTimeField(_("berangkat"), null=True, blank=True)
    actual_arrival = models.DateTimeField(_("tiba"), null=True, blank=True)

    class Meta:
        ordering = ["movement_id", "order"]
        constraints = [models.UniqueConstraint(fields=["movement", "order"], name="logistics_leg_order_unique")]
        indexes = [models.Index(fields=["actual_arrival", "expected_arrival"])]
        verbose_name = _("ruas")
        verbose_name_plural = _("ruas")

    def __str__(self) -> str:
        return f"{self.from_name} → {self.to_name} ({self.get_mode_display()})"


class LegEvent(AppendOnly):
    """A departure or arrival of a leg, as reported (append-only; `key` makes retries harmless)."""

    key = models.CharField(_("kunci idempotensi"), max_length=80, unique=True)
    leg = models.ForeignKey(Leg, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("jenis"), max_length=12, choices=LegEventKind.choices)
    at = models.DateTimeField(_("waktu"))
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    note = models.CharField(_("catatan"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("kejadian ruas")
        verbose_name_plural = _("kejadian ruas")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class CustodyEvent(AppendOnly):
    """A hand-over of the cargo from one party to another, confirmed by a user, with the seals checked."""

    key = models.CharField(_("kunci idempotensi"), max_length=80, unique=True)
    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="custody_events")
    polling_station = models.ForeignKey("elections.PollingStation", null=True, blank=True, on_delete=models.CASCADE,
                                        related_name="+", verbose_name=_("TPS"),
                                        help_text=_("Serah terima di TPS (PPS ↔ KPPS)"))
    node_kind = models.CharField(_("tempat"), max_length=12, choices=NodeKind.choices)
    at = models.DateTimeField(_("waktu"))
    from_name = models.CharField(_("dari (nama)"), max_length=120)
    from_agency = models.CharField(_("dari (instansi)"), max_length=120, blank=True)
    from_unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    to_name = models.CharField(_("kepada (nama)"), max_length=120)
    to_agency = models.CharField(_("kepada (instansi)"), max_length=120, blank=True)
    to_unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seal_check = models.CharField(_("pemeriksaan segel"), max_length=12, choices=SealCheck.choices)
    seals_seen = models.JSONField(_("nomor segel yang terlihat"), default=list, blank=True)
    note = models.CharField(_("catatan"), max_length=500, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("dikonfirmasi oleh"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("serah terima")
        verbose_name_plural = _("serah terima")

    def __str__(self) -> str:
        return f"{self.from_name} → {self.to_name}"
