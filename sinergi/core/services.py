"""The only writers of core records: audit events and run records."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import keys
from .models import (
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    ProcessHeartbeat,
    TaskRun,
    checkpoint_payload,
    checkpoint_text,
)

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
    """Append one event to the keyed hash chain (HMAC with the audit key, ADR 0010). Called by every service
    that changes state. Cost: the head lock, one insert, one head update (as before the key)."""
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
        key_id=keys.audit_key_id(),
    )
    event.hash = event.compute_hash()
    event.save()
    head.last_seq, head.last_hash = event.seq, event.hash
    if head.keyed_from is None:
        head.keyed_from = event.seq  # the first keyed event: anything before it is unkeyed legacy
    head.key_id = event.key_id
    head.mac = keys.audit_mac(head.mac_text(), event.key_id)
    AuditChainHead.objects.filter(id=1).update(last_seq=head.last_seq, last_hash=head.last_hash,
                                               keyed_from=head.keyed_from, key_id=head.key_id, mac=head.mac)
    return event


@transaction.atomic(savepoint=False)
def audit_log_many(events: list[dict]) -> list[AuditEvent]:
    """Append several events (each a dict of `audit_log`'s arguments) in order: the same chain as calling
    `audit_log` for each, with one head lock, one bulk insert and one head update (batch processing)."""
    if not events:
        return []
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(id=1)
        head = AuditChainHead.objects.select_for_update().get(id=1)
    key_id = keys.audit_key_id()
    seq, prev = head.last_seq, head.last_hash
    out = []
    for e in events:
        obj = e.get("obj")
        object_type, object_id = e.get("object_type", ""), e.get("object_id", "")
        if obj is not None:
            object_type = object_type or obj._meta.label_lower
            object_id = object_id or obj.pk
        user, actor_repr, unit = _actor_parts(e.get("actor"))
        seq += 1
        event = AuditEvent(seq=seq, created_at=timezone.now(), actor=user, actor_repr=actor_repr, unit=unit,
                           action=e["action"], object_type=object_type, object_id=str(object_id),
                           data=json.loads(json.dumps(e.get("data") or {}, cls=DjangoJSONEncoder)),
                           prev_hash=prev, key_id=key_id)
        event.hash = prev = event.compute_hash()
        out.append(event)
    AuditEvent.objects.bulk_create(out)
    head.last_seq, head.last_hash = seq, prev
    if head.keyed_from is None:
        head.keyed_from = out[0].seq
    head.key_id = key_id
    head.mac = keys.audit_mac(head.mac_text(), key_id)
    AuditChainHead.objects.filter(id=1).update(last_seq=head.last_seq, last_hash=head.last_hash,
                                               keyed_from=head.keyed_from, key_id=head.key_id, mac=head.mac)
    return out


@dataclass
class AuditVerification:
    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)


def audit_verify(*, checkpoints: list[dict] | None = None) -> AuditVerification:
    """Recompute every hash in order; report altered, missing, reordered or truncated events.

    Keyed events are checked with their key's HMAC (unknown key: a problem); unkeyed SHA-256 events are
    accepted only before the head's signed `keyed_from` (legacy, ADR 0010), so recomputing events without the
    key is detected. Truncation: the head's HMAC must match (deleting the tail and rewinding the head needs the
    key), and every signed checkpoint — in the database, in the data folder's checkpoint file, and any given
    (`checkpoints`, e.g. exported with a situation report) — must still be in the chain.
    """
    problems: list[str] = []
    head = AuditChainHead.objects.filter(id=1).first()
    head_ok = head is not None and (not head.key_id or keys.audit_mac_ok(head.mac_text(), head.mac, head.key_id))
    if head is not None and not head_ok:
        problems.append("chain head signature invalid (head rewritten without the audit key)")
    keyed_from = head.keyed_from if head is not None and head.key_id and head_ok else None
    prev_hash = "0" * 64
    expected_seq = 1
    checked = 0
    seen_keyed = False
    wanted = _checkpoints_to_check(checkpoints, problems)
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected_seq:
            problems.append(f"event #{expected_seq}..#{event.seq - 1} missing (deleted)")
            expected_seq = event.seq
        if event.prev_hash != prev_hash:
            problems.append(f"event #{event.seq}: link to previous event broken")
        # Legacy (unkeyed) events may only come before the first keyed one: the head's signed `keyed_from`;
        # an unkeyed event after a keyed one, or with an invalid/blank head over a keyed chain, was recomputed.
        if not event.key_id and (seen_keyed or (keyed_from is not None and event.seq >= keyed_from)
                                 or (keyed_from is None and head is not None and bool(head.key_id))):
            problems.append(f"event #{event.seq}: unkeyed event inside the keyed chain (recomputed without the key)")
        elif event.key_id and event.key_id not in keys.known_public_keys():
            problems.append(f"event #{event.seq}: chained with unknown key {event.key_id}")
        elif event.compute_hash() != event.hash:
            problems.append(f"event #{event.seq}: content altered (hash mismatch)")
        if event.seq in wanted and wanted.pop(event.seq) != event.hash:
            problems.append(f"event #{event.seq}: differs from the signed checkpoint (chain rewritten)")
        seen_keyed = seen_keyed or bool(event.key_id)
        prev_hash = event.hash
        expected_seq += 1
    for seq in sorted(wanted):
        problems.append(f"signed checkpoint names event #{seq}, which is gone (log truncated)")
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


def _checkpoints_to_check(extra: list[dict] | None, problems: list[str]) -> dict[int, str]:
    """seq -> hash of every validly signed checkpoint known (database, data-folder file, given ones)."""
    known = keys.known_public_keys()
    found = [cp.payload() | {"signature": cp.signature} for cp in AuditCheckpoint.objects.all()]
    found += checkpoint_file_read()
    found += list(extra or [])
    wanted: dict[int, str] = {}
    for cp in found:
        ok = checkpoint_verify(cp)
        if ok and known.get(cp.get("key_id")) not in (None, cp.get("public_key")):
            ok = False  # signed by a key pair that is not ours
        if not ok:
            problems.append(f"checkpoint #{cp.get('seq')}: signature invalid")
            continue
        wanted[int(cp["seq"])] = cp["hash"]
    return wanted


def checkpoint_verify(cp: dict) -> bool:
    """True when `cp` (a checkpoint as exported) carries a valid Ed25519 signature of its own fields."""
    try:
        return keys.signature_ok(checkpoint_text(cp), cp["signature"], cp["public_key"])
    except (KeyError, TypeError):
        return False


def checkpoint_file() -> Path:
    """The data-folder file of signed checkpoints; an exercise (its own copy of the database, with its own
    chain) keeps its checkpoints in a file of its own so the real chain's file never names its events."""
    from . import clock

    path = Path(settings.SINERGI_AUDIT_CHECKPOINT_FILE
                or Path(settings.DATA_DIR) / "audit_checkpoints.jsonl")
    exercise = clock.current_exercise()
    if exercise is not None:
        path = path.with_name(f"{path.stem}-latihan-{exercise.exercise_id}{path.suffix}")
    return path


def checkpoint_file_read() -> list[dict]:
    path = checkpoint_file()
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


@transaction.atomic
def audit_checkpoint_create(*, actor=None, purpose: str = "") -> dict:
    """Sign the chain's current head (seq, hash, count, time, key id) and keep the checkpoint in the database
    and in the data folder (a file the database cannot rewrite); return it as exported (with signature)."""
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    seq, head_hash = (head.last_seq, head.last_hash) if head else (0, "0" * 64)
    payload = checkpoint_payload(seq=seq, hash=head_hash, count=AuditEvent.objects.filter(seq__lte=seq).count(),
                                 at=timezone.now().isoformat(), key_id=keys.audit_key_id(),
                                 public_key=keys.public_key_b64())
    signature = keys.sign(checkpoint_text(payload))
    AuditCheckpoint.objects.create(seq=seq, hash=head_hash, count=payload["count"],
                                   created_at=datetime.fromisoformat(payload["at"]), key_id=payload["key_id"],
                                   public_key=payload["public_key"], signature=signature, purpose=purpose[:80])
    exported = {**payload, "signature": signature}
    path = checkpoint_file()
    if not path.exists():
        keys.private_file(path, "")
    with path.open("a") as fh:
        fh.write(json.dumps(exported, sort_keys=True) + "\n")
    return exported


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

    def progress(self, done: int, total: int | None = None, step: str = "") -> None:
        """How far the work got (sinergi.core.progress.progress: throttled, shown on the task's page)."""
        from .progress import progress

        progress(self.run, done, total, step)

    def __enter__(self) -> RunRecorder:
        self._t0 = time.perf_counter()
        fields: dict[str, Any] = {"status": TaskRun.Status.RUNNING, "started_at": timezone.now(),
                                  "attempts": F("attempts") + 1, "progress_done": 0, "progress_step": "",
                                  "progress_at": None}
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
        done: dict[str, Any] = {}
        if not exc and self.run.progress_total:  # complete: the bar ends full even if the last call was throttled
            done = {"progress_done": self.run.progress_total}
            from .progress import notify

            notify(self.run, self.run.progress_total, self.run.progress_total, self.run.progress_step)
        TaskRun.objects.filter(pk=self.run.pk).update(
            status=status, finished_at=self.run.finished_at, duration_s=self.run.duration_s,
            log=self.run.log, result=self.run.result, **done,
        )
        from .progress import forget

        forget(self.run)
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
    return float(settings.SINERGI_TASK_LEASE_S)


def max_attempts() -> int:
    return int(settings.SINERGI_TASK_MAX_ATTEMPTS)


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
    from sinergi.core.permissions import require_perm

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

    from sinergi.core.permissions import require_perm

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
