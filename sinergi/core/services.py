"""The only writers of core records: audit events and run records."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import AuditChainHead, AuditEvent, ProcessHeartbeat, TaskRun

log = logging.getLogger(__name__)


def _actor_parts(actor) -> tuple[Any, str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "system", None
    return actor, actor.get_username(), getattr(actor, "unit", None)


@transaction.atomic(savepoint=False)
def audit_log(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append one event to the hash chain. Called by every service that changes state."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    user, actor_repr, unit = _actor_parts(actor)
    # Lock the chain head (serialises appends so the chain never forks); create it on the very first event.
    # No savepoint of its own: a failure here must abort the caller's transaction anyway.
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(id=1)
        head = AuditChainHead.objects.select_for_update().get(id=1)
    event = AuditEvent(
        seq=head.last_seq + 1,
        created_at=timezone.now(),
        actor=user,
        actor_repr=actor_repr,
        unit=unit,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        # Round-trip through JSON so the stored value hashes exactly like the value hashed now.
        data=json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)),
        prev_hash=head.last_hash,
    )
    event.hash = event.compute_hash()
    event.save()
    AuditChainHead.objects.filter(id=1).update(last_seq=event.seq, last_hash=event.hash)
    return event


@dataclass
class AuditVerification:
    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)


def audit_verify() -> AuditVerification:
    """Recompute every hash in order; report altered, missing, reordered or truncated events."""
    problems: list[str] = []
    prev_hash = "0" * 64
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected_seq:
            problems.append(f"event #{expected_seq}..#{event.seq - 1} missing (deleted)")
            expected_seq = event.seq
        if event.prev_hash != prev_hash:
            problems.append(f"event #{event.seq}: link to previous event broken")
        if event.compute_hash() != event.hash:
            problems.append(f"event #{event.seq}: content altered (hash mismatch)")
        prev_hash = event.hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None:
        if head.last_seq != expected_seq - 1:
            problems.append(
                f"chain head says last event is #{head.last_seq}, found #{expected_seq - 1} (events deleted at the end)"
            )
        elif head.last_hash != prev_hash:
            problems.append("chain head hash does not match the last event")
    elif checked:
        problems.append("chain head missing")
    return AuditVerification(ok=not problems, checked=checked, problems=problems)


def taskrun_create(*, kind: str, actor=None, parameters: dict | None = None, input_hash: str = "",
                   input_name: str = "") -> TaskRun:
    user, _, unit = _actor_parts(actor)
    run = TaskRun.objects.create(
        kind=kind, parameters=parameters or {}, input_hash=input_hash, input_name=input_name,
        created_by=user, unit=unit,
    )
    audit_log(actor=actor, action=f"{kind}.queued", obj=run, data={"parameters": parameters or {},
                                                                   "input_hash": input_hash})
    return run


def _summary(result: dict) -> dict:
    """Scalar fields of a run result (counts, flags); long lists stay in the run record only."""
    return {k: v for k, v in (result or {}).items() if isinstance(v, (int, float, str, bool)) or v is None}


class RunRecorder:
    """Context manager that marks a TaskRun running, then succeeded or failed, with its duration."""

    def __init__(self, run: TaskRun):
        self.run = run
        self._t0 = 0.0
        self._lines: list[str] = []

    def log(self, line: str) -> None:
        self._lines.append(line)

    def __enter__(self) -> RunRecorder:
        self._t0 = time.perf_counter()
        fields: dict[str, Any] = {"status": TaskRun.Status.RUNNING, "started_at": timezone.now(),
                                  "attempts": F("attempts") + 1}
        task_id = current_task_id()
        if task_id:  # run by a task worker: link the run record to its task row (release, cancel, retry)
            fields["task_id"] = task_id
        TaskRun.objects.filter(pk=self.run.pk).update(**fields)
        # Keep what an earlier attempt or a release wrote to the log.
        earlier = TaskRun.objects.filter(pk=self.run.pk).values_list("log", flat=True).first()
        if earlier:
            self._lines.append(earlier)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        status = TaskRun.Status.FAILED if exc else TaskRun.Status.SUCCEEDED
        if exc:
            self._lines.append(f"ERROR: {exc}")
        self.run.status = status
        self.run.finished_at = timezone.now()
        self.run.duration_s = round(time.perf_counter() - self._t0, 3)
        self.run.log = "\n".join(self._lines)
        TaskRun.objects.filter(pk=self.run.pk).update(
            status=status, finished_at=self.run.finished_at, duration_s=self.run.duration_s,
            log=self.run.log, result=self.run.result,
        )
        audit_log(actor=self.run.created_by, action=f"{self.run.kind}.{status}", obj=self.run,
                  data={"duration_s": self.run.duration_s, "result": _summary(self.run.result)})
        return False


# -- background tasks: the current task, stale release, cancel and retry -------------------------------------------

_current = threading.local()


def set_current_task(task_id: str) -> None:
    """Called by the task worker (sinergi_worker) around each task, so RunRecorder can link its run record."""
    _current.task_id = task_id


def current_task_id() -> str:
    return getattr(_current, "task_id", "") or ""


#: TaskRun kind -> callable(run, status) keeping the app's own record in step (e.g. the plan's status) when a run
#: is released, cancelled, failed for good, or queued again. Apps register in AppConfig.ready().
TASKRUN_STATE_HANDLERS: dict[str, Callable[[TaskRun, str], None]] = {}


def register_taskrun_state_handler(kind: str, handler: Callable[[TaskRun, str], None]) -> None:
    TASKRUN_STATE_HANDLERS[kind] = handler


def lease_seconds() -> float:
    return float(getattr(settings, "SINERGI_TASK_LEASE_S", 60))


def max_attempts() -> int:
    return int(getattr(settings, "SINERGI_TASK_MAX_ATTEMPTS", 3))


def live_workers(now: dt.datetime | None = None) -> set[str]:
    """Names (= worker ids) of task workers that beat within the lease."""
    now = now or timezone.now()
    return set(ProcessHeartbeat.objects.filter(kind="worker", beat_at__gte=now - dt.timedelta(seconds=lease_seconds()))
               .values_list("name", flat=True))


def _runs_of(task_id: str) -> list[TaskRun]:
    return list(TaskRun.objects.select_for_update().filter(task_id=task_id))


def _set_run(run: TaskRun, status: str, line: str, *, finished: bool) -> None:
    now = timezone.now()
    run.status = status
    run.log = (run.log + "\n" if run.log else "") + f"[{timezone.localtime(now):%d/%m %H:%M:%S}] {line}"
    run.finished_at = now if finished else None
    TaskRun.objects.filter(pk=run.pk).update(status=status, log=run.log, finished_at=run.finished_at)
    handler = TASKRUN_STATE_HANDLERS.get(run.kind)
    if handler is not None:
        handler(run, status)


def tasks_release_stale(*, now: dt.datetime | None = None) -> int:
    """Release the RUNNING tasks whose worker stopped beating (killed, machine lost) so another worker runs them
    again; after SINERGI_TASK_MAX_ATTEMPTS starts the task fails for good. Each release is audited. Tasks (plan
    runs, imports, recomputes, reports) are idempotent on re-run, so a released task counts once in effect."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=lease_seconds())
    alive = live_workers(now)
    released = 0
    for row_id, workers in DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).values_list(
            "id", "worker_ids"):
        if workers and workers[-1] in alive:
            continue
        with transaction.atomic():
            row = DBTaskResult.objects.select_for_update(skip_locked=True).filter(pk=row_id, status="RUNNING").first()
            if row is None or (row.worker_ids and row.worker_ids[-1] in alive):
                continue
            worker = row.worker_ids[-1] if row.worker_ids else "?"
            attempts = len(row.worker_ids)
            if attempts >= max_attempts():
                row.status, row.finished_at = "FAILED", now
                row.exception_class_path = "sinergi.core.WorkerLost"
                row.traceback = f"worker {worker} stopped while running this task ({attempts} attempts)"
                row.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                outcome = "failed"
            else:
                row.status, row.started_at = "READY", None
                row.save(update_fields=["status", "started_at"])
                outcome = "released"
            for run in _runs_of(str(row.pk)):
                if outcome == "failed":
                    _set_run(run, TaskRun.Status.FAILED, f"pekerja {worker} berhenti; gagal setelah {attempts} "
                                                         "percobaan", finished=True)
                else:
                    _set_run(run, TaskRun.Status.QUEUED, f"pekerja {worker} berhenti; tugas dilepas dan diantrekan "
                                                         "lagi", finished=False)
            audit_log(actor=None, action=f"task.{outcome}", object_type="django_tasks_db.dbtaskresult",
                      object_id=str(row.pk), data={"task": row.task_path, "worker": worker, "attempts": attempts})
            released += 1
    if released:
        from .metrics import TASKS_RELEASED

        TASKS_RELEASED.inc(released)
        log.warning("released %d task(s) of stopped workers", released)
    return released


def _task_row(task_id: str):
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.select_for_update().filter(pk=task_id).first()
    if row is None:
        raise ValidationError({"task": "tugas tidak ditemukan"})
    return row


@transaction.atomic
def task_cancel(*, actor, task_id: str):
    """Cancel a queued task, or a running one whose worker is gone. A task running on a live worker cannot be
    stopped from here (its worker finishes it; stop the worker to interrupt it)."""
    from sinergi.accounts.permissions import require_perm

    require_perm(actor, "task.manage")
    row = _task_row(task_id)
    if row.status == "RUNNING" and row.worker_ids and row.worker_ids[-1] in live_workers():
        raise ValidationError({"task": "tugas sedang dijalankan pekerja yang hidup; tunggu sampai selesai"})
    if row.status not in ("READY", "RUNNING"):
        raise ValidationError({"task": "tugas sudah selesai"})
    before = row.status
    row.status, row.finished_at = "FAILED", timezone.now()
    row.exception_class_path = "sinergi.core.Cancelled"
    row.traceback = f"dibatalkan oleh {actor.get_username()}"
    row.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
    for run in _runs_of(str(row.pk)):
        _set_run(run, TaskRun.Status.CANCELLED, f"dibatalkan oleh {actor.get_username()}", finished=True)
    audit_log(actor=actor, action="task.cancel", object_type="django_tasks_db.dbtaskresult", object_id=str(row.pk),
              data={"task": row.task_path, "status_before": before.lower()})
    return row


@transaction.atomic
def task_retry(*, actor, task_id: str):
    """Queue a failed or cancelled task again with the same arguments; its run record follows the new task."""
    from django.utils.module_loading import import_string

    from sinergi.accounts.permissions import require_perm

    require_perm(actor, "task.manage")
    row = _task_row(task_id)
    if row.status != "FAILED":
        raise ValidationError({"task": "hanya tugas yang gagal atau dibatalkan yang bisa diulang"})
    task = import_string(row.task_path)
    new = task.using(queue_name=row.queue_name, priority=row.priority).enqueue(
        *row.args_kwargs.get("args", []), **row.args_kwargs.get("kwargs", {}))
    for run in _runs_of(str(row.pk)):
        TaskRun.objects.filter(pk=run.pk).update(task_id=str(new.id))
        _set_run(run, TaskRun.Status.QUEUED, f"diulang oleh {actor.get_username()}", finished=False)
    audit_log(actor=actor, action="task.retry", object_type="django_tasks_db.dbtaskresult", object_id=str(row.pk),
              data={"task": row.task_path, "new_task": str(new.id)})
    return new


def taskrun_link(run: TaskRun, task_result) -> None:
    """Remember which task row runs this record (call right after enqueueing), so a queued run can be cancelled."""
    TaskRun.objects.filter(pk=run.pk).update(task_id=str(task_result.id))
