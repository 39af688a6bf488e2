"""API v1: authentication, pagination, filters, scoping, read-only-ness and query counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from sinergi.accounts.choices import AgencyKind, PersonnelType, Role, UnitLevel
from sinergi.accounts.models import UnitStrength
from sinergi.api.router import router
from sinergi.core.services import audit_log
from sinergi.elections.models import CandidatePair, Contest, Election, PollingStation, Stage
from sinergi.regions.models import Island
from tests.conftest import PASSWORD
from tests.factories import region, unit

pytestmark = pytest.mark.django_db

LIST_ENDPOINTS = ["regions", "islands", "units", "unit-strengths", "elections", "stages", "contests", "tps",
                  "audit-events"]
BOX = {"type": "Polygon", "coordinates": [[[123.5, -10.2], [123.7, -10.2], [123.7, -10.1], [123.5, -10.2]]]}


def url(name: str, **kwargs) -> str:
    return reverse(f"api:v1:{name}", kwargs=kwargs)


def list_url(prefix: str) -> str:
    return f"/api/v1/{prefix}/"


@pytest.fixture
def world():
    """A province with two regencies, districts and villages, an election with TPS, units with strength.

    Codes start with 99 (no such province) and names carry "Uji", so the data never collides with the NTT
    dataset that other test modules may have loaded into the same database.
    """
    prov = region("99", "Provinsi Uji")
    kupang = region("99.71", "Kota Uji", geometry=json.dumps(BOX), geometry_web=json.dumps(BOX))
    alor = region("99.05", "Alor Uji")
    d_kupang = region("99.71.01", "Alak")
    d_alor = region("99.05.01", "Teluk Mutiara")
    v_kupang = [region(f"99.71.01.100{i}", f"Kelurahan {i}") for i in range(1, 5)]
    v_alor = region("99.05.01.2001", "Desa Alor Satu")
    audit_log(actor=None, action="test.world", object_type="region", object_id="99")
    audit_log(actor=None, action="test.world", object_type="region", object_id="99.71")
    Island.objects.create(code="UJI-1", regency=alor, name="Pulau Alor Uji", is_populated=True)
    Island.objects.create(code="UJI-2", regency=kupang, name="Pulau Semau Uji", is_populated=True)

    election = Election.objects.create(code="uji-2024", name="Pilkada Uji 2024",
                                       voting_date=dt.date(2024, 11, 27), province=prov)
    other = Election.objects.create(code="uji-2020", name="Pilkada 2020", voting_date=dt.date(2020, 12, 9))
    Stage.objects.create(election=election, code="voting", name="Pemungutan suara", order=10,
                         start_date=dt.date(2024, 11, 27), end_date=dt.date(2024, 11, 27))
    Stage.objects.create(election=other, code="voting", name="Pemungutan suara", order=10,
                         start_date=dt.date(2020, 12, 9), end_date=dt.date(2020, 12, 9))
    gov = Contest.objects.create(election=election, kind=Contest.Kind.GOVERNOR, region=prov, candidate_pair_count=3)
    for n in (1, 2, 3):
        CandidatePair.objects.create(contest=gov, number=n, names=f"Paslon {n}")
    Contest.objects.create(election=election, kind=Contest.Kind.MAYOR, region=kupang, candidate_pair_count=4)
    Contest.objects.create(election=election, kind=Contest.Kind.REGENT, region=alor, candidate_pair_count=2)

    rows = []
    for i in range(100):  # 100 TPS in Kota Uji, every fifth one with estimated voters/location
        village = v_kupang[i % 4]
        number = i // 4 + 1
        rows.append(PollingStation(
            election=election, village=village, district_code="99.71.01", regency_code="99.71", number=number,
            code=PollingStation.make_code(village.code, number), voters=200 + i, voters_estimated=i % 5 == 0,
            location_estimated=i % 10 == 0, lat=-10.15, lng=123.6,
            location_source=(PollingStation.LocationSource.ESTIMATED_DESA if i % 10 == 0
                             else PollingStation.LocationSource.KPU)))
    for number in (1, 2, 3):
        rows.append(PollingStation(election=election, village=v_alor, district_code="99.05.01",
                                   regency_code="99.05", number=number,
                                   code=PollingStation.make_code(v_alor.code, number), voters=300))
    PollingStation.objects.bulk_create(rows)

    kpu_prov = unit(AgencyKind.KPU, level=UnitLevel.PROVINCE, name="KPU Provinsi Uji", jurisdiction=[prov])
    kpu_kupang = unit(AgencyKind.KPU, parent=kpu_prov, name="KPU Kota Uji", jurisdiction=[kupang])
    kpu_alor = unit(AgencyKind.KPU, parent=kpu_prov, name="KPU Kabupaten Alor Uji", jurisdiction=[alor])
    polda = unit(AgencyKind.POLRI, level=UnitLevel.PROVINCE, name="Polda Uji", jurisdiction=[prov])
    polres = unit(AgencyKind.POLRI, parent=polda, name="Polres Alor Uji", jurisdiction=[alor, d_alor])
    for u, n in ((kpu_kupang, 10), (kpu_alor, 20), (polda, 671), (polres, 300)):
        UnitStrength.objects.create(unit=u, personnel_type=PersonnelType.POLRI, count=n)
    return {"election": election, "kupang": kupang, "alor": alor, "d_kupang": d_kupang,
            "kpu_prov": kpu_prov, "kpu_kupang": kpu_kupang, "kpu_alor": kpu_alor, "polda": polda,
            "polres": polres}


@pytest.fixture
def client_for(make_user):
    def _client(*, unit=None, role=Role.OPERATOR, **kw):
        user = make_user(unit=unit, role=role, **kw)
        client = APIClient()
        client.force_authenticate(user)
        client.user = user
        return client

    return _client


@pytest.fixture
def admin_client(client_for, world):
    return client_for(unit=world["polda"], role=Role.ADMIN)


# --- authentication -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", [*LIST_ENDPOINTS, "me"])
def test_every_endpoint_requires_authentication(prefix):
    response = APIClient().get(list_url(prefix))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_region_detail_requires_authentication(world):
    assert APIClient().get(url("region-detail", code="99.71")).status_code == 401


def test_token_obtain_and_use(make_user, world):
    user = make_user(unit=world["kpu_kupang"], role=Role.OPERATOR, username="operator.kupang")
    client = APIClient()
    response = client.post(url("auth-token"), {"username": "operator.kupang", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(list_url("me"))
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == "operator.kupang"
    assert body["role"] == "operator"
    assert body["unit"]["name"] == "KPU Kota Uji"
    assert body["unit"]["agency"] == "KPU"
    assert "tps.import" in body["permissions"] and "audit.view" not in body["permissions"]
    # The next login issues another key (only hashes are stored; each device has its own); both work, and
    # revoking locks every client of the user out.
    again = APIClient().post(url("auth-token"), {"username": "operator.kupang", "password": PASSWORD})
    other = again.json()["token"]
    assert other != token
    second = APIClient()
    second.credentials(HTTP_AUTHORIZATION=f"Token {other}")
    assert second.get(list_url("me")).status_code == 200
    assert client.delete(url("auth-token")).status_code == 204
    assert client.get(list_url("me")).status_code == 401
    assert second.get(list_url("me")).status_code == 401
    assert user.pk


def test_token_wrong_password_and_lockout(make_user):
    make_user(username="lockme")
    client = APIClient()
    for _ in range(5):
        response = client.post(url("auth-token"), {"username": "lockme", "password": "salah-sekali-123"},
                               format="json")
        assert response.status_code in (400, 429)
        assert "token" not in response.json()
    # Locked out now: even the right password is refused, in JSON.
    response = client.post(url("auth-token"), {"username": "lockme", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "token" not in response.json() and response.json()["detail"]


def test_token_missing_fields():
    response = APIClient().post(url("auth-token"), {"username": "x"}, format="json")
    assert response.status_code == 400


def test_session_authentication_works(make_user, world):
    user = make_user(unit=world["kpu_kupang"])
    client = APIClient()
    client.force_login(user)
    assert client.get(list_url("tps")).status_code == 200


# --- lists and pagination -----------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", LIST_ENDPOINTS)
def test_every_list_endpoint_paginates(admin_client, prefix):
    first = admin_client.get(list_url(prefix), {"page_size": 1})
    assert first.status_code == 200, first.content
    body = first.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] >= 2, prefix
    assert len(body["results"]) == 1
    assert body["next"] and body["previous"] is None
    second = admin_client.get(body["next"])
    assert second.status_code == 200
    assert second.json()["results"] != body["results"]


def test_ordering_parameter(admin_client, world):
    params = {"election": world["election"].pk, "page_size": 3}
    rows = admin_client.get(list_url("tps"), {**params, "ordering": "-voters"}).json()["results"]
    assert [r["voters"] for r in rows] == [300, 300, 300]
    rows = admin_client.get(list_url("tps"), {**params, "ordering": "voters"}).json()["results"]
    assert [r["voters"] for r in rows] == [200, 201, 202]


# --- regions ------------------------------------------------------------------------------------------------

def test_regions_filter_by_level_and_parent(client_for, world):
    client = client_for(role=Role.OBSERVER)
    body = client.get(list_url("regions"), {"level": "regency", "province_code": "99"}).json()
    assert [r["code"] for r in body["results"]] == ["99.05", "99.71"]
    body = client.get(list_url("regions"), {"parent": "99.71.01"}).json()
    assert body["count"] == 4
    assert {r["level"] for r in body["results"]} == {"village"}
    assert all(r["parent"] == "99.71.01" for r in body["results"])
    body = client.get(list_url("regions"), {"code__startswith": "99.05"}).json()
    assert [r["code"] for r in body["results"]] == ["99.05", "99.05.01", "99.05.01.2001"]
    body = client.get(list_url("regions"), {"q": "kota uji"}).json()
    assert [r["code"] for r in body["results"]] == ["99.71"]
    body = client.get(list_url("regions"), {"province_code": "99", "level": "province"}).json()
    assert [r["name"] for r in body["results"]] == ["Provinsi Uji"]


def test_region_list_leaves_out_geometry_unless_asked(client_for, world):
    client = client_for(role=Role.OBSERVER)
    row = client.get(list_url("regions"), {"code__startswith": "99.71", "level": "regency"}).json()["results"][0]
    assert "geometry_web" not in row and "geometry" not in row
    assert row["has_boundary"] is True
    row = client.get(list_url("regions"), {"code__startswith": "99.71", "level": "regency",
                                           "geometry": "web"}).json()["results"][0]
    assert row["geometry_web"] == BOX


def test_region_lookup_by_dotted_code(client_for, world):
    client = client_for(role=Role.OBSERVER)
    response = client.get(url("region-detail", code="99.71"))
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Kota Uji" and body["level"] == "regency" and body["parent"] == "99"
    assert body["geometry_web"] == BOX
    assert "geometry" not in body
    assert client.get("/api/v1/regions/99.71.01.1001/").json()["name"] == "Kelurahan 1"
    alor = client.get("/api/v1/regions/99.05/").json()
    assert alor["geometry_web"] is None and alor["has_boundary"] is False
    assert client.get("/api/v1/regions/99.99/").status_code == 404


def test_islands_filter(client_for, world):
    client = client_for(role=Role.OBSERVER)
    body = client.get(list_url("islands"), {"regency": "99.05"}).json()
    assert [r["name"] for r in body["results"]] == ["Pulau Alor Uji"]
    assert client.get(url("island-detail", code="UJI-2")).json()["regency"] == "99.71"


# --- units and strength -------------------------------------------------------------------------------------

def test_unit_directory_and_filters(client_for, world):
    client = client_for(unit=world["kpu_kupang"], role=Role.OBSERVER)
    body = client.get(list_url("units"), {"agency": "KPU", "q": "uji"}).json()
    assert {r["name"] for r in body["results"]} == {"KPU Provinsi Uji", "KPU Kota Uji", "KPU Kabupaten Alor Uji"}
    body = client.get(list_url("units"), {"parent": world["polda"].pk}).json()
    assert [r["name"] for r in body["results"]] == ["Polres Alor Uji"]
    polres = body["results"][0]
    assert polres["jurisdiction"] == ["99.05", "99.05.01"]
    assert polres["agency"] == "POLRI" and polres["parent_code"] == world["polda"].code
    assert "strengths" not in polres and "count" not in polres
    body = client.get(list_url("units"), {"level": "province", "q": "uji"}).json()
    assert {r["name"] for r in body["results"]} == {"KPU Provinsi Uji", "Polda Uji"}
    body = client.get(list_url("units"), {"region": "99.05"}).json()
    assert {r["name"] for r in body["results"]} == {"KPU Kabupaten Alor Uji", "Polres Alor Uji"}


def test_regency_kpu_user_cannot_read_another_units_strength(client_for, world):
    client = client_for(unit=world["kpu_kupang"], role=Role.OPERATOR)
    body = client.get(list_url("unit-strengths")).json()
    assert [(r["unit_name"], r["count"]) for r in body["results"]] == [("KPU Kota Uji", 10)]
    other = UnitStrength.objects.get(unit=world["kpu_alor"])
    assert client.get(url("unit-strength-detail", pk=other.pk)).status_code == 404
    assert client.get(list_url("unit-strengths"), {"unit": world["kpu_alor"].pk}).json()["count"] == 0


def test_province_user_sees_subtree_strength_admin_sees_all(client_for, world):
    prov = client_for(unit=world["kpu_prov"], role=Role.ANALYST)
    names = {r["unit_name"] for r in prov.get(list_url("unit-strengths")).json()["results"]}
    assert names == {"KPU Kota Uji", "KPU Kabupaten Alor Uji"}
    admin = client_for(role=Role.ADMIN)
    names = {r["unit_name"] for r in admin.get(list_url("unit-strengths"), {"page_size": 1000}).json()["results"]}
    assert names >= {"KPU Kota Uji", "KPU Kabupaten Alor Uji", "Polda Uji", "Polres Alor Uji"}


def test_observer_cannot_read_strength(client_for, world):
    client = client_for(unit=world["polda"], role=Role.OBSERVER)
    assert client.get(list_url("unit-strengths")).status_code == 403


# --- elections and TPS --------------------------------------------------------------------------------------

def test_elections_stages_contests(client_for, world):
    client = client_for(role=Role.OBSERVER)
    body = client.get(list_url("elections"), {"page_size": 1000}).json()
    codes = [r["code"] for r in body["results"] if r["code"].startswith("uji-")]
    assert codes == ["uji-2024", "uji-2020"]  # newest first
    assert client.get(list_url("elections"), {"code": "uji-2024"}).json()["results"][0]["province"] == "99"
    election = world["election"]
    stages = client.get(list_url("stages"), {"election": election.pk}).json()
    assert stages["count"] == 1 and stages["results"][0]["election_code"] == "uji-2024"
    contests = client.get(list_url("contests"), {"election": election.pk}).json()
    assert contests["count"] == 3
    gov = client.get(list_url("contests"), {"kind": "governor", "election": election.pk}).json()["results"][0]
    assert gov["region"] == "99" and [p["number"] for p in gov["pairs"]] == [1, 2, 3]
    mayor = client.get(list_url("contests"), {"region": "99.71"}).json()["results"]
    assert [(c["kind"], c["region_name"]) for c in mayor] == [("mayor", "Kota Uji")]


def test_tps_filters_and_estimated_flags(client_for, world):
    client = client_for(role=Role.OBSERVER)

    def count(**params) -> int:
        response = client.get(list_url("tps"), {"election": world["election"].pk, **params})
        assert response.status_code == 200, response.content
        return response.json()["count"]

    body = client.get(list_url("tps"), {"regency_code": "99.71", "page_size": 1000}).json()
    assert body["count"] == 100
    row = body["results"][0]
    for field in ("code", "voters", "voters_estimated", "location_estimated", "location_source", "is_estimated",
                  "lat", "lng", "village", "village_name", "district_code", "regency_code", "election_code"):
        assert field in row, field
    assert row["regency_code"] == "99.71" and row["village_name"].startswith("Kelurahan")
    assert row["election_code"] == "uji-2024"
    assert sum(r["is_estimated"] for r in body["results"]) == 20
    assert count(regency_code="99.05") == 3
    assert count(voters_estimated="true") == 20
    assert count(location_estimated="true") == 10
    assert count(is_estimated="true") == 20
    assert count(is_estimated="false") == 83
    assert count(location_source="estimated_desa") == 10
    assert count(voters_min=290, voters_max=299) == 10
    assert count(village="99.05.01.2001") == 3
    assert count(district_code="99.71.01") == 100
    assert client.get(list_url("tps"), {"election_code": "uji-2020"}).json()["count"] == 0
    assert client.get(list_url("tps"), {"election_code": "uji-2024"}).json()["count"] == 103
    tps = PollingStation.objects.get(code="99.05.01.2001-002")
    detail = client.get(url("tps-detail", pk=tps.pk)).json()
    assert detail["code"] == "99.05.01.2001-002" and detail["is_estimated"] is False


# --- audit and me -------------------------------------------------------------------------------------------

def test_audit_events_admin_yes_operator_no_commander_scoped(client_for, world, make_user):
    kupang_user = make_user(unit=world["kpu_kupang"], role=Role.OPERATOR)
    alor_user = make_user(unit=world["kpu_alor"], role=Role.OPERATOR)
    audit_log(actor=kupang_user, action="scope.kupang", object_type="x", object_id="1")
    audit_log(actor=alor_user, action="scope.alor", object_type="x", object_id="2")
    admin = client_for(role=Role.ADMIN)
    body = admin.get(list_url("audit-events"), {"action__startswith": "scope."}).json()
    assert [r["action"] for r in body["results"]] == ["scope.alor", "scope.kupang"]  # newest first
    assert body["results"][0]["hash"] and body["results"][0]["unit_code"] == world["kpu_alor"].code
    operator = client_for(unit=world["kpu_kupang"], role=Role.OPERATOR)
    assert operator.get(list_url("audit-events")).status_code == 403
    commander = client_for(unit=world["kpu_kupang"], role=Role.COMMANDER)
    body = commander.get(list_url("audit-events"), {"action__startswith": "scope."}).json()
    assert [r["action"] for r in body["results"]] == ["scope.kupang"]


def test_me_for_admin(client_for):
    body = client_for(role=Role.ADMIN, username="admin.api").get(list_url("me")).json()
    assert body["username"] == "admin.api" and body["unit"] is None
    assert "audit.view" in body["permissions"] and "user.manage" in body["permissions"]


# --- read-only ----------------------------------------------------------------------------------------------

def _list_routes() -> list[str]:
    return [prefix for prefix, _viewset, _basename in router.registry]


@pytest.mark.parametrize("prefix", _list_routes())
def test_observer_cannot_write_anywhere(client_for, world, prefix):
    client = client_for(unit=world["polda"], role=Role.OBSERVER)
    path = f"/api/v1/{prefix}/"
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(path, {"x": 1}, format="json")
        assert response.status_code in (403, 405), (method, path, response.status_code)
    assert client.post("/api/v1/regions/99.71/", {}, format="json").status_code == 405
    assert client.patch("/api/v1/regions/99.71/", {"name": "X"}, format="json").status_code == 405


# --- query counts -------------------------------------------------------------------------------------------

@pytest.fixture
def token_client(make_user, world):
    def _client(role=Role.ADMIN, unit=None):
        from sinergi.api.services import token_issue

        user = make_user(unit=unit or world["kpu_prov"], role=role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user).key}")
        return client

    return _client


@pytest.mark.parametrize(("prefix", "params", "limit"), [
    ("tps", {"page_size": 100}, 6),
    ("regions", {"page_size": 100}, 6),
    ("regions", {"page_size": 100, "geometry": "web"}, 6),
    ("units", {}, 6),
    ("unit-strengths", {}, 6),
    ("contests", {}, 6),
    ("stages", {}, 6),
    ("islands", {}, 6),
    ("audit-events", {}, 6),
])
def test_list_query_count_is_bounded(token_client, django_assert_max_num_queries, prefix, params, limit):
    client = token_client()
    with django_assert_max_num_queries(limit):
        response = client.get(list_url(prefix), params)
    assert response.status_code == 200
    assert response.json()["count"] > 0


def test_tps_list_query_count_for_scoped_user(token_client, world, django_assert_max_num_queries):
    client = token_client(role=Role.OPERATOR, unit=world["kpu_kupang"])
    with django_assert_max_num_queries(6):
        body = client.get(list_url("tps"), {"page_size": 100}).json()
    assert len(body["results"]) == 100
    with django_assert_max_num_queries(6):
        assert client.get(list_url("unit-strengths")).json()["count"] == 1


# --- full dataset -------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_kota_kupang_has_552_tps_in_the_default_dataset(ntt_dataset, client_for):
    client = client_for(role=Role.OBSERVER)
    body = client.get(list_url("tps"), {"regency_code": "53.71", "page_size": 1}).json()
    assert body["count"] == 552
