"""The keyed audit chain: recomputing without the key, deleting the tail or every event, and rewriting the
chain against a signed checkpoint are all detected by `sinergi audit verify`; legacy (unkeyed) events before
the keyed chain keep verifying; the append stays one lock, one insert and one update."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import connection

from sinergi.core import keys
from sinergi.core.models import AuditChainHead, AuditCheckpoint, AuditEvent
from sinergi.core.services import audit_checkpoint_create, audit_log, audit_verify, checkpoint_verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_key_and_checkpoints(settings, tmp_path):
    # Events written earlier in the session outside a test transaction (the NTT dataset load) were chained with
    # the session's key: it stays known as an old key, as after a rotation.
    settings.SINERGI_AUDIT_OLD_KEYS = [k.decode() for k in keys._audit_keys()[1].values()]
    settings.SINERGI_AUDIT_KEY = ""
    settings.SINERGI_AUDIT_KEY_FILE = str(tmp_path / "audit_key")
    settings.SINERGI_AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    keys.reset_cache()
    yield
    keys.reset_cache()


def _events(n=5):
    return [audit_log(actor=None, action="test.keyed", object_type="thing", object_id=i, data={"i": i}).seq
            for i in range(n)]


def _drop_guard():
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
        else:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change")


def test_key_file_is_private_and_events_record_the_key_id(tmp_path):
    seqs = _events(2)
    key_file = tmp_path / "audit_key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    ev = AuditEvent.objects.get(seq=seqs[0])
    assert ev.key_id == keys.key_id(key_file.read_text().strip().encode())
    assert ev.hash != hashlib.sha256(ev.canonical().encode()).hexdigest()  # an HMAC, not a plain hash
    assert audit_verify().ok


def test_recompute_without_the_key_is_detected():
    """With the trigger dropped, an attacker rewrites an event and recomputes every hash after it (SHA-256,
    as the chain used to be) and the head: verify still fails."""
    seqs = _events()
    _drop_guard()
    prev = AuditEvent.objects.get(seq=seqs[1] - 1).hash if seqs[1] > 1 else "0" * 64
    for ev in AuditEvent.objects.filter(seq__gte=seqs[1]).order_by("seq"):
        ev.prev_hash = prev
        if ev.seq == seqs[1]:
            ev.data = {"i": "forged"}
        for key_id in ("", ev.key_id):  # as a legacy event, and keeping the key id
            ev.key_id = key_id
            new_hash = hashlib.sha256(ev.canonical().encode()).hexdigest()
        AuditEvent.objects.filter(seq=ev.seq).update(data=ev.data, prev_hash=prev, hash=new_hash, key_id=ev.key_id)
        prev = new_hash
    AuditChainHead.objects.filter(id=1).update(last_hash=prev, key_id="", mac="", keyed_from=None)
    result = audit_verify()
    assert not result.ok
    assert any(f"#{seqs[1]}:" in p for p in result.problems)


def test_deleting_the_tail_and_rewinding_the_head_is_detected():
    seqs = _events()
    _drop_guard()
    AuditEvent.objects.filter(seq__gte=seqs[3]).delete()
    last = AuditEvent.objects.order_by("-seq").first()
    AuditChainHead.objects.filter(id=1).update(last_seq=last.seq, last_hash=last.hash)  # the head follows
    result = audit_verify()
    assert not result.ok and any("head signature" in p for p in result.problems)


def test_deleting_every_event_is_detected_through_the_checkpoint_file():
    _events()
    audit_checkpoint_create(purpose="test")
    _drop_guard()
    AuditEvent.objects.all().delete()
    AuditChainHead.objects.all().delete()
    AuditCheckpoint.objects.all().delete()
    result = audit_verify()
    assert not result.ok and any("truncated" in p for p in result.problems)
    with pytest.raises(SystemExit, match="^1$"):  # broken chain: exit 1, message on stderr
        call_command("audit_verify")


def test_exported_checkpoint_verifies_offline_and_catches_a_rewrite(tmp_path, settings):
    seqs = _events(3)
    cp = audit_checkpoint_create(purpose="sitrep")
    assert cp["seq"] == seqs[-1] and cp["count"] == AuditEvent.objects.count() and cp["key_id"]
    assert checkpoint_verify(cp)
    assert not checkpoint_verify({**cp, "seq": cp["seq"] + 1})  # any change breaks the signature
    exported = tmp_path / "checkpoint.json"
    exported.write_text(json.dumps(cp))
    call_command("audit_verify", "--checkpoint", str(exported))
    # Lose the database copies and the data-folder file; the exported copy alone still catches truncation.
    settings.SINERGI_AUDIT_CHECKPOINT_FILE = str(tmp_path / "other.jsonl")
    AuditCheckpoint.objects.all().delete()
    _drop_guard()
    AuditEvent.objects.filter(seq=seqs[-1]).delete()
    AuditChainHead.objects.all().delete()
    assert audit_verify().ok is False
    with pytest.raises(SystemExit, match="^1$"):  # broken chain: exit 1, message on stderr
        call_command("audit_verify", "--checkpoint", str(exported))


def test_legacy_unkeyed_events_before_the_keyed_chain_still_verify():
    """A log written before the key (plain SHA-256) keeps verifying; new events continue it keyed."""
    _drop_guard()
    AuditEvent.objects.all().delete()
    AuditChainHead.objects.all().delete()
    prev = "0" * 64
    from django.utils import timezone
    for seq in (1, 2, 3):
        ev = AuditEvent(seq=seq, created_at=timezone.now(), actor_repr="system", action="old.event",
                        object_type="x", object_id=str(seq), data={"n": seq}, prev_hash=prev)
        ev.hash = hashlib.sha256(ev.canonical().encode()).hexdigest()
        ev.save()
        prev = ev.hash
    AuditChainHead.objects.create(id=1, last_seq=3, last_hash=prev)
    assert audit_verify().ok
    new = audit_log(actor=None, action="new.event")
    assert new.seq == 4 and new.prev_hash == prev and new.key_id
    head = AuditChainHead.objects.get(id=1)
    assert head.keyed_from == 4
    assert audit_verify().ok
    # Rewriting a legacy event is still detected by the link from the next one.
    AuditEvent.objects.filter(seq=2).update(data={"n": 99})
    assert not audit_verify().ok


def test_rotated_key_keeps_old_events_verifiable(settings, tmp_path):
    _events(2)
    old_key = (tmp_path / "audit_key").read_text().strip()
    session_keys = list(settings.SINERGI_AUDIT_OLD_KEYS)
    settings.SINERGI_AUDIT_KEY = "kunci-baru-" + "7" * 40
    settings.SINERGI_AUDIT_OLD_KEYS = [*session_keys, old_key]
    keys.reset_cache()
    ev = audit_log(actor=None, action="after.rotation")
    assert ev.key_id == keys.key_id(settings.SINERGI_AUDIT_KEY.encode())
    assert audit_verify().ok
    settings.SINERGI_AUDIT_OLD_KEYS = session_keys  # the rotated-away key forgotten
    keys.reset_cache()
    result = audit_verify()
    assert not result.ok and any("unknown key" in p for p in result.problems)


def test_append_cost_is_unchanged(django_assert_num_queries):
    _events(1)
    with django_assert_num_queries(3):  # lock the head, insert the event, update the head
        audit_log(actor=None, action="test.cost")
