from django.db import models
from django.utils.translation import gettext_lazy as _

from sinergi.core.roles import AgencyKind, Role  # noqa: F401  (the role matrix lives in core)


class UnitLevel(models.TextChoices):
    NATIONAL = "national", _("Nasional")
    PROVINCE = "province", _("Provinsi")
    REGENCY = "regency", _("Kabupaten/Kota")
    DISTRICT = "district", _("Kecamatan")
    SPECIAL = "special", _("Satuan khusus")


class PersonnelType(models.TextChoices):
    POLRI = "polri", _("Polri")
    BRIMOB = "brimob", _("Brimob")
    TNI = "tni", _("TNI")
    LINMAS = "linmas", _("Linmas")
