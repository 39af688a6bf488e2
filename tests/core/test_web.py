"""The web shell as a user sees it: login, dashboard, region browser, TPS page, map endpoints, About, i18n."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from sinergi.accounts.choices import AgencyKind
from sinergi.elections.models import PollingStation, Stage
from sinergi.elections.selectors import dataset_status, default_election
from sinergi.regions.models import Region
from tests import factories


@pytest.fixture
def web_data(ntt_dataset, db):
    """The full NTT default dataset (loaded once per session); returns the election the pages show."""
    return default_election()


@pytest.fixture
def user(make_user):
    return make_user(unit=factories.unit(AgencyKind.POLRI), role="operator", first_name="Budi")


@pytest.fixture
def client_in(client, user):
    client.force_login(user)
    return client


def n_id(value) -> str:
    with translation.override("id"):
        return str(intcomma(value))


def tps_under(election, **flt) -> tuple[int, int]:
    agg = PollingStation.objects.filter(election=election, **flt).aggregate(n=Count("id"), v=Sum("voters"))
    return agg["n"], agg["v"] or 0


def row_html(html: str, code: str) -> str:
    m = re.search(rf'<tr data-code="{re.escape(code)}">(.*?)</tr>', html, re.S)
    assert m, f"no row for {code}"
    return m.group(1)


def col(row: str, name: str) -> str:
    m = re.search(rf'data-col="{name}">([^<]*)<', row)
    assert m, name
    return m.group(1).strip()


# --- access ----------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "/", "/wilayah/", "/wilayah/53/", "/wilayah/peta/", "/wilayah/peta/tps.json", "/wilayah/peta/batas.json",
    "/pemilihan/tps/1/", "/pemilihan/tps/1/popup/",
])
def test_pages_require_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_login_form_signs_in_and_shows_user_menu(client, user, password):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode() and 'name="password"' in page.content.decode()
    response = client.post("/accounts/login/", {"username": user.username, "password": password}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert "Budi" in html and user.unit.name in html and "Operator" in html
    assert 'action="/accounts/logout/"' in html  # logout is a POST form


@pytest.mark.django_db
def test_repeated_failures_show_locked_out_page(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": user.username, "password": "salah-salah-salah"})
    response = client.post("/accounts/login/", {"username": user.username, "password": "salah-salah-salah"})
    html = response.content.decode()
    assert "Login dikunci" in html
    assert "1 jam" in html


@pytest.mark.django_db
def test_about_is_public_and_carries_the_attributions(client):
    response = client.get("/tentang/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "ODbL" in html and "idn-area-data" in html
    assert "Contains information from idn-area-data" in html
    assert "cahyadsn" in html and "MIT" in html
    assert "Sirekap" in html and "KawalPemilu" in html
    assert 'id="perkiraan"' in html


@pytest.mark.django_db
def test_footer_attribution_links_to_about(client):
    html = client.get("/accounts/login/").content.decode()
    assert "ODbL" in html and 'href="/tentang/#sumber-data"' in html


@pytest.mark.django_db
def test_no_asset_is_loaded_from_the_internet(client_in, web_data):
    for url in ["/", "/wilayah/peta/", "/tentang/"]:
        html = client_in.get(url).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', html), url


# --- dashboard ---------------------------------------------------------------------------------------

def test_dashboard_shows_counts_and_estimated_badges(client_in, web_data):
    status = dataset_status()
    html = client_in.get("/").content.decode()
    for key, value in [("provinces", status["regions"]["provinces"]), ("regencies", status["regions"]["regencies"]),
                       ("districts", status["regions"]["districts"]), ("villages", status["regions"]["villages"]),
                       ("tps", status["tps"]), ("voters", status["voters"]), ("units", status["units"]),
                       ("users", status["users"])]:
        assert re.search(rf'data-count="{key}">{re.escape(n_id(value))}<', html), key
    if status["estimated_tps"]:
        assert re.search(r'TPS\s*<span class="badge badge-est"', html)


def test_dashboard_shows_the_pilkada_stage_timeline(client_in, web_data):
    html = client_in.get("/").content.decode()
    assert 'data-testid="stages"' in html
    for stage in Stage.objects.filter(election__code="pilkada-2024"):
        assert stage.name in html


def test_dashboard_highlights_current_and_next_stage(client_in, web_data, monkeypatch):
    voting = Stage.objects.get(election__code="pilkada-2024", code="voting")
    from sinergi.core import sandbox
    from sinergi.core.clock import ExerciseClock

    # the day before voting, on the one clock (an exercise clock without a database of its own)
    day_before = timezone.make_aware(datetime.combine(voting.start_date - timedelta(days=1), time(12)))
    with sandbox.enter(ExerciseClock(exercise_id=0, sim_start=day_before, sim_end=day_before,
                                     started_at=timezone.now(), speed=1)):
        html = client_in.get("/").content.decode()
    current = re.findall(r'<li class="current">\s*([^<]+?)\s*<', html)
    nxt = re.findall(r'<li class="next">\s*([^<]+?)\s*<', html)
    assert nxt == [voting.name]
    assert Stage.objects.get(election__code="pilkada-2024", code="quiet_period").name in current


def test_import_link_only_for_users_who_may_import(client, make_user, web_data):
    try:
        import_url = reverse("elections:tps_import")
    except NoReverseMatch:
        import_url = None
    observer = make_user(unit=factories.unit(AgencyKind.BAWASLU), role="observer")
    client.force_login(observer)
    assert "Impor TPS" not in client.get("/").content.decode()
    if import_url:
        operator = make_user(unit=factories.unit(AgencyKind.KPU), role="operator")
        client.force_login(operator)
        html = client.get("/").content.decode()
        assert "Impor TPS" in html and f'href="{import_url}"' in html


# --- region browser ----------------------------------------------------------------------------------

def test_province_list(client_in, web_data):
    html = client_in.get("/wilayah/").content.decode()
    n, v = tps_under(web_data, regency_code__startswith="53.")
    row = row_html(html, "53")
    assert col(row, "tps") == n_id(n) and col(row, "voters") == n_id(v)


def test_province_page_lists_regencies_with_tps_counts(client_in, web_data):
    html = client_in.get("/wilayah/53/").content.decode()
    assert "Nusa Tenggara Timur" in html
    row = row_html(html, "53.71")
    n, v = tps_under(web_data, regency_code="53.71")
    assert n > 0
    assert col(row, "tps") == n_id(n) and col(row, "voters") == n_id(v)
    assert 'href="/wilayah/53.71/"' in html


def test_regency_page_lists_districts_with_breadcrumb(client_in, web_data):
    html = client_in.get("/wilayah/53.71/").content.decode()
    assert 'href="/wilayah/53/"' in html  # breadcrumb
    district = Region.objects.filter(parent_id="53.71").order_by("code").first()
    n, v = tps_under(web_data, district_code=district.code)
    row = row_html(html, district.code)
    assert col(row, "tps") == n_id(n) and col(row, "voters") == n_id(v)


def test_district_page_lists_villages_with_tps_counts(client_in, web_data):
    district = Region.objects.filter(parent_id="53.71").order_by("code").first()
    html = client_in.get(f"/wilayah/{district.code}/").content.decode()
    assert 'href="/wilayah/53.71/"' in html
    village = Region.objects.filter(parent=district, polling_stations__isnull=False).order_by("code").first()
    n, _ = tps_under(web_data, village=village)
    assert col(row_html(html, village.code), "tps") == n_id(n)


def test_village_page_lists_its_tps_linking_to_detail(client_in, web_data):
    tps = PollingStation.objects.filter(election=web_data, district_code__startswith="53.71.").first()
    html = client_in.get(f"/wilayah/{tps.village_id}/").content.decode()
    assert tps.code in html
    assert f'href="/pemilihan/tps/{tps.pk}/"' in html


def test_unknown_region_is_404(client_in, web_data):
    assert client_in.get("/wilayah/99.99/").status_code == 404


@pytest.mark.parametrize("code", ["53", "53.71", "53.71.01"])
def test_browser_pages_use_a_bounded_number_of_queries(client_in, web_data, django_assert_max_num_queries, code):
    client_in.get(f"/wilayah/{code}/")  # warm the session
    with django_assert_max_num_queries(12):
        assert client_in.get(f"/wilayah/{code}/").status_code == 200


# --- TPS page --------------------------------------------------------------------------------------

def test_tps_detail_shows_place_voters_and_estimated_markers(client_in, web_data):
    tps = PollingStation.objects.filter(election=web_data, voters_estimated=True, location_estimated=True,
                                        lat__isnull=False).select_related("village").first()
    response = client_in.get(f"/pemilihan/tps/{tps.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert tps.code in html and tps.village.name in html
    assert Region.objects.get(code=tps.district_code).name in html
    assert Region.objects.get(code=tps.regency_code).name in html
    assert re.search(rf'data-field="voters">{re.escape(n_id(tps.voters))}\s*<span class="badge badge-est">PERKIRAAN',
                     html)
    assert 'id="tps-map"' in html


def test_tps_popup_fragment(client_in, web_data):
    tps = PollingStation.objects.filter(election=web_data).select_related("village").first()
    html = client_in.get(f"/pemilihan/tps/{tps.pk}/popup/").content.decode()
    assert tps.code in html and tps.village.name in html and f"/pemilihan/tps/{tps.pk}/" in html


# --- map --------------------------------------------------------------------------------------------

def test_map_page_uses_local_leaflet(client_in, web_data):
    html = client_in.get("/wilayah/peta/").content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in html
    # clusters come from the server per zoom (issue 16): no clustering script in the browser
    assert "leaflet.markercluster.js" not in html and "/wilayah/peta/tps-klaster.json" in html
    assert "titik perkiraan" in html


def test_regency_boundaries_endpoint(client_in, web_data):
    response = client_in.get("/wilayah/peta/batas.json")
    data = response.json()
    assert response["Content-Type"] == "application/json"
    codes = {f["properties"]["code"] for f in data["features"]}
    assert "53.71" in codes
    kota = next(f for f in data["features"] if f["properties"]["code"] == "53.71")
    assert kota["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert kota["properties"]["tps"] == tps_under(web_data, regency_code="53.71")[0]


def test_district_boundaries_by_parent_and_bbox(client_in, web_data):
    data = client_in.get("/wilayah/peta/batas.json?parent=53.71").json()
    codes = {f["properties"]["code"] for f in data["features"]}
    assert codes and all(c.startswith("53.71.") for c in codes)
    bbox = client_in.get("/wilayah/peta/batas.json?level=district&bbox=123.5,-10.3,123.7,-10.1").json()
    assert {f["properties"]["code"] for f in bbox["features"]} & codes
    assert client_in.get("/wilayah/peta/batas.json?bbox=oops").status_code == 400


def test_tps_points_endpoint_is_compact_with_estimated_flags(client_in, web_data):
    response = client_in.get("/wilayah/peta/tps.json")
    rows = response.json()
    assert "max-age" in response["Cache-Control"]
    located = PollingStation.objects.filter(election=web_data, lat__isnull=False)
    assert len(rows) == located.count()
    by_id = {r[0]: r for r in rows}
    est = located.filter(location_estimated=True).first()
    surveyed = located.filter(location_estimated=False).first()
    assert by_id[est.pk][4] == 1 and by_id[est.pk][3] == est.voters
    assert abs(by_id[est.pk][1] - est.lat) < 1e-4 and abs(by_id[est.pk][2] - est.lng) < 1e-4
    if surveyed is not None:
        assert by_id[surveyed.pk][4] == 0


# --- language -----------------------------------------------------------------------------------------

def test_indonesian_is_default_and_english_is_switchable(client_in, web_data):
    html = client_in.get("/").content.decode()
    assert '<html lang="id">' in html and "Dasbor" in html and "Wilayah" in html
    response = client_in.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Dashboard" in html and "Regions" in html and "Villages" in html
    assert "estimated" in html
    about = client_in.get("/tentang/").content.decode()
    assert "Data sources and licences" in about


@pytest.mark.django_db
def test_indonesian_is_default_even_for_an_english_browser(client):
    resp = client.get("/tentang/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert resp.headers.get("Content-Language") == "id"


def test_regions_found_by_typing_part_of_a_name(ntt_dataset, client, make_user):
    client.force_login(make_user(role="observer"))
    html = client.get("/wilayah/", {"q": "amarasi bar"}).content.decode()
    results = html.split('data-testid="region-results"')[1].split("</section>")[0]
    assert "Amarasi Barat" in results and "Kupang" in results  # with the regions above it
    assert "Amarasi Timur" not in results  # every typed word must match
    empty = client.get("/wilayah/", {"q": "zzzz"}).content.decode()
    assert "Tidak ada wilayah" in empty
