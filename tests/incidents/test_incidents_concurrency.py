"""The same idempotency key sent 10 times in parallel (threads, each with its own database connection)
stores exactly one report; so does a batch raced against single submissions of the same keys."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from sinergi.incidents import services
from sinergi.incidents.choices import Channel
from sinergi.incidents.models import Incident, Report
from sinergi.incidents.services import ReportInput
from tests.concurrency import run_parallel

# Flush only the incident tables afterwards: the audit table refuses DELETE (append-only trigger) on SQLite,
# and the session's dataset (regions, TPS, units) stays for the tests that follow.
TX = pytest.mark.django_db(transaction=True, available_apps=["sinergi.incidents"])


@pytest.fixture
def defaults_loaded(transactional_db):
    from sinergi.incidents.defaults import load

    load()


@TX
def test_same_key_ten_times_in_parallel_stores_one_report(defaults_loaded):
    def submit(i):
        report, created = services.report_submit(
            actor=None, data=ReportInput(key="retry-key", text=f"massa bentrok lempar batu (kirim ke-{i})",
                                         channel=Channel.API))
        return report.pk, created

    results, errors = run_parallel(10, submit)
    assert not errors, errors
    assert len(results) == 10
    assert len({pk for pk, _ in results}) == 1
    assert sum(1 for _, created in results if created) == 1
    assert Report.objects.filter(idempotency_key="retry-key").count() == 1
    assert Incident.objects.count() == 1
    if connection.vendor == "postgresql":
        assert len({id(c) for c in connections.all()}) >= 1


@TX
def test_batch_and_singles_racing_on_same_keys_store_each_once(defaults_loaded):
    keys = [f"sync-{i}" for i in range(20)]

    def work(i):
        if i == 0:
            items = [ReportInput(key=k, text="ribut di pasar", channel=Channel.API) for k in keys]
            return [r.status for r in services.report_submit_batch(actor=None, items=items)]
        return [services.report_submit(actor=None, data=ReportInput(key=k, text="ribut di pasar",
                                                                    channel=Channel.API))[1] for k in keys[i::4]]

    results, errors = run_parallel(4, work)
    assert not errors, errors
    assert Report.objects.filter(idempotency_key__in=keys).count() == 20


@TX
def test_group_commit_answers_each_request_after_its_row_is_stored(defaults_loaded, settings, monkeypatch):
    from sinergi.incidents import groupcommit

    settings.SINERGI_INCIDENT_PROCESSING = "deferred"
    # Ask for processing after every group, before answering (no trailing request after the test ends).
    monkeypatch.setattr(groupcommit._writer, "enqueue_every", 0)

    def submit(i):
        key = "gc-same" if i < 10 else f"gc-{i}"
        report, created = groupcommit.submit(actor=None, data=ReportInput(key=key, text="ribut di pasar",
                                                                          channel=Channel.API))
        assert Report.objects.filter(pk=report.pk).exists()  # visible to the caller once answered
        return key, report.pk, created

    results, errors = run_parallel(20, submit)
    assert not errors, errors
    same = [r for r in results if r[0] == "gc-same"]
    assert len({pk for _, pk, _ in same}) == 1 and sum(1 for *_, c in same if c) == 1
    assert Report.objects.filter(idempotency_key__startswith="gc-").count() == 11
    with pytest.raises(ValidationError):
        groupcommit.submit(actor=None, data=ReportInput(key="gc-bad", text="", channel=Channel.API))
