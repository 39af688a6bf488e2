"""Plan map layers (group outlines, BKO routes along their path), the per-Polsek / per-TPS table page and the
"Brimob company withdrawn" scenario, on the NTT default dataset in the database."""

from __future__ import annotations

import re

import pytest
import shapely
from django.db.models import Sum
from django.urls import reverse
from shapely.geometry import Point, shape

from sinergi.deployment.models import GuardAssignment, GuardGroup, Reinforcement
from sinergi.deployment.services import plan_run_sync
from sinergi.elections.selectors import default_election

pytestmark = pytest.mark.slow

FAST = {"reserve_k": 5, "time_limit_s": 1.0}


def _user(make_user, code, role="analyst"):
    from sinergi.accounts.models import Unit

    return make_user(unit=Unit.objects.get(code=code), role=role)


def _text(html: str, testid: str) -> str:
    i = html.index(f'data-testid="{testid}"')
    j = html.index("</table>", i)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[i:j]))


def test_map_outlines_routes_and_table_are_scoped(ntt_dataset, make_user, client):
    plan = plan_run_sync(actor=None, election=default_election(), scenario="dasar", parameters=FAST)
    polda = _user(make_user, "POLDA-NTT")
    alor = _user(make_user, "POLRES-53.05", role="operator")
    kpu = _user(make_user, "KPU-NTT")

    # Outlines: one polygon per group, each containing its TPS; a Polres sees only its own groups.
    client.force_login(polda)
    fc = client.get(reverse("deployment:groups_geojson", args=[plan.pk])).json()
    assert len(fc["features"]) == GuardGroup.objects.filter(plan=plan).count() == plan.metrics["groups"]
    by_number = {f["properties"]["number"]: f for f in fc["features"]}
    sample = GuardGroup.objects.filter(plan=plan).order_by("-tps_count")[:25]
    for g in sample:
        f = by_number[g.number]
        poly = shape(f["geometry"])
        assert poly.is_valid and poly.area > 0
        assert f["properties"]["tps"] == g.tps_count and f["properties"]["officers"] == g.officers
        assert f["properties"]["linmas"] == g.linmas and f["properties"]["max_min"] == g.max_travel_min
        for a in GuardAssignment.objects.filter(group=g).select_related("polling_station"):
            ps = a.polling_station
            assert poly.buffer(1e-3).contains(Point(ps.lng, ps.lat))
    one = GuardGroup.objects.filter(plan=plan, unit__code="POLRES-53.01").first()
    narrowed = client.get(reverse("deployment:groups_geojson", args=[plan.pk]), {"polres": one.unit_id}).json()
    assert {f["properties"]["polres"] for f in narrowed["features"]} == {"Polres Kupang"}

    client.force_login(alor)
    fc = client.get(reverse("deployment:groups_geojson", args=[plan.pk])).json()
    assert {f["properties"]["polres"] for f in fc["features"]} == {"Polres Alor"}
    assert len(fc["features"]) == GuardGroup.objects.filter(plan=plan, unit__code="POLRES-53.05").count()
    client.force_login(kpu)
    assert client.get(reverse("deployment:groups_geojson", args=[plan.pk])).status_code == 403

    # BKO routes: drawn along source -> ports -> destination; crossings between islands are sea legs.
    client.force_login(polda)
    mj = client.get(reverse("deployment:map_json", args=[plan.pk])).json()
    rows = list(Reinforcement.objects.filter(plan=plan))
    assert len(mj["routes"]) == len(rows) > 0
    for r in mj["routes"]:
        legs = r["legs"]
        assert legs and r["count"] > 0 and r["minutes"] >= 0
        for a, b in zip(legs, legs[1:], strict=False):  # a continuous line
            assert a["points"][-1] == b["points"][0]
    sea = [r for r in mj["routes"] if any(leg["mode"] == "laut" for leg in r["legs"])]
    assert sea, "some BKO crosses the sea (e.g. from Kupang to Flores, Sumba or Alor)"
    for r in sea:
        ports = [p for p in r["route"].split(" → ") if p != "darat"]
        assert len([leg for leg in r["legs"] if leg["mode"] == "laut"]) >= 1 and len(ports) >= 2
    # default plans move BKO around the timetable: no expected wait (scenario menunggu-jadwal-kapal adds it)
    assert all(leg["wait_h"] == 0 for r in sea for leg in r["legs"] if leg["mode"] == "laut")

    # Table page: linked from the plan page; filters; pagination; nearest reserve and its response time.
    detail = client.get(reverse("deployment:detail", args=[plan.pk])).content.decode()
    assert reverse("deployment:table", args=[plan.pk]) in detail
    m = plan.metrics  # both gaps of the guard groups, honestly: vs sum ceil(n/B) and vs the proven bound
    summary = re.sub(r"\s+", " ", re.search(r'data-testid="groups-summary">(.*?)</td>', detail, re.S).group(1))
    assert "Σ" not in summary and "batas" not in summary and f"{m['groups']} kelompok" in summary  # planner words
    summary = re.sub(r"\s+", " ", re.search(r'data-testid="groups-bounds">(.*?)</td>', detail, re.S).group(1))
    assert f"Σceil(n/B) {m['groups_lower_bound']} (selisih {100 * m['groups_gap_vs_lower_bound']:.1f}%".replace(
        ".", ",") in summary
    assert f"batas terbukti dengan radius {m['groups_bound']} (selisih {100 * m['groups_gap']:.1f}%)".replace(
        ".", ",") in summary
    assert m["groups"] >= m["groups_bound"] >= m["groups_lower_bound"]
    url = reverse("deployment:table", args=[plan.pk])
    page = client.get(url).content.decode()
    assert re.search(r'data-testid="tps-count">9877 TPS<', page)
    assert "Halaman 1 / 99" in page
    sr = client.get(url, {"tingkat": "sangat_rawan"}).content.decode()
    n_sr = plan.metrics["tier_counts"]["sangat_rawan"]
    assert f"{n_sr} TPS" in sr
    tps_rows = _text(sr, "tps-table")
    assert "Sangat rawan" in tps_rows and "Kurang rawan" not in tps_rows
    a = GuardAssignment.objects.filter(plan=plan, tier="sangat_rawan").select_related(
        "polling_station", "reserve", "group").order_by("group__unit__code", "group__district_code",
                                                        "polling_station__code").first()
    assert a.reserve is not None and a.reserve_minutes is not None
    assert a.polling_station.code in tps_rows and a.reserve.name in tps_rows
    assert f"K{a.group.number}" in tps_rows
    kec = client.get(url, {"kecamatan": a.group.district_code}).content.decode()
    polsek_rows = _text(kec, "polsek-table")
    n_kec = GuardAssignment.objects.filter(plan=plan, group__district_code=a.group.district_code).count()
    assert f"{n_kec} TPS" in kec and a.group.polsek.name in polsek_rows
    p2 = client.get(url, {"tingkat": "kurang_rawan", "halaman": 2}).content.decode()
    assert "Halaman 2 /" in p2 and "tingkat=kurang_rawan&amp;halaman=3" in p2

    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(client.get(reverse("deployment:xlsx", args=[plan.pk])).content), read_only=True)
    rows = list(wb["TPS"].iter_rows(values_only=True))
    assert rows[0][-2:] == ("Cadangan terdekat", "Waktu tanggap cadangan (menit, perkiraan)")
    row = next(r for r in rows if r[0] == a.polling_station.code)
    assert row[-2] == a.reserve.name and row[-1] == a.reserve_minutes

    client.force_login(alor)
    mine = client.get(url).content.decode()
    n_alor = GuardAssignment.objects.filter(plan=plan, group__unit__code="POLRES-53.05").count()
    assert f"{n_alor} TPS" in mine and "Polres Kupang" not in _text(mine, "tps-table")
    other = client.get(url, {"polres": one.unit_id}).content.decode()  # another Polres' id yields nothing
    assert "0 TPS" in other
    assert all(r["to"] == "Polres Alor" for r in client.get(reverse("deployment:map_json",
                                                                    args=[plan.pk])).json()["routes"])
    client.force_login(kpu)
    assert client.get(url).status_code == 403


def test_brimob_company_withdrawn_stores_less_brimob_bko_and_the_comparison_shows_it(ntt_dataset, make_user,
                                                                                     client):
    election = default_election()
    base = plan_run_sync(actor=None, election=election, scenario="dasar", parameters=FAST)
    withdrawn = plan_run_sync(actor=None, election=election, scenario="brimob-ditarik", parameters=FAST)

    def brimob(plan):
        return Reinforcement.objects.filter(plan=plan, source_kind="brimob").aggregate(s=Sum("count"))["s"] or 0

    def available(plan):
        return next(s["available"] for s in plan.metrics["sources"] if s["kind"] == "brimob")

    assert available(withdrawn) == available(base) - 100
    assert brimob(base) > 0
    assert brimob(withdrawn) < brimob(base)
    assert brimob(withdrawn) <= available(withdrawn) - FAST["reserve_k"] * 10  # reserve teams staffed first
    # The gap is filled by the next source (Polda HQ staff) or left as an honest shortfall.
    total = Reinforcement.objects.filter(plan=withdrawn).aggregate(s=Sum("count"))["s"]
    assert total + withdrawn.metrics["shortfall"] == base.metrics["reinforcements"] + base.metrics["shortfall"]

    client.force_login(_user(make_user, "POLDA-NTT"))
    html = client.get(reverse("deployment:compare"), {"a": base.pk, "b": withdrawn.pk}).content.decode()
    table = _text(html, "compare-table")
    assert "Kompi Brimob ditarik" in html
    assert "Brimob" in table
    assert f"{brimob(base)}" in table and f"{brimob(withdrawn)}" in table
    assert shapely  # imported for the outline checks above
