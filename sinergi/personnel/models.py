"""Named officers on the approved plan: roster, assignments per shift, Surat Perintah, status, dispatch."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sinergi.core.models import TimeStampedModel

from .choices import DispatchState, OfficerKind, PostKind, ResourceKind, Status, UnfilledReason


class Officer(TimeStampedModel):
    """A member on the roster: Polri (NRP, 8 digits), TNI (NRP TNI), Satpol PP (NIP), Linmas (NIK). Personal data:
    read within the unit subtree only; the phone number is shown only on an audited reveal and never exported to
    other agencies."""

    kind = models.CharField(_("jenis"), max_length=10, choices=OfficerKind.choices)
    identifier = models.CharField(_("nomor identitas"), max_length=20)
    name = models.CharField(_("nama"), max_length=160)
    rank = models.CharField(_("pangkat"), max_length=40, blank=True)
    rank_level = models.PositiveSmallIntegerField(_("tingkat pangkat"), default=0)
    senior = models.BooleanField(_("dapat memimpin kelompok"), default=False)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="officers",
                             verbose_name=_("satuan"))
    function = models.CharField(_("fungsi"), max_length=80, blank=True)
    phone = models.CharField(_("nomor HP"), max_length=20, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="officer", verbose_name=_("akun"))
    active = models.BooleanField(_("aktif"), default=True)
    demo = models.BooleanField(_("data demo"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OFF_DUTY)
    status_at = models.DateTimeField(_("status sejak"), null=True, blank=True)

    class Meta:
        ordering = ["unit__code", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "identifier"], name="uniq_officer_identifier")]
        indexes = [models.Index(fields=["unit", "status"], name="officer_unit_status")]
        verbose_name = _("personel")
        verbose_name_plural = _("personel")

    def __str__(self) -> str:
        return f"{self.rank} {self.name} ({self.identifier})".strip()


class Leave(models.Model):
    """An officer's leave (cuti): no assignment in the weeks it touches."""

    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="leaves")
    start = models.DateField(_("mulai"))
    end = models.DateField(_("sampai"))
    reason = models.CharField(_("alasan"), max_length=120, blank=True)

    def __str__(self) -> str:
        return f"{self.officer_id}: {self.start}–{self.end}"


class RosterImport(TimeStampedModel):
    """One roster upload: who, which file, outcome and row errors."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    valid_only = models.BooleanField(default=False)
    rows_total = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    stored = models.BooleanField(default=False)
    errors = models.JSONField(default=list)
    task_run = models.ForeignKey("core.TaskRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]


class AssignmentRun(TimeStampedModel):
    """Named officers put on the posts of one approved Renpam, for a list of shifts, by the optimiser; hand
    adjustments change rows of the current run (audited)."""

    approval = models.ForeignKey("deployment.PlanApproval", on_delete=models.PROTECT, related_name="+")
    shifts = models.JSONField(_("giliran"), default=list)  # [{"week": 0, "label": "..."}]
    parameters = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    is_current = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    task_run = models.ForeignKey("core.TaskRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["approval"], condition=Q(is_current=True),
                                               name="uniq_current_assignment_run")]


class Assignment(models.Model):
    """One officer on one post in one shift (never two posts in one shift: unique)."""

    run = models.ForeignKey(AssignmentRun, on_delete=models.CASCADE, related_name="assignments")
    shift = models.PositiveSmallIntegerField(_("giliran"), default=0)
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="assignments")
    post_kind = models.CharField(max_length=10, choices=PostKind.choices)
    group = models.ForeignKey("deployment.GuardGroup", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    reserve = models.ForeignKey("deployment.Reserve", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    reinforcement = models.ForeignKey("deployment.Reinforcement", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("BKO"))
    post_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    leader = models.BooleanField(_("ketua kelompok"), default=False)
    travel_minutes = models.FloatField(default=0.0)
    manual = models.BooleanField(_("diubah manual"), default=False)

    class Meta:
        ordering = ["shift", "post_unit__code", "group__number", "-leader"]
        constraints = [models.UniqueConstraint(fields=["run", "shift", "officer"], name="uniq_officer_per_shift")]
        indexes = [models.Index(fields=["run", "post_unit"], name="assign_run_unit")]


    def __str__(self) -> str:
        return f"{self.run_id}:{self.shift}:{self.officer_id}"

class UnfilledPost(models.Model):
    """Seats of a post (or officers of a BKO movement) left empty in one shift, and why."""

    run = models.ForeignKey(AssignmentRun, on_delete=models.CASCADE, related_name="unfilled")
    shift = models.PositiveSmallIntegerField(default=0)
    post_kind = models.CharField(max_length=10, choices=PostKind.choices)
    group = models.ForeignKey("deployment.GuardGroup", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    reserve = models.ForeignKey("deployment.Reserve", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    post_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    #: a BKO movement short of officers (post_kind "bko"; post_unit: its destination)
    reinforcement = models.ForeignKey("deployment.Reinforcement", null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="+", verbose_name=_("BKO"))
    missing = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=20, choices=UnfilledReason.choices)


    def __str__(self) -> str:
        return f"{self.run_id}:{self.shift}:{self.post_kind} -{self.missing}"

class Warrant(TimeStampedModel):
    """A Surat Perintah (Sprin) of one unit with its attachment (lampiran), numbered and versioned: a changed
    assignment makes a new version; signed by the commander (PDF and SHA-256 anchored in the audit chain)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(AssignmentRun, on_delete=models.PROTECT, related_name="warrants")
    number = models.CharField(_("nomor"), max_length=80)
    version = models.PositiveIntegerField(_("versi"))
    is_current = models.BooleanField(default=True)
    content_sha256 = models.CharField(max_length=64)
    officers = models.PositiveIntegerField(default=0)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    signer_name = models.CharField(max_length=160, blank=True)
    signer_rank = models.CharField(max_length=120, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(default=bytes)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["unit__code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "version"], name="uniq_warrant_version"),
            models.UniqueConstraint(fields=["unit"], condition=Q(is_current=True), name="uniq_current_warrant"),
        ]

    def __str__(self) -> str:
        return self.number


class StatusReport(models.Model):
    """A status change reported from the phone page (idempotent by key, queued offline)."""

    key = models.CharField(max_length=80, unique=True)
    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="status_reports")
    status = models.CharField(max_length=12, choices=Status.choices)
    at = models.DateTimeField()
    received_at = models.DateTimeField()
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]


    def __str__(self) -> str:
        return f"{self.officer_id}:{self.status}@{self.at:%Y-%m-%d %H:%M}"

class Dispatch(models.Model):
    """A unit sent to an incident: who, estimated travel time, and the times assigned, acknowledged, on scene,
    cleared (response times per Polres come from these)."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="dispatches")
    resource_kind = models.CharField(max_length=10, choices=ResourceKind.choices)
    resource_key = models.CharField(max_length=40)  # "reserve:<id>" | "group:<id>" | "patrol:<unit id>"
    label = models.CharField(max_length=200)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    polres = models.ForeignKey("accounts.Unit", null=True, on_delete=models.SET_NULL, related_name="+")
    eta_minutes = models.FloatField(_("perkiraan waktu tempuh (menit)"))
    state = models.CharField(max_length=14, choices=DispatchState.choices, default=DispatchState.ASSIGNED)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["resource_key"], condition=~Q(state="cleared"),
                                               name="uniq_open_dispatch_per_resource")]

    def __str__(self) -> str:
        return f"{self.label} -> {self.incident_id}"
