"""The operations page of one TPS (/operasi/tps/<id>/): check-in timeline, incidents at and near the TPS, the
plan in force (or a sentence saying there is none), and scoping — another Polres gets 404, a partner agency
without plan rights sees no guard group."""

from __future__ import annotations

import pytest

from sinergi.accounts.choices import AgencyKind, Role
from sinergi.elections.models import PollingStation
from tests import factories
from tests.operations.factories import TPS_A, TPS_B, build_ops_world, wita
from tests.operations.test_operations import submit


@pytest.fixture
def world(db):
    from sinergi.incidents.defaults import load

    load()
    return build_ops_world()


def _page(client, user, password, code):
    client.force_login(user)
    tps = PollingStation.objects.get(code=code)
    return client.get(f"/operasi/tps/{tps.pk}/")


def test_tps_page_shows_checkins_incident_and_says_there_is_no_approved_plan(world, make_user, client, password):
    officer = make_user(unit=world.polsek_a, role=Role.OPERATOR)
    submit(officer, key="o1", kind="opened", at=wita(27, 6, 55))
    submit(officer, key="p1", kind="problem", at=wita(27, 9, 10), note="Kotak suara rusak, warga berkumpul")
    resp = _page(client, officer, password, TPS_A)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "TPS dibuka" in html and "27 Nov 06:55" in html
    incidents = html.split('data-testid="tps-incidents"')[1].split("</section>")[0]
    assert "/insiden/" in incidents and "di TPS ini" in incidents  # the incident the problem check-in raised
    assert 'data-testid="no-plan"' in html and "Belum ada Renpam yang disahkan" in html
    assert "belum" in html  # steps not reported yet (closed, counted...) are listed as such


def test_other_polres_gets_404_and_partner_sees_no_plan(world, make_user, client, password):
    other = make_user(unit=world.polres_b, role=Role.OPERATOR)
    assert _page(client, other, password, TPS_A).status_code == 404
    assert _page(client, other, password, TPS_B).status_code == 200
    kpu = factories.unit(AgencyKind.KPU, code="T-OPS-KPU-99.71", jurisdiction=[factories.region("99.71")])
    liaison = make_user(unit=kpu, role=Role.LIAISON)
    html = _page(client, liaison, password, TPS_A).content.decode()
    assert "Anda tidak berwenang melihat rencana pengamanan" in html


def test_tps_detail_links_to_the_operations_page_only_for_readers(world, make_user, client, password):
    officer = make_user(unit=world.polres_a, role=Role.OPERATOR)
    client.force_login(officer)
    tps = PollingStation.objects.get(code=TPS_A)
    html = client.get(f"/pemilihan/tps/{tps.pk}/").content.decode()
    assert f"/operasi/tps/{tps.pk}/" in html


def test_tps_page_follows_the_approved_renpam(world, make_user, client):
    from sinergi.deployment.models import GuardAssignment, GuardGroup, Plan

    plan = Plan.objects.create(name="Renpam uji", election=world.election, status="succeeded")
    group = GuardGroup.objects.create(plan=plan, unit=world.polres_a, polsek=world.polsek_a, district_code="99.71.01",
                                      tier="rawan", number=7, tps_count=2, officers=2, linmas=4, post_lat=-14.18,
                                      post_lng=123.56, max_travel_min=12)
    for code in (TPS_A, "99.71.01.1001-002"):
        GuardAssignment.objects.create(plan=plan, group=group, polling_station=PollingStation.objects.get(code=code),
                                       tier="rawan")
    factories.renpam_approve(plan, unit=world.polda, rank="Kombes Pol")
    officer = make_user(unit=world.polda, role=Role.OPERATOR)  # Polda staff read every Polres' groups
    client.force_login(officer)
    html = client.get(f"/operasi/tps/{PollingStation.objects.get(code=TPS_A).pk}/").content.decode()
    guard = html.split('data-testid="tps-guard"')[1].split("</section>")[0]
    assert "Renpam versi 1 disahkan oleh" in guard and "Renpam uji" in guard
    assert "K7" in guard and "99.71.01.1001-002" in guard and "Polres Kota Uji" in guard
