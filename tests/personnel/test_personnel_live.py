"""Issue 18, the rest: check-ins tied to the named officer on the roster, TNI BKO seats filled with named TNI
members (or the reason why not), and officer status on the live room's map (aggregated per unit, counts per
Polres, scoped, pushed through the live event)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sinergi.accounts.choices import Role
from sinergi.deployment.models import Reinforcement
from sinergi.elections.models import PollingStation
from sinergi.operations import services as ops_services
from sinergi.operations.models import CheckIn
from sinergi.personnel import services
from sinergi.personnel.models import Assignment, Officer, UnfilledPost
from tests.operations.factories import TPS_A, TPS_A2, build_ops_world, wita
from tests.operations.test_operations import api, submit
from tests.personnel.test_personnel import _csv, _good_rows, _plan_world


@pytest.fixture
def world(db):
    return build_ops_world()


def _roster(world, make_user):
    op = make_user(unit=world.polda, role=Role.OPERATOR)
    assert services.roster_import(actor=op, file_bytes=_csv(world, _good_rows(world)[:6]), filename="r.csv").stored
    assert services.roster_import(actor=None, file_bytes=_csv(world, _good_rows(world)[6:]), filename="t.csv",
                                  system=True).stored  # the Kodim's TNI member (outside a Polda's scope)
    return op


def test_checkin_is_tied_to_the_linked_officer_else_the_group_leader(world, make_user, client):
    op = _roster(world, make_user)
    reporter = make_user(unit=world.polsek_a, role=Role.OPERATOR)
    # No assignment in force yet: nobody to tie to.
    early, _ = submit(reporter, key="tie-0", tps=TPS_A)
    assert early.roster_officer_id is None
    _plan, g, approval = _plan_world(world)
    run = services.assignment_run(actor=op, approval=approval)
    leader = Assignment.objects.get(run=run, group=g, leader=True).officer
    # An account without a roster link: the leader of the group guarding the TPS.
    c1, _ = submit(reporter, key="tie-1", tps=TPS_A2, kind="opened")
    assert c1.roster_officer_id == leader.pk
    # An account linked to an officer: that officer (even if another leads the group).
    other = Officer.objects.filter(kind="polri", unit=world.polres_b).first()
    linked = make_user(unit=world.polsek_a, role=Role.OPERATOR)
    services.officer_link_user(actor=op, officer=other, user=linked)
    c2, _ = submit(linked, key="tie-2", tps=TPS_A, kind="voting", at=wita(27, 9, 0))
    assert c2.roster_officer_id == other.pk
    # The batch (offline sync) path ties the same way.
    res = ops_services.checkin_submit_batch(actor=reporter, items=[
        {"key": "tie-b1", "tps": TPS_A, "kind": "closed", "at": wita(27, 13, 5).isoformat()}])
    assert res[0].status == "accepted"
    assert CheckIn.objects.get(key="tie-b1").roster_officer_id == leader.pk
    # Shown on the TPS page and in the check-in API to readers of the roster; never a phone number.
    client.force_login(op)
    ps = PollingStation.objects.get(code=TPS_A)
    page = client.get(reverse("operations:tps", args=[ps.pk])).content.decode()
    assert f"{other.name} ({other.identifier})" in page and f"{leader.name} ({leader.identifier})" in page
    rows = api(op).get("/api/v1/checkins/", {"tps": TPS_A}).json()["results"]
    by_key = {r["key"]: r for r in rows}
    assert by_key["tie-2"]["roster_officer"]["identifier"] == other.identifier
    assert by_key["tie-b1"]["roster_officer"]["name"] == leader.name
    assert by_key["tie-0"]["roster_officer"] is None
    assert "phone" not in by_key["tie-2"]["roster_officer"]


def test_tni_bko_seats_get_named_tni_members_and_shortfalls_say_why(world, make_user, client):
    from sinergi.accounts.choices import AgencyKind
    from sinergi.personnel.documents import warrant_html
    from sinergi.personnel.services import _warrant_rows
    from tests import factories

    op = _roster(world, make_user)
    plan, g, approval = _plan_world(world)
    Reinforcement.objects.create(plan=plan, source_name="Kodim Uji (BKO TNI)", source_kind="tni",
                                 source_unit=world.kodim_a, to_unit=world.polres_a, count=2, minutes=30,
                                 route="darat")
    empty_kodim = factories.unit(AgencyKind.TNI, code="T-KODIM-KOSONG", name="Kodim Tanpa Roster")
    Reinforcement.objects.create(plan=plan, source_name="Kodim Tanpa Roster (BKO TNI)", source_kind="tni",
                                 source_unit=empty_kodim, to_unit=world.polres_a, count=3, minutes=90, route="laut")
    run = services.assignment_run(actor=op, approval=approval)
    kornelis = Officer.objects.get(identifier="3101234")
    seat = Assignment.objects.get(run=run, officer=kornelis)
    # The named TNI member holds a seat of the destination's guard group as BKO, never as its leader.
    assert seat.reinforcement.source_unit == world.kodim_a and seat.post_unit == world.polres_a
    assert not seat.leader and seat.group_id == g.pk
    assert run.metrics["bko_tni_seated"] == 1 and run.metrics["bko_tni_planned"] == 5
    assert run.metrics["bko_unfilled"]["tni"] == {"source_short": 1, "no_one_at_source": 3}
    rows = {(u.reinforcement.source_unit.code, u.reason): u.missing
            for u in UnfilledPost.objects.filter(run=run, post_kind="bko").select_related("reinforcement")}
    assert rows == {(world.kodim_a.code, "source_short"): 1, ("T-KODIM-KOSONG", "no_one_at_source"): 3}
    # The Sprin of the receiving Polres lists him (BKO from the Kodim, marked TNI).
    html = warrant_html(services.warrant_issue(actor=op, unit=world.polres_a, run=run),
                        _warrant_rows(run, world.polres_a))
    assert "Kornelis Nahak" in html and "3101234" in html and "BKO dari Kodim Uji (BKO TNI)" in html
    assert "Serka (TNI)" in html
    # The assignment page says how many TNI seats are named and why the rest are not.
    client.force_login(op)
    page = client.get(reverse("personnel:assignments")).content.decode()
    assert 'data-testid="bko-tni"' in page
    assert "tidak ada anggota satuan asal BKO dalam roster" in page and "lebih sedikit dari jumlah BKO" in page


def test_live_room_shows_officer_status_per_unit_scoped_and_the_event_is_scoped(world, make_user, client):
    from sinergi.operations.consumers import decide, prepare_scope
    from sinergi.personnel.selectors import status_map

    op = _roster(world, make_user)
    me = make_user(unit=world.polsek_a, role=Role.OPERATOR)
    yohanes = Officer.objects.get(identifier="81010001")
    services.officer_link_user(actor=op, officer=yohanes, user=me)
    services.status_report(actor=me, key="m-1", status="on_post")
    services.status_report(actor=op, key="m-2", status="en_route",
                           officer=Officer.objects.get(identifier="81010004"))
    whole = status_map(user=op)
    assert whole["total"] == 6  # Polri of the Polda's subtree (the Kodim is outside it)
    by_code = {r["code"]: r for r in whole["polres"]}
    assert by_code[world.polres_a.code]["on_post"] == 1 and by_code[world.polres_a.code]["en_route"] == 1
    assert by_code[world.polres_a.code]["total"] == 5 and by_code[world.polres_b.code]["total"] == 1
    # One row per unit (Polsek and Polres HQ apart), never per officer; no names or phone numbers travel.
    units = {row[0]: row for row in whole["units"]}
    assert len(whole["units"]) <= 3 and world.polsek_a.pk in units
    assert units[world.polsek_a.pk][5:] == [0, 1, 0, 0, 1, 2]  # available, on post, en route, scene, off, total
    assert "Yohanes" not in str(whole) and "+62812" not in str(whole)
    assert [s["value"] for s in whole["statuses"]] == ["available", "on_post", "en_route", "on_scene", "off_duty"]
    # A Polres user sees his subtree only, on the page's JSON and the API alike.
    b_user = make_user(unit=world.polres_b, role=Role.OPERATOR)
    client.force_login(b_user)
    data = client.get(reverse("personnel:status_map")).json()
    assert [r["code"] for r in data["polres"]] == [world.polres_b.code] and data["total"] == 1
    assert api(b_user).get("/api/v1/personnel/status/map/").json()["total"] == 1
    # The live room carries the endpoint; the event reaches the Polres whose unit it is, not the other one.
    page = client.get(reverse("operations:index")).content.decode()
    assert 'data-units-url="/personel/status/peta/"' in page and 'data-testid="unit-status-counts"' in page
    event = {"kind": "unit_status", "unit": world.polsek_a.pk, "units": [world.polsek_a.pk], "status": "on_post"}
    a_user = make_user(unit=world.polres_a, role=Role.OPERATOR)
    assert decide(prepare_scope(a_user), event) == {"kind": "unit_status"}
    assert decide(prepare_scope(b_user), event) is None
    assert decide(prepare_scope(op), event) == {"kind": "unit_status"}
    # Without personnel.view (a KPU reader): no officer data.
    from sinergi.accounts.choices import AgencyKind
    from tests import factories

    kpu = make_user(unit=factories.unit(AgencyKind.KPU, code="T-LIVE-KPU"), role=Role.ANALYST)
    client.force_login(kpu)
    assert client.get(reverse("personnel:status_map")).status_code == 403
    assert status_map(user=kpu)["units"] == []
