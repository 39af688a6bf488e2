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
from tests.operations.test_operations import TPS_A, TPS_A2, api, build_ops_world, submit, wita
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
