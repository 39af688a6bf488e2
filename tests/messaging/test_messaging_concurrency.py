"""Provider retries arriving at the same moment (PostgreSQL): one inbound, one report, one reply."""

from __future__ import annotations

import pytest
from django.db import connection

from sinergi.incidents.models import Report
from sinergi.messaging import adapters, services
from sinergi.messaging.models import Inbound, Outbox
from tests.concurrency import run_parallel

# Runs with the tests that flush the database (last), so SQLite's append-only trigger is dropped only then.
pytestmark = pytest.mark.flushes


@pytest.fixture
def pg(request):
    if connection.vendor != "postgresql":  # skipped before the flush fixtures are set up
        pytest.skip("threads need a shared database server (run with DATABASE_URL=postgres://...)")
    request.getfixturevalue("audit_rows_flushable")
    request.getfixturevalue("transactional_db")


def test_concurrent_retries_of_one_update_are_taken_exactly_once(pg):
    item = adapters.InboundItem(message_id="424242", sender="991", text="LAPOR politik uang bagi amplop jam 10.00")
    results, errors = run_parallel(4, lambda i: services.inbound_receive(channel="telegram", item=item)[1])
    assert not errors, errors
    assert sorted(results) == [False, False, False, True]
    assert Inbound.objects.count() == 1 and Report.objects.count() == 1 and Outbox.objects.count() == 1
