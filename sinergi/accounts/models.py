"""Agencies, their unit trees with jurisdictions and strength, and users who belong to units."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import AgencyKind, PersonnelType, Role, UnitLevel


class Agency(models.Model):
    """A partner institution: Polri, KPU, Bawaslu, TNI, Pemda, BPBD, Kejaksaan, the public."""

    code = models.CharField(_("kode"), max_length=20, choices=AgencyKind.choices, unique=True)
    name = models.CharField(_("nama"), max_length=120)

    class Meta:
        ordering = ["code"]
        verbose_name = _("instansi")
        verbose_name_plural = _("instansi")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A unit of an agency (Polda > Polres > Polsek; KPU Provinsi > KPU Kabupaten; Korem > Kodim ...).

    `path` is the materialised ancestry ("/1/5/42/") so subtree scoping is a single indexed LIKE.
    """

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="units", verbose_name=_("instansi"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("induk")
    )
    code = models.CharField(_("kode"), max_length=60, unique=True)
    name = models.CharField(_("nama"), max_length=160)
    level = models.CharField(_("tingkat"), max_length=20, choices=UnitLevel.choices)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    jurisdiction = models.ManyToManyField(
        "regions.Region", blank=True, related_name="units", verbose_name=_("wilayah hukum")
    )
    note = models.CharField(_("catatan"), max_length=255, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("satuan")
        verbose_name_plural = _("satuan")

    def __str__(self) -> str:
        return self.name

    def subtree(self):
        return Unit.objects.filter(path__startswith=self.path)

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


class UnitStrength(models.Model):
    """Personnel available to a unit by type; `estimated` when derived from province totals."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="strengths")
    personnel_type = models.CharField(_("jenis personel"), max_length=20, choices=PersonnelType.choices)
    count = models.PositiveIntegerField(_("jumlah"))
    estimated = models.BooleanField(_("perkiraan"), default=True)
    source = models.CharField(_("sumber"), max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "personnel_type"], name="uniq_unit_strength")]
        verbose_name = _("kekuatan personel")
        verbose_name_plural = _("kekuatan personel")

    def __str__(self) -> str:
        return f"{self.unit}: {self.count} {self.personnel_type}"


class User(AbstractUser):
    """A person using Sinergi; belongs to one unit and holds one role there."""

    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="users", verbose_name=_("satuan")
    )
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, default=Role.OBSERVER)
    rank = models.CharField(_("pangkat"), max_length=40, blank=True,
                            help_text=_("Pangkat atau golongan, mis. AKP, IPTU, Penata III/c."))
    staff_number = models.CharField(_("NRP/NIP"), max_length=30, blank=True,
                                    help_text=_("Nomor Registrasi Pokok (Polri/TNI) atau NIP (ASN)."))

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    @property
    def agency_code(self) -> str | None:
        return self.unit.agency.code if self.unit_id else None

    @property
    def display_label(self) -> str:
        """'Budi Santoso, AKP — Polres Kupang': name (or username), rank when recorded, unit when set."""
        name = self.get_full_name().strip() or self.get_username()
        if self.rank:
            name = f"{name}, {self.rank}"
        return f"{name} — {self.unit.name}" if self.unit_id else name


class ApiToken(models.Model):
    """An API key (`Authorization: Token <key>`), stored only as the SHA-256 of the key: the raw key is shown
    once, when issued, and a copy of the database does not let anyone call the API. Keys expire
    (SINERGI_API_TOKEN_DAYS) and record when they were last used. Created by sinergi.api.services.token_issue."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("pengguna"))
    prefix = models.CharField(_("awalan"), max_length=8, help_text=_("Delapan karakter pertama, untuk dikenali."))
    digest = models.CharField(_("sidik SHA-256"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("dibuat"))
    expires_at = models.DateTimeField(_("kedaluwarsa"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("terakhir dipakai"), null=True, blank=True)

    #: the raw key, set only on the object returned when the token is issued (never stored)
    key: str = ""

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("token API")
        verbose_name_plural = _("token API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
