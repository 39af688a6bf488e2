"""The only writers of core records: audit events and run records."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent, TaskRun


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
        TaskRun.objects.filter(pk=self.run.pk).update(status=TaskRun.Status.RUNNING, started_at=timezone.now())
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
