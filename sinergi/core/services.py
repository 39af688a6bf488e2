"""The only writers of core records: audit events and run records."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from . import keys
from .models import AuditChainHead, AuditCheckpoint, AuditEvent, TaskRun, checkpoint_payload, checkpoint_text


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

    path = Path(getattr(settings, "SINERGI_AUDIT_CHECKPOINT_FILE", "")
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
