"""The same leg-event key recorded 10 times in parallel (threads, each with its own database connection, through
the service the API calls) stores exactly one event: one accepted, nine duplicates."""

from __future__ import annotations

import pytest

from sinergi.accounts.choices import Role
from sinergi.core.models import AuditEvent
from sinergi.logistics import services
from sinergi.logistics.models import LegEvent, Movement
from tests.concurrency import run_parallel
from tests.factories import UserFactory
from tests.logistics.test_logistics import rote_chain

# Flush only the logistics and alert tables afterwards: the audit table refuses DELETE on SQLite, and the
# session's dataset (regions, TPS, units) stays for the tests that follow.
TX = pytest.mark.django_db(transaction=True, available_apps=["sinergi.logistics", "sinergi.operations"])


@TX
def test_same_event_key_ten_times_in_parallel_stores_one_event(_ntt_session):
    chain = rote_chain()
    user = UserFactory(unit=chain.polres, role=Role.OPERATOR)
    user = type(user).objects.select_related("unit__agency").get(pk=user.pk)
    leg = chain.top.legs.get(order=1)

    def post(i):
        ev, created = services.leg_event_record(actor=user, key="retry-1", leg=leg, kind="departure",
                                                at="2024-11-24T08:00:00+08:00")
        return (201 if created else 200), {"id": ev.pk, "status": "accepted" if created else "duplicate"}

    before = AuditEvent.objects.filter(action="logistics.leg.departure").count()
    results, errors = run_parallel(10, post)
    assert not errors, errors
    assert sorted(code for code, _ in results) == [200] * 9 + [201]
    assert len({body["id"] for _, body in results}) == 1
    assert {body["status"] for code, body in results if code == 200} == {"duplicate"}
    assert LegEvent.objects.filter(key="retry-1").count() == 1
    assert AuditEvent.objects.filter(action="logistics.leg.departure").count() == before + 1
    assert Movement.objects.get(pk=chain.top.pk).status == "in_transit"
