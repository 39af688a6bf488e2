"""Base models, the append-only hash-chained audit log, and run records for long work."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


class AuditChainHead(models.Model):
    """Single row holding the last sequence number and hash, locked while an event is appended.

    Keeping the head separately lets `audit verify` notice a deleted last event, and the row lock
    serialises appends on PostgreSQL so the chain never forks.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # Keyed chain (ADR 0010): the first keyed event (events before it are unkeyed legacy), and an HMAC over
    # (last_seq, last_hash, keyed_from) with the key `key_id`, so deleting the tail and rewinding the head is
    # detected without the key.
    keyed_from = models.BigIntegerField(null=True, blank=True)
    key_id = models.CharField(max_length=16, blank=True)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("kepala rantai audit")

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"

    def mac_text(self) -> str:
        return f"{self.last_seq}:{self.last_hash}:{self.keyed_from}"


class AuditEvent(models.Model):
    """One write in the system: who did what to which record, chained to the previous event by hash."""

    seq = models.BigIntegerField(_("urutan"), unique=True)
    created_at = models.DateTimeField(_("waktu"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_repr = models.CharField(_("pelaku"), max_length=150)
    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("aksi"), max_length=80, db_index=True)
    object_type = models.CharField(_("jenis objek"), max_length=80, blank=True)
    object_id = models.CharField(_("id objek"), max_length=80, blank=True)
    data = models.JSONField(_("data"), default=dict, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    #: id of the key whose HMAC chains this event (empty: an unkeyed SHA-256 legacy event, see ADR 0010)
    key_id = models.CharField(_("kunci"), max_length=16, blank=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("peristiwa audit")
        verbose_name_plural = _("peristiwa audit")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id} by {self.actor_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def canonical(self) -> str:
        """The exact text hashed for this event; any change to a field changes the hash."""
        payload = {
            "seq": self.seq,
            "created_at": self.created_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_repr": self.actor_repr,
            "unit_id": self.unit_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        if self.key_id:  # legacy events keep exactly the text they were hashed with
            payload["key_id"] = self.key_id
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)

    def compute_hash(self) -> str:
        """HMAC-SHA256 with the event's key (keyed events); plain SHA-256 for unkeyed legacy events."""
        if self.key_id:
            from .keys import audit_mac

            return audit_mac(self.canonical(), self.key_id)
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


class AuditCheckpoint(models.Model):
    """A signed statement of the chain's state (head sequence, head hash, count, time, key id), written with
    each daily situation report and by `sinergi audit checkpoint`. Exported copies let anyone holding the
    public key check offline that later versions of the log still contain this head (no truncation)."""

    seq = models.BigIntegerField(_("urutan kepala"))
    hash = models.CharField(_("hash kepala"), max_length=64)
    count = models.BigIntegerField(_("jumlah peristiwa"))
    created_at = models.DateTimeField(_("waktu"))
    key_id = models.CharField(_("kunci"), max_length=16)
    public_key = models.CharField(_("kunci publik"), max_length=64)
    signature = models.CharField(_("tanda tangan"), max_length=120)
    purpose = models.CharField(_("keperluan"), max_length=80, blank=True)

    class Meta:
        ordering = ["-seq", "-id"]
        verbose_name = _("titik periksa audit")
        verbose_name_plural = _("titik periksa audit")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]} ({self.key_id})"

    def payload(self) -> dict:
        return checkpoint_payload(seq=self.seq, hash=self.hash, count=self.count, at=self.created_at.isoformat(),
                                  key_id=self.key_id, public_key=self.public_key)


def checkpoint_payload(*, seq: int, hash: str, count: int, at: str, key_id: str, public_key: str) -> dict:
    return {"type": "sinergi-audit-checkpoint", "version": 1, "seq": seq, "hash": hash, "count": count, "at": at,
            "key_id": key_id, "public_key": public_key}


def checkpoint_text(payload: dict) -> str:
    """The exact text signed: the payload's fields (without the signature) as canonical JSON."""
    body = {k: v for k, v in payload.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


class TaskRun(TimeStampedModel):
    """Record of a long piece of work (import, recompute, plan, report) run as a background task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("antre")
        RUNNING = "running", _("berjalan")
        SUCCEEDED = "succeeded", _("berhasil")
        FAILED = "failed", _("gagal")
        CANCELLED = "cancelled", _("dibatalkan")

    kind = models.CharField(_("jenis"), max_length=60, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    parameters = models.JSONField(_("parameter"), default=dict, encoder=DjangoJSONEncoder)
    input_hash = models.CharField(_("hash masukan"), max_length=64, blank=True, db_index=True)
    input_name = models.CharField(_("nama berkas"), max_length=255, blank=True)
    log = models.TextField(_("log"), blank=True)
    result = models.JSONField(_("hasil"), default=dict, encoder=DjangoJSONEncoder)
    started_at = models.DateTimeField(_("mulai"), null=True, blank=True)
    finished_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    duration_s = models.FloatField(_("durasi (detik)"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="task_runs"
    )
    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="task_runs"
    )
    # The django-tasks row running this record (set when a worker starts it) and how often it was started:
    # a run whose worker died is released and started again (see services.tasks_release_stale).
    task_id = models.CharField(_("id tugas"), max_length=64, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    # How far the work got (sinergi.core.progress.progress, throttled): items done of total, the step it is on
    # and when it last said so; the pages show a bar, the step and the time left from these.
    progress_done = models.PositiveIntegerField(_("selesai dikerjakan"), default=0)
    progress_total = models.PositiveIntegerField(_("jumlah pekerjaan"), null=True, blank=True)
    progress_step = models.CharField(_("langkah"), max_length=200, blank=True)
    progress_at = models.DateTimeField(_("progres diperbarui"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("catatan proses")
        verbose_name_plural = _("catatan proses")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def progress_percent(self) -> int | None:
        """0..100, or None while the total is not known."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return None
        return max(0, min(100, int(100 * self.progress_done / self.progress_total)))

    def progress_left_s(self, now=None) -> float | None:
        """Seconds left at the pace so far (None before the first item is done or when it is not running)."""
        if self.status != self.Status.RUNNING or not self.progress_total or not self.progress_done:
            return None
        if not self.started_at or not self.progress_at:
            return None
        spent = (self.progress_at - self.started_at).total_seconds()
        if spent <= 0:
            return None
        left = spent * (self.progress_total - self.progress_done) / self.progress_done
        if now is not None:
            left -= max(0.0, (now - self.progress_at).total_seconds())
        return max(0.0, left)


class ProcessHeartbeat(models.Model):
    """A long-running process (task worker, report processor, scheduler) saying it is alive.

    Task workers beat every few seconds from a thread, also while a task runs; a RUNNING task whose worker has not
    beaten within the lease (SINERGI_TASK_LEASE_S) is released and run again. Loops record their last error here,
    so a permanent error is visible on the tasks page and in /readyz, not only in a log.
    """

    name = models.CharField(_("nama"), max_length=64, unique=True)
    kind = models.CharField(_("jenis"), max_length=30)
    host = models.CharField(_("mesin"), max_length=120, blank=True)
    pid = models.IntegerField(_("pid"), default=0)
    started_at = models.DateTimeField(_("mulai"))
    beat_at = models.DateTimeField(_("terakhir hidup"), db_index=True)
    task_id = models.CharField(_("tugas berjalan"), max_length=64, blank=True)
    errors = models.PositiveIntegerField(_("galat"), default=0)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    last_error_at = models.DateTimeField(_("waktu galat terakhir"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("detak proses")
        verbose_name_plural = _("detak proses")

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


class SchedulerLease(models.Model):
    """A named lock held for a while (SQLite; PostgreSQL uses an advisory lock): one periodic tick at a time."""

    name = models.CharField(max_length=64, unique=True)
    holder = models.CharField(max_length=120, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kunci penjadwal")
        verbose_name_plural = _("kunci penjadwal")

    def __str__(self) -> str:
        return f"{self.name} ({self.holder})"
