"""Operations pages: the command dashboard follows the stage calendar, its JSON is scoped, the phone check-in page
works without JavaScript, alerts are acknowledged, the stage calendar shows what is active."""

from __future__ import annotations

import pytest

from sinergi.accounts.choices import AgencyKind, Role
from sinergi.operations import jobs
from sinergi.operations.models import Alert, CheckIn
from tests import factories
from tests.operations.factories import TPS_A, TPS_A2, TPS_B, build_ops_world, wita
from tests.operations.test_operations import submit


@pytest.fixture
def ow(db):
    return build_ops_world()


def _panels(html: str) -> set[str]:
    import re

    return set(re.findall(r'data-panel="([a-z_]+)"', html))


def test_dashboard_panels_follow_the_stage(ow, client, make_user):
    client.force_login(make_user(unit=ow.polda, role=Role.ANALYST))
    quiet = client.get("/operasi/?at=2024-11-25T10:00")
    voting = client.get("/operasi/?at=2024-11-27T10:00")
    assert quiet.status_code == voting.status_code == 200
    assert "Masa tenang" in quiet.content.decode() and "Pemungutan dan penghitungan suara" in voting.content.decode()
    assert _panels(quiet.content.decode()) == {"logistics", "incidents", "alerts", "map"}
    assert _panels(voting.content.decode()) == {"coverage", "counters", "alerts", "logistics", "incidents", "map"}
    # the nav link
    assert 'href="/operasi/"' in voting.content.decode()


def test_dashboard_needs_ops_view(ow, client, make_user):
    public = factories.unit(AgencyKind.PUBLIC, code="T-OPS-PUB")
    client.force_login(make_user(unit=public, role=Role.OBSERVER))
    assert client.get("/operasi/").status_code == 403
    assert client.get("/operasi/data/").status_code == 403
    client.logout()
    assert client.get("/operasi/").status_code == 302


def test_dashboard_data_is_scoped(ow, client, make_user):
    cmd = make_user(unit=ow.polda, role=Role.COMMANDER)
    submit(cmd, key="a", tps=TPS_A)
    submit(cmd, key="b", tps=TPS_B)
    jobs.tick(wita(27, 7, 31))
    client.force_login(make_user(unit=ow.polres_b, role=Role.OPERATOR))
    data = client.get("/operasi/data/?at=2024-11-27T08:00").json()
    assert [r["unit_code"] for r in data["coverage"]] == ["T-OPS-POLRES-99.72"]
    assert data["coverage"][0]["opened"] == 1 and data["totals"]["tps_total"] == 1
    assert all(a["unit"] == "Polres Uji Dua" for a in data["alerts"])
    assert data["checkins"]["opened"] == 1
    points = client.get("/operasi/peta/").json()["points"]
    assert [p[6] for p in points] == [TPS_B] and points[0][3] == "opened"
    client.force_login(make_user(unit=ow.polda, role=Role.ANALYST))
    whole = client.get("/operasi/data/?at=2024-11-27T08:00").json()
    # Polri's province-level analysts see every Polri unit (accounts.selectors.scope_units), so with the NTT
    # dataset loaded the NTT Polres rows are there too.
    rows = {r["unit_code"]: r for r in whole["coverage"]}
    assert {"T-OPS-POLRES-99.71", "T-OPS-POLRES-99.72"} <= set(rows)
    assert rows["T-OPS-POLRES-99.71"]["missing"] == 3  # three TPS of Kota Uji without "opened" at 07:30
    assert rows["T-OPS-POLRES-99.72"]["missing"] == 0


def test_alert_acknowledge_from_dashboard(ow, client, make_user):
    jobs.tick(wita(27, 7, 31))
    alert = Alert.objects.filter(polling_station__code=TPS_A).first()
    client.force_login(make_user(unit=ow.polres_b, role=Role.OPERATOR))
    assert client.post(f"/operasi/peringatan/{alert.pk}/diketahui/").status_code == 404  # not in scope
    client.force_login(make_user(unit=ow.polres_a, role=Role.OPERATOR))
    r = client.post(f"/operasi/peringatan/{alert.pk}/diketahui/", HTTP_ACCEPT="application/json")
    assert r.json() == {"id": alert.pk, "acknowledged": True}
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.is_open


def test_checkin_page_without_javascript(ow, client, make_user):
    officer = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    client.force_login(officer)
    page = client.get(f"/operasi/lapor/?tps={TPS_A}")
    assert page.status_code == 200 and f"TPS {TPS_A}" in page.content.decode()
    assert f'data-tps="{TPS_B}"' not in client.get(f"/operasi/lapor/?tps={TPS_B}").content.decode()  # not theirs
    # the form posts the event time (the page's script sets it; without it the time is now)
    r = client.post("/operasi/lapor/", {"tps": TPS_A, "kind": "opened", "key": "w1",
                                        "at": "2024-11-27T07:03:00+08:00"}, follow=True)
    assert "Laporan diterima" in r.content.decode()
    assert CheckIn.objects.get(key="w1").channel == "web"
    r = client.post("/operasi/lapor/", {"tps": TPS_B, "kind": "opened", "key": "w2",
                                        "at": "2024-11-27T07:03:00+08:00"}, follow=True)
    assert "Laporan ditolak" in r.content.decode() and "di luar wilayah" in r.content.decode()
    assert not CheckIn.objects.filter(key="w2").exists()
    bawaslu = factories.unit(AgencyKind.BAWASLU, code="T-OPS-BWS2")
    client.force_login(make_user(unit=bawaslu, role=Role.OPERATOR))
    assert client.get("/operasi/lapor/").status_code == 403


def test_checkin_page_lists_assigned_tps_from_approved_renpam(ow, client, make_user):
    from sinergi.deployment.models import GuardAssignment, GuardGroup, Plan
    from sinergi.elections.models import PollingStation

    plan = Plan.objects.create(name="uji", election=ow.election, status="succeeded")
    group = GuardGroup.objects.create(plan=plan, unit=ow.polres_a, polsek=ow.polsek_a, district_code="99.71.01",
                                      tier="rawan", number=1, tps_count=1, officers=2, linmas=2, post_lat=-14.18,
                                      post_lng=123.56, max_travel_min=10)
    GuardAssignment.objects.create(plan=plan, group=group, polling_station=PollingStation.objects.get(code=TPS_A2),
                                   tier="rawan")
    client.force_login(make_user(unit=ow.polsek_a, role=Role.OPERATOR))
    html = client.get("/operasi/lapor/").content.decode()
    # Not approved yet: the page says so and lists no assigned TPS.
    assert "Belum ada Renpam yang disahkan" in html and f'data-tps="{TPS_A2}"' not in html
    factories.renpam_approve(plan, unit=ow.polres_a, rank="AKBP")
    html = client.get("/operasi/lapor/").content.decode()
    assert "Renpam versi 1 disahkan oleh" in html and "AKBP" in html
    assert f'data-tps="{TPS_A2}"' in html and f'data-tps="{TPS_A}"' not in html


def test_stage_page_shows_calendar_and_what_is_active(ow, client, make_user):
    client.force_login(make_user(unit=ow.polres_a, role=Role.OPERATOR))
    html = client.get("/operasi/tahapan/?at=2024-11-28").content.decode()
    assert "Rekapitulasi tingkat kecamatan (PPK)" in html
    assert "Kotak suara diserahkan" in html.split('data-testid="active-kinds"')[1].split("</span>")[0]
    assert "07:30" in html and "UU 7/2017" in html


def test_officer_registers_sms_phone_on_checkin_page(ow, client, make_user):
    from sinergi.operations.models import OfficerPhone

    officer = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    client.force_login(officer)
    r = client.post("/operasi/lapor/nomor/", {"number": "+62 812-1111-2222"}, follow=True)
    assert "6281211112222" in r.content.decode()
    assert OfficerPhone.objects.get(number="6281211112222").user == officer
    other = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    client.force_login(other)
    r = client.post("/operasi/lapor/nomor/", {"number": "081211112222"}, follow=True)
    assert "sudah dipakai petugas lain" in r.content.decode()


def test_dashboard_shows_escort_summary_when_logistics_provides_it(ow, client, make_user):
    client.force_login(make_user(unit=ow.polda, role=Role.ANALYST))
    data = client.get("/operasi/data/?at=2024-11-26T10:00").json()
    try:
        from sinergi.logistics.selectors import escort_summary  # noqa: F401
    except ImportError:
        assert data["escorts"] is None  # the page shows "belum ada data"
    else:
        assert {"total", "planned", "in_motion", "delayed", "in_motion_list", "delayed_list"} <= set(data["escorts"])
