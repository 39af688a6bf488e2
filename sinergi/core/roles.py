"""Agencies and roles: the two choice sets the permission matrix (sinergi.core.permissions) is written in.

Defined in core so the matrix sits at the bottom of the foundation; sinergi.accounts.choices re-exports both.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    POLRI = "POLRI", _("Polri")
    KPU = "KPU", _("KPU")
    BAWASLU = "BAWASLU", _("Bawaslu")
    TNI = "TNI", _("TNI")
    PEMDA = "PEMDA", _("Pemerintah Daerah")
    BPBD = "BPBD", _("BPBD")
    KEJAKSAAN = "KEJAKSAAN", _("Kejaksaan")
    PUBLIC = "PUBLIC", _("Masyarakat")
    GAKKUMDU = "GAKKUMDU", _("Sentra Gakkumdu")
    DKPP = "DKPP", _("DKPP")
    BKN_KASN = "BKN_KASN", _("BKN/KASN")


class Role(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    ANALYST = "analyst", _("Analis")
    COMMANDER = "commander", _("Komandan")
    LIAISON = "liaison", _("Penghubung (LO)")
    ADMIN = "admin", _("Administrator")
    OBSERVER = "observer", _("Pengamat")
