"""The audit log is append-only and hash-chained; `sinergi audit verify` finds any tampering."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from sinergi.accounts.choices import Role
from sinergi.accounts.services import user_create
from sinergi.core.models import AppendOnlyError, AuditEvent
from sinergi.core.services import audit_log, audit_verify

pytestmark = pytest.mark.django_db


def _events(n=5):
    """Append n events; returns their sequence numbers (other events, e.g. a dataset load, may precede)."""
    return [
        audit_log(actor=None, action="test.event", object_type="thing", object_id=i, data={"i": i, "ü": "é"}).seq
        for i in range(n)
    ]


def test_services_write_audit_events(make_user):
    admin = make_user(role=Role.ADMIN)
    user = user_create(actor=admin, username="baru", password="Rahasia-Kuat-123", unit=None, role=Role.OBSERVER)
    ev = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert ev.actor == admin and ev.data["username"] == "baru"


def test_chain_verifies(capsys):
    _events()
    assert audit_verify().ok
    call_command("audit_verify")
    assert "chain intact" in capsys.readouterr().out


def test_model_refuses_update_and_delete():
    (seq,) = _events(1)
    ev = AuditEvent.objects.get(seq=seq)
    ev.action = "changed"
    with pytest.raises(AppendOnlyError):
        ev.save()
    with pytest.raises(AppendOnlyError):
        ev.delete()


def test_database_refuses_update():
    _events(1)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(action="x")


def _drop_guard():
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER core_auditevent_no_update")
            cur.execute("DROP TRIGGER core_auditevent_no_delete")
        else:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush deferred FK checks before ALTER TABLE
            cur.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change")


def test_altered_event_is_detected():
    seqs = _events()
    _drop_guard()  # an attacker with database access removes the guard first
    AuditEvent.objects.filter(seq=seqs[2]).update(data={"i": 999})
    result = audit_verify()
    assert not result.ok
    assert any(f"#{seqs[2]}:" in p and "altered" in p for p in result.problems)
    with pytest.raises(SystemExit, match="^1$"):  # broken chain: exit 1, message on stderr
        call_command("audit_verify")


def test_deleted_event_is_detected():
    seqs = _events()
    _drop_guard()
    AuditEvent.objects.filter(seq=seqs[1]).delete()
    result = audit_verify()
    assert not result.ok
    assert any("missing" in p for p in result.problems)


def test_deleted_last_event_is_detected():
    seqs = _events()
    _drop_guard()
    AuditEvent.objects.filter(seq=seqs[-1]).delete()
    assert not audit_verify().ok


def test_rehashed_forgery_is_detected():
    """Rewriting an event and its own hash still breaks the link from the next event."""
    seqs = _events()
    _drop_guard()
    ev = AuditEvent.objects.get(seq=seqs[1])
    ev.data = {"i": "forged"}
    new_hash = ev.compute_hash()
    AuditEvent.objects.filter(seq=seqs[1]).update(data={"i": "forged"}, hash=new_hash)
    result = audit_verify()
    assert any(f"#{seqs[2]}:" in p and "link" in p for p in result.problems)
