"""The command view at scale: alerts grouped by Polres and kind with counts (most severe, newest first), pages of
detail, bulk acknowledge / assign (audited, scoped), the map sent once then only changes, and the live feed
narrowed to what each user may read (and refused without the second factor)."""

from __future__ import annotations

import pytest

from sinergi.accounts.choices import Role
from sinergi.core.live import second_factor_ok
from sinergi.core.models import AuditEvent
from sinergi.elections.models import PollingStation
from sinergi.operations import jobs
from sinergi.operations.consumers import visible_events
from sinergi.operations.models import Alert, CheckIn
from tests.operations.factories import TPS_A, TPS_B, build_ops_world, wita
from tests.operations.test_operations import submit


@pytest.fixture
def ow(db):
    return build_ops_world()


def _tick_missing(ow):
    jobs.tick(wita(27, 7, 31))  # the four TPS of Kota Uji and the one of Uji Dua without "opened"


def test_alerts_are_grouped_by_polres_and_kind_most_severe_first(ow, client, make_user):
    _tick_missing(ow)
    Alert.objects.create(election=ow.election, key="t:custody", kind="custody_break", severity=4,
                         message="Rantai putus", unit=ow.polres_b, raised_at=wita(27, 7, 0))
    Alert.objects.create(election=ow.election, key="t:escort", kind="escort_late", severity=2,
                         message="Pengawalan terlambat", unit=ow.polsek_a, raised_at=wita(27, 6, 0))
    client.force_login(make_user(unit=ow.polda, role=Role.ANALYST))
    data = client.get("/operasi/data/?at=2024-11-27T08:00").json()
    groups = [(g["unit"], g["kind"], g["count"]) for g in data["alert_groups"]]
    # a Polsek's alert counts for its Polres, and the group's detail page lists it
    assert ("Polres Kota Uji", "escort_late", 1) in groups
    detail = client.get(f"/operasi/peringatan/?unit={ow.polres_a.pk}&kind=escort_late").json()
    assert [a["message"] for a in detail["alerts"]] == ["Pengawalan terlambat"]
    assert groups[0] == ("Polres Uji Dua", "custody_break", 1)  # severity 4 before the severity-3 groups
    assert ("Polres Kota Uji", "checkin_missing", 4) in groups and ("Polres Uji Dua", "checkin_missing", 1) in groups
    assert data["alerts_open"] == sum(g["count"] for g in data["alert_groups"])  # (the NTT dataset may be loaded)
    # above the fold: the high-severity alerts, most severe first (a missing "opened" is severity 3)
    assert data["alerts"][0]["message"] == "Rantai putus" and len(data["alerts"]) <= 15
    assert all(a["severity"] >= 3 for a in data["alerts"])
    client.force_login(make_user(unit=ow.polres_a, role=Role.OPERATOR))
    mine = client.get("/operasi/data/?at=2024-11-27T08:00").json()
    assert [(g["unit"], g["kind"], g["count"]) for g in mine["alert_groups"]] == [
        ("Polres Kota Uji", "checkin_missing", 4), ("Polres Kota Uji", "escort_late", 1)]


def test_alert_detail_is_paginated_and_bad_parameters_are_400(ow, client, make_user):
    _tick_missing(ow)
    client.force_login(make_user(unit=ow.polda, role=Role.ANALYST))
    page = client.get(f"/operasi/peringatan/?unit={ow.polres_a.pk}&kind=checkin_missing&page=1").json()
    assert page["total"] == 4 and len(page["alerts"]) == 4 and page["per_page"] == 50
    assert client.get(f"/operasi/peringatan/?unit={ow.polres_a.pk}&page=2").json()["alerts"] == []
    bad = client.get("/operasi/peringatan/?unit=abc")
    assert bad.status_code == 400 and "unit" in bad.json()
    assert client.get("/operasi/peringatan/?kind=nope").status_code == 400
    assert client.get("/operasi/peringatan/?page=0").status_code == 400


def test_bulk_acknowledge_a_group_is_scoped_and_audited(ow, client, make_user):
    _tick_missing(ow)
    outsider = make_user(unit=ow.polres_b, role=Role.OPERATOR)
    client.force_login(outsider)
    r = client.post("/operasi/peringatan/massal/", {"action": "ack", "unit": ow.polres_a.pk, "kind": "checkin_missing"})
    assert r.json()["count"] == 0  # Polres Uji Dua cannot acknowledge Kota Uji's alerts
    boss = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    client.force_login(boss)
    r = client.post("/operasi/peringatan/massal/", {"action": "ack", "unit": ow.polres_a.pk, "kind": "checkin_missing"})
    assert r.json() == {"action": "ack", "count": 4}
    assert Alert.objects.filter(unit=ow.polres_a, acknowledged_by=boss).count() == 4
    event = AuditEvent.objects.get(action="ops.alert.acknowledge_batch")
    assert event.data["count"] == 4 and len(event.data["ids"]) == 4
    assert not Alert.objects.filter(unit=ow.polres_b, acknowledged_at__isnull=False).exists()
    assert client.post("/operasi/peringatan/massal/", {"action": "ack"}).status_code == 400  # nothing chosen
    assert client.post("/operasi/peringatan/massal/", {"action": "x", "ids": ["1"]}).status_code == 400
    assert client.post("/operasi/peringatan/massal/", {"action": "ack", "ids": ["x"]}).status_code == 400


def test_bulk_assign_gives_the_unit_the_alerts_and_is_audited(ow, client, make_user):
    _tick_missing(ow)
    ids = list(Alert.objects.filter(unit=ow.polres_a).values_list("pk", flat=True))[:2]
    client.force_login(make_user(unit=ow.polda, role=Role.COMMANDER))
    r = client.post("/operasi/peringatan/massal/", {"action": "assign", "ids": ids, "assign_unit": ow.polres_b.pk})
    assert r.json() == {"action": "assign", "count": 2}
    assert AuditEvent.objects.get(action="ops.alert.assign_batch").data["unit"] == ow.polres_b.pk
    client.force_login(make_user(unit=ow.polres_b, role=Role.OPERATOR))
    seen = client.get("/operasi/peringatan/").json()
    assert {a["id"] for a in seen["alerts"]} >= set(ids)  # the assigned unit now reads them
    # a unit outside the actor's scope is refused, nothing changes
    r = client.post("/operasi/peringatan/massal/", {"action": "assign", "ids": ids, "assign_unit": ow.polres_a.pk})
    assert r.status_code == 400 and "unit" in r.json()


def test_map_is_sent_once_then_only_changes(ow, client, make_user):
    cmd = make_user(unit=ow.polda, role=Role.COMMANDER)
    submit(cmd, key="a", tps=TPS_A)
    client.force_login(make_user(unit=ow.polda, role=Role.ANALYST))
    full = client.get("/operasi/peta/")
    body = full.json()
    assert not body["delta"] and body["cursor"] == CheckIn.objects.get(key="a").pk
    assert client.get("/operasi/peta/", HTTP_IF_NONE_MATCH=full["ETag"]).status_code == 304
    none = client.get(f"/operasi/peta/?since={body['cursor']}").json()
    assert none["delta"] and none["points"] == []
    submit(cmd, key="b", tps=TPS_B)
    delta = client.get(f"/operasi/peta/?since={body['cursor']}").json()
    assert [p[6] for p in delta["points"]] == [TPS_B] and delta["points"][0][3] == "opened"
    assert client.get("/operasi/peta/", HTTP_IF_NONE_MATCH=full["ETag"]).status_code == 200  # changed
    assert client.get("/operasi/peta/?since=x").status_code == 400
    # a TPS moved (e.g. KPU's real list imported): the full map changes even without a check-in
    etag = client.get("/operasi/peta/")["ETag"]
    PollingStation.objects.filter(code=TPS_A).update(lat=-10.2)
    moved = client.get("/operasi/peta/", HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200 and [p[1] for p in moved.json()["points"] if p[6] == TPS_A] == [-10.2]


def test_live_events_reach_only_users_who_may_read_the_record(ow, make_user):
    cmd = make_user(unit=ow.polda, role=Role.COMMANDER)
    a, _ = submit(cmd, key="a", tps=TPS_A)
    b, _ = submit(cmd, key="b", tps=TPS_B)
    _tick_missing(ow)
    alert_a = Alert.objects.filter(unit=ow.polres_a).first()
    events = [{"kind": "checkin", "id": a.pk}, {"kind": "checkin", "id": b.pk}, {"kind": "alert", "id": alert_a.pk},
              {"kind": "alert", "count": 4, "units": [ow.polres_b.pk]}, {"kind": "checkin", "ids": [a.pk, b.pk]}]
    polres_a = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    polres_b = make_user(unit=ow.polres_b, role=Role.OPERATOR)
    assert visible_events(polres_a, events) == [{"kind": "checkin", "id": a.pk}, {"kind": "alert", "id": alert_a.pk},
                                                {"kind": "checkin", "ids": [a.pk]}]
    assert visible_events(polres_b, events) == [{"kind": "checkin", "id": b.pk}, {"kind": "alert", "scope": "units"},
                                                {"kind": "checkin", "ids": [b.pk]}]
    assert len(visible_events(make_user(unit=ow.polda, role=Role.ANALYST), events)) == 5


def test_live_feed_needs_the_same_second_factor_as_pages(ow, make_user, settings):
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.SINERGI_OTP_REQUIRED_ROLES = ["admin", "commander"]
    commander = make_user(unit=ow.polda, role=Role.COMMANDER)
    analyst = make_user(unit=ow.polda, role=Role.ANALYST)
    session = SessionStore()
    assert second_factor_ok(analyst, session)
    assert not second_factor_ok(commander, session)  # signed in with the password only
    device = TOTPDevice.objects.create(user=commander, name="hp", confirmed=True)
    other = TOTPDevice.objects.create(user=analyst, name="hp", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = other.persistent_id
    assert not second_factor_ok(commander, session)  # someone else's device does not count
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    assert second_factor_ok(commander, session)


def test_scope_fields_on_events_decide_like_the_selectors(ow, make_user):
    """The consumer decides most events from the fields the sender puts on them (district, units) without the
    database; for every user that decision equals the selectors' answer."""
    from sinergi.operations.consumers import decide, prepare_scope

    cmd = make_user(unit=ow.polda, role=Role.COMMANDER)
    a, _ = submit(cmd, key="a", tps=TPS_A)
    b, _ = submit(cmd, key="b", tps=TPS_B)
    _tick_missing(ow)
    alert_a = Alert.objects.filter(unit=ow.polres_a).first()
    alert_b = Alert.objects.create(election=ow.election, key="t:b", kind="other", message="Lain", unit=ow.polres_b,
                                   raised_at=wita(27, 7, 0))
    events = [{"kind": "checkin", "id": c.pk, "district": c.district_code} for c in (a, b)]
    events += [{"kind": "alert", "id": x.pk, "units": [x.unit_id]} for x in (alert_a, alert_b)]
    for user in (make_user(unit=ow.polres_a, role=Role.OPERATOR), make_user(unit=ow.polres_b, role=Role.OPERATOR),
                 make_user(unit=ow.polsek_a, role=Role.OPERATOR), make_user(unit=ow.kodim_a, role=Role.OPERATOR),
                 make_user(unit=ow.polda, role=Role.ANALYST)):
        prepared = prepare_scope(user)
        fast = [d for d in (decide(prepared, e) for e in events) if d]
        slow = visible_events(user, [{k: v for k, v in e.items() if k not in ("district", "units")} for e in events])
        assert fast == slow, user.unit
