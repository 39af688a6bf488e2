"""Indonesia's administrative regions by Kemendagri code, and its islands."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Provinsi")
    REGENCY = "regency", _("Kabupaten/Kota")
    DISTRICT = "district", _("Kecamatan")
    VILLAGE = "village", _("Desa/Kelurahan")


class Region(models.Model):
    """A province, regency/city, district (kecamatan) or village (desa/kelurahan).

    `code` is the dotted Kemendagri code (53, 53.01, 53.01.04, 53.01.04.2003). Geometry is GeoJSON text
    (no GDAL needed): `geometry` as published, `geometry_web` simplified for maps.
    """

    code = models.CharField(_("kode"), max_length=13, primary_key=True)
    level = models.CharField(_("tingkat"), max_length=10, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("induk")
    )
    name = models.CharField(_("nama"), max_length=120, db_index=True)
    province_code = models.CharField(_("kode provinsi"), max_length=2, db_index=True)
    lat = models.FloatField(_("lintang"), null=True, blank=True)
    lng = models.FloatField(_("bujur"), null=True, blank=True)
    centroid_source = models.CharField(_("sumber titik"), max_length=60, blank=True)
    geometry = models.TextField(_("batas wilayah (GeoJSON)"), blank=True)
    geometry_web = models.TextField(_("batas wilayah disederhanakan (GeoJSON)"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def has_geometry(self) -> bool:
        return bool(self.geometry)


class Island(models.Model):
    """An island from the national gazetteer, with its point and flags."""

    code = models.CharField(_("kode"), max_length=16, primary_key=True)
    regency = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.CASCADE, related_name="islands",
        verbose_name=_("kabupaten/kota"),
    )
    name = models.CharField(_("nama"), max_length=120, db_index=True)
    lat = models.FloatField(_("lintang"), null=True, blank=True)
    lng = models.FloatField(_("bujur"), null=True, blank=True)
    is_populated = models.BooleanField(_("berpenghuni"), default=False)
    is_outermost_small = models.BooleanField(_("pulau kecil terluar"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("pulau")
        verbose_name_plural = _("pulau")

    def __str__(self) -> str:
        return self.name
