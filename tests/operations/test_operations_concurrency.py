"""The same check-in key sent 10 times in parallel (threads, each with its own database connection) stores one
check-in and counts once in the TPS status row; a batch raced against single submissions stores each key once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sinergi.operations import services
from sinergi.operations.models import CheckIn, TpsStatus
from tests.concurrency import run_parallel

WITA = ZoneInfo("Asia/Makassar")
# Flush only the operations tables afterwards: the audit table refuses DELETE (append-only trigger) on SQLite, and
# the session's data stays. The places, stages and the admin made here stay too (get_or_create, like the incident
# concurrency tests' defaults); an admin has no unit, so no unit rows are involved.
TX = pytest.mark.django_db(transaction=True, available_apps=["sinergi.operations"])


@pytest.fixture
def officer(transactional_db):
    import csv

    from sinergi.accounts.choices import Role
    from sinergi.accounts.models import User
    from sinergi.elections.models import Stage
    from sinergi.elections.selectors import default_election
    from tests.incidents.factories import build_places
    from tests.operations.factories import STAGES_CSV

    build_places()
    election = default_election()
    with open(STAGES_CSV, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            Stage.objects.get_or_create(election=election, code=r["code"], defaults={
                "name": r["name"], "order": int(r["order"]), "start_date": r["start_date"],
                "end_date": r["end_date"]})
    user, _ = User.objects.get_or_create(username="ops-concurrency-admin", defaults={"role": Role.ADMIN})
    return user


def _item(key, tps="99.71.01.1001-001", kind="opened", minute=5):
    return {"key": key, "tps": tps, "kind": kind, "at": dt.datetime(2024, 11, 27, 7, minute, tzinfo=WITA)}


@TX
def test_same_key_ten_times_in_parallel_stores_one_checkin(officer):
    def submit(i):
        checkin, created = services.checkin_submit(actor=officer, data={**_item("par-1"), "note": f"kirim ke-{i}"})
        return checkin.pk, created

    results, errors = run_parallel(10, submit)
    assert not errors, errors
    assert len(results) == 10 and len({pk for pk, _ in results}) == 1
    assert sum(1 for _, created in results if created) == 1
    assert CheckIn.objects.filter(key="par-1").count() == 1
    assert TpsStatus.objects.get(polling_station__code="99.71.01.1001-001").checkin_count == 1


@TX
def test_batch_and_singles_racing_on_same_keys_store_each_once(officer):
    tps = ["99.71.01.1001-001", "99.71.01.1001-002", "99.71.01.1002-001", "99.71.01.1002-002"]
    items = [_item(f"race-{i}", tps=tps[i % 4], kind=["opened", "voting"][i // 4 % 2], minute=10 + i)
             for i in range(16)]

    def work(i):
        if i == 0:
            return [r.status for r in services.checkin_submit_batch(actor=officer, items=items)]
        return [services.checkin_submit(actor=officer, data=it)[1] for it in items[i::4]]

    results, errors = run_parallel(4, work)
    assert not errors, errors
    assert CheckIn.objects.filter(key__startswith="race-").count() == 16
    assert sum(TpsStatus.objects.filter(polling_station__code__in=tps).values_list("checkin_count", flat=True)) == 16
