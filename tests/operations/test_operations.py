"""Election-day operations: TPS check-ins (service and API), idempotency, batch, order flags, windows and stages,
scoping, missing check-in alerts raised by the tick and resolved by the check-in, coverage per Polres."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from sinergi.accounts.choices import AgencyKind, Role
from sinergi.core.models import AuditEvent
from sinergi.operations import jobs, selectors, services, stages
from sinergi.operations.models import Alert, CheckIn, TpsStatus
from tests import factories
from tests.operations.factories import (  # noqa: F401  (shared with other apps' tests)
    STAGES_CSV,
    TPS_A,
    TPS_A2,
    TPS_B,
    WITA,
    OpsWorld,
    build_ops_world,
    wita,
)


@pytest.fixture
def ow(db):
    return build_ops_world()


def submit(actor, key="k1", tps=TPS_A, kind="opened", at=None, **kw):
    data = {"key": key, "tps": tps, "kind": kind, "at": (at or wita(27, 7, 5)).isoformat(), **kw}
    return services.checkin_submit(actor=actor, data=data)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --------------------------------------------------------------------------- service rules

def test_checkin_updates_status_and_is_audited(ow, make_user):
    officer = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    checkin, created = submit(officer)
    assert created and checkin.kind == "opened" and checkin.polres == ow.polres_a and checkin.flags == []
    status = TpsStatus.objects.get(polling_station__code=TPS_A)
    assert status.state == "opened" and status.opened_at == wita(27, 7, 5) and status.checkin_count == 1
    assert AuditEvent.objects.filter(action="ops.checkin", object_id=str(checkin.pk)).exists()
    again, created_again = submit(officer, note="retry")
    assert not created_again and again.pk == checkin.pk
    assert CheckIn.objects.filter(key="k1").count() == 1
    assert TpsStatus.objects.get(polling_station__code=TPS_A).checkin_count == 1


def test_closed_before_opened_is_accepted_but_flagged(ow, make_user):
    officer = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    closed, _ = submit(officer, key="c", kind="closed", at=wita(27, 13, 10))
    assert closed.flags == ["out_of_order"]
    opened, _ = submit(officer, key="o", kind="opened", at=wita(27, 7, 0))
    assert opened.flags == []
    status = TpsStatus.objects.get(polling_station__code=TPS_A)
    assert status.state == "closed" and status.flagged == 1


def test_voting_closed_before_13_is_accepted_but_flagged_early(ow, make_user):
    officer = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    submit(officer, key="o", kind="opened", at=wita(27, 7, 0))
    early, _ = submit(officer, key="c", kind="closed", at=wita(27, 12, 40))
    assert early.flags == ["early"]
    on_time, _ = submit(officer, key="c2", tps=TPS_A2, kind="closed", at=wita(27, 13, 0))
    assert "early" not in on_time.flags


def test_out_of_window_and_inactive_stage_are_refused_with_reason(ow, make_user):
    officer = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    with pytest.raises(ValidationError) as exc:
        submit(officer, kind="opened", at=wita(27, 16, 0))
    assert "jendela waktu" in exc.value.message_dict["at"][0]
    with pytest.raises(ValidationError) as exc:
        submit(officer, kind="opened", at=wita(20, 8, 0))
    assert "jendela waktu" in exc.value.message_dict["at"][0]
    # "problem" has no window: the stage decides (registration in August lists no check-ins)
    with pytest.raises(ValidationError) as exc:
        submit(officer, kind="problem", at=dt.datetime(2024, 8, 28, 10, 0, tzinfo=WITA), note="x")
    assert "tidak aktif pada tahapan Pendaftaran" in exc.value.message_dict["at"][0]
    with pytest.raises(ValidationError) as exc:
        submit(officer, kind="opened", at=dt.datetime(2099, 1, 1, tzinfo=WITA))
    assert CheckIn.objects.count() == 0


def test_scoping_polres_a_cannot_check_in_for_polres_b(ow, make_user):
    officer_a = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        submit(officer_a, tps=TPS_B)
    # Polsek covers its Polres' regency; Kodim by jurisdiction; Polda above; Bawaslu may not check in at all
    assert submit(make_user(unit=ow.polsek_a), key="s", tps=TPS_A2)[1]
    assert submit(make_user(unit=ow.kodim_a, role=Role.OPERATOR), key="t", tps=TPS_A2, kind="voting",
                  at=wita(27, 9))[1]
    assert submit(make_user(unit=ow.polda, role=Role.COMMANDER), key="p", tps=TPS_B)[1]
    bawaslu = factories.unit(AgencyKind.BAWASLU, code="T-OPS-BWS", jurisdiction=[factories.region("99.71")])
    with pytest.raises(PermissionDenied):
        submit(make_user(unit=bawaslu, role=Role.OPERATOR), key="b")


def test_problem_checkin_creates_linked_incident_report_and_alert(ow, make_user):
    from sinergi.incidents.defaults import load

    load()
    officer = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    checkin, _ = submit(officer, key="pr", kind="problem", at=wita(27, 9, 30),
                        note="Massa bentrok saling lempar batu di depan TPS")
    checkin.refresh_from_db()
    assert checkin.report is not None and checkin.report.tps_code == TPS_A
    assert checkin.report.incident is not None
    alert = Alert.objects.get(key=f"checkin_problem:{checkin.pk}")
    assert alert.unit == ow.polres_a and alert.is_open
    assert TpsStatus.objects.get(polling_station__code=TPS_A).problem_count == 1


# --------------------------------------------------------------------------- API

def test_api_single_contract(ow, make_user):
    client = api(make_user(unit=ow.polres_a, role=Role.OPERATOR))
    body = {"key": "api-1", "tps": TPS_A, "kind": "opened", "at": "2024-11-27T07:02:00+08:00", "note": "aman"}
    r1 = client.post("/api/v1/checkins/", body, format="json")
    assert r1.status_code == 201 and r1.json()["status"] == "accepted"
    r2 = client.post("/api/v1/checkins/", body, format="json")
    assert r2.status_code == 200 and r2.json() == {"id": r1.json()["id"], "status": "duplicate"}
    listed = client.get("/api/v1/checkins/").json()["results"]
    assert [c["tps"] for c in listed] == [TPS_A] and listed[0]["kind"] == "opened"


@pytest.mark.parametrize("body,field", [
    ({"tps": TPS_A, "kind": "opened"}, "key"),
    ({"key": "x" * 101, "tps": TPS_A, "kind": "opened"}, "key"),
    ({"key": "b1", "tps": TPS_A, "kind": "pulang"}, "kind"),
    ({"key": "b2", "tps": "99.99.99.9999-999", "kind": "opened", "at": "2024-11-27T07:02:00+08:00"}, "tps"),
    ({"key": "b3", "tps": TPS_A, "kind": "opened", "at": "kemarin"}, "at"),
    ({"key": "b4", "tps": TPS_A, "kind": "opened", "at": "2024-11-27T07:02:00+08:00", "lat": 91, "lng": 1}, "lat"),
])
def test_api_bad_input_names_the_field_and_stores_nothing(ow, make_user, body, field):
    client = api(make_user(unit=ow.polres_a, role=Role.OPERATOR))
    r = client.post("/api/v1/checkins/", body, format="json")
    assert r.status_code == 400 and field in r.json()
    assert CheckIn.objects.count() == 0 and TpsStatus.objects.count() == 0


def test_api_refuses_other_polres_and_observers(ow, make_user):
    body = {"key": "x1", "tps": TPS_B, "kind": "opened", "at": "2024-11-27T07:02:00+08:00"}
    assert api(make_user(unit=ow.polres_a, role=Role.OPERATOR)).post(
        "/api/v1/checkins/", body, format="json").status_code == 403
    assert api(make_user(unit=ow.polres_b, role=Role.OBSERVER)).post(
        "/api/v1/checkins/", body, format="json").status_code == 403
    assert CheckIn.objects.count() == 0


def test_api_batch_answers_each_item(ow, make_user):
    client = api(make_user(unit=ow.polres_a, role=Role.OPERATOR))
    client.post("/api/v1/checkins/", {"key": "old", "tps": TPS_A, "kind": "opened",
                                      "at": "2024-11-27T07:00:00+08:00"}, format="json")
    items = [
        {"key": "n1", "tps": TPS_A, "kind": "voting", "at": "2024-11-27T09:00:00+08:00"},
        {"key": "old", "tps": TPS_A, "kind": "opened", "at": "2024-11-27T07:00:00+08:00"},
        {"key": "n1", "tps": TPS_A, "kind": "voting", "at": "2024-11-27T09:00:00+08:00"},
        {"key": "n2", "tps": TPS_B, "kind": "opened", "at": "2024-11-27T07:00:00+08:00"},
        {"key": "n3", "tps": TPS_A2, "kind": "bogus"},
        {"key": "n4", "tps": TPS_A2, "kind": "closed", "at": "2024-11-27T13:05:00+08:00"},
        {"key": "n5", "tps": TPS_A2, "kind": "opened", "at": "2024-11-27T22:00:00+08:00"},
    ]
    r = client.post("/api/v1/checkins/batch/", {"items": items}, format="json")
    assert r.status_code == 200
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["accepted", "duplicate", "duplicate", "rejected", "rejected",
                                          "accepted", "rejected"]
    assert res[1]["id"] == CheckIn.objects.get(key="old").pk and res[2]["id"] == res[0]["id"]
    assert "tps" in res[3]["error"] and "kind" in res[4]["error"] and "at" in res[6]["error"]
    assert CheckIn.objects.get(key="n4").flags == ["out_of_order"]
    assert TpsStatus.objects.get(polling_station__code=TPS_A).state == "voting"
    event = AuditEvent.objects.get(action="ops.checkin_batch")
    assert sorted(event.data["ids"]) == sorted([res[0]["id"], res[5]["id"]])
    assert client.post("/api/v1/checkins/batch/", {"items": []}, format="json").status_code == 400


def test_api_list_is_scoped(ow, make_user):
    submit(make_user(unit=ow.polda, role=Role.COMMANDER), key="a", tps=TPS_A)
    submit(make_user(unit=ow.polda, role=Role.COMMANDER), key="b", tps=TPS_B)
    seen_b = api(make_user(unit=ow.polres_b, role=Role.OPERATOR)).get("/api/v1/checkins/").json()["results"]
    assert [c["tps"] for c in seen_b] == [TPS_B]
    seen_polda = api(make_user(unit=ow.polda, role=Role.ANALYST)).get("/api/v1/checkins/").json()["results"]
    assert {c["tps"] for c in seen_polda} == {TPS_A, TPS_B}


# --------------------------------------------------------------------------- alerts, tick, coverage

def test_tick_raises_missing_opened_and_checkin_resolves_it(ow, make_user):
    assert jobs.tick(wita(27, 7, 0)) == {ow.election.code: {"raised": {}, "resolved": 0}}
    out = jobs.tick(wita(27, 7, 31))
    raised = out[ow.election.code]["raised"]["opened"]
    assert raised >= 3
    ps_a = Alert.objects.get(key__startswith="checkin_missing:opened:", polling_station__code=TPS_A)
    assert ps_a.unit == ow.polres_a and ps_a.is_open and "07:30" in ps_a.message
    b = Alert.objects.get(key__startswith="checkin_missing:opened:", polling_station__code=TPS_B)
    assert b.unit == ow.polres_b
    # idempotent
    assert jobs.tick(wita(27, 7, 31))[ow.election.code]["raised"] == {}
    # Polres A sees its alert, not B's
    user_a = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    assert set(selectors.alerts_for(user_a).values_list("polling_station__code", flat=True)) >= {TPS_A}
    assert TPS_B not in set(selectors.alerts_for(user_a).values_list("polling_station__code", flat=True))
    submit(user_a, key="late", at=wita(27, 7, 40))
    ps_a.refresh_from_db()
    assert ps_a.resolved_at is not None
    assert jobs.tick(wita(27, 7, 45))[ow.election.code]["raised"] == {}
    ps_a.refresh_from_db()
    assert ps_a.resolved_at is not None  # not re-opened


def test_later_checkin_satisfies_earlier_missing_alert(ow, make_user):
    jobs.tick(wita(27, 7, 31))
    submit(make_user(unit=ow.polres_a), key="cl", kind="closed", at=wita(27, 13, 5))
    alert = Alert.objects.get(key__startswith="checkin_missing:opened:", polling_station__code=TPS_A)
    assert alert.resolved_at is not None


def test_coverage_by_polres_and_totals(ow, make_user):
    cmd = make_user(unit=ow.polda, role=Role.COMMANDER)
    submit(cmd, key="1", tps=TPS_A, kind="opened", at=wita(27, 7, 0))
    submit(cmd, key="2", tps=TPS_A, kind="closed", at=wita(27, 13, 2))
    submit(cmd, key="3", tps=TPS_A2, kind="opened", at=wita(27, 7, 10))
    submit(cmd, key="4", tps=TPS_B, kind="opened", at=wita(27, 7, 20))
    jobs.tick(wita(27, 13, 31))
    rows = {r["unit_code"]: r for r in selectors.coverage_by_polres(cmd, election=ow.election, at=wita(27, 14))}
    a = rows["T-OPS-POLRES-99.71"]
    assert a["tps_total"] == 4 and a["opened"] == 2 and a["closed"] == 1 and a["handed_over"] == 0
    assert a["missing"] >= 3  # closed missing at the three other TPS of Kota Uji (and opened at two)
    assert rows["T-OPS-POLRES-99.72"]["opened"] == 1
    early = {r["unit_code"]: r for r in selectors.coverage_by_polres(cmd, election=ow.election,
                                                                     at=wita(27, 7, 5))}
    assert early["T-OPS-POLRES-99.71"]["opened"] == 1
    only_b = selectors.coverage_by_polres(make_user(unit=ow.polres_b), election=ow.election)
    assert [r["unit_code"] for r in only_b] == ["T-OPS-POLRES-99.72"]
    totals = selectors.checkin_totals(cmd, election=ow.election)
    assert totals["opened"] == 3 and totals["closed"] == 1 and totals["problem"] == 0


# --------------------------------------------------------------------------- stages

def test_stage_awareness(ow):
    quiet = stages.active_ops(ow.election, wita(25, 10))
    voting = stages.active_ops(ow.election, wita(27, 10))
    assert quiet.stage.code == "quiet_period" and voting.stage.code == "voting"
    assert "coverage" not in quiet.panels and {"logistics", "incidents"} <= quiet.panels
    assert {"coverage", "logistics", "incidents", "map"} <= voting.panels
    assert quiet.checkin_kinds == {"problem"}
    assert voting.checkin_kinds == {"opened", "voting", "closed", "counted", "handed_over", "problem"}
    assert stages.current_stage(ow.election, wita(30, 10)).code == "recap_district"
    assert "handed_over" in stages.active_ops(ow.election, wita(28, 10)).checkin_kinds


def test_sinergi_tick_runner_calls_the_operations_job(ow):
    from sinergi.core.management.commands.sinergi_tick import run_jobs

    result = run_jobs(wita(27, 7, 45))
    assert result["operations"][ow.election.code]["raised"]["opened"] >= 5
    assert Alert.objects.filter(kind="checkin_missing", polling_station__code=TPS_B, resolved_at__isnull=True).exists()
    assert run_jobs(wita(27, 7, 45))["operations"][ow.election.code]["raised"] == {}  # idempotent
