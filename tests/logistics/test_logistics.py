"""Logistics escorts on the NTT dataset: travel-model ETAs (road + sea), chain of custody, alerts raised by the
tick and resolved, the idempotent event API, bad input, scoping and the default plan generator."""

from __future__ import annotations

import datetime as dt
import io
import json
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.test import Client

from sinergi.accounts.choices import Role
from sinergi.accounts.models import Unit
from sinergi.api.services import token_issue
from sinergi.core.models import AuditEvent
from sinergi.deployment import geo
from sinergi.elections.models import PollingStation
from sinergi.elections.selectors import default_election
from sinergi.logistics import jobs, services, travel
from sinergi.logistics.models import CustodyEvent, Leg, LegEvent, Movement, NodeKind, Status
from sinergi.logistics.selectors import current_eta, escort_summary
from sinergi.operations.models import Alert
from sinergi.regions.models import Region

API = "/api/v1/logistics-movements/"
WITA = services.WITA


def wita(y, mo, d, h, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=WITA)


def node(kind, region=None, tps=None, name=""):
    obj = tps or region
    return services.Node(kind=kind, name=name or f"{kind} {obj.name if region else tps.code}",
                         lat=float(obj.lat), lng=float(obj.lng), region=region, tps=tps)


def rote_chain():
    """A small distribution chain in Rote Ndao: KPU Kota Kupang warehouse (Timor) -> PPK -> PPS (Rote)."""
    election = default_election()
    # the first desa of Rote Ndao on the same island as its kecamatan point (some desa lie on Ndao and islets)
    codes = list(PollingStation.objects.filter(election=election, regency_code="53.14").order_by("code")
                 .values_list("village_id", flat=True).distinct())
    for code in codes:
        village, district = Region.objects.get(code=code), Region.objects.get(code=code[:8])
        a, b = travel.islands([village.lat, district.lat], [village.lng, district.lng])
        if a == b:
            break
    kupang = Region.objects.get(code="53.71")
    polres = Unit.objects.get(code="POLRES-53.14")
    polsek = Unit.objects.get(code=f"POLSEK-{district.code}")
    top = services.movement_create(
        actor=None, election=election, key="t:ppk", direction="distribution",
        origin=node(NodeKind.WAREHOUSE, kupang, name="Gudang KPU Kota Kupang"), dest=node(NodeKind.PPK, district),
        planned_departure=wita(2024, 11, 24, 8), escort_unit=polres, cargo={"kotak_suara": 10})
    low = services.movement_create(
        actor=None, election=election, key="t:pps", direction="distribution", parent=top,
        origin=node(NodeKind.PPK, district), dest=node(NodeKind.PPS, village),
        planned_departure=wita(2024, 11, 25, 8), escort_unit=polsek, cargo={"kotak_suara": 4})
    tps = list(PollingStation.objects.filter(election=election, village=village).order_by("code"))
    return SimpleNamespace(election=election, top=top, low=low, tps=tps, village=village, polres=polres,
                           polsek=polsek)


def open_alerts(kind):
    return list(Alert.objects.filter(kind=kind, resolved_at__isnull=True))


def token_client(user) -> Client:
    tok = token_issue(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {tok.key}")


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def chain(ntt_dataset):
    return rote_chain()


@pytest.fixture
def escort(chain, make_user):
    return make_user(unit=chain.polres, role=Role.OPERATOR)


# -- ETA from the travel model ------------------------------------------------------------------------------------
def test_eta_kupang_warehouse_to_rote_is_road_sea_road_from_the_travel_model(chain):
    m = chain.top
    legs = list(m.legs.order_by("order"))
    assert [leg.mode for leg in legs] == ["road", "sea", "road"]
    sea = legs[1]
    assert sea.from_port and sea.to_port and sea.vessel_name
    assert "Kupang" in sea.sea_link or "Bolok" in sea.from_port or "Tenau" in sea.from_port
    # The hop's time is the travel model's door-to-door time for the same two points.
    lm = geo.ntt_land_masses()
    model = geo.travel_model(lm)
    isl = lm.assign([m.origin_lat, m.dest_lat], [m.origin_lng, m.dest_lng])
    assert isl[0] != isl[1]
    expected_h = model.hours(m.origin_lat, m.origin_lng, int(isl[0]), m.dest_lat, m.dest_lng, int(isl[1]))
    assert m.travel_hours == pytest.approx(expected_h, abs=0.02)
    assert m.expected_arrival - m.planned_departure == pytest.approx(dt.timedelta(hours=m.travel_hours),
                                                                     abs=dt.timedelta(seconds=5))
    assert m.estimated and all(leg.estimated for leg in legs) and m.has_sea
    # legs follow each other
    for a, b in zip(legs, legs[1:], strict=False):
        assert a.expected_arrival == b.planned_departure
    assert legs[-1].expected_arrival == m.expected_arrival
    # the PPK -> PPS hop on Rote is one road leg
    assert [leg.mode for leg in chain.low.legs.all()] == ["road"]


# -- chain of custody ---------------------------------------------------------------------------------------------
def handover(actor, m, key, place="destination", seals=None, at=None, **kw):
    return services.handover_record(actor=actor, key=key, movement=m, place=place, from_name="Pak Yohanes",
                                    from_agency="KPU", to_name="Ibu Maria", to_agency="PPK",
                                    seals_seen=seals, at=at or wita(2024, 11, 24, 20), **kw)


def test_complete_chain_of_custody_raises_no_alert(chain, escort, client):
    seals = ["KPU-5314-0001", "KPU-5314-0002"]
    handover(escort, chain.top, "h1", place="origin", seals=seals, at=wita(2024, 11, 24, 8))
    handover(escort, chain.top, "h2", seals=seals, at=wita(2024, 11, 24, 16))
    handover(escort, chain.low, "h3", place="origin", seals=seals[:1], at=wita(2024, 11, 25, 8))
    services.leg_event_record(actor=escort, key="d1", leg=chain.low.legs.get(order=1), kind="departure",
                              at=wita(2024, 11, 25, 8, 10))
    handover(escort, chain.low, "h4", seals=seals[:1], at=wita(2024, 11, 25, 10))
    handover(escort, chain.low, "h5", place="tps", polling_station=chain.tps[0], seals=seals[:1],
             at=wita(2024, 11, 26, 9))
    chain.top.refresh_from_db()
    chain.low.refresh_from_db()
    assert chain.top.status == chain.low.status == Status.HANDED_OVER
    assert chain.top.seals == seals
    assert [e.seal_check for e in CustodyEvent.objects.order_by("at")] == ["ok"] * 5
    assert not open_alerts("custody_break")
    assert AuditEvent.objects.filter(action="logistics.custody.handover").count() >= 5
    # the PPS hop's page shows the whole chain from the warehouse: five hand-overs, in time order
    client.force_login(escort)
    page = client.get(f"/logistik/{chain.low.pk}/").content.decode()
    timeline = page[page.index('data-testid="custody-timeline"'):]
    assert timeline.count('data-testid="custody-event"') == 5
    assert timeline.index("24 Nov 2024 08:00") < timeline.index("25 Nov 2024 10:00") < timeline.index(
        chain.tps[0].code)


def test_seal_mismatch_raises_custody_break_and_a_matching_handover_resolves_it(chain, escort, client):
    handover(escort, chain.top, "h1", place="origin", seals=["S-1", "S-2"], at=wita(2024, 11, 24, 8))
    ev, _ = handover(escort, chain.top, "h2", seals=["S-1", "S-9"], at=wita(2024, 11, 24, 16))
    assert ev.seal_check == "mismatch"
    [alert] = open_alerts("custody_break")
    assert alert.key == f"custody_break:seal:{chain.top.pk}"
    assert alert.data["seals_seen"] == ["S-1", "S-9"] and alert.unit == chain.polres
    # the user sees the mismatch on the movement page
    client.force_login(escort)
    page = client.get(f"/logistik/{chain.top.pk}/").content.decode()
    assert "Segel tidak sesuai" in page and "S-9" in page
    handover(escort, chain.top, "h3", seals=["S-2", "S-1"], at=wita(2024, 11, 24, 17))
    assert not open_alerts("custody_break")


def test_missing_handover_upstream_breaks_the_chain_until_recorded(chain, escort):
    services.leg_event_record(actor=escort, key="d1", leg=chain.low.legs.get(order=1), kind="departure",
                              at=wita(2024, 11, 25, 8))
    [alert] = open_alerts("custody_break")
    assert alert.key == f"custody_break:missing:{chain.low.pk}" and "belum tercatat" in alert.message
    jobs.tick(wita(2024, 11, 25, 9))  # idempotent: still one alert
    assert len(open_alerts("custody_break")) == 1
    handover(escort, chain.top, "h2", at=wita(2024, 11, 25, 9))
    assert not open_alerts("custody_break")


def test_events_are_append_only(chain, escort):
    ev, _ = handover(escort, chain.top, "h1")
    ev.note = "diubah"
    with pytest.raises(RuntimeError):
        ev.save()
    with pytest.raises(RuntimeError):
        ev.delete()
    assert CustodyEvent.objects.get(pk=ev.pk).note == ""


# -- late legs and the tick ---------------------------------------------------------------------------------------
def test_late_leg_raises_escort_late_by_the_tick_and_arrival_resolves_it(chain, escort):
    m = chain.top
    first = m.legs.get(order=1)
    services.leg_event_record(actor=escort, key="dep", leg=first, kind="departure", at=m.planned_departure)
    tol = services.tolerance()
    before = first.expected_arrival + tol - dt.timedelta(minutes=1)
    assert jobs.tick(before)["escort_late_raised"] == 0
    after = first.expected_arrival + tol + dt.timedelta(minutes=1)
    out = jobs.tick(after)
    assert out["escort_late_raised"] == 1
    [alert] = open_alerts("escort_late")
    assert alert.key == f"escort_late:{m.pk}" and alert.subject_id == str(first.pk)
    assert "terlambat" in alert.message and alert.unit == chain.polres
    m.refresh_from_db()
    assert m.status == Status.DELAYED
    marked = AuditEvent.objects.filter(action="logistics.movement.delayed").order_by("-seq").first()
    assert m.pk in marked.data["movements"]
    assert jobs.tick(after)["escort_late_raised"] == 0  # idempotent
    # the leg arrives: the alert is resolved at once (the next leg is not late yet)
    services.leg_event_record(actor=escort, key="arr", leg=first, kind="arrival", at=after)
    assert not open_alerts("escort_late")
    # the current ETA moves with the late leg: remaining legs' hours from its arrival (estimated)
    rest = list(m.legs.filter(order__gt=1).order_by("order"))
    eta = max(rest[0].planned_departure, after) + dt.timedelta(hours=sum(leg.hours for leg in rest))
    m.refresh_from_db()
    assert current_eta(m) == eta > m.expected_arrival
    summary = escort_summary(escort, election=chain.election, at=after)
    assert dt.datetime.fromisoformat(summary["delayed_list"][0]["eta"]) == eta
    assert summary["delayed"] == 1 and summary["in_motion"] == 1
    assert summary["delayed_list"][0]["id"] == m.pk and summary["delayed_list"][0]["mode"] == "sea"
    # all legs arrive: arrived, delay measured against the expected arrival
    last_at = m.expected_arrival + dt.timedelta(hours=2)
    for leg in m.legs.filter(order__gt=1):
        services.leg_event_record(actor=escort, key=f"arr{leg.order}", leg=leg, kind="arrival", at=last_at)
    m.refresh_from_db()
    assert m.status == Status.ARRIVED and m.delay_minutes == 120
    assert jobs.tick(last_at + dt.timedelta(hours=1))["escort_late_raised"] == 0
    assert not open_alerts("escort_late")


def test_logistics_not_at_tps_from_h_minus_1_18_00(chain, escort):
    deadline = wita(2024, 11, 26, 18)
    assert services.tps_deadline(chain.election) == deadline
    jobs.tick(deadline - dt.timedelta(minutes=1))
    assert not open_alerts("logistics_not_at_tps")
    out = jobs.tick(deadline)
    alerts = open_alerts("logistics_not_at_tps")
    assert out["not_at_tps_raised"] == len(chain.tps) == len(alerts)
    assert {a.polling_station_id for a in alerts} == {t.pk for t in chain.tps}
    assert "belum tiba di TPS" in alerts[0].message
    # a hand-over at the first TPS resolves its alert only
    handover(escort, chain.top, "h0", at=wita(2024, 11, 25, 7))
    handover(escort, chain.low, "ht", place="tps", polling_station=chain.tps[0], at=deadline + dt.timedelta(hours=1))
    assert {a.polling_station_id for a in open_alerts("logistics_not_at_tps")} == {t.pk for t in chain.tps[1:]}
    # the PPS hop is handed over at the PPS: every TPS of the desa is served
    handover(escort, chain.low, "hp", at=deadline + dt.timedelta(hours=2))
    assert not open_alerts("logistics_not_at_tps")
    assert jobs.tick(deadline + dt.timedelta(hours=3))["not_at_tps_raised"] == 0


# -- API ----------------------------------------------------------------------------------------------------------
def test_event_api_is_idempotent_and_answers_like_the_contract(chain, escort):
    c = token_client(escort)
    body = {"key": "dev-1", "leg": 1, "kind": "departure", "at": "2024-11-24T08:05:00+08:00", "lat": -10.17,
            "lng": 123.6}
    r1 = post_json(c, f"{API}{chain.top.pk}/events/", body)
    r2 = post_json(c, f"{API}{chain.top.pk}/events/", body)
    assert r1.status_code == 201 and r1.json()["status"] == "accepted"
    assert r2.status_code == 200 and r2.json() == {"id": r1.json()["id"], "status": "duplicate"}
    assert LegEvent.objects.filter(key="dev-1").count() == 1
    detail = c.get(f"{API}{chain.top.pk}/").json()
    assert detail["status"] == "in_transit" and (
        dt.datetime.fromisoformat(detail["legs"][0]["actual_departure"]) == wita(2024, 11, 24, 8, 5))
    h = {"key": "ho-1", "place": "origin", "from_name": "Ketua KPU", "to_name": "Bripka Nusa", "to_unit": "POLRES-53.14",
         "seals_seen": ["A1", "A2"]}
    r3 = post_json(c, f"{API}{chain.top.pk}/handovers/", h)
    r4 = post_json(c, f"{API}{chain.top.pk}/handovers/", h)
    assert r3.status_code == 201 and r4.status_code == 200 and r4.json()["status"] == "duplicate"
    detail = c.get(f"{API}{chain.top.pk}/").json()
    assert detail["seals"] == ["A1", "A2"]
    assert [(e["from_name"], e["to_unit"], e["seal_check"]) for e in detail["custody_events"]] == [
        ("Ketua KPU", "POLRES-53.14", "ok")]
    found = c.get(API, {"key": "t:pps"}).json()["results"]
    assert [m["id"] for m in found] == [chain.low.pk]


@pytest.mark.parametrize("path, body, field", [
    ("events", {"leg": 1, "kind": "departure"}, "key"),
    ("events", {"key": "k", "leg": 9, "kind": "departure"}, "leg"),
    ("events", {"key": "k", "leg": 1, "kind": "terbang"}, "kind"),
    ("events", {"key": "k", "leg": 1, "kind": "arrival", "at": "kemarin"}, "at"),
    ("events", {"key": "k", "leg": 1, "kind": "arrival", "lat": 123.0, "lng": 10.0}, "lat"),
    ("handovers", {"key": "k", "to_name": "B"}, "from_name"),
    ("handovers", {"key": "k", "from_name": "A", "to_name": "B", "seal_check": "rusak"}, "seal_check"),
    ("handovers", {"key": "k", "from_name": "A", "to_name": "B", "to_unit": "TIDAK-ADA"}, "to_unit"),
    ("handovers", {"key": "k", "from_name": "A", "to_name": "B", "place": "tps", "tps_code": "53.99.01.0001-001"},
     "tps_code"),
    ("handovers", {"key": "k", "from_name": "A", "to_name": "B", "place": "tps"}, "tps_code"),
])
def test_bad_input_names_the_field_and_stores_nothing(chain, escort, path, body, field):
    client = token_client(escort)  # issuing the token is itself an audit event
    audit_before = AuditEvent.objects.count()
    r = post_json(client, f"{API}{chain.top.pk}/{path}/", body)
    assert r.status_code == 400
    assert field in r.json()
    assert LegEvent.objects.count() == 0 and CustodyEvent.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_tps_of_another_desa_is_refused(chain, escort):
    other = PollingStation.objects.filter(election=chain.election).exclude(village=chain.village).first()
    r = post_json(token_client(escort), f"{API}{chain.low.pk}/handovers/",
                  {"key": "k", "from_name": "A", "to_name": "B", "place": "tps", "tps_code": other.code})
    assert r.status_code == 400 and "tps_code" in r.json()
    assert CustodyEvent.objects.count() == 0


# -- scoping and permissions --------------------------------------------------------------------------------------
def test_scoping_regency_users_see_their_regency_province_units_all(chain, make_user):
    election = chain.election
    kupang = Movement.objects.create(
        election=election, key="t:kupang", direction="distribution", origin_kind="warehouse", origin_name="Gudang",
        dest_kind="ppk", dest_name="PPK X", regency_code="53.01", district_code="53.01.04",
        planned_departure=wita(2024, 11, 24, 8), expected_arrival=wita(2024, 11, 24, 10))
    other_district = (Region.objects.filter(code__startswith="53.14.", level="district")
                      .exclude(code=chain.polsek.jurisdiction.get().code).order_by("code").first())
    rote_other = Movement.objects.create(
        election=election, key="t:rote2", direction="distribution", origin_kind="warehouse", origin_name="Gudang",
        dest_kind="ppk", dest_name="PPK Y", regency_code="53.14", district_code=other_district.code,
        planned_departure=wita(2024, 11, 24, 8), expected_arrival=wita(2024, 11, 24, 10))
    kpu_rote = make_user(unit=Unit.objects.get(code="KPU-53.14"), role=Role.OPERATOR)
    kpu_kupang = make_user(unit=Unit.objects.get(code="KPU-53.01"), role=Role.OPERATOR)
    polda = make_user(unit=Unit.objects.get(code="POLDA-NTT"), role=Role.ANALYST)
    polsek = make_user(unit=chain.polsek, role=Role.LIAISON)

    def ids(user):
        r = token_client(user).get(API)
        assert r.status_code == 200
        return {m["id"] for m in r.json()["results"]}

    assert ids(kpu_rote) == {chain.top.pk, chain.low.pk, rote_other.pk}
    assert ids(kpu_kupang) == {kupang.pk}
    assert ids(polda) >= {chain.top.pk, chain.low.pk, kupang.pk}
    assert ids(polsek) == {chain.top.pk, chain.low.pk}  # the hops into and within its kecamatan
    # outside the scope: 404, and no event can be posted
    c = token_client(kpu_kupang)
    assert c.get(f"{API}{chain.top.pk}/").status_code == 404
    assert post_json(c, f"{API}{chain.top.pk}/events/", {"key": "x", "leg": 1, "kind": "departure"}).status_code == 404
    # observers may view but not record; the public sees nothing
    observer = make_user(unit=chain.polres, role=Role.OBSERVER)
    assert token_client(observer).get(API).status_code == 403
    bawaslu = make_user(unit=Unit.objects.get(code="BAWASLU-53.14") if Unit.objects.filter(
        code="BAWASLU-53.14").exists() else Unit.objects.filter(agency__code="BAWASLU").first(), role=Role.LIAISON)
    assert token_client(bawaslu).get(API).status_code == 200
    r = post_json(token_client(bawaslu), f"{API}{chain.top.pk}/events/", {"key": "x", "leg": 1, "kind": "departure"})
    assert r.status_code in (403, 404) and LegEvent.objects.count() == 0
    assert escort_summary(kpu_kupang, election=election)["total"] == 1


# -- the default plan ---------------------------------------------------------------------------------------------
def test_default_plan_counts_and_is_idempotent(ntt_dataset):
    election = default_election()
    r = services.plan_default(actor=None)
    villages = PollingStation.objects.filter(election=election).values("village_id").distinct().count()
    districts = PollingStation.objects.filter(election=election).values("district_code").distinct().count()
    assert r["distribution"] == r["recap"] == villages + districts
    assert r["created"] == Movement.objects.filter(election=election).count() == 2 * (villages + districts)
    assert Leg.objects.filter(movement__election=election).count() == r["legs"] >= r["created"]
    assert r["created"] + r["legs"] <= 16000  # a size the database handles quickly
    assert r["sea_movements"] > 0
    # every TPS is served by exactly one distribution hop to its PPS
    served = set(Movement.objects.filter(election=election, direction="distribution", dest_kind="pps")
                 .values_list("serves_village_code", flat=True))
    assert served == set(PollingStation.objects.filter(election=election).values_list("village_id", flat=True))
    # PPS hops hang under their PPK hop; times on H-3..H-1, estimated, escorted by the area's Polres/Polsek
    pps = Movement.objects.filter(election=election, key__startswith="dist:pps:").select_related(
        "parent", "escort_unit").first()
    assert pps.parent.key == f"dist:ppk:{pps.dest_region_id[:8]}"
    assert pps.escort_unit.code == f"POLSEK-{pps.dest_region_id[:8]}"
    assert pps.parent.escort_unit.code == f"POLRES-{pps.regency_code}"
    dist = Movement.objects.filter(election=election, direction="distribution")
    assert not dist.filter(estimated=False).exists()
    earliest = min(dist.values_list("planned_departure", flat=True))
    assert earliest >= wita(2024, 11, 20, 0)
    assert max(dist.values_list("planned_departure", flat=True)) <= wita(2024, 11, 25, 8)
    recap = Movement.objects.filter(election=election, direction="recap")
    assert min(recap.values_list("planned_departure", flat=True)) >= wita(2024, 11, 28, 8)
    # sea legs for desa on another island than their warehouse (e.g. Semau, Kupang regency)
    sea = Leg.objects.filter(movement__election=election, mode="sea")
    assert sea.exclude(vessel_name="").exists() and sea.exclude(from_port="").exists()
    out = io.StringIO()
    call_command("logistics_plan_default", "--json", stdout=out)  # the command is idempotent too
    again = json.loads(out.getvalue())
    assert again["created"] == 0 and again["movements"] == r["created"]
    assert Movement.objects.filter(election=election).count() == r["created"]


# -- pages --------------------------------------------------------------------------------------------------------
def test_list_page_filters_by_regency_mode_and_delay(chain, escort, client):
    client.force_login(escort)
    page = client.get("/logistik/").content.decode()
    assert chain.top.label in page and chain.low.label in page and "perkiraan" in page
    sea_only = client.get("/logistik/", {"mode": "sea"}).content.decode()
    assert chain.top.label in sea_only and chain.low.label not in sea_only
    assert chain.top.label not in client.get("/logistik/", {"regency": "53.01"}).content.decode()
    assert "Tidak ada perpindahan" in client.get("/logistik/", {"delayed": "1"}).content.decode()
    jobs.tick(chain.top.expected_arrival + dt.timedelta(hours=3))
    delayed = client.get("/logistik/", {"delayed": "1"}).content.decode()
    assert chain.top.label in delayed


def test_field_form_records_once_even_when_submitted_twice(chain, escort, client):
    client.force_login(escort)
    url = f"/logistik/{chain.low.pk}/catat/"
    form = client.get(url).content.decode()
    assert "Serah terima di TPS" in form and chain.tps[0].code in form
    data = {"key": "web-abc", "action": "handover_tps", "tps": chain.tps[0].code, "from_name": "Ketua PPS",
            "to_name": "Ketua KPPS", "seals": "X-1, X-2", "at": "2024-11-26T09:00"}
    r1 = client.post(url, data)
    r2 = client.post(url, data)
    assert r1.status_code == r2.status_code == 302
    assert CustodyEvent.objects.filter(movement=chain.low).count() == 1
    page = client.get(f"/logistik/{chain.low.pk}/").content.decode()
    assert "Ketua KPPS" in page and chain.tps[0].code in page
    assert "Sudah tercatat sebelumnya" in page
    # missing names: the form says which field, nothing stored
    bad = client.post(url, {"key": "web-def", "action": "handover_destination", "to_name": "B"})
    assert bad.status_code == 400 and "Wajib untuk serah terima" in bad.content.decode()
    assert CustodyEvent.objects.filter(movement=chain.low).count() == 1


def test_map_shows_escorts_in_motion_with_dashed_sea_legs(chain, escort, client):
    services.leg_event_record(actor=escort, key="d", leg=chain.top.legs.get(order=1), kind="departure",
                              at=chain.top.planned_departure, lat=-10.2, lng=123.55)
    client.force_login(escort)
    assert client.get("/logistik/peta/").status_code == 200
    geo_json = client.get("/api/v1/logistics-movements/map/").json()
    points = [f for f in geo_json["features"] if f["geometry"]["type"] == "Point"]
    lines = [f for f in geo_json["features"] if f["geometry"]["type"] == "LineString"]
    assert [p["properties"]["movement"] for p in points] == [chain.top.pk]
    assert points[0]["geometry"]["coordinates"] == [123.55, -10.2]
    assert sorted(f["properties"]["mode"] for f in lines) == ["road", "road", "sea"]
    js = (services.__file__.rsplit("/", 1)[0] + "/static/logistics/map.js")
    assert 'dashArray: p.mode === "sea"' in open(js, encoding="utf-8").read()


def test_pages_need_escort_view(chain, make_user, client):
    public = make_user(unit=Unit.objects.filter(agency__code="PUBLIC").first(), role=Role.OPERATOR)
    client.force_login(public)
    assert client.get("/logistik/").status_code == 403
    observer = make_user(unit=chain.polres, role=Role.OBSERVER)
    client.force_login(observer)
    assert client.get(f"/logistik/{chain.top.pk}/").status_code == 403
    liaison = make_user(unit=Unit.objects.get(code="KPU-53.01"), role=Role.LIAISON)
    client.force_login(liaison)
    assert client.get(f"/logistik/{chain.top.pk}/").status_code == 404  # another regency


# -- recapitulation chain -----------------------------------------------------------------------------------------
def test_recap_chain_boxes_from_every_tps_before_the_pps_leaves(chain, escort, client):
    """Back up the chain: each TPS hands its sealed boxes to the PPS (seals join the hop), the PPS -> PPK hop
    leaving without one TPS's boxes breaks the chain, the PPK checks the full seal set, and the PPK -> warehouse
    hop leaving before the PPS hop was handed over breaks it too."""
    district = chain.village.parent
    up = services.movement_create(
        actor=None, election=chain.election, key="t:recap:pps", direction="recap",
        origin=node(NodeKind.PPS, chain.village), dest=node(NodeKind.PPK, district),
        planned_departure=wita(2024, 11, 28, 8), escort_unit=chain.polsek)
    top = services.movement_create(
        actor=None, election=chain.election, key="t:recap:ppk", direction="recap",
        origin=node(NodeKind.PPK, district), dest=node(NodeKind.WAREHOUSE, Region.objects.get(code="53.14")),
        planned_departure=wita(2024, 11, 29, 8), escort_unit=chain.polres)
    assert up.serves_village_code == chain.village.code
    for i, t in enumerate(chain.tps[:-1]):
        handover(escort, up, f"r{i}", place="tps", polling_station=t, seals=[f"R-{i}a", f"R-{i}b"],
                 at=wita(2024, 11, 27, 21))
    assert not open_alerts("logistics_not_at_tps") and not open_alerts("custody_break")
    services.leg_event_record(actor=escort, key="rd", leg=up.legs.get(order=1), kind="departure",
                              at=wita(2024, 11, 28, 8))
    if len(chain.tps) > 1:
        [alert] = open_alerts("custody_break")
        assert alert.key == f"custody_break:missing:{up.pk}" and chain.tps[-1].code in alert.message
        handover(escort, up, "rlast", place="tps", polling_station=chain.tps[-1], seals=["R-last"],
                 at=wita(2024, 11, 28, 8, 30))
        jobs.tick(wita(2024, 11, 28, 8, 31))
    else:
        handover(escort, up, "rlast", place="tps", polling_station=chain.tps[-1], seals=["R-last"],
                 at=wita(2024, 11, 28, 8, 30))
    assert not open_alerts("custody_break")
    up.refresh_from_db()
    assert len(up.seals) == 2 * (len(chain.tps) - 1) + 1
    # the PPK -> warehouse hop leaves before the PPS hop is handed over at the PPK
    services.leg_event_record(actor=escort, key="td", leg=top.legs.get(order=1), kind="departure",
                              at=wita(2024, 11, 29, 8))
    assert [a.key for a in open_alerts("custody_break")] == [f"custody_break:missing:{top.pk}"]
    ev, _ = handover(escort, up, "rppk", seals=list(reversed(up.seals)), at=wita(2024, 11, 29, 9))
    assert ev.seal_check == "ok"
    assert not open_alerts("custody_break")
    # the PPK -> warehouse page shows the TPS hand-overs of the PPS hop below it
    client.force_login(escort)
    page = client.get(f"/logistik/{top.pk}/").content.decode()
    assert chain.tps[0].code in page and "R-0a" in page


def test_an_old_plan_does_not_flood_alerts_beyond_the_horizon(chain):
    latest = max(chain.top.expected_arrival, chain.low.expected_arrival)
    long_after = latest + services.alert_horizon() + dt.timedelta(hours=5)
    out = jobs.tick(long_after)
    assert out["escort_late_raised"] == 0 and out["not_at_tps_raised"] == 0
    assert not Alert.objects.exists()


def test_kpu_enters_a_movement_by_hand_with_times_from_the_travel_model(chain, make_user, client):
    kpu = make_user(unit=Unit.objects.get(code="KPU-53.14"), role=Role.OPERATOR)
    client.force_login(kpu)
    assert "Perpindahan baru" in client.get("/logistik/").content.decode()
    tps = chain.tps[0]
    data = {"direction": "distribution", "origin_kind": "pps", "origin_code": chain.village.code,
            "dest_kind": "tps", "dest_code": tps.code, "planned_departure": "2024-11-26T07:00",
            "escort_unit": chain.polsek.code, "kotak_suara": "2", "seals": "Z-1, Z-2"}
    r = client.post("/logistik/baru/", data)
    assert r.status_code == 302
    m = Movement.objects.get(key__startswith="manual:")
    assert m.polling_station == tps and m.regency_code == "53.14" and m.seals == ["Z-1", "Z-2"]
    assert m.planned_departure == wita(2024, 11, 26, 7) and m.estimated
    assert m.expected_arrival > m.planned_departure and [leg.mode for leg in m.legs.all()] == ["road"]
    page = client.get(r["Location"]).content.decode()
    assert "PPS " in page and f"TPS {tps.code}" in page and "perkiraan" in page
    assert AuditEvent.objects.filter(action="logistics.movement.create", object_id=str(m.pk)).exists()
    # bad codes name the field; outside the user's regency is refused; nothing stored
    bad = client.post("/logistik/baru/", {**data, "dest_code": "53.14.99.9999-001"})
    assert bad.status_code == 400 and "kode TPS tidak dikenal" in bad.content.decode()
    other = client.post("/logistik/baru/", {**data, "origin_kind": "warehouse", "origin_code": "53.01",
                                            "dest_kind": "ppk", "dest_code": "53.01.04"})
    assert other.status_code == 400 and "di luar wilayah Anda" in other.content.decode()
    assert Movement.objects.filter(key__startswith="manual:").count() == 1
    # a liaison may record hand-overs but not create movements
    client.force_login(make_user(unit=chain.polres, role=Role.LIAISON))
    assert client.get("/logistik/baru/").status_code == 403


def test_api_creates_a_movement_with_sea_legs_and_refuses_bad_codes(chain, escort):
    c = token_client(escort)
    body = {"key": "api-1", "direction": "distribution", "origin_kind": "warehouse", "origin_code": "53.71",
            "dest_kind": "pps", "dest_code": chain.village.code, "planned_departure": "2024-11-24T06:00:00+08:00",
            "escort_unit": "POLRES-53.14", "cargo": {"kotak_suara": 6}}
    r = post_json(c, API, body)
    assert r.status_code == 201, r.content
    d = r.json()
    assert [leg["mode"] for leg in d["legs"]] == ["road", "sea", "road"] and d["estimated"] is True
    assert d["escort_unit"] == "POLRES-53.14" and d["serves_village_code"] == chain.village.code
    again = post_json(c, API, body)
    assert again.status_code == 400 and "key" in again.json()
    for field, value in (("origin_code", "99.99"), ("dest_code", "53.14.01"), ("escort_unit", "X")):
        r = post_json(c, API, {**body, "key": f"api-{field}", field: value})
        assert r.status_code == 400 and field in r.json(), (field, r.content)
    assert Movement.objects.filter(key__startswith="api-").count() == 1


def test_an_escort_waiting_for_its_upstream_hop_is_late_only_against_its_own_schedule(chain, escort):
    """The PPK -> PPS hop cannot leave before the warehouse -> PPK hop has arrived: while that one is behind, only
    it is late; once it arrives late, the lower hop's times shift by as much before they count."""
    top, low = chain.top, chain.low
    after_low_due = low.expected_arrival + dt.timedelta(hours=3)
    out = jobs.tick(after_low_due)
    top.refresh_from_db()
    low.refresh_from_db()
    assert top.status == Status.DELAYED and low.status == Status.PLANNED   # waiting for its upstream hop
    assert {a.key for a in open_alerts("escort_late")} == {f"escort_late:{top.pk}"}
    assert out["escort_late_raised"] == 1
    # the upstream hop arrives a day late: the lower hop's schedule starts from that arrival
    arrived = low.planned_departure + dt.timedelta(hours=24)
    for leg in top.legs.order_by("order"):
        services.leg_event_record(actor=escort, key=f"up-d{leg.order}", leg=leg, kind="departure", at=arrived)
        services.leg_event_record(actor=escort, key=f"up-a{leg.order}", leg=leg, kind="arrival", at=arrived)
    tol = services.tolerance()
    shift = arrived - low.planned_departure
    not_yet = low.planned_departure + shift + tol - dt.timedelta(minutes=5)
    jobs.tick(not_yet)
    low.refresh_from_db()
    assert low.status == Status.PLANNED and not open_alerts("escort_late")
    late = low.expected_arrival + shift + tol + dt.timedelta(minutes=5)
    jobs.tick(late)
    low.refresh_from_db()
    assert low.status == Status.DELAYED
    assert {a.key for a in open_alerts("escort_late")} == {f"escort_late:{low.pk}"}
