"""Choices of the risk app: indicator scope and value type, model status, TPS and region tiers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorScope(models.TextChoices):
    TPS = "tps", _("TPS")
    REGION = "region", _("Wilayah")


class ValueType(models.TextChoices):
    YES_NO = "yes_no", _("ya/tidak")
    COUNT = "count", _("jumlah")
    SHARE = "share", _("proporsi (0–1)")
    INDEX = "index", _("indeks (0–100)")


class ModelStatus(models.TextChoices):
    DRAFT = "draft", _("draf")
    PUBLISHED = "published", _("terbit")
    RETIRED = "retired", _("diganti")


class MissingRule(models.TextChoices):
    RENORMALISE = "renormalise", _("hitung dari indikator yang teramati saja")
    NEUTRAL_PRIOR = "neutral_prior", _("indikator kosong dihitung setengah bobot")


class TpsTier(models.TextChoices):
    KURANG_RAWAN = "kurang_rawan", _("kurang rawan")
    RAWAN = "rawan", _("rawan")
    SANGAT_RAWAN = "sangat_rawan", _("sangat rawan")


class RegionTier(models.TextChoices):
    RENDAH = "rendah", _("rendah")
    SEDANG = "sedang", _("sedang")
    TINGGI = "tinggi", _("tinggi")


class ObservationSource(models.TextChoices):
    FORM = "form", _("formulir")
    API = "api", _("API")
    IMPORT = "import", _("unggah berkas")
    DEMO = "demo", _("data demo")


TPS_TIER_CODES = (TpsTier.KURANG_RAWAN, TpsTier.RAWAN, TpsTier.SANGAT_RAWAN)
REGION_TIER_CODES = (RegionTier.RENDAH, RegionTier.SEDANG, RegionTier.TINGGI)
NOT_SCORED = ""
