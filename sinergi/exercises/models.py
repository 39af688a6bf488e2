"""Exercise mode (latihan pra operasi): one exercise runs an election day on a simulated clock in its own copy of
the database (docs/adr/0025-exercise-mode.md, docs/exercise.md). The Exercise row itself lives in the real
database: it is what starts, stops, debriefs and purges the copy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sinergi.core.clock import ExerciseClock


class ExerciseStatus(models.TextChoices):
    PREPARING = "preparing", _("disiapkan")
    RUNNING = "running", _("berjalan")
    STOPPED = "stopped", _("selesai")
    PURGED = "purged", _("dihapus")
    FAILED = "failed", _("gagal")


class Exercise(models.Model):
    """An exercise of one election on a simulated date and window at a chosen speed."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("pemilihan"))
    title = models.CharField(_("judul"), max_length=160, blank=True)
    sim_date = models.DateField(_("tanggal simulasi"))
    sim_start = models.DateTimeField(_("awal jendela simulasi"))
    sim_end = models.DateTimeField(_("akhir jendela simulasi"))
    tz = models.CharField(_("zona waktu"), max_length=40)
    speed = models.PositiveSmallIntegerField(_("kecepatan"))
    status = models.CharField(_("status"), max_length=12, choices=ExerciseStatus.choices,
                              default=ExerciseStatus.PREPARING)
    #: True while preparing or running, else NULL: the unique index allows one active exercise at a time
    active = models.BooleanField(null=True, unique=True, editable=False)
    database = models.CharField(_("basis data latihan"), max_length=500, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("dimulai oleh"))
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    started_at = models.DateTimeField(_("mulai (waktu nyata)"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("berhenti (waktu nyata)"), null=True, blank=True)
    stopped_sim_at = models.DateTimeField(_("berhenti (waktu simulasi)"), null=True, blank=True)
    purged_at = models.DateTimeField(_("dihapus"), null=True, blank=True)
    debrief = models.JSONField(_("evaluasi"), default=dict, blank=True)
    counts = models.JSONField(_("jumlah catatan"), default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("latihan")
        verbose_name_plural = _("latihan")

    def __str__(self) -> str:
        return self.title or f"Latihan #{self.pk}"

    @property
    def is_running(self) -> bool:
        return self.status == ExerciseStatus.RUNNING

    def clock(self) -> ExerciseClock:
        """The clock snapshot for sinergi.core.sandbox.enter (frozen once stopped)."""
        return ExerciseClock(exercise_id=self.pk, sim_start=self.sim_start, sim_end=self.sim_end,
                             started_at=self.started_at or self.created_at, speed=self.speed,
                             database=self.database, frozen_at=self.stopped_at, title=str(self))
