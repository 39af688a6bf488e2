"""The lean single check-in path: a pinned query budget (so it cannot regress silently) and the per-process cache
of TPS, stage calendar and grants (sinergi.operations.cache) seeing changed facts once invalidated or expired."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from sinergi.accounts.choices import Role
from sinergi.core.models import AuditEvent
from sinergi.elections.models import PollingStation, Stage
from sinergi.operations.models import Alert, CheckIn, TpsStatus
from tests.operations.factories import TPS_A
from tests.operations.test_operations import api, ow  # noqa: F401 - the ops world fixture

#: queries of a repeat single check-in (same TPS, new key): status upsert, check-in insert, status update, the
#: audit chain (core.audit_log: lock the head, insert the event, move the head), the alert update and the outer
#: savepoint pair, and the tie to the named officer on the roster (one UNION query, personnel.selectors
#: .checkin_roster_officer). Before the lean path it was 21; 12 before audit_log stopped re-reading the head.
SINGLE_BUDGET = 10
DUPLICATE_BUDGET = 7  # 6 + the roster tie, read before the insert finds the key stored


def post(client, key, kind="opened", at="2024-11-27T07:02:00+08:00", tps=TPS_A):
    return client.post("/api/v1/checkins/", {"key": key, "tps": tps, "kind": kind, "at": at}, format="json")


def test_repeat_single_checkin_stays_within_its_query_budget(ow, make_user):  # noqa: F811
    client = api(make_user(unit=ow.polsek_a, role=Role.OPERATOR))
    assert post(client, "warm").status_code == 201
    with CaptureQueriesContext(connection) as q:
        r = post(client, "second", kind="voting", at="2024-11-27T09:10:00+08:00")
    assert r.status_code == 201 and r.json()["status"] == "accepted"
    assert len(q.captured_queries) <= SINGLE_BUDGET, [x["sql"][:120] for x in q.captured_queries]
    status = TpsStatus.objects.get(polling_station__code=TPS_A)
    assert status.state == "voting" and status.checkin_count == 2
    assert AuditEvent.objects.filter(action="ops.checkin").count() == 2

    with CaptureQueriesContext(connection) as q:
        again = post(client, "second", kind="voting", at="2024-11-27T09:10:00+08:00")
    assert again.status_code == 200 and again.json() == {"id": r.json()["id"], "status": "duplicate"}
    assert len(q.captured_queries) <= DUPLICATE_BUDGET
    assert TpsStatus.objects.get(pk=status.pk).checkin_count == 2 and CheckIn.objects.count() == 2


def test_open_missing_alert_is_still_resolved_by_the_checkin(ow, make_user):  # noqa: F811
    from sinergi.operations import jobs

    client = api(make_user(unit=ow.polsek_a, role=Role.OPERATOR))
    jobs.tick(dt.datetime(2024, 11, 27, 7, 45, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    ps = PollingStation.objects.get(code=TPS_A)
    alert = Alert.objects.get(key=f"checkin_missing:opened:{ps.pk}")
    assert alert.resolved_at is None
    assert post(client, "late", kind="closed", at="2024-11-27T13:20:00+08:00").status_code == 201
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    event = AuditEvent.objects.get(action="ops.alert.resolve_batch")
    assert alert.pk in event.data["ids"]


def test_new_tps_is_accepted_as_soon_as_it_is_stored(ow, make_user):  # noqa: F811
    client = api(make_user(unit=ow.polsek_a, role=Role.OPERATOR))
    assert post(client, "a1").status_code == 201  # warms the caches
    code = "99.71.01.1001-009"
    r = post(client, "n1", tps=code)
    assert r.status_code == 400 and "tps" in r.json()
    PollingStation.objects.create(election=ow.election, village_id="99.71.01.1001", number=9, code=code,
                                  district_code="99.71.01", regency_code="99.71", voters=200, source="test")
    assert post(client, "n1", tps=code).status_code == 201


def test_changed_stage_date_is_seen_after_invalidation_or_expiry(ow, make_user):  # noqa: F811
    client = api(make_user(unit=ow.polsek_a, role=Role.OPERATOR))
    assert post(client, "s1").status_code == 201
    # moved through the model (signal): seen at once
    voting = Stage.objects.get(election=ow.election, code="voting")
    voting.start_date = voting.end_date = dt.date(2024, 11, 28)
    voting.save()
    r = post(client, "s2", kind="voting", at="2024-11-27T09:00:00+08:00")
    assert r.status_code == 400 and "tidak aktif" in r.json()["at"][0]
    # moved back by a bulk update (no signal, e.g. another process): seen once the entry expires
    Stage.objects.filter(pk=voting.pk).update(start_date=dt.date(2024, 11, 27), end_date=dt.date(2024, 11, 27))
    with override_settings(SINERGI_OPS_CACHE_TTL=0):
        r = post(client, "s2", kind="voting", at="2024-11-27T09:00:00+08:00")
        assert r.status_code == 201, r.json()


def test_a_key_already_stored_is_a_duplicate_even_when_the_rules_now_refuse_it(ow, make_user):  # noqa: F811
    client = api(make_user(unit=ow.polsek_a, role=Role.OPERATOR))
    first = post(client, "d1")
    assert first.status_code == 201
    # an unknown TPS in the retry: the stored key still answers
    again = post(client, "d1", tps="99.99.99.9999-999")
    assert again.status_code == 200 and again.json() == {"id": first.json()["id"], "status": "duplicate"}
