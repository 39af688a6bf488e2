"""Security deployment plans (rencana pengamanan): patterns, plans as scenarios and their results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sinergi.core.models import TimeStampedModel

from .choices import OperationPhase, PlanStatus, ReserveKind, Tier, TierSource


class SecurityPattern(TimeStampedModel):
    """A Polres' own A-B-C pattern for one tier, overriding the shipped defaults (patterns.csv)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="security_patterns",
                             verbose_name=_("satuan"))
    tier = models.CharField(_("tingkat kerawanan"), max_length=20, choices=Tier.choices)
    officers = models.PositiveSmallIntegerField(_("personel (A)"))
    tps = models.PositiveSmallIntegerField(_("TPS (B)"))
    linmas = models.PositiveSmallIntegerField(_("Linmas (C)"))
    pairs = models.BooleanField(_("minimal berpasangan"), default=True)
    source = models.CharField(_("sumber"), max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "tier"], name="uniq_pattern_unit_tier")]
        verbose_name = _("pola pengamanan")
        verbose_name_plural = _("pola pengamanan")

    def __str__(self) -> str:
        return f"{self.unit}: {self.tier} {self.officers}-{self.tps}-{self.linmas}"


class Plan(TimeStampedModel):
    """One scenario of the deployment plan: parameters, input hash, status, metrics and the manual baseline."""

    name = models.CharField(_("nama"), max_length=160)
    scenario = models.CharField(_("skenario"), max_length=60, default="dasar")
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="plans")
    parameters = models.JSONField(_("parameter"), default=dict)
    input_hash = models.CharField(_("hash masukan"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.QUEUED)
    tier_source = models.CharField(_("sumber tingkat kerawanan"), max_length=20, choices=TierSource.choices,
                                   default=TierSource.PLACEHOLDER)
    metrics = models.JSONField(_("metrik"), default=dict)
    baseline = models.JSONField(_("metode manual"), default=dict)
    task_run = models.ForeignKey("core.TaskRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    owner_unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("satuan pembuat"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rencana pengamanan")
        verbose_name_plural = _("rencana pengamanan")

    def __str__(self) -> str:
        return self.name


class PlanUnit(models.Model):
    """Per Polres results of a plan: officers required vs available, groups and bound, BKO and shortfall."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="+")
    tps_by_tier = models.JSONField(default=dict)
    strength = models.PositiveIntegerField(_("kekuatan"))
    deployable = models.PositiveIntegerField(_("dapat dikerahkan"))
    officers_required = models.PositiveIntegerField(_("personel dibutuhkan"))
    officers_manual = models.PositiveIntegerField(_("personel (metode manual)"))
    linmas = models.PositiveIntegerField(_("Linmas"))
    groups = models.PositiveIntegerField(_("kelompok"))
    groups_lower_bound = models.PositiveIntegerField(_("batas bawah kelompok"))
    groups_bound = models.PositiveIntegerField(_("batas bawah kelompok (dengan jarak)"))
    reinforcements_in = models.PositiveIntegerField(_("BKO masuk"), default=0)
    reinforcements_out = models.PositiveIntegerField(_("BKO keluar"), default=0)
    shortfall = models.PositiveIntegerField(_("kekurangan"), default=0)

    class Meta:
        ordering = ["unit__code"]
        constraints = [models.UniqueConstraint(fields=["plan", "unit"], name="uniq_plan_unit")]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.unit}"


class GuardGroup(models.Model):
    """A guard group: up to B TPS of one tier in one kecamatan, within the travel radius of its post."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="groups")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="+")
    polsek = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    district_code = models.CharField(max_length=8, db_index=True)
    tier = models.CharField(max_length=20, choices=Tier.choices)
    number = models.PositiveIntegerField()
    tps_count = models.PositiveSmallIntegerField()
    officers = models.PositiveSmallIntegerField()
    linmas = models.PositiveSmallIntegerField()
    post_lat = models.FloatField()
    post_lng = models.FloatField()
    max_travel_min = models.FloatField()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"K{self.number}"


class GuardAssignment(models.Model):
    """Which group guards which TPS (each TPS exactly once per plan)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="assignments")
    group = models.ForeignKey(GuardGroup, on_delete=models.CASCADE, related_name="assignments")
    polling_station = models.ForeignKey("elections.PollingStation", on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=20, choices=Tier.choices)
    reserve = models.ForeignKey("Reserve", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("cadangan terdekat"))
    reserve_minutes = models.FloatField(_("waktu tanggap cadangan (menit, perkiraan)"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "polling_station"], name="uniq_plan_tps")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.polling_station_id}"


class Reinforcement(models.Model):
    """Personnel moved (BKO) from a source to a Polres, with travel time and route."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reinforcements")
    source_name = models.CharField(max_length=160)
    source_kind = models.CharField(max_length=20)
    source_unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    to_unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField()
    minutes = models.FloatField()
    route = models.CharField(max_length=255, blank=True)
    path = models.JSONField(_("jalur"), default=list, blank=True,
                            help_text="legs [{mode: darat|laut, points: [[lat, lng], ...], label, wait_h}]")

    class Meta:
        ordering = ["to_unit__code", "-count"]

    def __str__(self) -> str:
        return f"{self.source_name} -> {self.to_unit_id}: {self.count}"


class Reserve(models.Model):
    """A reserve / quick-response team site."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reserves")
    kind = models.CharField(max_length=10, choices=ReserveKind.choices)
    district_code = models.CharField(max_length=8)
    name = models.CharField(max_length=160)
    unit = models.ForeignKey("accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lat = models.FloatField()
    lng = models.FloatField()
    team_size = models.PositiveSmallIntegerField()
    demand_count = models.PositiveIntegerField()
    max_minutes = models.FloatField()
    mean_minutes = models.FloatField()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.name}"


class PlanApproval(TimeStampedModel):
    """A plan version approved by a commander as the Renpam (rencana pengamanan disahkan) of one election and
    operation phase. Versions count up per election and phase; approving a new one supersedes the old one, so
    at most one is current (database constraint). The signed PDF and its SHA-256 are kept; the hash is
    anchored in the audit chain."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("rencana"))
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+")
    phase = models.CharField(_("tahap operasi"), max_length=20, choices=OperationPhase.choices,
                             default=OperationPhase.PEMUNGUTAN)
    version = models.PositiveIntegerField(_("versi"))
    is_current = models.BooleanField(_("berlaku"), default=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("disahkan oleh"))
    approver_name = models.CharField(_("nama pengesah"), max_length=160)
    approver_rank = models.CharField(_("pangkat/jabatan"), max_length=120, blank=True)
    approver_unit = models.CharField(_("satuan pengesah"), max_length=160, blank=True)
    approved_at = models.DateTimeField(_("disahkan pada"))
    superseded_at = models.DateTimeField(_("digantikan pada"), null=True, blank=True)
    note = models.CharField(_("catatan"), max_length=500, blank=True)
    diff = models.JSONField(_("perubahan terhadap versi sebelumnya"), default=dict, blank=True)
    pdf = models.BinaryField(_("PDF bertanda tangan"), default=bytes)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["election_id", "phase", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["election", "phase", "version"], name="uniq_approval_version"),
            models.UniqueConstraint(fields=["election", "phase"], condition=models.Q(is_current=True),
                                    name="uniq_current_approval"),
        ]
        verbose_name = _("Renpam disahkan")
        verbose_name_plural = _("Renpam disahkan")

    def __str__(self) -> str:
        return f"Renpam v{self.version} ({self.phase})"
